//! The sealed log: every event, in safe order, hashed into a chain (ADR 7).
//!
//! `link(n) = SHA-256(link(n-1) ‖ canonical(event n))`, with 32 zero bytes before the first
//! event. The `seal` projection writes one `audit_chain` row per event in the same transaction
//! as its checkpoint, like any read model. Rebuilt at its version, it keeps the chain and checks
//! the log against it instead of sealing it again: a link that differs, or one left past the
//! log's last event, stops it with [`ProjectionError::Tampered`] and leaves the chain as it was
//! (ADR 7, addendum). [`verify`]
//! recomputes the chain from `events` alone and names the first position where the log no
//! longer matches its seal; [`head`] is the
//! latest link, which an outsider keeps so that even a rewrite of the chain itself is caught
//! (a rewritten log cannot reproduce a link that was handed out before).
//!
//! **The canonical encoding** (version 2) of an event is the concatenation of:
//!
//! 1. the ASCII tag `billing-seal/2`;
//! 2. `global_position`, `tx_id` and `sequence`, each as a signed 64-bit big-endian integer, in
//!    that order;
//! 3. `aggregate_type`, `aggregate_id`, `event_type`, `event_version`, `payload` and `metadata`,
//!    in that order, each as its length in bytes (unsigned 32-bit big-endian) followed by its
//!    UTF-8 bytes. `metadata` is the stored JSON text byte for byte (PostgreSQL's `json` type
//!    keeps the text as written), never a re-serialization. `payload` is the payload as the log
//!    reader gives it (`eventstore::log::without_secrets`): the stored text byte for byte, except
//!    for version 1.0 of the four events that held a password hash or a token digest, which are
//!    sealed without that field, re-serialized as compact JSON with sorted keys (ADR 11). It is
//!    exactly the `payload` of the NDJSON stream, so an auditor recomputes the chain from the
//!    stream alone, and no secret is sealed or exported.
//!
//! Version 1 (tag `billing-seal/1`) sealed every payload as stored, secrets included. A database
//! sealed under it is sealed again from the start under version 2 when it is upgraded (the
//! projection's version rose): links exported before the upgrade are no longer in the chain.
//! Until the re-seal, [`verify`] checks such a chain under version 1, so that `billing migrate`
//! then `billing audit verify` proves the log intact just before its seal is replaced.
//!
//! `recorded_at` is not sealed: it is the database's clock, not a fact of the event, whose time is
//! `occurred_at` inside the sealed metadata.

use async_trait::async_trait;
use eventstore::log::{self, LogPosition, StoredEvent};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::copy::CopyRows;
use crate::{Projection, ProjectionError};

/// The `audit_chain` table.
pub struct Seal;

/// A link of the chain: 32 bytes.
pub type Hash = [u8; 32];

/// The link before the first event.
pub const GENESIS: Hash = [0; 32];

/// The tag that starts every canonical encoding; a new encoding gets a new tag.
const TAG: &[u8] = b"billing-seal/2";

/// The tag of encoding version 1, which hashed payloads as stored, secrets included. Only
/// [`verify`] still reads it, for a chain sealed before ADR 11 and not yet sealed again.
const TAG_V1: &[u8] = b"billing-seal/1";

/// The canonical bytes of `event` (see the module documentation).
pub fn canonical_bytes(event: &StoredEvent) -> Vec<u8> {
    canonical_bytes_tagged(TAG, event)
}

fn canonical_bytes_tagged(tag: &[u8], event: &StoredEvent) -> Vec<u8> {
    let texts = [
        event.aggregate_type.as_bytes(),
        event.aggregate_id.as_bytes(),
        event.event_type.as_bytes(),
        event.event_version.as_bytes(),
        event.payload.as_bytes(),
        event.metadata.as_bytes(),
    ];
    let mut out =
        Vec::with_capacity(tag.len() + 24 + texts.iter().map(|t| 4 + t.len()).sum::<usize>());
    out.extend_from_slice(tag);
    out.extend_from_slice(&event.position.to_be_bytes());
    out.extend_from_slice(&event.tx_id.to_be_bytes());
    out.extend_from_slice(&event.sequence.to_be_bytes());
    for text in texts {
        // A text longer than 4 GiB cannot be stored in a json column (1 GB at most).
        let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(text);
    }
    out
}

/// The link that seals `event` after `prev`.
pub fn link(prev: &Hash, event: &StoredEvent) -> Hash {
    link_tagged(TAG, prev, event)
}

