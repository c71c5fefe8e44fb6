//! Every event with who caused it: what staff and auditors read to learn what happened.

use async_trait::async_trait;
use domain::account::AccountEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `action_log` table.
pub struct ActionLog;

#[async_trait]
impl Projection for ActionLog {
    fn name(&self) -> &'static str {
        "action_log"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &["action_log", "action_log_subjects"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let metadata = event.metadata()?;
        // Remember which client an aggregate belongs to, for the client filter.
        let subject = match event.aggregate_type.as_str() {
            "Client" if event.sequence == 1 => Some(parse_uuid(&event.aggregate_id)?),
            "Account" => match event.decode()? {
                AccountEvent::AccountOpened { client_id, .. } => Some(client_id.as_uuid()),
                _ => None,
            },
            _ => None,
        };
        if let Some(client_id) = subject {
            sqlx::query(
                "INSERT INTO action_log_subjects (aggregate_id, client_id) VALUES ($1, $2)
                 ON CONFLICT (aggregate_id) DO NOTHING",
            )
            .bind(&event.aggregate_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO action_log (position, occurred_at, recorded_at, actor, on_behalf_of,
                                     request_id, command, aggregate_type, aggregate_id, sequence,
                                     event_type, client_id, payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                     (SELECT client_id FROM action_log_subjects WHERE aggregate_id = $9),
                     $12::jsonb)",
        )
        .bind(event.position)
        .bind(metadata.occurred_at)
        .bind(event.recorded_at)
        .bind(&metadata.actor)
        .bind(&metadata.on_behalf_of)
        .bind(&metadata.request_id)
        .bind(&metadata.command)
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(event.sequence)
        .bind(&event.event_type)
        .bind(&event.payload)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

fn parse_uuid(id: &str) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(id).map_err(|e| ProjectionError::Malformed(format!("aggregate id {id:?}: {e}")))
}
