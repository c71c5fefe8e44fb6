//! The whole log in safe order: what projection workers, the audit stream and replays read.
//!
//! Positions come from an identity column, so a transaction that took position 7 can commit after
//! one that took position 8. A reader that asked for `global_position > 6` once 8 was visible
//! would never see 7. The safe order sorts by the writing transaction's id first and reads only
//! events of transactions older than every transaction still running
//! (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`): such a transaction has committed or
//! rolled back, so nothing can appear behind the reader any more.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgExecutor;

use crate::metadata::EventMetadata;

/// A place in the safe order: the writing transaction and the event's global position.
/// `LogPosition::default()` is the start of the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LogPosition {
    /// The id (`xid8`) of the transaction that wrote the event.
    pub tx_id: i64,
    /// The event's global position.
    pub position: i64,
}

/// One event as the log holds it. `payload` and `metadata` are the stored JSON text, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The global position.
    pub position: i64,
    /// The writing transaction.
    pub tx_id: i64,
    /// `Client`, `Account`, ...
    pub aggregate_type: String,
    /// The aggregate's id as stored.
    pub aggregate_id: String,
    /// The event's number within its aggregate, from 1.
    pub sequence: i64,
    /// The event's stored name, such as `PaymentPosted`.
    pub event_type: String,
    /// The version of the payload's shape.
    pub event_version: String,
    /// The payload, as stored.
    pub payload: String,
    /// The metadata, as stored.
    pub metadata: String,
    /// When the database recorded the event.
    pub recorded_at: DateTime<Utc>,
}

impl StoredEvent {
    /// Where this event stands in the safe order.
    pub fn log_position(&self) -> LogPosition {
        LogPosition {
            tx_id: self.tx_id,
            position: self.position,
        }
    }

    /// The payload decoded as the aggregate's event type.
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    /// The metadata decoded.
    pub fn metadata(&self) -> Result<EventMetadata, serde_json::Error> {
        serde_json::from_str(&self.metadata)
    }
}

type EventRow = (
    i64,
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
);

fn from_row(row: EventRow) -> StoredEvent {
    let (
        position,
        tx_id,
        aggregate_type,
        aggregate_id,
        sequence,
        event_type,
        event_version,
        payload,
        metadata,
        recorded_at,
    ) = row;
    StoredEvent {
        position,
        tx_id,
        aggregate_type,
        aggregate_id,
        sequence,
        event_type,
        event_version,
        payload,
        metadata,
        recorded_at,
    }
}

/// Reads up to `limit` events after `after` in safe order.
///
/// The `ORDER BY` names the table's columns: a bare `tx_id` would be the output column
/// `tx_id::text::bigint` (PostgreSQL prefers output names there), the same order but not the
/// index's, and every batch would sort the whole rest of the log. An empty answer means the reader has
/// caught up with every transaction that can no longer change what lies behind it.
pub async fn read_after<'e>(
    executor: impl PgExecutor<'e>,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT global_position, tx_id::text::bigint, aggregate_type, aggregate_id, sequence,
                event_type, event_version, payload::text, metadata::text, recorded_at
           FROM events
          WHERE (tx_id, global_position) > ($1::bigint::text::xid8, $2)
            AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY events.tx_id, events.global_position
          LIMIT $3",
    )
    .bind(after.tx_id)
    .bind(after.position)
    .bind(limit)
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The highest global position written so far (0 for an empty log), committed or not yet visible.
pub async fn head_position<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    let head: Option<i64> = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(executor)
        .await?;
    Ok(head.unwrap_or(0))
}

/// Where the event at `position` stands in the safe order, if it exists and is visible.
pub async fn log_position_of<'e>(
    executor: impl PgExecutor<'e>,
    position: i64,
) -> Result<Option<LogPosition>, sqlx::Error> {
    let tx_id: Option<i64> =
        sqlx::query_scalar("SELECT tx_id::text::bigint FROM events WHERE global_position = $1")
            .bind(position)
            .fetch_optional(executor)
            .await?;
    Ok(tx_id.map(|tx_id| LogPosition { tx_id, position }))
}

/// The event at `position`, if it exists and is visible: how a replayed command finds what its
/// first run recorded (a key's position is that of the last event its command wrote).
pub async fn event_at<'e>(
    executor: impl PgExecutor<'e>,
    position: i64,
) -> Result<Option<StoredEvent>, sqlx::Error> {
    let row: Option<EventRow> = sqlx::query_as(
        "SELECT global_position, tx_id::text::bigint, aggregate_type, aggregate_id, sequence,
                event_type, event_version, payload::text, metadata::text, recorded_at
           FROM events WHERE global_position = $1",
    )
    .bind(position)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(from_row))
}

/// Counts the events in the log.
pub async fn count_events<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(executor)
        .await
}
