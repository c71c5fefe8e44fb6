//! Exchange rates by base currency, quote currency and the day they take effect.
//!
//! A set of rates for a date replaces any set recorded for the same base and date whole (a
//! correction), as the `ExchangeRates` aggregate does: a quote left out of the correction is no
//! longer quoted from that date on.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::rates::{ExchangeRatesEvent, QuotedRate};
use eventstore::log::StoredEvent;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError};

/// The `exchange_rates` table.
pub struct ExchangeRates;

/// The last set of a batch for one base and date, with its position.
struct LatestSet {
    rates: Vec<QuotedRate>,
    position: i64,
}

#[async_trait]
impl Projection for ExchangeRates {
    fn name(&self) -> &'static str {
        crate::ReadModel::ExchangeRates.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["exchange_rates"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // Within a batch a later set for the same base and date replaces an earlier one, so only
        // the last of each is written: one delete and one insert for the whole batch.
        let mut sets: BTreeMap<(String, NaiveDate), LatestSet> = BTreeMap::new();
        for event in events
            .iter()
            .filter(|e| e.aggregate_type == "ExchangeRates")
        {
            match event
                .decode::<ExchangeRatesEvent>()
                .map_err(|e| ProjectionError::from(e).at(event))?
            {
                ExchangeRatesEvent::ExchangeRatesSet {
                    base,
                    effective_from,
                    rates,
                } => {
                    sets.insert(
                        (base.code().to_owned(), effective_from),
                        LatestSet {
                            rates,
                            position: event.position,
                        },
                    );
                }
            }
        }
        if sets.is_empty() {
            return Ok(());
        }
        let mut set_bases = Vec::with_capacity(sets.len());
        let mut set_dates = Vec::with_capacity(sets.len());
        let mut bases = Vec::new();
        let mut quotes = Vec::new();
        let mut dates = Vec::new();
        let mut rates: Vec<Decimal> = Vec::new();
        let mut positions = Vec::new();
        for ((base, date), set) in sets {
            for quoted in set.rates {
                bases.push(base.clone());
                quotes.push(quoted.quote.code().to_owned());
                dates.push(date);
                rates.push(quoted.rate.as_decimal());
                positions.push(set.position);
            }
            set_bases.push(base);
            set_dates.push(date);
        }
        sqlx::query(
            "DELETE FROM exchange_rates e
              USING unnest($1::text[], $2::date[]) AS u(base, effective_from)
              WHERE e.base = u.base AND e.effective_from = u.effective_from",
        )
        .bind(&set_bases)
        .bind(&set_dates)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO exchange_rates (base, quote, effective_from, rate, position)
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::numeric[], $5::bigint[])",
        )
        .bind(&bases)
        .bind(&quotes)
        .bind(&dates)
        .bind(&rates)
        .bind(&positions)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

// Queries: what the HTTP layer and the dashboard read.

/// One rate of one quote currency.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RateRow {
    /// The quote currency.
    pub quote: String,
    /// Units of the quote per unit of the base.
    pub rate: Decimal,
    /// The day the rate took effect.
    pub effective_from: NaiveDate,
}

/// The latest rate of each quote of `base` set on or before `on`, by quote: a quote left out of
/// a later set keeps its earlier rate.
pub async fn in_effect(
    pool: &sqlx::PgPool,
    base: &str,
    on: NaiveDate,
) -> Result<Vec<RateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT DISTINCT ON (quote) quote, rate, effective_from FROM exchange_rates
          WHERE base = $1 AND effective_from <= $2
          ORDER BY quote, effective_from DESC",
    )
    .bind(base)
    .bind(on)
    .fetch_all(pool)
    .await
}

/// Every rate ever set for `base`, by day and quote.
pub async fn history(pool: &sqlx::PgPool, base: &str) -> Result<Vec<RateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT quote, rate, effective_from FROM exchange_rates
          WHERE base = $1 ORDER BY effective_from, quote",
    )
    .bind(base)
    .fetch_all(pool)
    .await
}

/// The base currencies that have rates, A to Z.
pub async fn bases(pool: &sqlx::PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT base FROM exchange_rates ORDER BY base")
        .fetch_all(pool)
        .await
}
