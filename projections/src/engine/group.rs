//! The live worker of the read models: one reader, and the read models applied in two
//! transactions at once.
//!
//! Run alone, each read model's worker read the log, parsed it and committed on its own: under
//! load, 18 read models made 18 readers of the same events and 18 small transactions per batch,
//! which took more of the machine's two cores than the commands did. A group step instead takes
//! the lock of every read model it can, reads the log once from the oldest of their checkpoints,
//! gives each read model the part of the batch after its own checkpoint, and moves each
//! checkpoint in the transaction that wrote the read model's rows. Each event still takes effect
//! exactly once per read model, whatever crashes, because each checkpoint is read under its lock
//! and moved with its rows. The read models are dealt over [`GROUP_PARTS`] transactions, each on
//! a connection of its own, applied at the same time (ADR 10, third addendum).
//!
//! A read model that fails leaves the group, so that one bad projection does not hold back the
//! others: it is retried alone with a backoff and comes back once a step of its own succeeds.
//!
//! A group step is cheap when the read models are caught up and slow when they are behind (each
//! part applies its read models one after the other). A step that comes back full hands over to
//! [`catch_up_together`], which applies larger batches the way the rebuild does until a batch
//! comes back short (ADR 10, addendum). Read models a whole batch behind the others (a new
//! version rebuilding from the start) leave the group and are caught up together the same way,
//! a few batches between two group steps, so the others are neither read through the whole log
//! again nor held back long.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use eventstore::log::{self, LogPosition, StoredEvent};
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::time::Instant;

use super::feed::{Feed, feed};
use super::{
    BACKLOG_EVERY, Outcome, Progress, Projection, WorkerConfig, checkpoints, reset_in,
    try_project_batch,
};
use crate::ProjectionError;

/// What one group step did.
#[derive(Debug, Default)]
pub struct GroupStep {
    /// How many read models this step held; the others are held by another worker.
    pub held: usize,
    /// How many events were read from the log (0: every held read model is caught up).
    pub read: usize,
    /// Read models a whole batch behind the others, which should catch up on their own.
    pub behind: Vec<&'static str>,
}

/// Why a group step failed, and which read model failed it, if one did.
#[derive(Debug)]
pub struct GroupError {
    /// The read model whose batch failed; `None` when the step failed around them.
    pub projection: Option<&'static str>,
    /// What went wrong.
    pub source: ProjectionError,
}

impl From<ProjectionError> for GroupError {
    fn from(source: ProjectionError) -> Self {
        Self {
            projection: None,
            source,
        }
    }
}

impl From<sqlx::Error> for GroupError {
    fn from(source: sqlx::Error) -> Self {
        ProjectionError::from(source).into()
    }
}

/// How many transactions a group step spreads its read models over, each on a connection of its
/// own, applied at the same time. One transaction applied the read models one after the other:
/// under load the step took as long as all of them together, and the lag a client saw was about
/// two such steps. Two halves let PostgreSQL work on both cores for the read side while the
/// events are read and decoded once for both.
const GROUP_PARTS: usize = 2;

/// One part of a group step: its transaction, holding the locks of the read models it took and
/// where each of them stands.
struct Part<'a> {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    held: usize,
    at: Vec<(&'a Arc<dyn Projection>, LogPosition)>,
}

