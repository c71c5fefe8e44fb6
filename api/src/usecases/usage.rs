//! Usage-based charging (issue 20.3, ADR 24): staff set a tariff's metered parameters, the
//! provisioning side sends usage records in batches ([`ingest`]), and the billing day charges
//! each service's usage of the period just ended (`process::usage_billing`).
//!
//! A batch is checked whole before anything is written: one bad record refuses it with every
//! bad record named. The records go into the append-only `usage_records` table in one statement
//! (one transaction), keyed by their idempotency id, so a record sent again (a retry after a
//! lost answer or a crash) is recognised and ignored; the answer is given only once they are
//! committed, so nothing acknowledged is lost.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::tariff::{Tariff, TariffCommand};
use domain::usage::{MeteredParameter, MetricCode, UsageError};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::usecases::error::Kind;
use crate::usecases::{Core, Error};

/// The most records one batch may carry.
pub const USAGE_BATCH_MAX: usize = 1_000;

/// The longest record id, in characters.
pub const USAGE_ID_CHARS_MAX: usize = 100;

/// The longest `unique_key`, in characters.
pub const USAGE_UNIQUE_KEY_CHARS_MAX: usize = 200;

/// The most bad records named in a refusal (the rest are counted).
const BAD_RECORDS_NAMED_MAX: usize = 50;

impl From<UsageError> for Error {
    fn from(error: UsageError) -> Self {
        Self::refused(error.code(), error.to_string())
    }
}

/// One record as the sender wrote it.
#[derive(Debug, Clone)]
pub struct RecordInput {
    /// The idempotency id: 1 to 100 printable characters, unique forever.
    pub id: String,
    /// The service measured.
    pub service_id: Uuid,
    /// The metric code.
    pub metric: String,
    /// A plain decimal, zero or more.
    pub quantity: String,
    /// What `count_unique` counts (an IP address), if anything.
    pub unique_key: Option<String>,
    /// When it was measured, RFC 3339.
    pub at: String,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// Records in the batch.
    pub received: usize,
    /// Records stored now (the rest had been before).
    pub stored: usize,
}

/// A record checked.
struct Checked {
    quantity: Decimal,
    at: DateTime<Utc>,
}