fn link_tagged(tag: &[u8], prev: &Hash, event: &StoredEvent) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    // The canonical bytes, fed piece by piece rather than copied into one buffer first.
    hasher.update(tag);
    hasher.update(event.position.to_be_bytes());
    hasher.update(event.tx_id.to_be_bytes());
    hasher.update(event.sequence.to_be_bytes());
    for text in [
        event.aggregate_type.as_bytes(),
        event.aggregate_id.as_bytes(),
        event.event_type.as_bytes(),
        event.event_version.as_bytes(),
        event.payload.as_bytes(),
        event.metadata.as_bytes(),
    ] {
        let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
        hasher.update(length.to_be_bytes());
        hasher.update(text);
    }
    hasher.finalize().into()
}

/// Lowercase hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Parses 64 hexadecimal digits into a link.
pub fn from_hex(text: &str) -> Option<Hash> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

fn to_hash(bytes: &[u8]) -> Result<Hash, ProjectionError> {
    Hash::try_from(bytes)
        .map_err(|_| ProjectionError::Malformed("an audit_chain hash is not 32 bytes".to_owned()))
}

#[async_trait]
impl Projection for Seal {
    fn name(&self) -> &'static str {
        crate::ReadModel::Seal.name()
    }

    fn version(&self) -> i32 {
        // 2: encoding version 2, without the secrets of old event versions (ADR 11).
        2
    }

    fn tables(&self) -> &'static [&'static str] {
        &["audit_chain"]
    }

    /// A rebuild checks the chain instead of sealing the log again (ADR 7, addendum).
    fn kept_on_rebuild(&self) -> &'static [&'static str] {
        &["audit_chain"]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        if events.is_empty() {
            return Ok(());
        }
        let (sealed_to, mut prev) = sealed_up_to(&mut *tx).await?;
        // The links the chain already holds after the checkpoint: none while sealing live, the
        // whole chain when it is rebuilt at its version, which checks them instead of writing
        // them again (one more tells whether the chain goes on past this batch).
        let limit = i64::try_from(events.len())
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let kept: Vec<(i64, i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT position, tx_id, hash, prev_hash FROM audit_chain
              WHERE (tx_id, position) > ($1, $2) ORDER BY tx_id, position LIMIT $3",
        )
        .bind(sealed_to.tx_id)
        .bind(sealed_to.position)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut kept = kept
            .into_iter()
            .map(ChainRow::read)
            .collect::<Result<Vec<_>, ProjectionError>>()?
            .into_iter()
            .peekable();
        // The events past the chain's end, one row each, never changed: written with COPY
        // (`crate::copy`).
        let mut rows = CopyRows::with_capacity(events.len(), 160);
        for event in events {
            let hash = link(&prev, event);
            if let Some(row) = kept.peek() {
                if let Some(finding) = compare(row, event, &prev, &hash) {
                    return Err(ProjectionError::Tampered(Box::new(finding)));
                }
                kept.next();
            } else {
                rows.plain(event.position)
                    .plain(event.tx_id)
                    .bytea(&hash)
                    .bytea(&prev)
                    .end_row();
            }
            prev = hash;
        }
        rows.send(
            &mut *tx,
            "COPY audit_chain (position, tx_id, hash, prev_hash) FROM STDIN",
        )
        .await?;
        Ok(())
    }

    /// A link kept past the checkpoint once the whole log is applied seals an event that is no
    /// longer in it: a batch compares only the links its events reach. A live seal writes its
    /// links with its checkpoint, so none lies past it otherwise; one statement reads both (the
    /// chain's first row past the checkpoint through its order's index, one probe).
    async fn check_caught_up(&self, pool: &PgPool) -> Result<(), ProjectionError> {
        let past: Option<(i64, i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT c.position, c.tx_id, c.hash, c.prev_hash
               FROM projection_checkpoints p
              CROSS JOIN LATERAL (
                    SELECT * FROM audit_chain c
                     WHERE (c.tx_id, c.position) > (p.tx_id::text::bigint, p.position)
                     ORDER BY c.tx_id, c.position LIMIT 1) c
              WHERE p.name = 'seal'",
        )
        .fetch_optional(pool)
        .await?;
        match past.map(ChainRow::read).transpose()? {
            Some(row) => Err(ProjectionError::Tampered(Box::new(removed(&row)))),
            None => Ok(()),
        }
    }
}

