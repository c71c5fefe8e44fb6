//! The projection engine: named consumers of the log, each with its own checkpoint.
//!
//! A worker step ([`try_project_batch`]) reads a batch in safe order, applies it to the
//! projection's tables and moves the checkpoint, all in one transaction, so each event takes effect
//! exactly once whatever crashes. A transaction-scoped advisory lock keeps one active worker per
//! projection across every node. [`run_until_stopped`] loops over the step, waking on
//! `LISTEN billing_events` and polling as a fallback.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use eventstore::log::{self, LogPosition, StoredEvent};
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;

use crate::ProjectionError;

mod assignment;
mod defer;
mod feed;
mod group;

pub use assignment::{Assignment, AssignmentError, DEFAULT_GROUPS, Group, Groups, RunGroups};
pub use defer::{build_deferred, deferred_count};
pub use feed::{Fed, Feed, FeedReport, feed};
pub use group::{GroupError, GroupStep, try_project_group};

/// A read model built from the log.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// The projection's name: its checkpoint row and its advisory lock.
    fn name(&self) -> &'static str;
    /// The version of the projection's code. Raising it rebuilds the read model from the start.
    fn version(&self) -> i32;
    /// The tables this projection owns, emptied before a rebuild.
    fn tables(&self) -> &'static [&'static str];
    /// Applies a batch of events, in log order, inside the worker's transaction. Events this
    /// projection does not care about are ignored. A projection with much traffic writes the
    /// batch with a few set-based statements rather than one statement per event.
    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError>;
    /// Whether the live worker must run this projection in a transaction of its own rather than
    /// in the one its read models share: a process manager runs commands while it holds its
    /// batch, which may take long and must not hold back the read models.
    fn runs_alone(&self) -> bool {
        false
    }
    /// Secondary indexes of its own tables that the read model goes without while it is built
    /// from the start of the log, built once it has caught up (`engine::defer`): neither keys nor
    /// unique indexes, and none that [`apply_batch`](Self::apply_batch) reads through.
    fn indexes_deferred(&self) -> &'static [&'static str] {
        &[]
    }

    /// Tables of its own that emptying the read model keeps when it is rebuilt at the version
    /// it was built with: their rows are checked against the log as it is applied again
    /// instead of being written again. The seal's chain (ADR 7, addendum): sealing a log again
    /// from the start would bless whatever was altered in it. A new version empties them.
    fn kept_on_rebuild(&self) -> &'static [&'static str] {
        &[]
    }

    /// What the read model can only check once it has applied every event the log holds, run
    /// when [`catch_up`] finds nothing more to read (a rebuild's end). The seal: that no link of
    /// the chain it kept lies past the last event, a sealed event gone from the log's end.
    async fn check_caught_up(&self, _pool: &PgPool) -> Result<(), ProjectionError> {
        Ok(())
    }
}

/// What one worker step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied this many events; there may be more.
    Processed(usize),
    /// Nothing to read: the projection has every event that can be read safely.
    CaughtUp,
    /// Another worker (on this or another node) holds the projection.
    Busy,
}

/// A projection's checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last event applied.
    pub at: LogPosition,
    /// The code version the read model was built with.
    pub version: i32,
    /// How many events have been applied since the last rebuild.
    pub events: i64,
}

/// Reads a projection's checkpoint, if it has one.
pub async fn checkpoint(
    executor: &mut PgConnection,
    name: &str,
) -> Result<Option<Checkpoint>, sqlx::Error> {
    let row: Option<(i64, i64, i32, i64)> = sqlx::query_as(
        "SELECT tx_id::text::bigint, position, version, events
           FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|(tx_id, position, version, events)| Checkpoint {
        at: LogPosition { tx_id, position },
        version,
        events,
    }))
}

/// Takes the projection's lock for the transaction (waiting for it, or not), and lets the
/// transaction commit without waiting for its WAL to reach the disk.
///
/// A read model is derived data: its durability is the log's. Should PostgreSQL crash, a
/// projection transaction that was committed but not yet flushed is lost whole, its checkpoint
/// with it, and the worker applies the same events again, so each still takes effect once. A
/// process manager's checkpoint lost that way reruns its steps, which are keyed. Without this,
/// every projection worker's commit was a disk flush competing with the commands' own.
async fn lock(tx: &mut PgConnection, name: &str, wait: bool) -> Result<bool, sqlx::Error> {
    let sql = if wait {
        "SELECT pg_advisory_xact_lock(hashtextextended('projection:' || $1, 0)) IS NOT NULL,
                set_config('synchronous_commit', 'off', true)"
    } else {
        "SELECT pg_try_advisory_xact_lock(hashtextextended('projection:' || $1, 0)),
                set_config('synchronous_commit', 'off', true)"
    };
    sqlx::query_scalar(sql).bind(name).fetch_one(tx).await
}

