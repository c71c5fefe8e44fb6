//! Every event with who caused it: what staff and auditors read to learn what happened.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use domain::access::UserEvent;
use domain::account::AccountEvent;
use domain::contact::ContactEvent;
use domain::domains::DomainEvent;
use domain::invoice::InvoiceEvent;
use domain::merge::MergeEvent;
use domain::payer::PayerEvent;
use domain::payment::PaymentEvent;
use domain::service::ServiceEvent;
use eventstore::log::StoredEvent;
use eventstore::metadata::EventMetadata;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::copy::CopyRows;
use crate::{Projection, ProjectionError};

/// The `action_log` table.
pub struct ActionLog;

/// A batch of log rows, column by column: what the log's readers filter and page by. Everything
/// else an entry shows (payload, metadata, aggregate) is read from `events` when a page is shown.
#[derive(Default)]
struct Rows {
    position: Vec<i64>,
    actor: Vec<String>,
    event_type: Vec<String>,
    aggregate_id: Vec<String>,
}

/// The one field of the metadata the log keeps: deserializing only it spares a full parse.
#[derive(serde::Deserialize)]
struct Actor {
    actor: String,
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
        // 5: a lean index of the log (position, seq, actor, event type, client) instead of a
        //    second copy of every payload and metadata; pages read those from `events`.
        // 6: domains and domain contacts are attributed to their client, and follow a merge.
        6
    }

    fn tables(&self) -> &'static [&'static str] {
        &["action_log", "action_log_subjects"]
    }

    /// Its pages filter by client and by actor; applying reads neither.
    fn indexes_deferred(&self) -> &'static [&'static str] {
        &["action_log_client", "action_log_actor"]
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
            // A service, payer, domain or contact moving to another client belongs to that client from this
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
            let Actor { actor } = serde_json::from_str(&event.metadata)
                .map_err(|e| ProjectionError::from(e).at(event))?;
            rows.position.push(event.position);
            rows.actor.push(actor);
            rows.event_type.push(event.event_type.clone());
            rows.aggregate_id.push(event.aggregate_id.clone());
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
    let applied: i64 =
        sqlx::query_scalar("SELECT events FROM projection_checkpoints WHERE name = 'action_log'")
            .fetch_one(&mut *tx)
            .await?;
    // Each row's client, as the subjects say now (those of this segment just written).
    let mut named: Vec<&str> = rows.aggregate_id.iter().map(String::as_str).collect();
    named.sort_unstable();
    named.dedup();
    let owners: HashMap<String, Uuid> = sqlx::query_as(
        "SELECT aggregate_id, client_id FROM action_log_subjects WHERE aggregate_id = ANY($1)",
    )
    .bind(&named)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    // One row per event, never changed: written with COPY (`crate::copy`).
    let mut copy = CopyRows::with_capacity(rows.position.len(), 96);
    let mut seq = applied + written;
    for (((position, actor), event_type), aggregate_id) in rows
        .position
        .iter()
        .zip(&rows.actor)
        .zip(&rows.event_type)
        .zip(&rows.aggregate_id)
    {
        seq += 1;
        copy.plain(seq).plain(position).text(actor).text(event_type);
        match owners.get(aggregate_id) {
            Some(client) => copy.plain(client),
            None => copy.null(),
        };
        copy.end_row();
    }
    copy.send(
        &mut *tx,
        "COPY action_log (seq, position, actor, event_type, client_id) FROM STDIN",
    )
    .await?;
    Ok(i64::try_from(rows.position.len()).unwrap_or(i64::MAX))
}

