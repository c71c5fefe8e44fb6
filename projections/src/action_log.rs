//! Every event with who caused it: what staff and auditors read to learn what happened.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::access::UserEvent;
use domain::account::AccountEvent;
use domain::invoice::InvoiceEvent;
use domain::merge::MergeEvent;
use domain::payer::PayerEvent;
use domain::payment::PaymentEvent;
use domain::service::ServiceEvent;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The `action_log` table.
pub struct ActionLog;

/// A batch of log rows, column by column.
#[derive(Default)]
struct Rows {
    position: Vec<i64>,
    occurred_at: Vec<DateTime<Utc>>,
    recorded_at: Vec<DateTime<Utc>>,
    actor: Vec<String>,
    on_behalf_of: Vec<Option<String>>,
    request_id: Vec<Option<String>>,
    command: Vec<String>,
    aggregate_type: Vec<String>,
    aggregate_id: Vec<String>,
    sequence: Vec<i64>,
    event_type: Vec<String>,
    payload: Vec<String>,
}

#[async_trait]
impl Projection for ActionLog {
    fn name(&self) -> &'static str {
        crate::ReadModel::ActionLog.name()
    }

    fn version(&self) -> i32 {
        // 2: `seq` is numbered from the checkpoint instead of an identity column.
        // 3: services, payments and invoices are attributed to their client.
        // 4: payloads without the password hashes and token digests of old event versions
        //    (ADR 11), which rows written before still held.
        4
    }

    fn tables(&self) -> &'static [&'static str] {
        &["action_log", "action_log_subjects"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut subjects = Subjects::default();
        let mut rows = Rows::default();
        // Rows already written by this batch, so that `seq` continues across the segments.
        let mut written: i64 = 0;
        for event in events {
            // A service or payer moving to another client belongs to that client from this
            // event on: the rows before it are written first, under the old owner, so that the
            // attribution does not depend on where a batch happens to end.
            if let Some(owner) = new_owner(event).map_err(|e| e.at(event))? {
                written += flush(tx, &mut subjects, &mut rows, written).await?;
                sqlx::query(
                    "INSERT INTO action_log_subjects (aggregate_id, client_id) VALUES ($1, $2)
                     ON CONFLICT (aggregate_id) DO UPDATE SET client_id = excluded.client_id",
                )
                .bind(&event.aggregate_id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            }
            // Remember which client an aggregate belongs to, for the client filter.
            if let Some(client) = subject(event).map_err(|e| e.at(event))? {
                subjects.ids.push(event.aggregate_id.clone());
                subjects.clients.push(client);
            }
            let metadata = event
                .metadata()
                .map_err(|e| ProjectionError::from(e).at(event))?;
            rows.position.push(event.position);
            rows.occurred_at.push(metadata.occurred_at);
            rows.recorded_at.push(event.recorded_at);
            rows.actor.push(metadata.actor);
            rows.on_behalf_of.push(metadata.on_behalf_of);
            rows.request_id.push(metadata.request_id);
            rows.command.push(metadata.command);
            rows.aggregate_type.push(event.aggregate_type.clone());
            rows.aggregate_id.push(event.aggregate_id.clone());
            rows.sequence.push(event.sequence);
            rows.event_type.push(event.event_type.clone());
            rows.payload.push(event.payload.clone());
        }
        flush(tx, &mut subjects, &mut rows, written).await?;
        Ok(())
    }
}

/// Subjects first seen in a batch, column by column.
#[derive(Default)]
struct Subjects {
    ids: Vec<String>,
    clients: Vec<Uuid>,
}

/// Writes the subjects and rows gathered so far and empties them; returns how many rows it
/// wrote. `written` rows of this batch precede them.
async fn flush(
    tx: &mut PgConnection,
    subjects: &mut Subjects,
    rows: &mut Rows,
    written: i64,
) -> Result<i64, ProjectionError> {
    let subjects = std::mem::take(subjects);
    let rows = std::mem::take(rows);
    if !subjects.ids.is_empty() {
        sqlx::query(
            "INSERT INTO action_log_subjects (aggregate_id, client_id)
             SELECT * FROM unnest($1::text[], $2::uuid[])
             ON CONFLICT (aggregate_id) DO NOTHING",
        )
        .bind(&subjects.ids)
        .bind(&subjects.clients)
        .execute(&mut *tx)
        .await?;
    }
    if rows.position.is_empty() {
        return Ok(0);
    }
    // `seq` continues from the number of events this projection has applied, which the
    // engine moves in this same transaction: rows get the same numbers whether they were
    // written live, after a crash, or by a rebuild.
    sqlx::query(
        "INSERT INTO action_log (seq, position, occurred_at, recorded_at, actor, on_behalf_of,
                                 request_id, command, aggregate_type, aggregate_id, sequence,
                                 event_type, client_id, payload)
         SELECT (SELECT events FROM projection_checkpoints WHERE name = 'action_log') + $13
                    + u.ord,
                u.position, u.occurred_at, u.recorded_at, u.actor, u.on_behalf_of,
                u.request_id, u.command, u.aggregate_type, u.aggregate_id, u.sequence,
                u.event_type, s.client_id, u.payload::jsonb
           FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::text[],
                       $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                       $10::bigint[], $11::text[], $12::text[])
                WITH ORDINALITY AS u(position, occurred_at, recorded_at, actor, on_behalf_of,
                                     request_id, command, aggregate_type, aggregate_id,
                                     sequence, event_type, payload, ord)
           LEFT JOIN action_log_subjects s ON s.aggregate_id = u.aggregate_id",
    )
    .bind(&rows.position)
    .bind(&rows.occurred_at)
    .bind(&rows.recorded_at)
    .bind(&rows.actor)
    .bind(&rows.on_behalf_of)
    .bind(&rows.request_id)
    .bind(&rows.command)
    .bind(&rows.aggregate_type)
    .bind(&rows.aggregate_id)
    .bind(&rows.sequence)
    .bind(&rows.event_type)
    .bind(&rows.payload)
    .bind(written)
    .execute(&mut *tx)
    .await?;
    Ok(i64::try_from(rows.position.len()).unwrap_or(i64::MAX))
}

