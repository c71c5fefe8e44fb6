//! `billing restore FILE`: loads an auditor's NDJSON export of the log (`billing audit stream`,
//! `GET /v1/audit/events`) into an empty database, checking the sealed chain while it loads, and
//! rebuilds every read model from it.
//!
//! The export is the independent backup: it holds every fact, in safe order, with the chain's
//! link after each event. The restore keeps each event exactly as exported (its global position,
//! its writing transaction's id, its sequence, its payload and metadata texts byte for byte, its
//! `recorded_at`), because the chain seals all but the last of those: the restored log verifies
//! against links handed out before the backup was made.
//!
//! - **Checked while loading.** Each line's link is recomputed from the previous one
//!   (`seal::link`) and compared with the line's `hash`; lines must come in strictly increasing
//!   safe order. The first mismatch stops the restore, names the position, and the one
//!   transaction that holds every row rolls back: nothing is written.
//! - **The safe order holds.** The log reader takes only events whose `tx_id` is below the oldest
//!   running transaction's (`eventstore::log`). A database younger than the one exported has
//!   handed out fewer transaction ids than the export holds, so the restore advances this
//!   cluster's transaction counter past the export's last `tx_id` before it commits (sub-
//!   transactions that each write a row of a temporary table: about 200,000 ids a second). A
//!   counter more than [`MAX_ADVANCE`] behind is refused with the way out (`pg_resetwal -x`).
//! - **What the log does not hold.** Command keys, kept HTTP answers, password hashes and token
//!   digests are not in the log (ADR 2, 11, 13), so they are not in the export: after a restore,
//!   users set a new password through a reset, tokens are issued again, and a command retried
//!   with a key from before the backup is decided afresh (the aggregates still refuse what they
//!   always refuse, such as a second creation of the same id).
//! - **Process managers and the notifier** start at the end of the restored log: their effects
//!   (commands, e-mails) are in the log or were sent already; replaying them could act twice.
//!   Every read model is rebuilt from the start, the seal included, and its chain's head must be
//!   the export's last link.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use eventstore::EventStore;
use eventstore::log::{ExportedEvent, StoredEvent};
use projections::Projection;
use projections::seal::{self, Hash};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sqlx::PgPool;

/// The most transaction ids the restore advances the cluster's counter by.
pub const MAX_ADVANCE: i64 = 50_000_000;
/// Events per `COPY` statement (all in one transaction).
const EVENTS_PER_COPY: usize = 20_000;
/// Transaction ids taken per statement while advancing the counter.
const IDS_PER_STATEMENT: i64 = 1_000_000;
/// The read models' batch size, as `billing projections rebuild` takes it.
const REBUILD_BATCH: i64 = 5_000;

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// Events loaded.
    pub events: u64,
    /// Lines whose link was checked (an export may end with unsealed events, `hash: null`).
    pub links_checked: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The last event's position and the chain's link after it, as recomputed.
    pub head: Option<RestoredHead>,
    /// Transaction ids the cluster's counter was advanced by.
    pub transaction_ids_advanced: i64,
    /// Reading, checking and writing the events, committed.
    #[serde(serialize_with = "seconds")]
    pub load: Duration,
    /// Rebuilding every read model.
    #[serde(serialize_with = "seconds")]
    pub rebuild: Duration,
    /// Events per second over the load and the rebuild together.
    pub events_per_second: f64,
    /// Events per second of the load alone.
    pub load_events_per_second: f64,
}

/// The restored log's last link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoredHead {
    /// Its position.
    pub position: i64,
    /// The chain's link after it, hexadecimal.
    pub hash: String,
}

fn seconds<S: serde::Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(elapsed.as_secs_f64())
}

