//! The billing day's usage charges (issue 20.3, ADR 24): for each service that ever sent usage
//! and whose tariff has metered parameters, every monthly usage period (on the service's anchor
//! day, from the day it was ordered) that has ended by the day is charged.
//!
//! This process only gathers: it reads the period's records and folds them into
//! [`UsageStats`](domain::usage::UsageStats) per metric (the folding is the domain's), and
//! passes them with the tariff's parameters to the service's `ServiceUsage`, which decides the
//! lines and records `UsageCharged` (once per period). Then each line above zero is charged to the account as its
//! own expense, keyed by its id ([`usage_expense_id`]), with the measured quantities in its
//! description, which the invoice copies. A crash between the two is finished by the next run:
//! the last recorded charge's expenses are charged again under the same keys, which records
//! nothing twice. Usage measured is owed, like an hourly VDS's hours: it is charged with
//! `ChargeUsed`, which the account records even beyond its credit limit (ADR 24, addendum).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use domain::account::{Account, AccountCommand, ExpenseLine};
use domain::ids::{ProviderId, ServiceId};
use domain::period::BillingPeriod;
use domain::service::Service;
use domain::tariff::Tariff;
use domain::usage::{
    ChargedUsage, MeasuredRecord, MetricCode, ServiceUsage, StatsFolder, UsageCommand,
    usage_expense_id,
};
use eventstore::EventStore;
use eventstore::metadata::CommandContext;
use futures::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

use crate::usecases::process::settlement::SettleError;

/// What the usage step of a billing day did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageReport {
    /// Usage periods charged.
    pub periods: u64,
    /// Expenses charged to accounts.
    pub expenses: u64,
}

/// Charges the usage of every period ended by `as_of` of the services that sent usage, of the
/// providers `providers` (or all but them when `only` is false).
pub async fn charge_day(
    store: &EventStore,
    pool: &PgPool,
    as_of: NaiveDate,
    (providers, only): (&[Uuid], bool),
    context: &CommandContext,
) -> Result<UsageReport, SettleError> {
    let services: Vec<Uuid> =
        sqlx::query_scalar("SELECT service_id FROM usage_services ORDER BY service_id")
            .fetch_all(pool)
            .await?;
    let mut report = UsageReport::default();
    for service_id in services {
        let service_id = ServiceId::from_uuid(service_id);
        let service = store
            .load::<Service>(&service_id.to_string())
            .await?
            .aggregate;
        let Some(provider) = service.provider_id() else {
            continue;
        };
        if providers.contains(&provider.as_uuid()) != only {
            continue;
        }
        charge_service(
            store,
            pool,
            &service,
            service_id,
            as_of,
            context,
            &mut report,
        )
        .await?;
    }
    Ok(report)
}

/// Charges one service's ended usage periods.
async fn charge_service(
    store: &EventStore,
    pool: &PgPool,
    service: &Service,
    service_id: ServiceId,
    as_of: NaiveDate,
    context: &CommandContext,
    report: &mut UsageReport,
) -> Result<(), SettleError> {
    let (Some(terms), Some(ordered_on), Some(anchor)) =
        (service.terms(), service.ordered_on(), service.anchor_day())
    else {
        return Ok(());
    };
    let parameters = store
        .load::<Tariff>(&terms.tariff_id.to_string())
        .await?
        .aggregate
        .metered()
        .to_vec();
    let mut usage = store
        .load::<ServiceUsage>(&service_id.to_string())
        .await?
        .aggregate;
    // A charge recorded before a crash, whose expenses may not all be charged yet.
    if let Some(last) = usage.last() {
        charge_expenses(store, service, service_id, last, context, report).await?;
    }
    if parameters.is_empty() {
        return Ok(());
    }
    for _ in 0..120 {
        let start = usage.charged_until().unwrap_or(ordered_on);
        let Some(end) = BillingPeriod::Month.end_of(start, anchor) else {
            break;
        };
        if end > as_of {
            break;
        }
        let measured = measure(pool, service_id, start, end).await?;
        store
            .execute::<ServiceUsage>(
                &service_id.to_string(),
                UsageCommand::ChargeUsage {
                    service_id,
                    period_start: start,
                    period_end: end,
                    as_of,
                    parameters: parameters.clone(),
                    measured,
                },
                context,
                &[],
            )
            .await?;
        usage = store
            .load::<ServiceUsage>(&service_id.to_string())
            .await?
            .aggregate;
        report.periods += 1;
        if let Some(last) = usage.last() {
            charge_expenses(store, service, service_id, last, context, report).await?;
        }
    }
    Ok(())
}

/// What the records of `[start, end)` (UTC days) came to, per metric.
async fn measure(
    pool: &PgPool,
    service_id: ServiceId,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<(MetricCode, domain::usage::UsageStats)>, SettleError> {
    let mut rows = sqlx::query_as::<
        _,
        (
            String,
            String,
            Decimal,
            Option<String>,
            chrono::DateTime<chrono::Utc>,
        ),
    >(
        "SELECT metric, id, quantity, unique_key, at FROM usage_records
          WHERE service_id = $1 AND at >= $2 AND at < $3",
    )
    .bind(service_id.as_uuid())
    .bind(start.and_time(NaiveTime::MIN).and_utc())
    .bind(end.and_time(NaiveTime::MIN).and_utc())
    .fetch(pool);
    let mut folders: BTreeMap<String, StatsFolder> = BTreeMap::new();
    while let Some((metric, id, quantity, unique_key, at)) = rows.try_next().await? {
        folders.entry(metric).or_default().add(&MeasuredRecord {
            id: &id,
            quantity,
            unique_key: unique_key.as_deref(),
            at,
        });
    }
    let mut measured = Vec::with_capacity(folders.len());
    for (metric, folder) in folders {
        // Ingestion stored only valid codes.
        let Ok(code) = MetricCode::parse(&metric) else {
            continue;
        };
        let stats = folder
            .finish()
            .map_err(|e| SettleError::Refused(e.to_string()))?;
        measured.push((code, stats));
    }
    Ok(measured)
}

/// Charges each line above zero of `charged` to the service's account, keyed by its expense id.
async fn charge_expenses(
    store: &EventStore,
    service: &Service,
    service_id: ServiceId,
    charged: &ChargedUsage,
    context: &CommandContext,
    report: &mut UsageReport,
) -> Result<(), SettleError> {
    let (Some(client_id), Some(provider_id), Some(account_id)) = (
        service.client_id(),
        service.provider_id(),
        service.account_id(),
    ) else {
        return Ok(());
    };
    let treatment = treatment(store, provider_id, client_id).await?;
    for line in charged
        .lines
        .iter()
        .filter(|line| line.amount.is_positive())
    {
        let expense = ExpenseLine {
            expense_id: usage_expense_id(service_id, charged.period_start, &line.code),
            service_id,
            period_start: charged.period_start,
            period_end: charged.period_end,
            amount: line.amount,
            description: line.description((charged.period_start, charged.period_end)),
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
    }
    Ok(())
}

async fn treatment(
    store: &EventStore,
    provider_id: ProviderId,
    client_id: domain::ids::ClientId,
) -> Result<domain::tax::TaxTreatment, SettleError> {
    crate::usecases::process::invoicing::treatment_for_client(store, provider_id, client_id)
        .await
        .map_err(|e| SettleError::Refused(e.to_string()))
}