/// The client a service or payer moves to, for an event that moves one.
fn new_owner(event: &StoredEvent) -> Result<Option<Uuid>, ProjectionError> {
    match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        ("Service", "ServiceTransferred") => match event.decode()? {
            ServiceEvent::ServiceTransferred { to_client, .. } => Ok(Some(to_client.as_uuid())),
            _ => Ok(None),
        },
        ("Payer", "PayerTransferred") => match event.decode()? {
            PayerEvent::PayerTransferred { to_client, .. } => Ok(Some(to_client.as_uuid())),
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The client an event's aggregate belongs to, where the event says so.
fn subject(event: &StoredEvent) -> Result<Option<Uuid>, ProjectionError> {
    match event.aggregate_type.as_str() {
        "Client" if event.sequence == 1 => Uuid::parse_str(&event.aggregate_id)
            .map(Some)
            .map_err(|e| ProjectionError::Malformed(format!("client id: {e}"))),
        "Account" if event.sequence == 1 => match event.decode()? {
            AccountEvent::AccountOpened { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Service" if event.sequence == 1 => match event.decode()? {
            ServiceEvent::ServiceOrdered { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Payment" if event.sequence == 1 => match event.decode()? {
            PaymentEvent::PaymentCreated { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Invoice" if event.sequence == 1 => match event.decode()? {
            InvoiceEvent::InvoiceDrafted { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Payer" if event.sequence == 1 => match event.decode()? {
            PayerEvent::PayerCreated { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Merge" if event.sequence == 1 => match event.decode()? {
            MergeEvent::MergeStarted { target, .. } => Ok(Some(target.as_uuid())),
            _ => Ok(None),
        },
        "ClientUser" if event.sequence == 1 => match event.decode()? {
            UserEvent::ClientUserCreated { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Ticket" if event.sequence == 1 => match event.decode()? {
            domain::ticket::TicketEvent::TicketOpened { client_id, .. } => {
                Ok(Some(client_id.as_uuid()))
            }
            _ => Ok(None),
        },
        // A client's notice settings live in a stream under the client's id.
        "NoticeSettings" if event.sequence == 1 => Uuid::parse_str(&event.aggregate_id)
            .map(Some)
            .map_err(|e| ProjectionError::Malformed(format!("client id: {e}"))),
        _ => Ok(None),
    }
}

// Queries: what the HTTP layer and the dashboard read.

/// What the action log is filtered by; `None` is no filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    pub client_id: Option<Uuid>,
    pub actor: Option<&'a str>,
    pub event_type: Option<&'a str>,
}

/// One entry of the action log, `seq` being its place in the table's safe order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub position: i64,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub request_id: Option<String>,
    pub command: Option<String>,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub client_id: Option<Uuid>,
    pub payload: serde_json::Value,
}

/// Up to `limit` entries after `after_seq` (0: from the start), oldest first.
pub async fn page(
    pool: &sqlx::PgPool,
    filter: Filter<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, position, occurred_at, recorded_at, actor, on_behalf_of, request_id, command,
                aggregate_type, aggregate_id, sequence, event_type, client_id, payload
           FROM action_log
          WHERE seq > $1
            AND ($2::uuid IS NULL OR client_id = $2)
            AND ($3::text IS NULL OR actor = $3)
            AND ($4::text IS NULL OR event_type = $4)
          ORDER BY seq
          LIMIT $5",
    )
    .bind(after_seq)
    .bind(filter.client_id)
    .bind(filter.actor)
    .bind(filter.event_type)
    .bind(limit)
    .fetch_all(pool)
    .await
}

// Queries of the staff dashboard.

/// One line of the dashboard's action log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentEntry {
    pub position: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub event_type: String,
    pub aggregate_type: String,
    pub client_id: Option<Uuid>,
}

/// Up to `limit` entries before global position `before` (all when `None`), newest first.
pub async fn recent(
    pool: &sqlx::PgPool,
    filter: Filter<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<RecentEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, occurred_at, actor, on_behalf_of, event_type, aggregate_type, client_id
               FROM action_log
              WHERE ($1::text IS NULL OR actor = $1)
                AND ($2::uuid IS NULL OR client_id = $2)
                AND ($3::text IS NULL OR event_type = $3)
                AND ($4::bigint IS NULL OR position < $4)
              ORDER BY position DESC LIMIT $5",
    )
    .bind(filter.actor)
    .bind(filter.client_id)
    .bind(filter.event_type)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}
