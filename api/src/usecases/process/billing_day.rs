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
use domain::ids::{OperationId, ServiceId};
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
}

/// Runs the billing day over every service that may need something on `as_of`.
pub async fn run(
    store: &EventStore,
    pool: &PgPool,
    progress: &Progress,
    as_of: NaiveDate,
    context: &CommandContext,
    concurrency: usize,
) -> Result<BillingDayReport, SettleError> {
    let started = Instant::now();
    // The read model must include every service ordered so far before it is asked what is due.
    let head = eventstore::log::head_position(pool).await?;
    let caught_up = head == 0
        || projections::engine::wait_for_position(
            pool,
            progress,
            "services",
            head,
            Duration::from_secs(20),
        )
        .await
        .map_err(|e| SettleError::Refused(e.to_string()))?;
    if !caught_up {
        return Err(SettleError::Behind);
    }
    // Grouped by account, oldest order first within one: a batch then carries many of an
    // account's charges, which the account decides in that order (the oldest order is paid
    // first when the money runs out), as one append.
    let candidates: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM services
          WHERE status IN ('ordered', 'suspended', 'closed')
             OR (status IN ('active', 'provisioning') AND paid_until <= $1 + 10)
          ORDER BY account_id, ordered_on, id",
    )
    .bind(as_of)
    .fetch_all(pool)
    .await?;
    let mut report = BillingDayReport {
        as_of,
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
    let days: Vec<BatchCommand<Service>> = services
        .iter()
        .map(|service_id| BatchCommand {
            id: service_id.to_string(),
            command: ServiceCommand::RunBillingDay {
                on: as_of,
                operation_id: OperationId::from_uuid(Uuid::now_v7()),
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