/// Empties the projection's tables (but those it keeps when rebuilt at the version it was built
/// with, [`Projection::kept_on_rebuild`]), drops the secondary indexes it can build once it has
/// caught up (`defer`), and puts its checkpoint at the start of the log with the code's version.
/// Runs inside the caller's transaction, which must hold the projection's lock.
async fn reset_in(tx: &mut PgConnection, projection: &dyn Projection) -> Result<(), sqlx::Error> {
    let same_version = checkpoint(&mut *tx, projection.name())
        .await?
        .is_some_and(|found| found.version == projection.version());
    let kept = if same_version {
        projection.kept_on_rebuild()
    } else {
        &[]
    };
    let tables: Vec<&str> = projection
        .tables()
        .iter()
        .copied()
        .filter(|table| !kept.contains(table))
        .collect();
    if !tables.is_empty() {
        sqlx::query(&format!("TRUNCATE {} RESTART IDENTITY", tables.join(", ")))
            .execute(&mut *tx)
            .await?;
    }
    defer::defer(tx, projection).await?;
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, tx_id, position, version, events, updated_at)
         VALUES ($1, '0', 0, $2, 0, now())
         ON CONFLICT (name) DO UPDATE
            SET tx_id = '0', position = 0, version = $2, events = 0, updated_at = now()",
    )
    .bind(projection.name())
    .bind(projection.version())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Empties a projection and moves it to the start of the log, waiting for its lock.
pub async fn reset(pool: &PgPool, projection: &dyn Projection) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, projection.name(), true).await?;
    reset_in(&mut tx, projection).await?;
    tx.commit().await?;
    Ok(())
}

/// One worker step: up to `batch_size` events applied and the checkpoint moved, atomically.
/// A projection whose stored version differs from its code's is rebuilt from the start.
pub async fn try_project_batch(
    pool: &PgPool,
    projection: &dyn Projection,
    batch_size: i64,
) -> Result<Outcome, ProjectionError> {
    let name = projection.name();
    let mut tx = pool.begin().await?;
    if !lock(&mut tx, name, false).await? {
        return Ok(Outcome::Busy);
    }
    let at = match checkpoint(&mut tx, name).await? {
        Some(found) if found.version == projection.version() => found.at,
        _ => {
            tracing::info!(
                projection = name,
                "building projection from the start of the log"
            );
            reset_in(&mut tx, projection).await?;
            LogPosition::default()
        }
    };
    let events = log::read_after(&mut *tx, at, batch_size).await?;
    let Some(last) = events.last() else {
        tx.commit().await?;
        return Ok(Outcome::CaughtUp);
    };
    let last_recorded = last.recorded_at;
    apply_and_commit(tx, projection, &events).await?;
    let lag = (Utc::now() - last_recorded).to_std().unwrap_or_default();
    metrics::histogram!("billing_projection_lag_seconds", "projection" => name)
        .record(lag.as_secs_f64());
    Ok(Outcome::Processed(events.len()))
}

/// Applies a non-empty batch, moves the checkpoint to its last event and commits: the one step
/// every way of feeding a projection ends with.
async fn apply_and_commit(
    tx: sqlx::Transaction<'_, sqlx::Postgres>,
    projection: &dyn Projection,
    events: &[StoredEvent],
) -> Result<(), ProjectionError> {
    apply_parts_and_commit(tx, projection, &[events]).await
}