/// How the chain's next link `row` and the log's next event part, if they do: the event's
/// recomputed link is `hash`, after `prev`. What [`verify`] and a rebuild of the seal both report.
fn compare(row: &ChainRow, event: &StoredEvent, prev: &Hash, hash: &Hash) -> Option<Finding> {
    if row.prev != *prev {
        return Some(chain_broken(row));
    }
    let at = event.log_position();
    if at < row.at {
        return Some(Finding {
            position: at.position,
            kind: Tampering::Inserted,
            detail: format!(
                "the event at position {} (transaction {}) was never sealed; the next sealed \
                 event is at position {}",
                at.position, at.tx_id, row.at.position
            ),
        });
    }
    if at > row.at {
        return Some(removed(row));
    }
    (row.hash != *hash).then(|| Finding {
        position: event.position,
        kind: Tampering::Altered,
        detail: format!(
            "the event at position {} ({} {} #{}) is not what was sealed",
            event.position, event.aggregate_type, event.aggregate_id, event.sequence
        ),
    })
}

/// The sealed event of `row` is not in the log.
fn removed(row: &ChainRow) -> Finding {
    Finding {
        position: row.at.position,
        kind: Tampering::Removed,
        detail: format!("the sealed event at position {} is gone", row.at.position),
    }
}

/// `row` does not follow the link before it.
fn chain_broken(row: &ChainRow) -> Finding {
    Finding {
        position: row.at.position,
        kind: Tampering::ChainBroken,
        detail: format!(
            "the chain row at position {} does not follow the row before it",
            row.at.position
        ),
    }
}

/// Where the seal's checkpoint is and the link of the event there (the chain's row at that
/// position, found through its key; [`GENESIS`] before the first event). The checkpoint moves
/// with the chain's rows, in the same transaction.
async fn sealed_up_to(conn: &mut PgConnection) -> Result<(LogPosition, Hash), ProjectionError> {
    let (tx_id, position, hash): (i64, i64, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT p.tx_id::text::bigint, p.position, c.hash
           FROM projection_checkpoints p
           LEFT JOIN audit_chain c ON c.position = p.position
          WHERE p.name = 'seal'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let at = LogPosition { tx_id, position };
    match hash {
        Some(hash) => Ok((at, to_hash(&hash)?)),
        None if position == 0 => Ok((at, GENESIS)),
        None => Err(ProjectionError::Malformed(format!(
            "the seal's checkpoint is at position {position}, which has no link in audit_chain"
        ))),
    }
}

/// A link of the chain as exported: the event it seals and the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The sealed event's place in the safe order.
    pub at: LogPosition,
    /// The chain's hash after that event.
    pub hash: Hash,
}

/// A link handed out earlier (by `GET /v1/audit/head`), to check that it is still in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// The global position of the event it sealed.
    pub position: i64,
    /// The hash it had.
    pub hash: Hash,
}

/// The latest link in the chain (the last in safe order), if anything is sealed.
async fn last_link(conn: &mut PgConnection) -> Result<Option<Link>, ProjectionError> {
    let row: Option<(i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT position, tx_id, hash FROM audit_chain ORDER BY tx_id DESC, position DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(position, tx_id, hash)| {
        Ok(Link {
            at: LogPosition { tx_id, position },
            hash: to_hash(&hash)?,
        })
    })
    .transpose()
}

/// The sealed head: the latest link, and how many events the chain holds.
pub async fn head(pool: &PgPool) -> Result<Option<(Link, i64)>, ProjectionError> {
    let mut conn = pool.acquire().await?;
    let Some(last) = last_link(&mut conn).await? else {
        return Ok(None);
    };
    let sealed: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_chain")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some((last, sealed)))
}

/// What is wrong at the first position where the log and its seal part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tampering {
    /// The event at this position is not what was sealed (its payload, metadata, type, ...).
    Altered,
    /// A sealed event is gone from the log.
    Removed,
    /// An event that was never sealed sits among sealed ones.
    Inserted,
    /// The chain table itself is inconsistent: a row's `prev_hash` is not the hash before it.
    ChainBroken,
    /// The exported link given to check against is no longer in the chain: the log and its
    /// chain were rewritten at or before its position.
    LinkNotInChain,
}

/// The first place where the log does not match its seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The global position.
    pub position: i64,
    /// What happened there.
    pub kind: Tampering,
    /// In words.
    pub detail: String,
}

