//! The billing day: for a date `as_of`, prolong what is due (charging the personal account),
//! suspend what could not be paid at the end of its paid period, close what was scheduled to close,
//! delete what stayed suspended past its item type's delay, and record the expiry notices due.
//!
//! Every step is a command that is a no-op the second time (expenses are keyed by service and
//! period; the service's own rules refuse to request an operation twice or to notice twice), so a
//! run repeated for the same day, or two runs at once, change nothing the second time.
//!
//! The services are taken in batches (grouped by account, oldest order first within one), and a
//! batch's commands go through `EventStore::execute_batch`: its services read with one query,
//! its charges (each account deciding its services' charges in order) appended with one
//! statement, then their records on the services with another, then each service's decision for
//! the day. The commands, their keys and their order per aggregate are those of running each
//! service alone (`settlement::charge_due`, then `RunBillingDay`); only the round trips and
//! commits are shared. A crash between a batch's charges and its records leaves charges whose
//! keys the rerun finds: it charges nothing twice and records them.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::ids::{OperationId, ProviderId, ServiceId};
use domain::service::{Notice, OperationKind, Service, ServiceCommand, ServiceEvent};
use eventstore::metadata::CommandContext;
use eventstore::{BatchCommand, EventStore};
use futures::StreamExt;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::usecases::process::settlement::{Charged, SettleError, charge_due_batch};
use projections::Progress;

/// What a billing day did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BillingDayReport {
    /// The day.
    pub as_of: NaiveDate,
    /// Services looked at.
    pub services: u64,
    /// Periods charged (first periods, prolongations and resumptions).
    pub charged: u64,
    /// Charges the accounts could not pay.
    pub refused: u64,
    /// Suspensions requested.
    pub suspensions: u64,
    /// Deletions requested (after a suspension delay or a closure).
    pub deletions: u64,
    /// Services closed.
    pub closed: u64,
    /// Notices recorded.
    pub notices: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// Usage periods charged (`usage_billing`).
    pub usage_periods: u64,
    /// Usage expenses charged to accounts.
    pub usage_expenses: u64,
    /// Days of services billed by the hour charged (`hourly_billing`, ADR 37).
    pub hourly_days: u64,
    /// Hourly expenses charged to accounts.
    pub hourly_expenses: u64,
    /// Domain renewals asked of the registrar (ADR 33).
    pub domain_renewals: u64,
    /// Domain renewals charged to accounts (a renewal at price zero charges nothing).
    pub domain_charges: u64,
    /// Domain renewals the accounts could not pay.
    pub domain_renewals_refused: u64,
    /// Domains expired.
    pub domain_expiries: u64,
    /// Domain expiry notices recorded (before the expiry).
    pub domain_notices: u64,
}

impl BillingDayReport {
    /// Adds what the day did to domains.
    pub fn add_domains(&mut self, day: &crate::usecases::domains::DomainsDay) {
        self.domain_renewals += day.renewed;
        self.domain_charges += day.charged;
        self.domain_renewals_refused += day.refused;
        self.domain_expiries += day.expired;
        self.domain_notices += day.notices;
    }
}

/// Whose services a billing day runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every live provider's: the billing day of real time, which never touches a sandbox.
    Live,
    /// One sandbox provider's, for a day its clock passed (ADR 20).
    Sandbox(ProviderId),
}

/// Runs the billing day over every service of `scope` that may need something on `as_of`.
pub async fn run(
    store: &EventStore,
    pool: &PgPool,
    progress: &Progress,
    as_of: NaiveDate,
    scope: Scope,
    context: &CommandContext,
    concurrency: usize,
) -> Result<BillingDayReport, SettleError> {
    caught_up(pool, progress).await?;
    run_caught_up(store, pool, as_of, scope, context, concurrency).await
}