/// Why a restore stopped. Nothing is written when it does.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The database already has events.
    #[error("the database already holds {0} events: restore only into an empty one")]
    NotEmpty(i64),
    /// A line is not an exported event.
    #[error("line {line}: not an event of the export: {problem}")]
    Line { line: u64, problem: String },
    /// A line does not follow the previous one in safe order.
    #[error(
        "line {line}: position {position} (transaction {tx_id}) does not follow the previous \
         line in safe order: the export is out of order or spliced"
    )]
    OutOfOrder {
        line: u64,
        position: i64,
        tx_id: i64,
    },
    /// The chain breaks: the event, or one before it, is not what was sealed.
    #[error(
        "line {line}: the chain breaks at position {position}: the export says {exported}, its \
         events give {computed}; this event or one before it was altered, removed or inserted"
    )]
    Chain {
        line: u64,
        position: i64,
        exported: String,
        computed: String,
    },
    /// The cluster's transaction counter is too far behind the export's.
    #[error(
        "the export's last transaction id is {last}, this cluster's counter is at {next}: more \
         than {MAX_ADVANCE} behind; on a new, stopped cluster run `pg_resetwal -x {target}` \
         (and `-e` for the epoch: {epoch}) then restore again"
    )]
    CounterBehind {
        last: i64,
        next: i64,
        target: i64,
        epoch: i64,
    },
    /// The rebuilt chain does not end at the export's last link.
    #[error("the rebuilt seal ends at {rebuilt:?}, the export at {exported:?}")]
    SealDiffers {
        rebuilt: Option<RestoredHead>,
        exported: Option<RestoredHead>,
    },
    /// The file could not be read.
    #[error("cannot read the export: {0}")]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A read model could not be rebuilt.
    #[error("rebuilding the read models: {0}")]
    Projection(#[from] projections::ProjectionError),
}

/// One line of the export, its payload and metadata kept as their exact texts.
#[derive(Deserialize)]
struct Line<'a> {
    position: i64,
    tx_id: i64,
    #[serde(borrow)]
    aggregate: Aggregate<'a>,
    sequence: i64,
    #[serde(rename = "type")]
    event_type: &'a str,
    version: &'a str,
    #[serde(borrow)]
    payload: &'a RawValue,
    #[serde(borrow)]
    metadata: &'a RawValue,
    recorded_at: DateTime<Utc>,
    hash: Option<&'a str>,
}

#[derive(Deserialize)]
struct Aggregate<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
}

/// What the reading thread found, besides the rows it sent.
struct Read {
    events: u64,
    links_checked: u64,
    bytes: u64,
    last: Option<(i64, i64, Hash)>,
}

/// Restores `file` into the database behind `pool` (migrated and empty) and rebuilds every read
/// model; `processes` are the process managers and the notifier, which start at the end.
pub async fn restore(
    pool: &PgPool,
    file: &Path,
    processes: &[Arc<dyn Projection>],
    show_progress: bool,
) -> Result<RestoreReport, RestoreError> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    // One restore at a time, and no node appending meanwhile: the events table is locked
    // against other writers until the restore commits.
    sqlx::query("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Err(RestoreError::NotEmpty(existing));
    }
    // The log's key and indexes are built once after the load rather than row by row during
    // it, in the same transaction: a restore that fails or is killed rolls back to the empty
    // table with its key and indexes, as if it had never begun.
    let rebuild_keys = without_keys(&mut tx, "events").await?;
    let (send, mut receive) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let path = file.to_path_buf();
    let reader = tokio::task::spawn_blocking(move || read_export(&path, &send));
    while let Some(chunk) = receive.recv().await {
        let mut copy = tx
            .copy_in_raw(
                "COPY events (global_position, tx_id, aggregate_type, aggregate_id, sequence,
                              event_type, event_version, payload, metadata, recorded_at)
                 FROM STDIN",
            )
            .await?;
        copy.send(chunk).await?;
        copy.finish().await?;
    }
    let read = reader
        .await
        .map_err(|error| RestoreError::Io(std::io::Error::other(error.to_string())))??;
    for statement in rebuild_keys {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    let mut advanced = 0;
    if let Some((position, tx_id, _)) = read.last {
        // The next append goes after the highest position, which need not be the last line's:
        // transactions committing at once interleave their positions, and the export is in the
        // safe order (by transaction first).
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('events', 'global_position'),
                           (SELECT max(global_position) FROM events))",
        )
        .execute(&mut *tx)
        .await?;
        for process in processes {
            sqlx::query(
                "INSERT INTO projection_checkpoints (name, tx_id, position, version, events)
                 VALUES ($1, $2::text::xid8, $3, $4, 0)
                 ON CONFLICT (name) DO UPDATE
                    SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position,
                        version = EXCLUDED.version, events = 0, updated_at = now()",
            )
            .bind(process.name())
            .bind(tx_id.to_string())
            .bind(position)
            .bind(process.version())
            .execute(&mut *tx)
            .await?;
        }
        advanced = advance_counter_past(pool, tx_id).await?;
    }
    tx.commit().await?;
    let load = started.elapsed();
    let exported = read.last.map(|(position, _, hash)| RestoredHead {
        position,
        hash: seal::to_hex(&hash),
    });
    let rebuilding = Instant::now();
    crate::cli::rebuild::rebuild(pool, &projections::all(), REBUILD_BATCH, show_progress).await?;
    let rebuild = rebuilding.elapsed();
    let rebuilt = seal::head(pool).await?.map(|(link, _)| RestoredHead {
        position: link.at.position,
        hash: seal::to_hex(&link.hash),
    });
    // An export whose last events were not sealed yet ends before the rebuilt chain does.
    let sealed_to_end = read.links_checked == read.events;
    if sealed_to_end && rebuilt != exported {
        return Err(RestoreError::SealDiffers { rebuilt, exported });
    }
    #[expect(clippy::as_conversions, reason = "rates for people to read")]
    let (events_per_second, load_events_per_second) = (
        read.events as f64 / started.elapsed().as_secs_f64().max(f64::EPSILON),
        read.events as f64 / load.as_secs_f64().max(f64::EPSILON),
    );
    Ok(RestoreReport {
        events: read.events,
        links_checked: read.links_checked,
        bytes: read.bytes,
        head: rebuilt,
        transaction_ids_advanced: advanced,
        load,
        rebuild,
        events_per_second,
        load_events_per_second,
    })
}