/// The answer of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// True when every sealed event is in the log as sealed (and the given link is in the chain).
    pub clean: bool,
    /// Events compared with the chain.
    pub events_checked: u64,
    /// The last link verified against (the sealed head when verification started).
    pub sealed_head: Option<ExportedLink>,
    /// Events in the log after the sealed head, not sealed yet.
    pub unsealed: i64,
    /// The first mismatch, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_problem: Option<Finding>,
}

/// A link as shown to people and exported: position, transaction and hash in hexadecimal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedLink {
    /// The global position of the sealed event.
    pub position: i64,
    /// Its transaction.
    pub tx_id: i64,
    /// The chain's hash after it, 64 hexadecimal digits.
    pub hash: String,
}

impl From<Link> for ExportedLink {
    fn from(link: Link) -> Self {
        Self {
            position: link.at.position,
            tx_id: link.at.tx_id,
            hash: to_hex(&link.hash),
        }
    }
}

/// A row of `audit_chain`.
struct ChainRow {
    at: LogPosition,
    hash: Hash,
    prev: Hash,
}

impl ChainRow {
    /// The row as `SELECT position, tx_id, hash, prev_hash` reads it.
    fn read(
        (position, tx_id, hash, prev): (i64, i64, Vec<u8>, Vec<u8>),
    ) -> Result<Self, ProjectionError> {
        Ok(ChainRow {
            at: LogPosition { tx_id, position },
            hash: to_hash(&hash)?,
            prev: to_hash(&prev)?,
        })
    }
}

/// Reads the chain in safe order, a batch at a time, up to `until`.
struct ChainReader {
    after: LogPosition,
    until: LogPosition,
    buffer: std::collections::VecDeque<ChainRow>,
    done: bool,
}

impl ChainReader {
    async fn next(&mut self, pool: &PgPool) -> Result<Option<ChainRow>, ProjectionError> {
        if self.buffer.is_empty() && !self.done {
            let rows: Vec<(i64, i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
                "SELECT position, tx_id, hash, prev_hash FROM audit_chain
                  WHERE (tx_id, position) > ($1, $2) AND (tx_id, position) <= ($3, $4)
                  ORDER BY tx_id, position LIMIT $5",
            )
            .bind(self.after.tx_id)
            .bind(self.after.position)
            .bind(self.until.tx_id)
            .bind(self.until.position)
            .bind(BATCH)
            .fetch_all(pool)
            .await?;
            self.done = rows.len() < usize::try_from(BATCH).unwrap_or(usize::MAX);
            for row in rows {
                let row = ChainRow::read(row)?;
                self.after = row.at;
                self.buffer.push_back(row);
            }
        }
        Ok(self.buffer.pop_front())
    }
}

/// Reads the log in safe order, a batch at a time.
struct EventReader {
    after: LogPosition,
    buffer: std::collections::VecDeque<StoredEvent>,
    done: bool,
    /// Payloads as stored, secrets included, for a chain of encoding version 1.
    as_stored: bool,
}

impl EventReader {
    async fn peek(&mut self, pool: &PgPool) -> Result<Option<&StoredEvent>, ProjectionError> {
        if self.buffer.is_empty() && !self.done {
            let events = if self.as_stored {
                log::read_after_as_stored(pool, self.after, BATCH).await?
            } else {
                log::read_after(pool, self.after, BATCH).await?
            };
            self.done = events.is_empty();
            if let Some(last) = events.last() {
                self.after = last.log_position();
            }
            self.buffer.extend(events);
        }
        Ok(self.buffer.front())
    }

    fn pop(&mut self) -> Option<StoredEvent> {
        self.buffer.pop_front()
    }
}

/// Events per read of the log or the chain.
const BATCH: i64 = 5000;