/// One group step: up to `batch_size` events applied to every read model in `members` whose
/// lock is free, each from its own checkpoint, and their checkpoints moved. The read models are
/// dealt round the `GROUP_PARTS` (two) parts in their order; each part is one transaction, so a read
/// model's rows and its checkpoint move together, and the parts apply the same events (read once)
/// at the same time. A part whose read model fails rolls back alone: the others' work stands.
pub async fn try_project_group(
    pool: &PgPool,
    members: &[Arc<dyn Projection>],
    batch_size: i64,
) -> Result<GroupStep, GroupError> {
    let dealt = (0..GROUP_PARTS)
        .map(|part| {
            members
                .iter()
                .skip(part)
                .step_by(GROUP_PARTS)
                .collect::<Vec<_>>()
        })
        .filter(|part| !part.is_empty());
    let mut parts = futures::future::try_join_all(dealt.map(|part| open_part(pool, part))).await?;
    let held: usize = parts.iter().map(|part| part.held).sum();
    if held == 0 {
        return Ok(GroupStep::default());
    }
    let oldest = parts
        .iter()
        .flat_map(|part| part.at.iter().map(|&(_, from)| from))
        .min()
        .unwrap_or_default();
    let Some(first) = parts.first_mut() else {
        return Ok(GroupStep::default());
    };
    let events = log::read_after(&mut *first.tx, oldest, batch_size).await?;
    let Some(last) = events.last() else {
        // Nothing new; a part may have reset a read model of a new version: keep that.
        futures::future::try_join_all(parts.into_iter().map(|part| part.tx.commit())).await?;
        return Ok(GroupStep {
            held,
            ..GroupStep::default()
        });
    };
    let last_at = last.log_position();
    let last_recorded = last.recorded_at;
    let given: usize = parts.iter().map(|part| part.at.len()).sum();
    let applied = futures::future::join_all(
        parts
            .into_iter()
            .map(|part| apply_part(part, &events, last_at)),
    )
    .await;

    let lag = (Utc::now() - last_recorded).to_std().unwrap_or_default();
    let mut moved: Vec<(&'static str, i64)> = Vec::with_capacity(given);
    let mut failure = None;
    for part in applied {
        match part {
            Ok(names) => moved.extend(names),
            Err(error) => failure = failure.or(Some(error)),
        }
    }
    for &(name, n) in &moved {
        metrics::counter!("billing_projected_events_total", "projection" => name)
            .increment(u64::try_from(n).unwrap_or(0));
        metrics::histogram!("billing_projection_lag_seconds", "projection" => name)
            .record(lag.as_secs_f64());
    }
    if let Some(error) = failure {
        return Err(error);
    }
    // A full batch that some read model had already seen: those that were given events are
    // behind the others by at least a batch.
    let full = i64::try_from(events.len()).unwrap_or(i64::MAX) >= batch_size;
    let behind = if full && moved.len() < given {
        moved.iter().map(|&(name, _)| name).collect()
    } else {
        Vec::new()
    };
    Ok(GroupStep {
        held,
        read: events.len(),
        behind,
    })
}

/// Begins a part's transaction: takes the lock of each of its read models that is free, and
/// reads where each stands (a read model of a new version is emptied and starts from the log's
/// start).
async fn open_part<'a>(
    pool: &PgPool,
    members: Vec<&'a Arc<dyn Projection>>,
) -> Result<Part<'a>, GroupError> {
    let mut tx = pool.begin().await?;
    let names: Vec<&'static str> = members.iter().map(|member| member.name()).collect();
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM unnest($1::text[]) AS name
          WHERE pg_try_advisory_xact_lock(hashtextextended('projection:' || name, 0))",
    )
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?;
    let mut at = Vec::with_capacity(held.len());
    if held.is_empty() {
        return Ok(Part { tx, held: 0, at });
    }
    // The read models are derived data: their commits need not wait for the disk (see `lock`).
    sqlx::query("SELECT set_config('synchronous_commit', 'off', true)")
        .execute(&mut *tx)
        .await?;
    let stored: Vec<(String, i64, i64, i32)> = sqlx::query_as(
        "SELECT name, tx_id::text::bigint, position, version
           FROM projection_checkpoints WHERE name = ANY($1)",
    )
    .bind(&held)
    .fetch_all(&mut *tx)
    .await?;
    for member in members {
        if !held.iter().any(|name| name == member.name()) {
            continue;
        }
        let found = stored.iter().find(|(name, ..)| name == member.name());
        let from = match found {
            Some(&(_, tx_id, position, version)) if version == member.version() => {
                LogPosition { tx_id, position }
            }
            _ => {
                tracing::info!(
                    projection = member.name(),
                    "building projection from the start of the log"
                );
                reset_in(&mut tx, member.as_ref()).await?;
                LogPosition::default()
            }
        };
        at.push((member, from));
    }
    Ok(Part {
        tx,
        held: held.len(),
        at,
    })
}

