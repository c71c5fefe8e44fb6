//! Group commit: the appends of many commands, on different aggregates, written by one statement
//! in one transaction, so that one commit (one WAL flush) acknowledges them all.
//!
//! A command's append is a unit: its events, its keys, its snapshot and the secret it sets
//! (`credentials`, ADR 11) are written together or not at all. Commands wait in a queue; a few writer tasks each take whatever is queued (up to a
//! limit), write it with [`APPEND_BATCH`] and answer every waiting command. Nothing is answered
//! before its transaction commits, so an acknowledged command is never lost. There is no timer:
//! a lone command is written at once, and under load commands queue while a batch commits, which
//! is what makes the next batch large (ADR 8).
//!
//! A batch that fails as a whole (a sequence another node took, a key another transaction just
//! took, a deadlock between two batches' keys) is written again one command at a time, so that
//! each command gets its own outcome and the others are not held back by it. A key that was
//! already committed is found by the statement itself and fails nothing.
//!
//! The callers hold each aggregate's in-process lock until their append is answered, so one
//! aggregate appears at most once in a batch.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::StoreError;
use crate::store::{CommandKey, Credential};

/// One event row of an append, serialized.
pub(crate) struct EventRow {
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
}

/// A snapshot to write with an append.
pub(crate) struct SnapshotRow {
    pub state_version: i32,
    pub last_sequence: i64,
    pub payload: String,
}

/// What one command asks to write.
pub(crate) struct Append {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    /// The aggregate's last global position before the append: the answer when the command
    /// writes only keys.
    pub position: i64,
    pub events: Vec<EventRow>,
    /// The keys, each with the sequence of the last event of the command it belongs to (the
    /// aggregate's last sequence before the append for a command that wrote no event): its
    /// position is that event's. One append may carry several commands on its aggregate.
    pub keys: Vec<(CommandKey, i64)>,
    pub snapshot: Option<SnapshotRow>,
    /// The secret the append sets for its aggregate, with the sequence of the event of the
    /// command that set it (ADR 11).
    pub credential: Option<(Credential, i64)>,
}

/// The outcome of one command's append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Appended {
    /// Written; the global position of its last event (or the aggregate's, without events),
    /// and that of each of its events in order.
    Written { position: i64, positions: Vec<i64> },
    /// Another writer appended to the aggregate first; nothing was written.
    Conflict,
    /// One of the keys was used before; nothing was written.
    KeyTaken,
}

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

/// The queue of appends and the writer tasks that drain it. The writers end when the queue is
/// dropped (with the store) and what it holds is written.
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<(Append, Reply)>,
}

impl GroupCommit {
    /// Starts `writers` writer tasks over `pool`, each writing at most `max_batch` commands per
    /// transaction. Must be called inside a Tokio runtime.
    pub(crate) fn start(pool: PgPool, writers: usize, max_batch: usize) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_batches(
                pool.clone(),
                Arc::clone(&receiver),
                max_batch.max(1),
            ));
        }
        Self { queue }
    }

    /// Queues `append` and waits until it is committed or refused.
    pub(crate) async fn append(&self, append: Append) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((append, reply))
            .map_err(|_| StoreError::Repository("the group commit writers stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| StoreError::Repository("a group commit writer stopped".to_owned()))?
    }
}

/// Writes `appends` now, in statements of at most `max_batch` commands each, bypassing the
/// queue, and returns each one's outcome in order: for a caller that gathered many commands' appends
/// itself (a batch of commands on different aggregates, [`crate::EventStore::execute_batch`]).
/// A statement that fails as a whole is written again one command at a time, as a queued batch is.
pub(crate) async fn write_now(
    pool: &PgPool,
    appends: Vec<Append>,
    max_batch: usize,
) -> Vec<Result<Appended, StoreError>> {
    let mut outcomes = Vec::with_capacity(appends.len());
    let mut appends = appends.into_iter().peekable();
    while appends.peek().is_some() {
        let chunk: Vec<Append> = appends.by_ref().take(max_batch.max(1)).collect();
        metrics::histogram!("billing_group_commit_commands")
            .record(u32::try_from(chunk.len()).map_or(f64::MAX, f64::from));
        let (replies, answers): (Vec<Reply>, Vec<_>) =
            chunk.iter().map(|_| oneshot::channel()).unzip();
        write_and_answer(pool, chunk, replies).await;
        for answer in answers {
            outcomes.push(answer.await.unwrap_or_else(|_| {
                Err(StoreError::Repository(
                    "a group commit writer stopped".to_owned(),
                ))
            }));
        }
    }
    wake_projections(pool).await;
    outcomes
}

/// One writer: takes what is queued, writes it, answers, again, until the queue closes.
async fn write_batches(
    pool: PgPool,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<(Append, Reply)>>>,
    max_batch: usize,
) {
    loop {
        let batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        metrics::histogram!("billing_group_commit_commands")
            .record(u32::try_from(batch.len()).map_or(f64::MAX, f64::from));
        let (appends, replies): (Vec<Append>, Vec<Reply>) = batch.into_iter().unzip();
        write_and_answer(&pool, appends, replies).await;
        wake_projections(&pool).await;
    }
}