/// Recomputes the chain from the events and compares it with the sealed one, up to the sealed
/// head as it is when this starts. With `anchor` (a link exported earlier), also checks that
/// the link is still in the chain, which catches a log rewritten together with its chain.
///
/// A chain sealed before ADR 11 (the `seal` checkpoint still at version 1: upgraded, not yet
/// sealed again) is verified under its own encoding, `billing-seal/1`, over the payloads as
/// stored; so the log can be verified after the migration and before the re-seal replaces it.
/// Nothing of those payloads leaves this function.
pub async fn verify(
    pool: &PgPool,
    anchor: Option<Anchor>,
) -> Result<Verification, ProjectionError> {
    let sealed_under: Option<i32> =
        sqlx::query_scalar("SELECT version FROM projection_checkpoints WHERE name = 'seal'")
            .fetch_optional(pool)
            .await?;
    let version_1 = sealed_under == Some(1);
    let tag = if version_1 { TAG_V1 } else { TAG };
    let head = head(pool).await?.map(|(link, _)| link);
    let until = head.map_or(LogPosition::default(), |h| h.at);
    let unsealed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE (tx_id, global_position) > ($1::bigint::text::xid8, $2)",
    )
    .bind(until.tx_id)
    .bind(until.position)
    .fetch_one(pool)
    .await?;
    let mut verification = Verification {
        clean: true,
        events_checked: 0,
        sealed_head: head.map(ExportedLink::from),
        unsealed,
        first_problem: None,
    };
    let mut chain = ChainReader {
        after: LogPosition::default(),
        until,
        buffer: Default::default(),
        done: head.is_none(),
    };
    let mut events = EventReader {
        after: LogPosition::default(),
        buffer: Default::default(),
        done: false,
        as_stored: version_1,
    };
    let mut prev = GENESIS;
    // The link before the first event is in every chain.
    let mut anchor_seen = anchor.is_some_and(|a| a.position == 0 && a.hash == GENESIS);
    let problem = loop {
        let Some(row) = chain.next(pool).await? else {
            break None;
        };
        if row.prev != prev {
            break Some(chain_broken(&row));
        }
        let Some(event) = events.peek(pool).await? else {
            break Some(removed(&row));
        };
        let recomputed = link_tagged(tag, &prev, event);
        if let Some(finding) = compare(&row, event, &prev, &recomputed) {
            break Some(finding);
        }
        events.pop();
        verification.events_checked += 1;
        if let Some(anchor) = anchor
            && anchor.position == row.at.position
        {
            anchor_seen = true;
            if anchor.hash != row.hash {
                break Some(link_not_in_chain(anchor));
            }
        }
        prev = row.hash;
    };
    let problem = problem.or_else(|| anchor.filter(|_| !anchor_seen).map(link_not_in_chain));
    verification.clean = problem.is_none();
    verification.first_problem = problem;
    Ok(verification)
}

fn link_not_in_chain(anchor: Anchor) -> Finding {
    Finding {
        position: anchor.position,
        kind: Tampering::LinkNotInChain,
        detail: format!(
            "the link {} at position {} is not in the chain: the log was rewritten at or before \
             that position",
            to_hex(&anchor.hash),
            anchor.position
        ),
    }
}

// Queries: what the HTTP layer and the dashboard read.

/// The chain's hash after each of the events at `positions` that is sealed.
pub async fn hashes_at(
    pool: &PgPool,
    positions: &[i64],
) -> Result<std::collections::HashMap<i64, Hash>, sqlx::Error> {
    let links: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT position, hash FROM audit_chain WHERE position = ANY($1)")
            .bind(positions)
            .fetch_all(pool)
            .await?;
    Ok(links
        .into_iter()
        .filter_map(|(position, hash)| Hash::try_from(hash.as_slice()).ok().map(|h| (position, h)))
        .collect())
}

#[cfg(test)]
mod tests {
    use eventstore::log::{ExportedEvent, StoredEvent};
    use sha2::{Digest, Sha256};

    use super::{GENESIS, canonical_bytes, link};

    /// A link hashes the canonical bytes fed piece by piece: it must stay SHA-256 of the
    /// previous link and the documented encoding, which auditors recompute.
    #[test]
    fn a_link_is_the_hash_of_the_previous_link_and_the_canonical_bytes() {
        let event = StoredEvent::from(ExportedEvent {
            position: 42,
            tx_id: 7_000_001,
            aggregate_type: "Account".to_owned(),
            aggregate_id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".to_owned(),
            sequence: 3,
            event_type: "PaymentPosted".to_owned(),
            event_version: "1.0".to_owned(),
            payload: r#"{"PaymentPosted":{"amount":"12.50","note":"тест\t"}}"#.to_owned(),
            metadata: r#"{"actor":"service:bench"}"#.to_owned(),
            recorded_at: chrono::DateTime::UNIX_EPOCH,
        });
        for prev in [GENESIS, [0xab; 32]] {
            let mut whole = Sha256::new();
            whole.update(prev);
            whole.update(canonical_bytes(&event));
            let expected: [u8; 32] = whole.finalize().into();
            assert_eq!(link(&prev, &event), expected);
        }
    }
}
