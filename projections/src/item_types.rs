//! The `item_types` read model: the settings staff gave each item type, as its last
//! `ItemTypeDefined` says. Built-in types never edited have no row.

use async_trait::async_trait;
use domain::item_type::ItemTypeEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;

use crate::{Projection, ProjectionError};

/// The `item_types` table.
pub struct ItemTypes;

#[async_trait]
impl Projection for ItemTypes {
    fn name(&self) -> &'static str {
        crate::ReadModel::ItemTypes.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["item_types"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "ItemType") {
            let ItemTypeEvent::ItemTypeDefined { code, settings } = event
                .decode::<ItemTypeEvent>()
                .map_err(|e| ProjectionError::from(e).at(event))?;
            let policy = settings.policy;
            let suspension = serde_json::to_value(policy.suspension)
                .map_err(|e| ProjectionError::from(e).at(event))?;
            sqlx::query(
                "INSERT INTO item_types
                     (code, name, deletion_delay_days, suspension, grace_days, auto_prolong, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (code) DO UPDATE SET name = $2, deletion_delay_days = $3,
                     suspension = $4, grace_days = $5, auto_prolong = $6, position = $7",
            )
            .bind(code.as_str())
            .bind(&settings.name)
            .bind(i32::try_from(policy.deletion_delay_days).unwrap_or(i32::MAX))
            .bind(suspension.as_str().unwrap_or_default())
            .bind(i32::try_from(policy.grace_days).unwrap_or(i32::MAX))
            .bind(policy.auto_prolong)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

// Queries: what the HTTP layer and the dashboard read.

/// One item type staff defined.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ItemTypeRow {
    /// The code.
    pub code: String,
    /// The name.
    pub name: String,
    /// Days before a suspended or ended service is deleted.
    pub deletion_delay_days: i32,
    /// `suspend`, `delete` or `never`.
    pub suspension: String,
    /// Days an unpaid service keeps running.
    pub grace_days: i32,
    /// Whether new services renew themselves by default.
    pub auto_prolong: bool,
}

/// Every item type staff defined, by code.
pub async fn defined(pool: &sqlx::PgPool) -> Result<Vec<ItemTypeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT code, name, deletion_delay_days, suspension, grace_days, auto_prolong
           FROM item_types ORDER BY code",
    )
    .fetch_all(pool)
    .await
}
