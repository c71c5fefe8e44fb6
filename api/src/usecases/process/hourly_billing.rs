//! The billing day's hours (issue 20.3, ADR 37): each service sold with a price per hour is
//! charged, once per ended UTC day, for the clock hours it was active that day.
//!
//! This process only gathers and forwards. It reads the service's events with the business
//! time each occurred at, and the service's own statuses, terms and owner say when it ran on a
//! price per hour, at which, and for whom ([`billed_spans`]): a service moved onto an hourly
//! tariff is billed by the hour from the change, one moved off it up to the change, and a day is
//! its last billed hour's owner's. Its `ServiceHours` counts the hours, applies the price and the
//! monthly cap and records `HoursCharged` once per day. Each day above zero is then charged to
//! the account with `ChargeUsed` (hours already used are owed even into debt), keyed by its
//! expense id ([`hourly_expense_id`]), with the hours in its description, which the invoice
//! copies. A crash between the two is finished by the next run: the last recorded day's expense
//! is charged again under the same key, which records nothing twice. Days the service did not
//! run at all record nothing. The debt an account falls into is what suspends its hourly services: the billing
//! day passes it to each of them (`RunBillingDay { in_debt }`), and the service decides.

use std::collections::HashSet;

use chrono::NaiveDate;
use domain::account::{Account, AccountCommand, ExpenseLine};
use domain::hourly::{ActiveSpan, ChargedDay, HourlyCommand, ServiceHours, active_hours};
use domain::hourly::{BilledSpan, HourlyPrice, Moment, billed_on, billed_spans, hourly_expense_id};
use domain::ids::{AccountId, ServiceId};
use domain::service::{Service, ServiceEvent};
use eventstore::metadata::CommandContext;
use eventstore::{EventStore, StoreError};
use sqlx::PgPool;
use uuid::Uuid;

use crate::usecases::process::settlement::SettleError;

/// At most this many days of one service are charged in one run; a service behind by more
/// (a billing day that did not run for months) catches up over the next runs.
const DAYS_PER_RUN_MAX: usize = 62;

/// What the hourly step of a billing day did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourlyReport {
    /// Days of services charged (recorded on their `ServiceHours`).
    pub days: u64,
    /// Expenses charged to accounts (days above zero).
    pub expenses: u64,
}

/// Charges the hours of every day ended by `as_of` of the services sold by the hour, of the
/// providers `providers` (or all but them when `only` is false).
pub async fn charge_day(
    store: &EventStore,
    pool: &PgPool,
    as_of: NaiveDate,
    (providers, only): (&[Uuid], bool),
    context: &CommandContext,
) -> Result<HourlyReport, SettleError> {
    // Every service ever sold by the hour (one moved off its hourly tariff still owes the hours
    // up to the change); a deleted one is looked at for a month after it went, long enough for
    // its last days to be charged even after a few billing days did not run.
    let services: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM services
          WHERE hourly_billed
            AND (status <> 'deleted' OR updated_at >= now() - interval '31 days')
            AND (provider_id = ANY($1)) = $2
          ORDER BY id",
    )
    .bind(providers)
    .bind(only)
    .fetch_all(pool)
    .await?;
    let mut report = HourlyReport::default();
    for service_id in services {
        charge_service(
            store,
            ServiceId::from_uuid(service_id),
            as_of,
            context,
            &mut report,
        )
        .await?;
    }
    Ok(report)
}