/// Tells the projection workers of every node that the log grew. Sent in a transaction of its
/// own after the appends committed: a NOTIFY inside the appending transaction would hold
/// PostgreSQL's global notify lock through the commit's WAL flush and so let no two batches
/// flush together. A lost wake-up (this fails, the process dies first) costs the workers at most
/// their poll interval.
pub async fn wake_projections<'e>(executor: impl sqlx::PgExecutor<'e>) {
    if let Err(error) = sqlx::query("SELECT pg_notify('billing_events', '')")
        .execute(executor)
        .await
    {
        tracing::debug!(%error, "could not wake the projection workers; they poll");
    }
}

/// Writes one batch and answers each of its commands.
async fn write_and_answer(pool: &PgPool, appends: Vec<Append>, replies: Vec<Reply>) {
    match write(pool, &appends).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(error) if appends.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(classify(error));
            }
        }
        Err(_) => {
            // Each command again on its own, at once: each gets its own outcome.
            metrics::counter!("billing_group_commit_split_total").increment(1);
            let mut singles = tokio::task::JoinSet::new();
            for (append, reply) in appends.into_iter().zip(replies) {
                let pool = pool.clone();
                singles.spawn(async move {
                    let outcome = match write(&pool, std::slice::from_ref(&append)).await {
                        Ok(outcomes) => {
                            Ok(outcomes.into_iter().next().unwrap_or(Appended::Conflict))
                        }
                        Err(error) => classify(error),
                    };
                    let _ = reply.send(outcome);
                });
            }
            while singles.join_next().await.is_some() {}
        }
    }
}

/// A refusal of one command's append by a unique key is its outcome; anything else an error.
fn classify(error: sqlx::Error) -> Result<Appended, StoreError> {
    if is_unique_violation(&error, "events_pkey") {
        Ok(Appended::Conflict)
    } else if is_unique_violation(&error, "command_keys_pkey") {
        Ok(Appended::KeyTaken)
    } else {
        Err(error.into())
    }
}

fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation() && e.constraint() == Some(constraint))
}

/// Writes `appends` with one statement, so in one transaction, and returns each one's outcome
/// in order. A command with a key that was already committed is `KeyTaken` and writes nothing;
/// any other unique violation fails the whole statement.
async fn write(pool: &PgPool, appends: &[Append]) -> Result<Vec<Appended>, sqlx::Error> {
    let mut types = Vec::with_capacity(appends.len());
    let mut ids = Vec::with_capacity(appends.len());
    let mut positions = Vec::with_capacity(appends.len());
    let mut event_commands = Vec::new();
    let mut sequences = Vec::new();
    let mut event_types = Vec::new();
    let mut versions = Vec::new();
    let mut payloads = Vec::new();
    let mut metadatas = Vec::new();
    let mut key_commands = Vec::new();
    let mut scopes = Vec::new();
    let mut keys = Vec::new();
    let mut fingerprints = Vec::new();
    let mut answers = Vec::new();
    let mut key_sequences = Vec::new();
    let mut snapshot_commands = Vec::new();
    let mut state_versions = Vec::new();
    let mut last_sequences = Vec::new();
    let mut states = Vec::new();
    let mut credential_commands = Vec::new();
    let mut credential_kinds = Vec::new();
    let mut credential_secrets = Vec::new();
    let mut credential_sequences = Vec::new();
    for (index, append) in (1_i32..).zip(appends) {
        types.push(append.aggregate_type);
        ids.push(append.aggregate_id.as_str());
        positions.push(append.position);
        for event in &append.events {
            event_commands.push(index);
            sequences.push(event.sequence);
            event_types.push(event.event_type.as_str());
            versions.push(event.event_version.as_str());
            payloads.push(event.payload.as_str());
            metadatas.push(event.metadata.as_str());
        }
        for (key, sequence) in &append.keys {
            key_commands.push(index);
            scopes.push(key.scope.as_str());
            keys.push(key.key.as_str());
            fingerprints.push(key.fingerprint.as_slice());
            answers.push(key.answer.to_string());
            key_sequences.push(*sequence);
        }
        if let Some(snapshot) = &append.snapshot {
            snapshot_commands.push(index);
            state_versions.push(snapshot.state_version);
            last_sequences.push(snapshot.last_sequence);
            states.push(snapshot.payload.as_str());
        }
        if let Some((credential, sequence)) = &append.credential {
            credential_commands.push(index);
            credential_kinds.push(credential.kind);
            credential_secrets.push(credential.secret.as_str());
            credential_sequences.push(*sequence);
        }
    }
    let rows: Vec<(i64, i64, bool, Vec<i64>)> = sqlx::query_as(APPEND_BATCH)
        .bind(&types)
        .bind(&ids)
        .bind(&positions)
        .bind(&event_commands)
        .bind(&sequences)
        .bind(&event_types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadatas)
        .bind(&key_commands)
        .bind(&scopes)
        .bind(&keys)
        .bind(&fingerprints)
        .bind(&answers)
        .bind(&snapshot_commands)
        .bind(&state_versions)
        .bind(&last_sequences)
        .bind(&states)
        .bind(&key_sequences)
        .bind(&credential_commands)
        .bind(&credential_kinds)
        .bind(&credential_secrets)
        .bind(&credential_sequences)
        .fetch_all(pool)
        .await?;
    let mut outcomes = vec![Appended::Conflict; appends.len()];
    for (index, position, taken, positions) in rows {
        let slot = usize::try_from(index - 1)
            .ok()
            .and_then(|i| outcomes.get_mut(i));
        if let Some(slot) = slot {
            *slot = if taken {
                Appended::KeyTaken
            } else {
                Appended::Written {
                    position,
                    positions,
                }
            };
        }
    }
    Ok(outcomes)
}

