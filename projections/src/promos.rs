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