/// Applies to each read model of `part` the events after its checkpoint, moves the checkpoints
/// to `last_at` and commits. Returns the read models that were given events, with how many.
async fn apply_part(
    mut part: Part<'_>,
    events: &[StoredEvent],
    last_at: LogPosition,
) -> Result<Vec<(&'static str, i64)>, GroupError> {
    let mut moved: Vec<(&'static str, i64)> = Vec::with_capacity(part.at.len());
    for &(member, from) in &part.at {
        let after = &events[events.partition_point(|event| event.log_position() <= from)..];
        if after.is_empty() {
            continue;
        }
        let started = std::time::Instant::now();
        let applied = member
            .apply_batch(&mut part.tx, after)
            .await
            .map_err(|source| GroupError {
                projection: Some(member.name()),
                source,
            });
        super::record_applying(member.name(), started.elapsed());
        applied?;
        moved.push((
            member.name(),
            i64::try_from(after.len()).unwrap_or(i64::MAX),
        ));
    }
    if !moved.is_empty() {
        let (names, counts): (Vec<&str>, Vec<i64>) = moved.iter().copied().unzip();
        sqlx::query(
            "UPDATE projection_checkpoints AS c
                SET tx_id = $2::bigint::text::xid8, position = $3, events = c.events + m.n,
                    updated_at = now()
               FROM unnest($1::text[], $4::bigint[]) AS m(name, n)
              WHERE c.name = m.name",
        )
        .bind(&names)
        .bind(last_at.tx_id)
        .bind(last_at.position)
        .bind(&counts)
        .execute(&mut *part.tx)
        .await?;
    }
    part.tx.commit().await?;
    Ok(moved)
}

/// How many times the group's batch a catch-up reads at once: with the default 1,000, the
/// rebuild's 5,000.
const CATCH_UP_FACTOR: i64 = 5;

/// How many batches a catch-up applies before handing back to the group's loop (so read models
/// behind do not hold back the others, nor a catch-up a stop, for long).
const CATCH_UP_BATCHES: u32 = 8;

/// How many read models a catch-up applies at once, each on a connection of its own. The
/// workers' pool also serves the process managers and `LISTEN`; two cores gain little beyond.
const CATCH_UP_PARALLEL: usize = 3;

/// How many batches the catch-up's reader may be ahead of its slowest read model, as in the
/// rebuild: a read model slower than the others on one batch does not hold them back on it.
const CATCH_UP_AHEAD: usize = 4;

/// What [`catch_up_together`] left to the group.
#[derive(Debug, Default)]
struct CaughtUp {
    /// Read models whose batch failed: they leave the group.
    failed: Vec<(&'static str, ProjectionError)>,
    /// The reader's error, if reading the log failed; the group's next step tries again.
    read_failed: Option<ProjectionError>,
    /// Read models another worker holds or moved: left to the group's step.
    left: Vec<&'static str>,
    /// Whether the last batch came back short: those still applying are caught up.
    short: bool,
}

/// Catches `members` up while the log is a whole batch ahead of them, with the rebuild's own
/// [`feed`]: one reader reads `batch_size` events at a time in safe order, and each read model
/// applies them in a transaction of its own under its lock, from its own checkpoint, moving it
/// with its rows, up to [`CATCH_UP_AHEAD`] batches behind the reader, several at once.
///
/// A group step applies the read models of each of its parts one after the other: caught up,
/// that is a commit per part per gathering interval instead of one per read model; behind, it
/// takes several times as long as the rebuild on the same events. A read model whose checkpoint moved under it (another worker) or whose lock another
/// worker holds is left to the group's next step, which sorts it out; one whose batch fails is
/// returned to leave the group. Returns when a batch comes back short, after
/// [`CATCH_UP_BATCHES`] batches, or when `stop` turns true, once every read model has applied
/// what was read.
async fn catch_up_together(
    pool: &PgPool,
    members: &[Arc<dyn Projection>],
    batch_size: i64,
    progress: &Progress,
    stop: &watch::Receiver<bool>,
) -> CaughtUp {
    let mut caught = CaughtUp::default();
    let stored = match checkpoints(pool).await {
        Ok(stored) => stored,
        Err(error) => {
            caught.read_failed = Some(error.into());
            return caught;
        }
    };
    // Only the read models the group has already started (their version's checkpoint exists);
    // the group's step starts the others.
    let mut active: Vec<(Arc<dyn Projection>, LogPosition)> = Vec::with_capacity(members.len());
    for member in members {
        match stored.get(member.name()) {
            Some(found) if found.version == member.version() => {
                active.push((Arc::clone(member), found.at));
            }
            _ => caught.left.push(member.name()),
        }
    }
    if active.is_empty() {
        return caught;
    }
    let bump = progress.clone();
    let report = feed(
        pool,
        active,
        Feed {
            batch_size,
            max_batches: Some(CATCH_UP_BATCHES),
            parallel: CATCH_UP_PARALLEL,
            ahead: CATCH_UP_AHEAD,
            stop: Some(stop.clone()),
        },
        Arc::new(move |_, _| bump.bump()),
    )
    .await;
    caught.read_failed = report.read_failed;
    caught.short = report.short;
    for fed in report.members {
        match (fed.failed, fed.at) {
            (Some(error), _) => caught.failed.push((fed.name, error)),
            (None, None) => caught.left.push(fed.name),
            (None, Some(_)) => {}
        }
    }
    caught
}

/// A read model outside the group for now.
struct Apart {
    projection: Arc<dyn Projection>,
    /// When to try it next.
    due: Instant,
    /// How long to wait after its next failure.
    backoff: Duration,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs the read models in `members` as one group until `stop` turns true, waking on `wake`.
pub(super) async fn work_group(
    pool: PgPool,
    members: Vec<Arc<dyn Projection>>,
    config: WorkerConfig,
    progress: Progress,
    mut wake: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
) {
    let mut joined = members;
    // Read models a whole batch behind the others, caught up together between group steps.
    let mut behind: Vec<Arc<dyn Projection>> = Vec::new();
    let mut apart: Vec<Apart> = Vec::new();
    let mut backoff = FIRST_BACKOFF;
    let mut backlog_recorded: Option<Instant> = None;
    // Whether a read model may have indexes to build once caught up (`defer`): at the start (a
    // crash may have left some) and after every stretch of catching up.
    let mut indexes_deferred = true;
    while !*stop.borrow() {
        // Mark the current wake-up as seen before reading, so a notification that arrives while
        // the batch runs is not lost.
        wake.borrow_and_update();
        let mut more = false;
        let mut moved = false;
        let mut busy = false;
        let mut failed = false;
        if !joined.is_empty() {
            match try_project_group(&pool, &joined, config.batch_size).await {
                Ok(step) => {
                    backoff = FIRST_BACKOFF;
                    busy = step.held == 0;
                    moved = step.read > 0;
                    more = i64::try_from(step.read).unwrap_or(i64::MAX) >= config.batch_size;
                    for name in step.behind {
                        tracing::info!(projection = name, "catching up apart from the others");
                        if let Some(index) = joined.iter().position(|m| m.name() == name) {
                            behind.push(joined.swap_remove(index));
                        }
                    }
                    if more && !*stop.borrow() {
                        // A full batch: the group is behind. Catch up as the rebuild does.
                        let caught = catch_up_together(
                            &pool,
                            &joined,
                            config.batch_size.saturating_mul(CATCH_UP_FACTOR),
                            &progress,
                            &stop,
                        )
                        .await;
                        failed |= caught.read_failed.is_some();
                        for (name, error) in caught.failed {
                            tracing::warn!(projection = name, %error,
                                "projection step failed; retrying it apart from the others");
                            leave(&mut joined, &mut apart, name, FIRST_BACKOFF);
                        }
                    }
                }
                Err(GroupError {
                    projection: Some(name),
                    source,
                }) => {
                    tracing::warn!(projection = name, error = %source,
                        "projection step failed; retrying it apart from the others");
                    leave(&mut joined, &mut apart, name, FIRST_BACKOFF);
                    // The others lost this step with it; try them again at once.
                    more = true;
                }
                Err(GroupError {
                    projection: None,
                    source,
                }) => {
                    tracing::warn!(error = %source, "projection step failed; retrying");
                    failed = true;
                }
            }
        }
        if !behind.is_empty() && !*stop.borrow() {
            // Read models a batch or more behind the others (a new version rebuilding): a few
            // large batches for all of them at once, read once, between two steps of the group,
            // so the others are not held back for long.
            let caught = catch_up_together(
                &pool,
                &behind,
                config.batch_size.saturating_mul(CATCH_UP_FACTOR),
                &progress,
                &stop,
            )
            .await;
            moved = true;
            failed |= caught.read_failed.is_some();
            for (name, error) in caught.failed {
                tracing::warn!(projection = name, %error,
                    "projection step failed; retrying it apart from the others");
                leave(&mut behind, &mut apart, name, FIRST_BACKOFF);
            }
            for name in caught.left {
                // Another worker holds it or moved it: the group's step sorts it out.
                if let Some(index) = behind.iter().position(|m| m.name() == name) {
                    joined.push(behind.swap_remove(index));
                }
            }
            if caught.short {
                for member in behind.drain(..) {
                    tracing::info!(projection = member.name(), "back with the others");
                    joined.push(member);
                }
            } else {
                more = true;
            }
        }
        let now = Instant::now();
        let mut index = 0;
        while index < apart.len() {
            if apart[index].due > now {
                index += 1;
                continue;
            }
            let member = &mut apart[index];
            let name = member.projection.name();
            match try_project_batch(&pool, member.projection.as_ref(), config.batch_size).await {
                Ok(Outcome::Processed(n))
                    if i64::try_from(n).unwrap_or(i64::MAX) >= config.batch_size =>
                {
                    moved = true;
                    more = true;
                    member.backoff = FIRST_BACKOFF;
                    index += 1;
                }
                Ok(outcome) => {
                    moved |= matches!(outcome, Outcome::Processed(_));
                    tracing::info!(projection = name, "back with the others");
                    joined.push(apart.swap_remove(index).projection);
                }
                Err(error) => {
                    tracing::warn!(projection = name, %error, "projection step failed; retrying");
                    member.due = now + member.backoff;
                    member.backoff = (member.backoff * 2).min(MAX_BACKOFF);
                    index += 1;
                }
            }
        }
        if moved {
            progress.bump();
        }
        indexes_deferred |= more || !behind.is_empty();
        if indexes_deferred && !more && !failed && behind.is_empty() {
            // Caught up: build what was deferred while the read models were behind.
            let names: Vec<&'static str> = joined.iter().map(|member| member.name()).collect();
            match super::build_deferred(&pool, &names, false).await {
                Ok((_, left)) => indexes_deferred = left > 0,
                Err(error) => tracing::warn!(%error, "cannot build deferred indexes; retrying"),
            }
        }
        if failed {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        } else if more {
            tokio::task::yield_now().await;
        } else if moved {
            tokio::time::sleep(config.gather).await;
        } else {
            if !busy && backlog_recorded.is_none_or(|at| at.elapsed() >= BACKLOG_EVERY) {
                let names: Vec<&'static str> = joined.iter().map(|member| member.name()).collect();
                record_backlogs(&pool, &names).await;
                backlog_recorded = Some(Instant::now());
            }
            let next_due = apart.iter().map(|member| member.due).min();
            let nap = next_due.map_or(config.poll_interval, |due| {
                due.saturating_duration_since(Instant::now())
                    .min(config.poll_interval)
            });
            let _ = tokio::time::timeout(nap, wake.changed()).await;
        }
    }
}

/// Moves the read model `name` out of the group, to be tried alone after `wait`.
fn leave(
    joined: &mut Vec<Arc<dyn Projection>>,
    apart: &mut Vec<Apart>,
    name: &str,
    wait: Duration,
) {
    if let Some(index) = joined.iter().position(|member| member.name() == name) {
        let projection = joined.swap_remove(index);
        apart.push(Apart {
            projection,
            due: Instant::now() + wait,
            backoff: (wait * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF),
        });
    }
}

/// Publishes, for each projection named, about how many events exist beyond its checkpoint:
/// the distance from its position to the last position given out (positions a rolled-back
/// transaction took count too). A caught-up worker with a backlog is held back by a transaction
/// still running: the lag shows it instead of events being skipped. Counting the events instead
/// read every one of them: 6.6 s for a read model a million events behind, during which the group
/// applied nothing.
pub(super) async fn record_backlogs(pool: &PgPool, names: &[&'static str]) {
    let backlogs: Result<Vec<(String, i64)>, sqlx::Error> = sqlx::query_as(
        "SELECT c.name,
                greatest(coalesce((SELECT max(global_position) FROM events), 0) - c.position, 0)
           FROM projection_checkpoints c WHERE c.name = ANY($1)",
    )
    .bind(names)
    .fetch_all(pool)
    .await;
    let Ok(backlogs) = backlogs else {
        return;
    };
    for &name in names {
        if let Some((_, backlog)) = backlogs.iter().find(|(found, _)| found == name) {
            #[expect(
                clippy::as_conversions,
                reason = "a gauge is a float; precision loss is fine"
            )]
            metrics::gauge!("billing_projection_backlog_events", "projection" => name)
                .set(*backlog as f64);
        }
    }
}
