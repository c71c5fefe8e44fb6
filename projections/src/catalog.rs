//! Tariffs as the catalog lists them.

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::money::Money;
use domain::tariff::{PeriodPrice, TariffEvent};
use eventstore::log::StoredEvent;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::{Projection, ProjectionError};

/// The `tariffs` table.
pub struct Tariffs;

#[async_trait]
impl Projection for Tariffs {
    fn name(&self) -> &'static str {
        crate::ReadModel::Tariffs.name()
    }

    /// Version 2 lists the announced price changes (`price_changes`), version 3 the prices per
    /// hour (`hourly_prices`).
    fn version(&self) -> i32 {
        3
    }

    fn tables(&self) -> &'static [&'static str] {
        &["tariffs"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "Tariff") {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let at = event.metadata()?.occurred_at;
    let id = &event.aggregate_id;
    match event.decode::<TariffEvent>()? {
        TariffEvent::TariffCreated {
            tariff_id,
            provider_id,
            name,
            item_type,
            prices,
            setup_fees,
            addons,
            source: _,
        } => {
            sqlx::query(
                "INSERT INTO tariffs (id, provider_id, name, item_type, status, prices, setup_fees,
                                      addons, created_at, updated_at, position)
                 VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $8, $9)",
            )
            .bind(tariff_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(name)
            .bind(item_type.as_str())
            .bind(Json(&prices))
            .bind(Json(&setup_fees))
            .bind(Json(&addons))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        // A price change is the tariff's list price for new orders at once, and is listed.
        TariffEvent::PriceChangeAnnounced {
            price,
            previous,
            effective_on,
            announced_on,
        } => {
            set_price(tx, event, &price, at).await?;
            let change = PriceChange {
                price,
                previous,
                effective_on,
                announced_on,
            };
            sqlx::query(
                "UPDATE tariffs SET price_changes = price_changes || jsonb_build_array($2::jsonb)
                  WHERE id = $1::uuid",
            )
            .bind(id)
            .bind(Json(&change))
            .execute(tx)
            .await?;
        }
        TariffEvent::PriceSet { price } => set_price(tx, event, &price, at).await?,
        TariffEvent::SetupFeeSet { fee } => {
            sqlx::query(
                "UPDATE tariffs
                    SET setup_fees = coalesce((SELECT jsonb_agg(f) FROM jsonb_array_elements(setup_fees) f
                                                WHERE f->>'currency' <> $2), '[]'::jsonb)
                                     || jsonb_build_array($3::jsonb),
                        updated_at = $4, position = $5
                  WHERE id = $1::uuid",
            )
            .bind(id)
            .bind(fee.currency().code())
            .bind(Json(&fee))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TariffEvent::AddonAdded { addon } => {
            sqlx::query(
                "UPDATE tariffs SET addons = addons || jsonb_build_array($2::jsonb),
                        updated_at = $3, position = $4
                  WHERE id = $1::uuid",
            )
            .bind(id)
            .bind(Json(&addon))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TariffEvent::TrialSet { trial } => {
            sqlx::query(
                "UPDATE tariffs SET trial = $2, updated_at = $3, position = $4
                  WHERE id = $1::uuid",
            )
            .bind(id)
            .bind(trial.map(Json))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TariffEvent::TariffArchived => {
            sqlx::query(
                "UPDATE tariffs SET status = 'archived', updated_at = $2, position = $3
                  WHERE id = $1::uuid",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TariffEvent::HourlyPricesSet { prices } => {
            sqlx::query(
                "UPDATE tariffs SET hourly_prices = $2, updated_at = $3, position = $4
                  WHERE id = $1::uuid",
            )
            .bind(id)
            .bind(Json(prices))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        // The catalog lists prices; the metered parameters are read from the tariff itself.
        TariffEvent::MeteredParametersSet { .. } => {}
    }
    Ok(())
}

/// Replaces the tariff's list price for the same period and currency, or adds it.
async fn set_price(
    tx: &mut PgConnection,
    event: &StoredEvent,
    price: &PeriodPrice,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "UPDATE tariffs
            SET prices = coalesce((SELECT jsonb_agg(p) FROM jsonb_array_elements(prices) p
                                    WHERE NOT (p->>'period' = $2
                                               AND p->'price'->>'currency' = $3)), '[]'::jsonb)
                         || jsonb_build_array($4::jsonb),
                updated_at = $5, position = $6
          WHERE id = $1::uuid",
    )
    .bind(&event.aggregate_id)
    .bind(price.period.to_string())
    .bind(price.price.currency().code())
    .bind(Json(price))
    .bind(at)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A price change announced for a tariff, as `tariffs.price_changes` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriceChange {
    /// The period and its new price.
    pub price: PeriodPrice,
    /// The price it replaces.
    pub previous: Money,
    /// The first day a period of an existing service may start at the new price.
    pub effective_on: NaiveDate,
    /// The day it was announced.
    pub announced_on: NaiveDate,
}

impl TariffRow {
    /// The price changes announced for the tariff, soonest effective first.
    pub fn price_changes(&self) -> Result<Vec<PriceChange>, serde_json::Error> {
        let mut changes: Vec<PriceChange> = serde_json::from_value(self.price_changes.clone())?;
        changes.sort_by_key(|c| (c.effective_on, c.announced_on));
        Ok(changes)
    }
}

/// A row of `tariffs`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TariffRow {
    /// The tariff.
    pub id: uuid::Uuid,
    /// Its provider.
    pub provider_id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// The kind of item.
    pub item_type: String,
    /// `active` or `archived`.
    pub status: String,
    /// Prices per period and currency.
    pub prices: serde_json::Value,
    /// Set-up fees.
    pub setup_fees: serde_json::Value,
    /// Add-ons.
    pub addons: serde_json::Value,
    /// The trial of new orders (`{"days": n}` or `{"period": "P1M"}`), if any.
    pub trial: Option<serde_json::Value>,
    /// The price changes announced ([`TariffRow::price_changes`]).
    pub price_changes: serde_json::Value,
    /// The prices per hour of new orders, as `HourlyPricesSet` has them (`[]` for none).
    pub hourly_prices: serde_json::Value,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One tariff.
pub async fn tariff(pool: &sqlx::PgPool, id: uuid::Uuid) -> Result<Option<TariffRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, provider_id, name, item_type, status, prices, setup_fees, addons, trial,
                price_changes, hourly_prices, created_at
           FROM tariffs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Up to `limit` tariffs (optionally of one provider and status) by id, after the id `after`.
pub async fn tariffs(
    pool: &sqlx::PgPool,
    provider_id: Option<uuid::Uuid>,
    status: Option<&str>,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<TariffRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, provider_id, name, item_type, status, prices, setup_fees, addons, trial,
                price_changes, hourly_prices, created_at
           FROM tariffs
          WHERE ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR status = $2)
            AND ($3::uuid IS NULL OR id > $3)
          ORDER BY id
          LIMIT $4",
    )
    .bind(provider_id)
    .bind(status)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The names of the tariffs `ids` (those that exist), for lists and reports that show names.
pub async fn names(
    pool: &sqlx::PgPool,
    ids: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM tariffs WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}
