//! Payers: the people and legal entities a client's payments and documents are made out to.

use async_trait::async_trait;
use domain::payer::{PayerEvent, PayerProfile};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `payers` table.
pub struct Payers;

#[async_trait]
impl Projection for Payers {
    fn name(&self) -> &'static str {
        crate::ReadModel::Payers.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payers"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events.iter().filter(|e| e.aggregate_type == "Payer") {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let at = event.metadata()?.occurred_at;
    let id = Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("payer id: {e}")))?;
    match event.decode::<PayerEvent>()? {
        PayerEvent::PayerCreated {
            client_id,
            provider_id,
            profile,
            ..
        } => {
            sqlx::query(
                "INSERT INTO payers (payer_id, client_id, provider_id, kind, name, country,
                                     vat_number, registration_number, address, email,
                                     created_at, updated_at, position)
                 VALUES ($1, $2, $3, '', '', '', NULL, NULL, NULL, NULL, $4, $4, $5)",
            )
            .bind(id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            set_profile(tx, id, &profile, at, event.position).await?;
        }
        PayerEvent::PayerUpdated { profile } => {
            set_profile(tx, id, &profile, at, event.position).await?;
        }
        PayerEvent::PayerTransferred { to_client, .. } => {
            sqlx::query(
                "UPDATE payers SET client_id = $2, updated_at = $3, position = $4
                  WHERE payer_id = $1",
            )
            .bind(id)
            .bind(to_client.as_uuid())
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

async fn set_profile(
    tx: &mut PgConnection,
    id: Uuid,
    profile: &PayerProfile,
    at: chrono::DateTime<chrono::Utc>,
    position: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE payers SET kind = $2, name = $3, country = $4, vat_number = $5,
                registration_number = $6, address = $7, email = $8, updated_at = $9,
                position = $10
          WHERE payer_id = $1",
    )
    .bind(id)
    .bind(profile.kind.as_str())
    .bind(profile.name.as_str())
    .bind(profile.country.as_str())
    .bind(profile.vat_number.as_ref().map(|v| v.as_str()))
    .bind(profile.registration_number.as_deref())
    .bind(profile.address.as_deref())
    .bind(profile.email.as_ref().map(|e| e.as_str()))
    .bind(at)
    .bind(position)
    .execute(tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A row of `payers`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PayerRow {
    /// The payer.
    pub payer_id: Uuid,
    /// The client it belongs to.
    pub client_id: Uuid,
    /// The client's provider.
    pub provider_id: Uuid,
    /// `individual`, `company` or `sole_proprietor`.
    pub kind: String,
    /// The legal name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The VAT identification number.
    pub vat_number: Option<String>,
    /// The company registration number.
    pub registration_number: Option<String>,
    /// The postal address.
    pub address: Option<String>,
    /// Where documents are sent, when not the client's address.
    pub email: Option<String>,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Up to `limit` payers of a client, oldest first, after the `(created_at, payer_id)` cursor
/// `after`.
pub async fn of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    after: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<PayerRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payer_id, client_id, provider_id, kind, name, country, vat_number,
                registration_number, address, email, created_at, updated_at
           FROM payers WHERE client_id = $1
            AND ($2::timestamptz IS NULL OR (created_at, payer_id) > ($2, $3))
          ORDER BY created_at, payer_id LIMIT $4",
    )
    .bind(client_id)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}