fn printable(text: &str, max: usize) -> bool {
    !text.is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

fn check(record: &RecordInput) -> Result<Checked, String> {
    let mut problems = Vec::new();
    if !printable(&record.id, USAGE_ID_CHARS_MAX) {
        problems.push("id: 1 to 100 characters without control characters".to_owned());
    }
    if let Err(e) = MetricCode::parse(&record.metric) {
        problems.push(e.to_string());
    }
    let quantity = domain::decimal::parse_plain(
        &record.quantity,
        domain::usage::QUANTITY_INTEGER_DIGITS_MAX,
        domain::usage::QUANTITY_FRACTION_DIGITS_MAX,
    );
    if let Err(e) = &quantity {
        problems.push(format!("quantity: {e}"));
    }
    if let Some(key) = &record.unique_key
        && !printable(key, USAGE_UNIQUE_KEY_CHARS_MAX)
    {
        problems.push("unique_key: 1 to 200 characters without control characters".to_owned());
    }
    let at = DateTime::parse_from_rfc3339(&record.at).map(|at| at.with_timezone(&Utc));
    if at.is_err() {
        problems.push(format!(
            "at: {:?} is no RFC 3339 timestamp",
            record.at.chars().take(40).collect::<String>()
        ));
    }
    match (quantity, at) {
        (Ok(quantity), Ok(at)) if problems.is_empty() => Ok(Checked { quantity, at }),
        _ => Err(problems.join(", ")),
    }
}

/// Stores a batch of usage records: all of them or, when any is bad, none (the refusal names
/// every bad record by its place and id). A service that was never ordered is a bad record.
pub async fn ingest(core: &Core, records: &[RecordInput]) -> Result<Ingested, Error> {
    if records.is_empty() {
        return Err(Error::refused(
            "empty_usage_batch",
            "records: give 1 to 1000 records",
        ));
    }
    if records.len() > USAGE_BATCH_MAX {
        return Err(Error::new(
            Kind::TooLarge,
            "too_many_usage_records",
            format!(
                "records: at most {USAGE_BATCH_MAX} in one batch, not {}",
                records.len()
            ),
        ));
    }
    let mut services: Vec<Uuid> = records.iter().map(|r| r.service_id).collect();
    services.sort_unstable();
    services.dedup();
    let service_ids: Vec<String> = services.iter().map(ToString::to_string).collect();
    // The log says which services were ordered: the first event of their stream. Looked up
    // once per batch (a batch names few services), then checked per record without allocating.
    let known: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events
          WHERE aggregate_type = 'Service' AND aggregate_id = ANY($1) AND sequence = 1",
    )
    .bind(&service_ids)
    .fetch_all(core.pool.primary())
    .await
    .map_err(|e| Error::internal(&e))?;
    let known: HashSet<Uuid> = known.iter().filter_map(|id| id.parse().ok()).collect();

    let mut bad = Vec::new();
    let mut checked = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let mut problem = check(record);
        if !known.contains(&record.service_id) {
            let unknown = format!("service_id: no service {}", record.service_id);
            problem = match problem {
                Ok(_) => Err(unknown),
                Err(other) => Err(format!("{other}, {unknown}")),
            };
        }
        match problem {
            Ok(ok) => checked.push(ok),
            Err(problem) => bad.push(format!(
                "records[{index}] (id {:?}): {problem}",
                record.id.chars().take(40).collect::<String>()
            )),
        }
    }
    if !bad.is_empty() {
        let count = bad.len();
        let mut detail = bad
            .into_iter()
            .take(BAD_RECORDS_NAMED_MAX)
            .collect::<Vec<_>>()
            .join("; ");
        if count > BAD_RECORDS_NAMED_MAX {
            detail.push_str(&format!("; and {} more", count - BAD_RECORDS_NAMED_MAX));
        }
        return Err(Error::refused(
            "invalid_usage_records",
            format!("{count} bad records, nothing stored: {detail}"),
        ));
    }

    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let service_of: Vec<Uuid> = records.iter().map(|r| r.service_id).collect();
    let metrics: Vec<&str> = records.iter().map(|r| r.metric.as_str()).collect();
    // Bound as numeric[] (binary): PostgreSQL parses no text per record.
    let quantities: Vec<Decimal> = checked.iter().map(|c| c.quantity).collect();
    let keys: Vec<Option<&str>> = records.iter().map(|r| r.unique_key.as_deref()).collect();
    let ats: Vec<DateTime<Utc>> = checked.iter().map(|c| c.at).collect();
    let stored: i64 = sqlx::query_scalar(
        "WITH input AS (
             SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::numeric[], $5::text[],
                                  $6::timestamptz[])
                        AS t(id, service_id, metric, quantity, unique_key, at)),
         stored AS (
             INSERT INTO usage_records (id, service_id, metric, quantity, unique_key, at)
             SELECT id, service_id, metric, quantity, unique_key, at FROM input
             ON CONFLICT (id) DO NOTHING
             RETURNING service_id, at),
         first AS (
             INSERT INTO usage_services (service_id, first_at)
             SELECT service_id, min(at) FROM stored GROUP BY service_id
             ON CONFLICT (service_id) DO NOTHING)
         SELECT count(*) FROM stored",
    )
    .bind(&ids)
    .bind(&service_of)
    .bind(&metrics)
    .bind(&quantities)
    .bind(&keys)
    .bind(&ats)
    .fetch_one(core.pool.primary())
    .await
    .map_err(|e| Error::internal(&e))?;
    Ok(Ingested {
        received: records.len(),
        stored: usize::try_from(stored).unwrap_or(0),
    })
}

/// Sets a tariff's metered parameters (the tariff decides whether they are valid).
pub async fn set_metered(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff_id: Uuid,
    parameters: Vec<MeteredParameter>,
) -> Result<Committed<Tariff>, Error> {
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::SetMeteredParameters { parameters },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// Sets tariff `tariff_id`'s prices per hour (ADR 37); the tariff decides.
pub async fn set_hourly_prices(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff_id: Uuid,
    prices: Vec<domain::hourly::HourlyPrice>,
) -> Result<Committed<Tariff>, Error> {
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::SetHourlyPrices { prices },
            context,
            idempotency.as_slice(),
        )
        .await?)
}