/// Applies consecutive parts of the log one after the other, each followed by the checkpoint
/// moved to its last event (so a part reads what the parts before it wrote, and the checkpoint's
/// count of events, as applying one part at a time would), and commits them all at once.
async fn apply_parts_and_commit(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    projection: &dyn Projection,
    parts: &[&[StoredEvent]],
) -> Result<(), ProjectionError> {
    let name = projection.name();
    let mut applied = 0;
    for events in parts {
        let Some(last) = events.last() else {
            continue;
        };
        let last_at = last.log_position();
        let started = std::time::Instant::now();
        projection.apply_batch(&mut tx, events).await?;
        record_applying(name, started.elapsed());
        sqlx::query(
            "UPDATE projection_checkpoints
                SET tx_id = $2::bigint::text::xid8, position = $3, events = events + $4,
                    updated_at = now()
              WHERE name = $1",
        )
        .bind(name)
        .bind(last_at.tx_id)
        .bind(last_at.position)
        .bind(i64::try_from(events.len()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
        applied += events.len();
    }
    tx.commit().await?;
    metrics::counter!("billing_projected_events_total", "projection" => name)
        .increment(u64::try_from(applied).unwrap_or(u64::MAX));
    Ok(())
}

/// Counts the time a read model took to apply a batch (its statements and its CPU, not the
/// commit): `billing_projection_apply_microseconds_total`, per read model, is where each event's cost
/// goes, which `billing bench` prints.
fn record_applying(name: &'static str, took: Duration) {
    metrics::counter!("billing_projection_apply_microseconds_total", "projection" => name)
        .increment(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
}

/// Applies `events`, read by the caller in safe order right after `from`, to `projection` and
/// moves its checkpoint, in one transaction, provided the projection's checkpoint is at `from`
/// with the code's version. Returns false, having changed nothing, when it is not (another worker
/// moved it) or when another worker holds the projection. This is how a rebuild reads the log
/// once for every projection instead of once per projection.
pub async fn apply_read(
    pool: &PgPool,
    projection: &dyn Projection,
    from: LogPosition,
    events: &[StoredEvent],
) -> Result<bool, ProjectionError> {
    apply_read_parts(pool, projection, from, &[events]).await
}

/// [`apply_read`] of several consecutive parts of the log (the first right after `from`, each
/// next right after the one before), in one transaction: what a read model behind the reader by
/// a few batches applies at once, one commit, lock and checkpoint check for them all.
pub async fn apply_read_parts(
    pool: &PgPool,
    projection: &dyn Projection,
    from: LogPosition,
    parts: &[&[StoredEvent]],
) -> Result<bool, ProjectionError> {
    if parts.iter().all(|part| part.is_empty()) {
        return Ok(true);
    }
    let name = projection.name();
    let mut tx = pool.begin().await?;
    if !lock(&mut tx, name, false).await? {
        return Ok(false);
    }
    match checkpoint(&mut tx, name).await? {
        Some(found) if found.version == projection.version() && found.at == from => {}
        _ => return Ok(false),
    }
    apply_parts_and_commit(tx, projection, parts).await?;
    Ok(true)
}

/// Runs steps until the projection is caught up, then builds the indexes it went without while
/// it was behind (if it was emptied); returns how many events were applied.
pub async fn catch_up(
    pool: &PgPool,
    projection: &dyn Projection,
    batch_size: i64,
) -> Result<u64, ProjectionError> {
    let mut applied = 0u64;
    loop {
        match try_project_batch(pool, projection, batch_size).await? {
            Outcome::Processed(n) => applied += u64::try_from(n).unwrap_or(u64::MAX),
            Outcome::CaughtUp => {
                projection.check_caught_up(pool).await?;
                build_deferred(pool, &[projection.name()], true).await?;
                return Ok(applied);
            }
            Outcome::Busy => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// How the worker loop behaves.
#[derive(Debug, Clone, Copy)]
pub struct WorkerConfig {
    /// Events per transaction.
    pub batch_size: i64,
    /// How long a caught-up worker sleeps when no notification comes.
    pub poll_interval: Duration,
    /// After a batch smaller than `batch_size`, how long to let events gather before the next
    /// one. Under load this turns many one-event transactions into a few large ones; it adds at
    /// most this much to the projection lag. With 18 read models, 4 process managers and the
    /// notifier each running its own worker, 10 ms let every worker run up to 100 small
    /// transactions a second under load, which took more CPU than the commands themselves, and
    /// 50 ms was chosen. Since the read models share one worker (ADR 10), 20 ms: at a fixed
    /// 1,000 PostPayments/s the lag's p99 fell from 246 to 173 ms at the same throughput. Since
    /// a group step applies its read models in two transactions at once (about half the time),
    /// 60 ms: at 64 callers the read side's CPU per payment fell from about 246 to 109 µs, and
    /// the lag's p99 stayed at about 150 ms (BENCHMARKS.md, issue 16, third step).
    pub gather: Duration,
    /// The same for a worker that runs alone (a process manager): its work is commands that no
    /// client's read waits on, and each of its steps reads the log again, so it gathers longer.
    pub gather_alone: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            poll_interval: Duration::from_millis(500),
            gather: Duration::from_millis(60),
            gather_alone: Duration::from_millis(100),
        }
    }
}

/// Progress of this process's workers, so that queries can wait for their read model to reach a
/// position without polling the database in a tight loop.
#[derive(Clone)]
pub struct Progress {
    ticks: watch::Sender<u64>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            ticks: watch::channel(0).0,
        }
    }
}

impl Progress {
    /// Signals that some checkpoint moved.
    pub fn bump(&self) {
        self.ticks.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes whenever a checkpoint moves in this process.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.ticks.subscribe()
    }
}

/// Runs the projections until `stop` turns true as one group: the read models together in one
/// group worker (one reader, and the read models dealt over two transactions applied at once, see
/// [`try_project_group`]) and each projection that [runs alone](Projection::runs_alone) in a
/// worker of its own. See [`run_groups_until_stopped`].
pub async fn run_until_stopped(
    pool: PgPool,
    projections: Vec<Arc<dyn Projection>>,
    config: WorkerConfig,
    progress: Progress,
    stop: watch::Receiver<bool>,
) {
    let group = Group {
        name: "default".to_owned(),
        members: projections,
    };
    run_groups_until_stopped(pool, vec![group], config, progress, stop).await;
}

/// Runs the workers of `groups` until `stop` turns true: for each group, its read models together
/// in one group worker and each of its projections that [runs alone](Projection::runs_alone) in a
/// worker of its own (ADR 35: which groups a node runs is configuration; the locks keep one
/// worker per projection across nodes). Workers wake on `LISTEN billing_events` (one listener
/// for all, sent after each appending commit) and poll every `poll_interval` in case a
/// notification is lost; any error is logged and retried with a backoff.
pub async fn run_groups_until_stopped(
    pool: PgPool,
    groups: Vec<Group>,
    config: WorkerConfig,
    progress: Progress,
    mut stop: watch::Receiver<bool>,
) {
    let (wake_tx, wake_rx) = watch::channel(0u64);
    // A JoinSet aborts its tasks when dropped: if this future is dropped (its task aborted, its
    // runtime gone), no worker goes on alone.
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(listen(pool.clone(), wake_tx, stop.clone()));
    for group in groups {
        let (alone, together): (Vec<_>, Vec<_>) = group
            .members
            .into_iter()
            .partition(|projection| projection.runs_alone());
        if !together.is_empty() {
            tracing::info!(
                group = %group.name,
                read_models = together.len(),
                "running the group's read models"
            );
            tasks.spawn(group::work_group(
                pool.clone(),
                together,
                config,
                progress.clone(),
                wake_rx.clone(),
                stop.clone(),
            ));
        }
        for projection in alone {
            tasks.spawn(work(
                pool.clone(),
                projection,
                config,
                progress.clone(),
                wake_rx.clone(),
                stop.clone(),
            ));
        }
    }
    let _ = stop.wait_for(|stopped| *stopped).await;
    while tasks.join_next().await.is_some() {}
}

async fn work(
    pool: PgPool,
    projection: Arc<dyn Projection>,
    config: WorkerConfig,
    progress: Progress,
    mut wake: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
) {
    let name = projection.name();
    let mut backoff = Duration::from_millis(100);
    let mut backlog_recorded: Option<tokio::time::Instant> = None;
    let mut indexes_deferred = true;
    while !*stop.borrow() {
        // Mark the current wake-up as seen before reading, so a notification that arrives while
        // the batch runs is not lost.
        wake.borrow_and_update();
        match try_project_batch(&pool, projection.as_ref(), config.batch_size).await {
            Ok(Outcome::Processed(n)) => {
                backoff = Duration::from_millis(100);
                progress.bump();
                indexes_deferred |= i64::try_from(n).unwrap_or(i64::MAX) >= config.batch_size;
                if i64::try_from(n).unwrap_or(i64::MAX) < config.batch_size {
                    tokio::time::sleep(config.gather_alone).await;
                }
            }
            Ok(Outcome::CaughtUp) => {
                backoff = Duration::from_millis(100);
                if indexes_deferred {
                    match build_deferred(&pool, &[name], false).await {
                        Ok((_, left)) => indexes_deferred = left > 0,
                        Err(error) => {
                            tracing::warn!(projection = name, %error,
                                "cannot build deferred indexes; retrying");
                        }
                    }
                }
                if backlog_recorded.is_none_or(|at| at.elapsed() >= BACKLOG_EVERY) {
                    group::record_backlogs(&pool, &[name]).await;
                    backlog_recorded = Some(tokio::time::Instant::now());
                }
                let _ = tokio::time::timeout(config.poll_interval, wake.changed()).await;
            }
            Ok(Outcome::Busy) => {
                tokio::time::sleep(config.poll_interval).await;
            }
            Err(error) => {
                tracing::warn!(projection = name, %error, "projection step failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// How often a caught-up worker counts its backlog. The count reads every event beyond the
/// checkpoint; run at each wake-up under load, it took a fifth of the database's time.
const BACKLOG_EVERY: Duration = Duration::from_secs(1);

async fn listen(pool: PgPool, wake: watch::Sender<u64>, stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    while !*stop.borrow() {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot LISTEN for new events; polling meanwhile");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(error) = listener.listen("billing_events").await {
            tracing::warn!(%error, "cannot LISTEN for new events; polling meanwhile");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(100);
        let mut stop = stop.clone();
        loop {
            tokio::select! {
                received = listener.recv() => match received {
                    Ok(_) => wake.send_modify(|n| *n = n.wrapping_add(1)),
                    Err(error) => {
                        tracing::warn!(%error, "LISTEN connection lost; reconnecting");
                        // Events may have been missed while the connection was down.
                        wake.send_modify(|n| *n = n.wrapping_add(1));
                        break;
                    }
                },
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }
}

/// Waits until `projection` has applied the event at global `position`, or `timeout` passes.
/// Returns whether it got there.
pub async fn wait_for_position(
    pool: &PgPool,
    progress: &Progress,
    projection: &str,
    position: i64,
    timeout: Duration,
) -> Result<bool, ProjectionError> {
    wait_for_position_or_stop(pool, progress, projection, position, timeout, None).await
}

/// Like [`wait_for_position`], but also gives up (returning `false`) as soon as `stop` turns
/// true: a process manager waiting for a read model whose worker stops with it would otherwise
/// hold the shutdown for the whole `timeout`.
pub async fn wait_for_position_or_stop(
    pool: &PgPool,
    progress: &Progress,
    projection: &str,
    position: i64,
    timeout: Duration,
    stop: Option<&watch::Receiver<bool>>,
) -> Result<bool, ProjectionError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut ticks = progress.subscribe();
    let mut stop = stop.cloned();
    let mut target = None;
    loop {
        ticks.borrow_and_update();
        if stop.as_ref().is_some_and(|stop| *stop.borrow()) {
            return Ok(false);
        }
        let mut conn = pool.acquire().await?;
        if target.is_none() {
            target = log::log_position_of(&mut *conn, position).await?;
        }
        if let Some(target) = target
            && let Some(found) = checkpoint(&mut conn, projection).await?
            && found.at >= target
        {
            return Ok(true);
        }
        drop(conn);
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        // Another node's worker moves the checkpoint without telling this process: poll too.
        let nap = (deadline - now).min(Duration::from_millis(25));
        tokio::select! {
            _ = tokio::time::timeout(nap, ticks.changed()) => {}
            _ = stopped(stop.as_mut()) => return Ok(false),
        }
    }
}

/// Resolves when `stop` turns true; never when there is none or its sender is gone (nobody can
/// stop it any more).
pub async fn stopped(stop: Option<&mut watch::Receiver<bool>>) {
    if let Some(stop) = stop
        && stop.wait_for(|stopped| *stopped).await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

/// Checkpoints of every projection by name.
pub async fn checkpoints(pool: &PgPool) -> Result<HashMap<String, Checkpoint>, sqlx::Error> {
    let rows: Vec<(String, i64, i64, i32, i64)> = sqlx::query_as(
        "SELECT name, tx_id::text::bigint, position, version, events FROM projection_checkpoints",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, tx_id, position, version, events)| {
            (
                name,
                Checkpoint {
                    at: LogPosition { tx_id, position },
                    version,
                    events,
                },
            )
        })
        .collect())
}
