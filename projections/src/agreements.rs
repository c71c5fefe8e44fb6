//! The `agreements` read model: each agreement's current version and texts, every version
//! published (`AgreementPublished`), and the version each order accepted (`ServiceOrdered`'s
//! `agreement`). It copies the events; which version an order must accept is the `Service`'s
//! rule, asked on the `Agreement` aggregate itself.

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::agreement::{AgreementEvent, AgreementScope};
use domain::service::ServiceEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `agreements`, `agreement_versions` and `agreement_acceptances` tables.
pub struct Agreements;

#[async_trait]
impl Projection for Agreements {
    fn name(&self) -> &'static str {
        crate::ReadModel::Agreements.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["agreements", "agreement_versions", "agreement_acceptances"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            match event.aggregate_type.as_str() {
                "Agreement" => published(tx, event).await?,
                "Service" if event.event_type == "ServiceOrdered" => accepted(tx, event).await?,
                _ => {}
            }
        }
        Ok(())
    }
}

async fn published(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let AgreementEvent::AgreementPublished {
        agreement_id,
        provider_id,
        scope,
        version,
        texts,
        published_on,
    } = event
        .decode::<AgreementEvent>()
        .map_err(|e| ProjectionError::from(e).at(event))?;
    let texts = serde_json::to_value(&texts).map_err(|e| ProjectionError::from(e).at(event))?;
    let (kind, tariff, item_type) = match scope {
        AgreementScope::Tariff { tariff_id } => ("tariff", Some(tariff_id.as_uuid()), None),
        AgreementScope::ItemType { item_type } => {
            ("item_type", None, Some(item_type.as_str().to_owned()))
        }
    };
    let version = i32::try_from(version).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO agreements (agreement_id, provider_id, scope_kind, tariff_id, item_type,
                                 version, texts, published_on, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (agreement_id) DO UPDATE SET version = $6, texts = $7, published_on = $8,
             position = $9",
    )
    .bind(agreement_id.as_uuid())
    .bind(provider_id.as_uuid())
    .bind(kind)
    .bind(tariff)
    .bind(item_type)
    .bind(version)
    .bind(&texts)
    .bind(published_on)
    .bind(event.position)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO agreement_versions (agreement_id, version, texts, published_on)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(agreement_id.as_uuid())
    .bind(version)
    .bind(&texts)
    .bind(published_on)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn accepted(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let ServiceEvent::ServiceOrdered {
        service_id,
        client_id,
        ordered_on,
        agreement: Some(agreement),
        ..
    } = event
        .decode::<ServiceEvent>()
        .map_err(|e| ProjectionError::from(e).at(event))?
    else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO agreement_acceptances (service_id, client_id, agreement_id, version, ordered_on)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(service_id.as_uuid())
    .bind(client_id.as_uuid())
    .bind(agreement.agreement_id.as_uuid())
    .bind(i32::try_from(agreement.version).unwrap_or(i32::MAX))
    .bind(ordered_on)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the panels read.

/// An agreement's current version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AgreementRow {
    /// The agreement.
    pub agreement_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// `tariff` or `item_type`.
    pub scope_kind: String,
    /// The tariff, for a tariff's agreement.
    pub tariff_id: Option<Uuid>,
    /// The item type, for an item type's agreement.
    pub item_type: Option<String>,
    /// The current version.
    pub version: i32,
    /// The texts: `[{"language", "title", "body"}]`.
    pub texts: serde_json::Value,
    /// The day the current version was published.
    pub published_on: NaiveDate,
}

const AGREEMENT_COLUMNS: &str =
    "agreement_id, provider_id, scope_kind, tariff_id, item_type, version, texts, published_on";

/// A provider's agreements (every provider's without one), by id.
pub async fn list(
    pool: &sqlx::PgPool,
    provider: Option<Uuid>,
) -> Result<Vec<AgreementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements
          WHERE $1::uuid IS NULL OR provider_id = $1 ORDER BY agreement_id LIMIT 1000"
    ))
    .bind(provider)
    .fetch_all(pool)
    .await
}

/// One agreement.
pub async fn agreement(pool: &sqlx::PgPool, id: Uuid) -> Result<Option<AgreementRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE agreement_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The agreement version a service's order accepted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AcceptanceRow {
    /// The agreement.
    pub agreement_id: Uuid,
    /// The version accepted.
    pub version: i32,
}

/// What the order of `service` accepted, if an agreement covered it.
pub async fn acceptance(
    pool: &sqlx::PgPool,
    service: Uuid,
) -> Result<Option<AcceptanceRow>, sqlx::Error> {
    sqlx::query_as("SELECT agreement_id, version FROM agreement_acceptances WHERE service_id = $1")
        .bind(service)
        .fetch_optional(pool)
        .await
}