/// The batch append. Commands are numbered from 1 by their place in `$1..$3`; events, keys and
/// snapshots name their command by that number. `taken` are the commands with a key committed
/// before (they write nothing); the others write their events (in their order, so global
/// positions follow sequences), their keys at the position of the event with the key's sequence
/// (`$19`; the command's position before the append if it wrote none), and their snapshot. One
/// row per command: its number, its position, whether a key was taken, and the positions of its
/// events in sequence order. A command that sets a secret (`$20..$23`: command, kind, secret,
/// the sequence of its event) writes it to `credentials` in the same statement, so an event
/// never commits without its secret nor a secret without its event (ADR 11).
const APPEND_BATCH: &str = "
WITH commands AS (
    SELECT c.n::int AS n, c.t, c.i, c.pos
      FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS c(t, i, pos, n)),
 taken AS (
    SELECT DISTINCT k.c AS n
      FROM unnest($10::int[], $11::text[], $12::text[]) AS k(c, scope, key)
      JOIN command_keys USING (scope, key)),
 appended AS (
    INSERT INTO events
        (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    SELECT commands.t, commands.i, e.s, e.et, e.v, e.p::json, e.m::json
      FROM unnest($4::int[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
           WITH ORDINALITY AS e(c, s, et, v, p, m, o)
      JOIN commands ON commands.n = e.c
     WHERE e.c NOT IN (SELECT n FROM taken)
     ORDER BY e.o
    RETURNING aggregate_type, aggregate_id, sequence, global_position),
 last AS (
    SELECT commands.n, commands.t, commands.i,
           coalesce(max(appended.global_position), commands.pos) AS position
      FROM commands
      LEFT JOIN appended
        ON appended.aggregate_type = commands.t AND appended.aggregate_id = commands.i
     WHERE commands.n NOT IN (SELECT n FROM taken)
     GROUP BY commands.n, commands.t, commands.i, commands.pos),
 keyed AS (
    INSERT INTO command_keys
        (scope, key, fingerprint, aggregate_type, aggregate_id, position, answer)
    SELECT k.scope, k.key, k.fingerprint, last.t, last.i,
           coalesce((SELECT appended.global_position FROM appended
                      WHERE appended.aggregate_type = last.t AND appended.aggregate_id = last.i
                        AND appended.sequence = k.s),
                    (SELECT commands.pos FROM commands WHERE commands.n = last.n)),
           k.answer::json
      FROM unnest($10::int[], $11::text[], $12::text[], $13::bytea[], $14::text[], $19::bigint[])
           AS k(c, scope, key, fingerprint, answer, s)
      JOIN last ON last.n = k.c),
 snapshot AS (
    INSERT INTO aggregate_snapshots
        (aggregate_type, aggregate_id, state_version, last_sequence, last_position, payload)
    SELECT last.t, last.i, s.v, s.q, last.position, s.p::json
      FROM unnest($15::int[], $16::int[], $17::bigint[], $18::text[]) AS s(c, v, q, p)
      JOIN last ON last.n = s.c
    ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
       SET state_version = excluded.state_version,
           last_sequence = excluded.last_sequence,
           last_position = excluded.last_position,
           payload = excluded.payload
     WHERE aggregate_snapshots.last_sequence < excluded.last_sequence
        OR aggregate_snapshots.state_version <> excluded.state_version),
 credentialed AS (
    INSERT INTO credentials (aggregate_type, aggregate_id, kind, secret, sequence)
    SELECT last.t, last.i, c.k, c.s, c.q
      FROM unnest($20::int[], $21::text[], $22::text[], $23::bigint[]) AS c(c, k, s, q)
      JOIN last ON last.n = c.c
    ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
       SET kind = excluded.kind, secret = excluded.secret, sequence = excluded.sequence
     WHERE credentials.sequence < excluded.sequence)
SELECT last.n::bigint, last.position, false,
       coalesce((SELECT array_agg(appended.global_position ORDER BY appended.sequence)
                   FROM appended
                  WHERE appended.aggregate_type = last.t AND appended.aggregate_id = last.i),
                '{}')
  FROM last
UNION ALL
SELECT n::bigint, 0::bigint, true, '{}'::bigint[] FROM taken";