/// Charges one service's ended days.
async fn charge_service(
    store: &EventStore,
    service_id: ServiceId,
    as_of: NaiveDate,
    context: &CommandContext,
    report: &mut HourlyReport,
) -> Result<(), SettleError> {
    let id = service_id.to_string();
    // The service as its events left it, and its status and price per hour after each, dated
    // by business time.
    let mut service = Service::default();
    let mut history = Vec::new();
    for (event, at) in store.load_dated::<Service>(&id).await? {
        let merged = matches!(
            event,
            ServiceEvent::ServiceTransferred {
                merge_id: Some(_),
                ..
            }
        );
        cqrs_es::Aggregate::apply(&mut service, event);
        if let Some(status) = service.status() {
            let owner = service.client_id().zip(service.account_id());
            history.push((status, service.terms().cloned(), owner, merged, at));
        }
    }
    let billed = billed_spans(
        history
            .iter()
            .map(|(status, terms, owner, merged, at)| Moment {
                status: *status,
                terms: terms.as_ref(),
                owner: *owner,
                merged: *merged,
                at: *at,
            }),
    );
    let Some(first) = billed.first() else {
        // Never active on a price per hour: no hour to charge.
        return Ok(());
    };
    let spans: Vec<ActiveSpan> = billed.iter().map(|billed| billed.span).collect();
    // The last day billed, once no span is open any more.
    let ended = billed
        .last()
        .and_then(|last| last.span.until)
        .map(|until| until.date_naive());
    let mut hours = store.load::<ServiceHours>(&id).await?.aggregate;
    // A day recorded before a crash, whose expense may not be charged yet.
    if let Some(last) = hours.last() {
        charge_expense(store, &service, &billed, last, context, report).await?;
    }
    let mut day = hours
        .charged_until()
        .unwrap_or_else(|| first.span.from.date_naive());
    let mut charged = 0;
    while day < as_of && charged < DAYS_PER_RUN_MAX && ended.is_none_or(|last| day <= last) {
        // A day the service did not run at all on a price per hour records nothing.
        if let Some(on) = billed_on(&billed, day)
            && active_hours(&spans, day).map_err(refused)? > 0
        {
            charge_one_day(store, service_id, day, as_of, &spans, on.price, context).await?;
            hours = store.load::<ServiceHours>(&id).await?.aggregate;
            report.days += 1;
            charged += 1;
            if let Some(last) = hours.last() {
                charge_expense(store, &service, &billed, last, context, report).await?;
            }
        }
        let Some(next) = day.succ_opt() else {
            break;
        };
        day = next;
    }
    Ok(())
}

async fn charge_one_day(
    store: &EventStore,
    service_id: ServiceId,
    day: NaiveDate,
    as_of: NaiveDate,
    spans: &[ActiveSpan],
    price: HourlyPrice,
    context: &CommandContext,
) -> Result<(), SettleError> {
    store
        .execute::<ServiceHours>(
            &service_id.to_string(),
            HourlyCommand::ChargeHours {
                service_id,
                day,
                as_of,
                spans: spans.to_vec(),
                price,
            },
            context,
            &[],
        )
        .await?;
    Ok(())
}

/// Charges `charged` (when above zero) to the account that held the service at the day's last
/// billed hour (`billed`), keyed by its expense id, described with the tariff it ran on.
async fn charge_expense(
    store: &EventStore,
    service: &Service,
    billed: &[BilledSpan],
    charged: &ChargedDay,
    context: &CommandContext,
    report: &mut HourlyReport,
) -> Result<(), SettleError> {
    // The day is the owner's who held the service at its last billed hour.
    let on = billed_on(billed, charged.day);
    let owner = on
        .and_then(|on| on.owner)
        .or_else(|| service.client_id().zip(service.account_id()));
    let (Some(service_id), Some((client_id, account_id)), Some(provider_id), Some(terms)) = (
        service.service_id(),
        owner,
        service.provider_id(),
        service.terms(),
    ) else {
        return Ok(());
    };
    if !charged.amount.is_positive() {
        return Ok(());
    }
    let treatment =
        crate::usecases::process::invoicing::treatment_for_client(store, provider_id, client_id)
            .await
            .map_err(refused)?;
    let period_end = charged.day.succ_opt().unwrap_or(charged.day);
    let expense = ExpenseLine {
        expense_id: hourly_expense_id(service_id, charged.day),
        service_id,
        period_start: charged.day,
        period_end,
        amount: charged.amount,
        description: charged.description(on.map_or(&terms.tariff_name, |on| &on.tariff_name)),
        discount: None,
        tax: None,
    };
    let key = crate::usecases::process::settlement::expense_key(&expense)?;
    let committed = store
        .execute::<Account>(
            &account_id.to_string(),
            AccountCommand::ChargeUsed {
                client_id,
                provider_id,
                expense,
                treatment,
            },
            context,
            &[key],
        )
        .await?;
    if !committed.replayed {
        report.expenses += 1;
    }
    Ok(())
}

/// The accounts among `accounts` in debt, as each account says (`Account::in_debt`).
pub async fn in_debt(
    store: &EventStore,
    accounts: impl Iterator<Item = AccountId>,
) -> Result<HashSet<AccountId>, StoreError> {
    let mut ids: Vec<String> = accounts.map(|id| id.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let loaded = store.load_many::<Account>(&ids).await?;
    Ok(loaded
        .values()
        .map(|loaded| &loaded.aggregate)
        .filter(|account| account.in_debt())
        .filter_map(Account::account_id)
        .collect())
}

fn refused(error: impl std::fmt::Display) -> SettleError {
    SettleError::Refused(error.to_string())
}