/// The client a service, payer, domain or domain contact moves to, for an event that moves one.
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
        ("Domain", "DomainTransferred") => match event.decode()? {
            DomainEvent::DomainTransferred { to_client, .. } => Ok(Some(to_client.as_uuid())),
            _ => Ok(None),
        },
        ("DomainContact", "ContactTransferred") => match event.decode()? {
            ContactEvent::ContactTransferred { to_client, .. } => Ok(Some(to_client.as_uuid())),
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
            ServiceEvent::ServiceOrdered { client_id, .. }
            | ServiceEvent::ServiceImported { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Payment" if event.sequence == 1 => match event.decode()? {
            PaymentEvent::PaymentCreated { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Invoice" if event.sequence == 1 => match event.decode()? {
            InvoiceEvent::InvoiceDrafted { client_id, .. }
            | InvoiceEvent::InvoiceImported { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Payer" if event.sequence == 1 => match event.decode()? {
            PayerEvent::PayerCreated { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Domain" if event.sequence == 1 => match event.decode()? {
            DomainEvent::DomainOrdered { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "DomainContact" if event.sequence == 1 => match event.decode()? {
            ContactEvent::ContactCreated { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Merge" if event.sequence == 1 => match event.decode()? {
            MergeEvent::MergeStarted { target, .. } => Ok(Some(target.as_uuid())),
            _ => Ok(None),
        },
        "ClientUser" if event.sequence == 1 => match event.decode()? {
            UserEvent::ClientUserCreated { client_id, .. }
            | UserEvent::ClientUserImported { client_id, .. } => Ok(Some(client_id.as_uuid())),
            _ => Ok(None),
        },
        "Ticket" if event.sequence == 1 => match event.decode()? {
            domain::ticket::TicketEvent::TicketOpened { client_id, .. } => {
                Ok(Some(client_id.as_uuid()))
            }
            _ => Ok(None),
        },
        // A client's notice settings and its user directory live in streams under the client's
        // id.
        "NoticeSettings" | "UserDirectory" if event.sequence == 1 => {
            Uuid::parse_str(&event.aggregate_id)
                .map(Some)
                .map_err(|e| ProjectionError::Malformed(format!("client id: {e}")))
        }
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
#[derive(Debug, Clone)]
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

/// A page row: the log's own columns, then the event they index as `events` holds it.
type PageRow = (
    i64,
    i64,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
);

/// Up to `limit` entries after `after_seq` (0: from the start), oldest first.
///
/// The table holds what a page is filtered and ordered by; each entry's payload and metadata
/// are read from the event it indexes, the payload as every reader of the log gets it (without
/// the secrets of old event versions: [`eventstore::log::without_secrets`]).
pub async fn page(
    pool: &sqlx::PgPool,
    filter: Filter<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows: Vec<PageRow> = sqlx::query_as(
        "SELECT a.seq, a.position, a.actor, a.client_id, e.recorded_at, e.aggregate_type,
                e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload::text,
                e.metadata::text
           FROM action_log a
           JOIN events e ON e.global_position = a.position
          WHERE a.seq > $1
            AND ($2::uuid IS NULL OR a.client_id = $2)
            AND ($3::text IS NULL OR a.actor = $3)
            AND ($4::text IS NULL OR a.event_type = $4)
          ORDER BY a.seq
          LIMIT $5",
    )
    .bind(after_seq)
    .bind(filter.client_id)
    .bind(filter.actor)
    .bind(filter.event_type)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(entry).collect()
}

/// An entry from its page row.
fn entry(row: PageRow) -> Result<Entry, sqlx::Error> {
    let (
        seq,
        position,
        actor,
        client_id,
        recorded_at,
        aggregate_type,
        aggregate_id,
        sequence,
        event_type,
        event_version,
        payload,
        metadata,
    ) = row;
    let metadata = metadata_of(&metadata)?;
    let payload =
        eventstore::log::without_secrets(&aggregate_type, &event_type, &event_version, payload);
    let payload = serde_json::from_str(&payload).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Entry {
        seq,
        position,
        occurred_at: metadata.occurred_at,
        recorded_at,
        actor,
        on_behalf_of: metadata.on_behalf_of,
        request_id: metadata.request_id,
        command: Some(metadata.command),
        aggregate_type,
        aggregate_id,
        sequence,
        event_type,
        client_id,
        payload,
    })
}

/// An event's stored metadata, its time at the microseconds a `timestamptz` holds (what the
/// log's rows held when they copied it).
fn metadata_of(text: &str) -> Result<EventMetadata, sqlx::Error> {
    let mut metadata: EventMetadata =
        serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    metadata.occurred_at = metadata.occurred_at.trunc_subsecs(6);
    Ok(metadata)
}

// Queries of the staff dashboard.

/// One line of the dashboard's action log. Names are looked up by the page with queries of
/// their own (`clients::names`, `services::names`): a statement that read several read models
/// at once could deadlock with a rebuild locking them in another order.
#[derive(Debug, Clone)]
pub struct RecentEntry {
    pub position: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub event_type: String,
    pub aggregate_type: String,
    pub client_id: Option<Uuid>,
    /// The service, for a service's event.
    pub service_id: Option<Uuid>,
    /// The event's amount and currency, for an event that moves money (its payload's
    /// `amount` as the event carries it).
    pub amount: Option<(rust_decimal::Decimal, String)>,
}

/// A row of [`recent`]'s query.
type RecentRow = (
    i64,
    String,
    String,
    Option<Uuid>,
    String,
    String,
    String,
    String,
);

/// Up to `limit` entries before global position `before` (all when `None`), newest first.
pub async fn recent(
    pool: &sqlx::PgPool,
    filter: Filter<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<RecentEntry>, sqlx::Error> {
    let rows: Vec<RecentRow> = sqlx::query_as(
        "SELECT a.position, a.actor, a.event_type, a.client_id, e.aggregate_type,
                e.metadata::text, e.aggregate_id, e.payload::text
           FROM action_log a
           JOIN events e ON e.global_position = a.position
          WHERE ($1::text IS NULL OR a.actor = $1)
            AND ($2::uuid IS NULL OR a.client_id = $2)
            AND ($3::text IS NULL OR a.event_type = $3)
            AND ($4::bigint IS NULL OR a.position < $4)
          ORDER BY a.position DESC LIMIT $5",
    )
    .bind(filter.actor)
    .bind(filter.client_id)
    .bind(filter.event_type)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(
            |(
                position,
                actor,
                event_type,
                client_id,
                aggregate_type,
                metadata,
                aggregate_id,
                payload,
            )| {
                let metadata = metadata_of(&metadata)?;
                let service_id = (aggregate_type == "Service")
                    .then(|| Uuid::parse_str(&aggregate_id).ok())
                    .flatten();
                Ok(RecentEntry {
                    position,
                    occurred_at: metadata.occurred_at,
                    actor,
                    on_behalf_of: metadata.on_behalf_of,
                    amount: amount_of(&payload),
                    event_type,
                    aggregate_type,
                    client_id,
                    service_id,
                })
            },
        )
        .collect()
}

/// The `amount` an event's payload carries (`{"Variant": {"amount": {"amount": "12.50",
/// "currency": "EUR"}}}`, the shape of `Money`), if it carries one.
fn amount_of(payload: &str) -> Option<(rust_decimal::Decimal, String)> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let body = value.as_object()?.values().next()?;
    let money = body.get("amount")?;
    let amount = money.get("amount")?.as_str()?.parse().ok()?;
    let currency = money.get("currency")?.as_str()?.to_owned();
    Some((amount, currency))
}