/// Drops `table`'s key, unique constraints and indexes inside `tx` (which must hold a lock that
/// keeps everyone else off the table) and returns the statements that build them again, as
/// PostgreSQL itself describes them: keys and constraints first, then the other indexes.
async fn without_keys(
    tx: &mut sqlx::PgConnection,
    table: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let constraints: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conrelid = $1::regclass AND contype IN ('p', 'u') ORDER BY conname",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::regclass
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          ORDER BY c.relname",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await?;
    let mut build = Vec::with_capacity(constraints.len() + indexes.len());
    for (name, definition) in constraints {
        sqlx::query(&format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            quoted(table),
            quoted(&name)
        ))
        .execute(&mut *tx)
        .await?;
        build.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
            quoted(table),
            quoted(&name)
        ));
    }
    for (name, definition) in indexes {
        sqlx::query(&format!("DROP INDEX {}", quoted(&name)))
            .execute(&mut *tx)
            .await?;
        build.push(definition);
    }
    Ok(build)
}

/// `name` as a quoted SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads, checks and encodes the export on a blocking thread, sending `COPY` chunks.
fn read_export(
    path: &Path,
    send: &tokio::sync::mpsc::Sender<Vec<u8>>,
) -> Result<Read, RestoreError> {
    let file = std::fs::File::open(path)?;
    let mut lines = std::io::BufReader::with_capacity(1 << 20, file);
    let mut read = Read {
        events: 0,
        links_checked: 0,
        bytes: 0,
        last: None,
    };
    let mut prev = seal::GENESIS;
    let mut chunk = Vec::with_capacity(8 << 20);
    let mut in_chunk = 0;
    let mut text = String::new();
    let mut number = 0u64;
    loop {
        text.clear();
        let n = lines.read_line(&mut text)?;
        if n == 0 {
            break;
        }
        number += 1;
        read.bytes += u64::try_from(n).unwrap_or(u64::MAX);
        let trimmed = text.trim_end_matches(['\n', '\r']);
        if trimmed.is_empty() {
            continue;
        }
        let line: Line<'_> = serde_json::from_str(trimmed).map_err(|error| RestoreError::Line {
            line: number,
            problem: error.to_string(),
        })?;
        if let Some((position, tx_id, _)) = read.last
            && (line.tx_id, line.position) <= (tx_id, position)
        {
            return Err(RestoreError::OutOfOrder {
                line: number,
                position: line.position,
                tx_id: line.tx_id,
            });
        }
        let event = StoredEvent::from(ExportedEvent {
            position: line.position,
            tx_id: line.tx_id,
            aggregate_type: line.aggregate.kind.to_owned(),
            aggregate_id: line.aggregate.id.to_owned(),
            sequence: line.sequence,
            event_type: line.event_type.to_owned(),
            event_version: line.version.to_owned(),
            payload: line.payload.get().to_owned(),
            metadata: line.metadata.get().to_owned(),
            recorded_at: line.recorded_at,
        });
        let link = seal::link(&prev, &event);
        if let Some(exported) = line.hash {
            if seal::from_hex(exported) != Some(link) {
                return Err(RestoreError::Chain {
                    line: number,
                    position: line.position,
                    exported: exported.to_owned(),
                    computed: seal::to_hex(&link),
                });
            }
            read.links_checked += 1;
        }
        prev = link;
        read.last = Some((line.position, line.tx_id, link));
        read.events += 1;
        push_row(&mut chunk, &event);
        in_chunk += 1;
        if in_chunk == EVENTS_PER_COPY {
            if send.blocking_send(std::mem::take(&mut chunk)).is_err() {
                // The writer stopped on an error of its own, which it reports.
                return Ok(read);
            }
            in_chunk = 0;
        }
    }
    if !chunk.is_empty() {
        let _ = send.blocking_send(chunk);
    }
    Ok(read)
}