/// Waits until the read models the billing day asks (services, providers) have applied the
/// whole log as it is now; answers the position they reached.
pub async fn caught_up(pool: &PgPool, progress: &Progress) -> Result<i64, SettleError> {
    // The read model must include every service ordered so far before it is asked what is due.
    let head = eventstore::log::head_position(pool).await?;
    // The providers read model, too: it says which providers are sandboxes.
    for read_model in ["services", projections::ReadModel::Providers.name()] {
        let caught_up = head == 0
            || projections::engine::wait_for_position(
                pool,
                progress,
                read_model,
                head,
                Duration::from_secs(20),
            )
            .await
            .map_err(|e| SettleError::Refused(e.to_string()))?;
        if !caught_up {
            return Err(SettleError::Behind);
        }
    }
    Ok(head)
}

/// [`run`] once the read models have caught up ([`caught_up`]): a caller running many days in
/// a row waits only when the log has moved since.
pub async fn run_caught_up(
    store: &EventStore,
    pool: &PgPool,
    as_of: NaiveDate,
    scope: Scope,
    context: &CommandContext,
    concurrency: usize,
) -> Result<BillingDayReport, SettleError> {
    let started = Instant::now();
    // A live day leaves every sandbox provider's services out; a sandbox day takes its
    // provider's only.
    let (providers, only): (Vec<Uuid>, bool) = match scope {
        Scope::Live => (projections::clients::sandbox_ids(pool).await?, false),
        Scope::Sandbox(provider) => (vec![provider.as_uuid()], true),
    };
    // Grouped by account, oldest order first within one: a batch then carries many of an
    // account's charges, which the account decides in that order (the oldest order is paid
    // first when the money runs out), as one append.
    // The hours of the days ended first (ADR 37): the debt they leave is what the services
    // billed by the hour then decide on, and those services are looked at every day.
    let hourly = crate::usecases::process::hourly_billing::charge_day(
        store,
        pool,
        as_of,
        (&providers, only),
        context,
    )
    .await?;
    let candidates: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM services
          WHERE (status IN ('ordered', 'suspended', 'closed')
                 OR (status IN ('active', 'provisioning')
                     AND (paid_until <= $1 + 10 OR terms ? 'hourly')))
            AND (provider_id = ANY($2)) = $3
          ORDER BY account_id, ordered_on, id",
    )
    .bind(as_of)
    .bind(&providers)
    .bind(only)
    .fetch_all(pool)
    .await?;
    let mut report = BillingDayReport {
        as_of,
        hourly_days: hourly.days,
        hourly_expenses: hourly.expenses,
        ..BillingDayReport::default()
    };
    let batches: Vec<Vec<ServiceId>> = candidates
        .chunks(SERVICES_PER_BATCH)
        .map(|chunk| chunk.iter().copied().map(ServiceId::from_uuid).collect())
        .collect();
    let mut results = futures::stream::iter(batches)
        .map(|batch| one_batch(store, batch, as_of, context))
        .buffer_unordered(concurrency.clamp(1, MAX_BATCHES_AT_ONCE));
    while let Some(result) = results.next().await {
        let one = result?;
        report.services += one.services;
        report.charged += one.charged;
        report.refused += one.refused;
        report.suspensions += one.suspensions;
        report.deletions += one.deletions;
        report.closed += one.closed;
        report.notices += one.notices;
    }
    // The usage of the periods ended by the day (issue 20.3).
    let usage = crate::usecases::process::usage_billing::charge_day(
        store,
        pool,
        as_of,
        (&providers, only),
        context,
    )
    .await?;
    report.usage_periods = usage.periods;
    report.usage_expenses = usage.expenses;
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// Services whose day is run together: their states are read with one query, their charges
/// appended with one statement, their records with another.
const SERVICES_PER_BATCH: usize = 500;

/// At most this many batches at once, whatever the caller's concurrency: on two cores, more
/// batches in flight only queue for the database.
const MAX_BATCHES_AT_ONCE: usize = 4;

