//! The whole log in safe order: what projection workers, the audit stream and replays read.
//!
//! Positions come from an identity column, so a transaction that took position 7 can commit after
//! one that took position 8. A reader that asked for `global_position > 6` once 8 was visible
//! would never see 7. The safe order sorts by the writing transaction's id first and reads only
//! events of transactions older than every transaction still running
//! (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`): such a transaction has committed or
//! rolled back, so nothing can appear behind the reader any more.
//!
//! **Architecture Invariant:** no event read here carries a secret. Events written since ADR 11
//! hold none; the password hashes and token digests of older event versions are removed on the
//! way out ([`without_secrets`]), so projections, the seal and the audit stream never see them.

use std::any::Any;
use std::sync::OnceLock;

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

/// One event as the log holds it. `payload` and `metadata` are the stored JSON text, byte for
/// byte, except that no payload carries a secret: see [`without_secrets`].
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
    /// The payload and metadata as first decoded, so that the read models sharing a batch parse
    /// each event once instead of once each.
    decoded: Decoded,
}

/// What [`StoredEvent::decode`] and [`StoredEvent::metadata`] parsed first. Not part of the
/// event: equal for every event, and a clone starts empty.
#[derive(Default)]
struct Decoded {
    payload: OnceLock<Box<dyn Any + Send + Sync>>,
    metadata: OnceLock<EventMetadata>,
}

impl Clone for Decoded {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Decoded {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Decoded {}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decoded")
    }
}

impl StoredEvent {
    /// Where this event stands in the safe order.
    pub fn log_position(&self) -> LogPosition {
        LogPosition {
            tx_id: self.tx_id,
            position: self.position,
        }
    }

    /// The payload decoded as the aggregate's event type. The first decoding is kept: the
    /// read models that share a batch each get a copy of it rather than parsing the JSON again.
    pub fn decode<E>(&self) -> Result<E, serde_json::Error>
    where
        E: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        if let Some(decoded) = self
            .decoded
            .payload
            .get()
            .and_then(|decoded| decoded.downcast_ref::<E>())
        {
            return Ok(decoded.clone());
        }
        let decoded: E = serde_json::from_str(&self.payload)?;
        // Another type may have been kept first (a read model decoding a part of the payload):
        // then this one is parsed each time.
        let _ = self.decoded.payload.set(Box::new(decoded.clone()));
        Ok(decoded)
    }

    /// The metadata decoded, parsed once per event like [`StoredEvent::decode`] and lent rather
    /// than copied: every read model reads it, and its copies were a tenth of a rebuild's own
    /// CPU (their allocations included).
    pub fn metadata(&self) -> Result<&EventMetadata, serde_json::Error> {
        if let Some(decoded) = self.decoded.metadata.get() {
            return Ok(decoded);
        }
        let decoded: EventMetadata = serde_json::from_str(&self.metadata)?;
        Ok(self.decoded.metadata.get_or_init(|| decoded))
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

/// The secret fields that version 1.0 of these events held, as (aggregate type, event type,
/// field). Their version 2.0 holds no secret; the secrets live in `credentials` (ADR 11).
pub const SECRET_FIELDS_V1: [(&str, &str, &str); 4] = [
    ("StaffMember", "StaffMemberCreated", "password_hash"),
    ("StaffMember", "StaffPasswordSet", "password_hash"),
    ("ClientUser", "ClientUserCreated", "password_hash"),
    ("AccessToken", "TokenIssued", "secret_sha256"),
];

/// The payload as readers of the whole log get it (projections, the seal, the audit stream).
///
/// Every payload is the stored text byte for byte, except for version 1.0 of the events in
/// [`SECRET_FIELDS_V1`], whose secret field is removed: such a payload is re-serialized as
/// compact JSON with every object's keys sorted by their bytes, without that field. The
/// encoding is fixed (it does not depend on serde_json's features), because the seal hashes it
/// and an auditor recomputes the chain from the stream's bytes.
pub fn without_secrets(
    aggregate_type: &str,
    event_type: &str,
    event_version: &str,
    payload: String,
) -> String {
    let Some(field) = (event_version == "1.0")
        .then(|| {
            SECRET_FIELDS_V1
                .iter()
                .find(|(a, e, _)| *a == aggregate_type && *e == event_type)
                .map(|(_, _, field)| *field)
        })
        .flatten()
    else {
        return payload;
    };
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&payload) else {
        // A `json` column holds valid JSON only; this cannot happen.
        return payload;
    };
    let removed = value
        .get_mut(event_type)
        .and_then(serde_json::Value::as_object_mut)
        .and_then(|fields| fields.remove(field));
    if removed.is_none() {
        return payload;
    }
    let mut out = String::with_capacity(payload.len());
    write_sorted(&value, &mut out);
    out
}