/// One row of `COPY`'s text format, in the statement's column order.
fn push_row(out: &mut Vec<u8>, event: &StoredEvent) {
    use std::io::Write as _;
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{}\t{}\t", event.position, event.tx_id);
    for text in [event.aggregate_type.as_str(), event.aggregate_id.as_str()] {
        push_field(out, text);
        out.push(b'\t');
    }
    let _ = write!(out, "{}\t", event.sequence);
    for text in [
        event.event_type.as_str(),
        event.event_version.as_str(),
        event.payload.as_str(),
        event.metadata.as_str(),
    ] {
        push_field(out, text);
        out.push(b'\t');
    }
    let _ = writeln!(
        out,
        "{}",
        event
            .recorded_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
}

/// COPY's text format: backslash escapes.
fn push_field(out: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
    }
}

/// Takes transaction ids until the cluster's next one is past `last`, so that the log reader's
/// safe order (`tx_id` below the oldest running transaction's) includes every restored event.
/// Returns how many were taken.
pub async fn advance_counter_past(pool: &PgPool, last: i64) -> Result<i64, RestoreError> {
    let mut conn = pool.acquire().await?;
    let next: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *conn)
        .await?;
    let needed = last - next + 1;
    if needed <= 0 {
        return Ok(0);
    }
    if needed > MAX_ADVANCE {
        let target = last + 1;
        return Err(RestoreError::CounterBehind {
            last,
            next,
            target: target & 0xFFFF_FFFF,
            epoch: target >> 32,
        });
    }
    sqlx::query("CREATE TEMPORARY TABLE IF NOT EXISTS billing_restore_ids (n int)")
        .execute(&mut *conn)
        .await?;
    let mut left = needed;
    while left > 0 {
        let take = left.min(IDS_PER_STATEMENT);
        // Each block is a subtransaction, and its insert gives it a transaction id of its own.
        sqlx::query(&format!(
            "DO $$ BEGIN
                 FOR i IN 1..{take} LOOP
                     BEGIN INSERT INTO billing_restore_ids VALUES (i);
                     EXCEPTION WHEN OTHERS THEN NULL; END;
                 END LOOP;
                 TRUNCATE billing_restore_ids;
             END $$"
        ))
        .execute(&mut *conn)
        .await?;
        left -= take;
    }
    sqlx::query("DROP TABLE billing_restore_ids")
        .execute(&mut *conn)
        .await?;
    Ok(needed)
}

/// `billing restore FILE`: prints the report as JSON.
pub async fn command(
    cli: &crate::cli::args::Cli,
    args: &crate::cli::args::RestoreArgs,
) -> anyhow::Result<()> {
    use crate::cli::database::{open_database, print_out};

    let database = open_database(cli).await?;
    let store = Arc::new(EventStore::new(
        database.pool.clone(),
        Arc::new(eventstore::clock::SystemClock),
    ));
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let processes = crate::usecases::process::all_stopping_on(store, stopped);
    let outcome = restore(&database.pool, &args.file, &processes, !args.quiet).await;
    database.close().await;
    let report = outcome?;
    print_out(&serde_json::to_string_pretty(&report)?);
    Ok(())
}
