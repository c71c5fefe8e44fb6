//! Merges and their steps, as staff follow them: one row per merge and one per step event
//! (a source marked merged, a service or payer moved, a balance moved out or in, and what reached
//! a merged account later forwarded out and in), in log order.

use async_trait::async_trait;
use domain::account::AccountEvent;
use domain::client::ClientEvent;
use domain::contact::ContactEvent;
use domain::domains::DomainEvent;
use domain::merge::MergeEvent;
use domain::payer::PayerEvent;
use domain::service::ServiceEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `merges` and `merge_steps` tables.
pub struct Merges;

/// One step of a merge, as a row.
struct Step {
    merge_id: Uuid,
    step: &'static str,
    client_id: Option<Uuid>,
    subject_id: Option<Uuid>,
    amount: Option<domain::money::Money>,
}

#[async_trait]
impl Projection for Merges {
    fn name(&self) -> &'static str {
        crate::ReadModel::Merges.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["merges", "merge_steps"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            apply(tx, event).await.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

fn uuid_of(id: &str) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(id).map_err(|e| ProjectionError::Malformed(format!("id {id:?}: {e}")))
}

/// The merge step an event records, if it is one.
fn step_of(event: &StoredEvent) -> Result<Option<Step>, ProjectionError> {
    let step = match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        ("Client", "ClientMerged") => match event.decode()? {
            ClientEvent::ClientMerged { merge_id, .. } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: "source_merged",
                client_id: Some(uuid_of(&event.aggregate_id)?),
                subject_id: None,
                amount: None,
            }),
            _ => None,
        },
        ("Service", "ServiceTransferred") => match event.decode()? {
            ServiceEvent::ServiceTransferred {
                merge_id: Some(merge_id),
                from_client,
                ..
            } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: "service_moved",
                client_id: Some(from_client.as_uuid()),
                subject_id: Some(uuid_of(&event.aggregate_id)?),
                amount: None,
            }),
            _ => None,
        },
        ("Payer", "PayerTransferred") => match event.decode()? {
            PayerEvent::PayerTransferred {
                merge_id,
                from_client,
                ..
            } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: "payer_moved",
                client_id: Some(from_client.as_uuid()),
                subject_id: Some(uuid_of(&event.aggregate_id)?),
                amount: None,
            }),
            _ => None,
        },
        ("Domain", "DomainTransferred") => match event.decode()? {
            DomainEvent::DomainTransferred {
                merge_id,
                from_client,
                ..
            } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: "domain_moved",
                client_id: Some(from_client.as_uuid()),
                subject_id: Some(uuid_of(&event.aggregate_id)?),
                amount: None,
            }),
            _ => None,
        },
        ("DomainContact", "ContactTransferred") => match event.decode()? {
            ContactEvent::ContactTransferred {
                merge_id,
                from_client,
                ..
            } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: "contact_moved",
                client_id: Some(from_client.as_uuid()),
                subject_id: Some(uuid_of(&event.aggregate_id)?),
                amount: None,
            }),
            _ => None,
        },
        ("Account", "BalanceTransferredOut" | "BalanceTransferredIn") => match event.decode()? {
            AccountEvent::BalanceTransferredOut {
                merge_id,
                amount,
                forward,
                ..
            } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: if forward.is_some() {
                    "forwarded_out"
                } else {
                    "balance_out"
                },
                client_id: None,
                subject_id: Some(uuid_of(&event.aggregate_id)?),
                amount: Some(amount),
            }),
            AccountEvent::BalanceTransferredIn {
                merge_id,
                amount,
                forward,
                ..
            } => Some(Step {
                merge_id: merge_id.as_uuid(),
                step: if forward.is_some() {
                    "forwarded_in"
                } else {
                    "balance_in"
                },
                client_id: None,
                subject_id: Some(uuid_of(&event.aggregate_id)?),
                amount: Some(amount),
            }),
            _ => None,
        },
        _ => None,
    };
    Ok(step)
}

async fn apply(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    if event.aggregate_type == "Merge" {
        let at = event.metadata()?.occurred_at;
        match event.decode::<MergeEvent>()? {
            MergeEvent::MergeStarted {
                merge_id,
                provider_id,
                target,
                sources,
                started_on,
                ..
            } => {
                sqlx::query(
                    "INSERT INTO merges (merge_id, provider_id, target_id, sources, status,
                                         started_on, started_at, position)
                     VALUES ($1, $2, $3, $4, 'running', $5, $6, $7)",
                )
                .bind(merge_id.as_uuid())
                .bind(provider_id.as_uuid())
                .bind(target.as_uuid())
                .bind(Json(&sources))
                .bind(started_on)
                .bind(at)
                .bind(event.position)
                .execute(&mut *tx)
                .await?;
            }
            MergeEvent::MergeCompleted { .. } => {
                sqlx::query(
                    "UPDATE merges SET status = 'completed', completed_at = $2, position = $3
                      WHERE merge_id = $1::uuid",
                )
                .bind(&event.aggregate_id)
                .bind(at)
                .bind(event.position)
                .execute(&mut *tx)
                .await?;
            }
        }
        return Ok(());
    }
    let Some(step) = step_of(event)? else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO merge_steps (position, merge_id, step, client_id, subject_id, amount,
                                  currency, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.position)
    .bind(step.merge_id)
    .bind(step.step)
    .bind(step.client_id)
    .bind(step.subject_id)
    .bind(step.amount.map(|a| a.amount()))
    .bind(step.amount.map(|a| a.currency().code().to_owned()))
    .bind(event.metadata()?.occurred_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A row of `merges`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MergeRow {
    /// The merge.
    pub merge_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// The client everything moves to.
    pub target_id: Uuid,
    /// The sources with their accounts.
    pub sources: serde_json::Value,
    /// `running` or `completed`.
    pub status: String,
    /// The day it started.
    pub started_on: chrono::NaiveDate,
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// When its last step was done.
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A row of `merge_steps`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MergeStepRow {
    /// The global position of its event.
    pub position: i64,
    /// What the step did.
    pub step: String,
    /// The source client, where there is one.
    pub client_id: Option<Uuid>,
    /// The service, payer or account.
    pub subject_id: Option<Uuid>,
    /// The balance moved, signed, for a balance step.
    pub amount: Option<rust_decimal::Decimal>,
    /// Its currency.
    pub currency: Option<String>,
    /// When it was done.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// One merge.
pub async fn merge(pool: &sqlx::PgPool, merge_id: Uuid) -> Result<Option<MergeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT merge_id, provider_id, target_id, sources, status, started_on, started_at,
                completed_at
           FROM merges WHERE merge_id = $1",
    )
    .bind(merge_id)
    .fetch_optional(pool)
    .await
}

/// One merge with its steps, in log order.
pub async fn merge_with_steps(
    pool: &sqlx::PgPool,
    merge_id: Uuid,
) -> Result<Option<(MergeRow, Vec<MergeStepRow>)>, sqlx::Error> {
    let Some(merge) = merge(pool, merge_id).await? else {
        return Ok(None);
    };
    let steps = steps_of(pool, merge_id).await?;
    Ok(Some((merge, steps)))
}

/// A merge's steps, in log order.
pub async fn steps_of(
    pool: &sqlx::PgPool,
    merge_id: Uuid,
) -> Result<Vec<MergeStepRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, step, client_id, subject_id, amount, currency, occurred_at
           FROM merge_steps WHERE merge_id = $1 ORDER BY position",
    )
    .bind(merge_id)
    .fetch_all(pool)
    .await
}
