//! Promo codes as staff list them: their discount, limits, uses and whether they are disabled.
//!
//! The uses come from the events (`PromoCodeRedeemed` carries the count), so the table only
//! assigns what it is told.

use async_trait::async_trait;
use domain::promo::PromoEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `promo_codes` table.
pub struct PromoCodes;

#[async_trait]
impl Projection for PromoCodes {
    fn name(&self) -> &'static str {
        crate::ReadModel::PromoCodes.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["promo_codes"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "PromoCode") {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("promo code id: {e}")))?;
    match event.decode::<PromoEvent>()? {
        PromoEvent::PromoCodeCreated {
            promo_code_id,
            provider_id,
            code,
            discount,
            tariffs,
            item_types,
            periods,
            valid_from,
            valid_until,
            max_uses,
            recurring,
        } => {
            let max_uses = max_uses
                .map(i32::try_from)
                .transpose()
                .map_err(|e| ProjectionError::Malformed(format!("max_uses: {e}")))?;
            sqlx::query(
                "INSERT INTO promo_codes (promo_code_id, provider_id, code, discount, tariffs,
                                          item_types, periods, valid_from, valid_until, max_uses,
                                          uses, recurring, disabled, created_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, false, $12, $13)",
            )
            .bind(promo_code_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(code.as_str())
            .bind(Json(&discount))
            .bind(Json(&tariffs))
            .bind(Json(&item_types))
            .bind(Json(&periods))
            .bind(valid_from)
            .bind(valid_until)
            .bind(max_uses)
            .bind(recurring)
            .bind(event.metadata()?.occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        PromoEvent::PromoCodeRedeemed { uses, .. } => {
            let uses = i32::try_from(uses)
                .map_err(|e| ProjectionError::Malformed(format!("uses: {e}")))?;
            sqlx::query("UPDATE promo_codes SET uses = $2, position = $3 WHERE promo_code_id = $1")
                .bind(id)
                .bind(uses)
                .bind(event.position)
                .execute(tx)
                .await?;
        }
        PromoEvent::PromoCodeDisabled => {
            sqlx::query(
                "UPDATE promo_codes SET disabled = true, position = $2 WHERE promo_code_id = $1",
            )
            .bind(id)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A row of `promo_codes`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PromoCodeRow {
    /// The promo code's id, derived from the provider and the code.
    pub promo_code_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// What clients type.
    pub code: String,
    /// What it takes off.
    pub discount: Json<domain::promo::Discount>,
    /// The tariffs it applies to; empty means any.
    pub tariffs: Json<Vec<Uuid>>,
    /// The kinds of item it applies to; empty means any.
    pub item_types: Json<Vec<domain::tariff::ItemType>>,
    /// The billing periods it applies to; empty means any.
    pub periods: Json<Vec<domain::period::BillingPeriod>>,
    /// The first day it may be redeemed.
    pub valid_from: Option<chrono::NaiveDate>,
    /// The last day it may be redeemed (inclusive).
    pub valid_until: Option<chrono::NaiveDate>,
    /// How many services may redeem it.
    pub max_uses: Option<i32>,
    /// How many services have redeemed it.
    pub uses: i32,
    /// Whether every charge is discounted.
    pub recurring: bool,
    /// Whether it has been disabled.
    pub disabled: bool,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

const PROMO_CODE_COLUMNS: &str = "promo_code_id, provider_id, code, discount, tariffs, \
     item_types, periods, valid_from, valid_until, max_uses, uses, recurring, disabled, created_at";

/// One promo code.
pub async fn promo_code(
    pool: &sqlx::PgPool,
    id: Uuid,
) -> Result<Option<PromoCodeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROMO_CODE_COLUMNS} FROM promo_codes WHERE promo_code_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Up to `limit` promo codes (optionally of one provider), oldest first, after the code `after`.
/// Ids are derived (UUID v5), so the order is by creation with the id as a tie-break, and the
/// cursor is the last id shown.
pub async fn promo_codes(
    pool: &sqlx::PgPool,
    provider_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PromoCodeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROMO_CODE_COLUMNS} FROM promo_codes
          WHERE ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::uuid IS NULL OR (created_at, promo_code_id) >
                 (SELECT created_at, promo_code_id FROM promo_codes WHERE promo_code_id = $2))
          ORDER BY created_at, promo_code_id
          LIMIT $3"
    ))
    .bind(provider_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}