/// The day of one batch of services: every period due (more than one if days were skipped),
/// charged round after round, then each service's own decision for the day.
async fn one_batch(
    store: &EventStore,
    services: Vec<ServiceId>,
    as_of: NaiveDate,
    context: &CommandContext,
) -> Result<BillingDayReport, SettleError> {
    let mut report = BillingDayReport {
        services: u64::try_from(services.len()).unwrap_or(u64::MAX),
        ..BillingDayReport::default()
    };
    let ids: Vec<String> = services.iter().map(ToString::to_string).collect();
    let mut states = store.load_many::<Service>(&ids).await?;
    let mut charging = services.clone();
    for _ in 0..400 {
        if charging.is_empty() {
            break;
        }
        let answers = charge_due_batch(store, &mut states, &charging, as_of, context).await?;
        let mut still = Vec::new();
        for (service_id, answer) in charging.into_iter().zip(answers) {
            match answer {
                Charged::Charged => {
                    report.charged += 1;
                    still.push(service_id);
                }
                Charged::Refused => report.refused += 1,
                Charged::NothingDue => {}
            }
        }
        charging = still;
    }
    // Each service decides with its item type's policy as it is now (ADR 15), read once per
    // type from the type's own aggregate.
    let item_type_of = |service_id: &ServiceId| {
        states
            .get(&service_id.to_string())
            .and_then(|loaded| loaded.aggregate.terms())
            .map(|terms| terms.item_type)
    };
    let policies =
        crate::usecases::item_types::policies(store, services.iter().filter_map(item_type_of))
            .await?;
    // An unpaid service decides its suspension with its account's promised payment: the
    // accounts of the services whose paid time has ended are read once, with one query.
    let unpaid_account = |service_id: &ServiceId| {
        states
            .get(&service_id.to_string())
            .map(|loaded| &loaded.aggregate)
            .filter(|service| service.paid_until().is_some_and(|until| until <= as_of))
            .and_then(Service::account_id)
    };
    // A service billed by the hour is also unpaid while its account is in debt, which the
    // account says (ADR 37): those accounts are read once, too.
    let hourly_account = |service_id: &ServiceId| {
        states
            .get(&service_id.to_string())
            .map(|loaded| &loaded.aggregate)
            .filter(|service| service.terms().is_some_and(|terms| terms.hourly.is_some()))
            .and_then(Service::account_id)
    };
    let promised = services
        .iter()
        .filter_map(|id| unpaid_account(id).or_else(|| hourly_account(id)));
    let promises = crate::usecases::promises::ends_of(store, promised).await?;
    let in_debt = crate::usecases::process::hourly_billing::in_debt(
        store,
        services.iter().filter_map(hourly_account),
    )
    .await?;
    let days: Vec<BatchCommand<Service>> = services
        .iter()
        .map(|service_id| BatchCommand {
            id: service_id.to_string(),
            command: ServiceCommand::RunBillingDay {
                on: as_of,
                operation_id: OperationId::from_uuid(Uuid::now_v7()),
                policy: item_type_of(service_id).and_then(|code| policies.get(&code).copied()),
                promised_until: unpaid_account(service_id)
                    .or_else(|| hourly_account(service_id))
                    .and_then(|account| promises.get(&account).copied()),
                in_debt: hourly_account(service_id)
                    .is_some_and(|account| in_debt.contains(&account)),
            },
            keys: Vec::new(),
        })
        .collect();
    let ran = store.execute_batch::<Service>(days, context, states).await;
    for outcome in ran.outcomes {
        for event in outcome?.events {
            match event {
                ServiceEvent::NoticeDue {
                    notice: Notice::ExpiresIn { .. },
                } => report.notices += 1,
                ServiceEvent::OperationRequested {
                    kind: OperationKind::Suspend,
                    ..
                } => report.suspensions += 1,
                ServiceEvent::OperationRequested {
                    kind: OperationKind::Delete,
                    ..
                } => report.deletions += 1,
                ServiceEvent::ServiceClosed { .. } => report.closed += 1,
                _ => {}
            }
        }
    }
    Ok(report)
}