/// Compact JSON with object keys sorted by their bytes.
fn write_sorted(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            out.push('{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(name.clone()).to_string());
                out.push(':');
                if let Some(field) = fields.get(name) {
                    write_sorted(field, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// An event from outside the database (an auditor's export being restored), its payload and
/// metadata as exported: the stored texts, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedEvent {
    /// The global position.
    pub position: i64,
    /// The writing transaction.
    pub tx_id: i64,
    /// `Client`, `Account`, ...
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// The event's number within its aggregate.
    pub sequence: i64,
    /// The stored name.
    pub event_type: String,
    /// The payload's shape version.
    pub event_version: String,
    /// The payload text.
    pub payload: String,
    /// The metadata text.
    pub metadata: String,
    /// When the database that wrote it recorded it.
    pub recorded_at: DateTime<Utc>,
}

impl From<ExportedEvent> for StoredEvent {
    fn from(event: ExportedEvent) -> StoredEvent {
        from_row_as_stored((
            event.position,
            event.tx_id,
            event.aggregate_type,
            event.aggregate_id,
            event.sequence,
            event.event_type,
            event.event_version,
            event.payload,
            event.metadata,
            event.recorded_at,
        ))
    }
}

/// A row as read, with the secrets of old event versions removed from its payload.
fn from_row(row: EventRow) -> StoredEvent {
    let event = from_row_as_stored(row);
    StoredEvent {
        payload: without_secrets(
            &event.aggregate_type,
            &event.event_type,
            &event.event_version,
            event.payload,
        ),
        ..event
    }
}

/// A row as read, its payload as stored.
fn from_row_as_stored(row: EventRow) -> StoredEvent {
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
        decoded: Decoded::default(),
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
    let rows = read_rows_after(executor, after, limit).await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Like [`read_after`], but every payload exactly as stored, the secrets of version 1.0 events
/// included. Only for verifying a chain sealed before ADR 11 (encoding `billing-seal/1`),
/// which hashed them: nothing read here may be exported, logged or projected.
pub async fn read_after_as_stored<'e>(
    executor: impl PgExecutor<'e>,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let rows = read_rows_after(executor, after, limit).await?;
    Ok(rows.into_iter().map(from_row_as_stored).collect())
}

async fn read_rows_after<'e>(
    executor: impl PgExecutor<'e>,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
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
    Ok(rows)
}

/// The highest global position given out so far (0 for an empty log), committed or not yet
/// visible: a position past it was never given out. To wait for everything written, use
/// [`head_position`].
pub async fn highest_position<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    let highest: Option<i64> = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(executor)
        .await?;
    Ok(highest.unwrap_or(0))
}

/// The position of the last visible event in the safe order (0 for an empty log): what a reader
/// waits for to have seen everything committed so far.
///
/// Not `max(global_position)`: two transactions writing at once interleave their positions
/// while the safe order is by transaction, so the highest position may sit in the earlier
/// transaction, and a wait for it would return before the later transaction was applied.
pub async fn head_position<'e>(executor: impl PgExecutor<'e>) -> Result<i64, sqlx::Error> {
    let head: Option<i64> = sqlx::query_scalar(
        "SELECT global_position FROM events ORDER BY tx_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await?;
    Ok(head.unwrap_or(0))
}

/// A readiness probe: whether the database answers a trivial statement.
pub async fn ping(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_token_loses_its_digest_and_keeps_the_rest_with_sorted_keys() {
        let stored = r#"{"TokenIssued":{"token_id":"t","subject":{"kind":"staff","staff_id":"s"},"secret_sha256":"abab","issued_at":"2027-01-01T09:00:00Z","expires_at":null}}"#;
        let read = without_secrets("AccessToken", "TokenIssued", "1.0", stored.to_owned());
        assert_eq!(
            read,
            r#"{"TokenIssued":{"expires_at":null,"issued_at":"2027-01-01T09:00:00Z","subject":{"kind":"staff","staff_id":"s"},"token_id":"t"}}"#
        );
    }

    #[test]
    fn a_version_1_password_hash_is_removed_and_other_payloads_are_kept_byte_for_byte() {
        let created = r#"{"StaffMemberCreated":{"name":"Bob","password_hash":"$argon2id$v=19$x"}}"#;
        assert_eq!(
            without_secrets(
                "StaffMember",
                "StaffMemberCreated",
                "1.0",
                created.to_owned()
            ),
            r#"{"StaffMemberCreated":{"name":"Bob"}}"#
        );
        let set = r#"{"StaffPasswordSet":{"password_hash":"$argon2id$v=19$x"}}"#;
        assert_eq!(
            without_secrets("StaffMember", "StaffPasswordSet", "1.0", set.to_owned()),
            r#"{"StaffPasswordSet":{}}"#
        );
        let v2 = r#"{"StaffMemberCreated":{"name":"Bob", "login":"b"}}"#;
        assert_eq!(
            without_secrets("StaffMember", "StaffMemberCreated", "2.0", v2.to_owned()),
            v2
        );
        let other = r#"{"PaymentPosted": {"password_hash": "not a secret of ours"}}"#;
        assert_eq!(
            without_secrets("Account", "PaymentPosted", "1.0", other.to_owned()),
            other
        );
    }
}
