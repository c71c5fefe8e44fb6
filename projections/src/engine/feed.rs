//! One reader feeding many read models, each at its own pace: how the rebuild runs and how the
//! live worker catches up a backlog.
//!
//! The reader reads the log in safe order, a batch at a time, and hands each batch to every read
//! model through a queue of a few batches. Each read model applies the part of a batch after its
//! own checkpoint, with the batches queued behind it by then, with [`apply_read_parts`] (its
//! lock, its checkpoint checked where the first part begins, its rows and its checkpoint after
//! each part, in one transaction) on a task of its own, so a slow read model holds
//! back neither the reader nor the others until it is a whole queue behind. A read model whose
//! checkpoint another worker moved, or whose lock another worker holds, stops taking batches and
//! is reported as left; one whose batch fails is reported with its error. Each event still takes
//! effect exactly once per read model: a batch is applied only from the checkpoint it was read
//! after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use eventstore::log::{self, LogPosition, StoredEvent};
use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, watch};

use super::{Projection, apply_read_parts};
use crate::ProjectionError;

/// How a feed reads and applies.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Events per batch.
    pub batch_size: i64,
    /// Stop reading after this many batches; `None` reads to the end of what can be read.
    pub max_batches: Option<u32>,
    /// Read models applying a batch at once, each on a connection of its own.
    pub parallel: usize,
    /// Batches the reader may be ahead of the slowest read model.
    pub ahead: usize,
    /// Stop reading when this turns true (what was read is still applied).
    pub stop: Option<watch::Receiver<bool>>,
}

/// How one read model came out of a feed.
#[derive(Debug)]
pub struct Fed {
    /// The read model.
    pub name: &'static str,
    /// Where its checkpoint is now; `None` when another worker holds it or moved it.
    pub at: Option<LogPosition>,
    /// Why its batch failed, if it did: it stopped there.
    pub failed: Option<ProjectionError>,
    /// Events it applied.
    pub events: u64,
    /// Transactions it committed.
    pub batches: u64,
    /// Wall time spent applying its batches (its statements, its CPU, its commits).
    pub applying: Duration,
}

/// What a feed did.
#[derive(Debug)]
pub struct FeedReport {
    /// Each read model, in the order given.
    pub members: Vec<Fed>,
    /// The reader's error, if reading the log failed.
    pub read_failed: Option<ProjectionError>,
    /// Whether the last batch read came back short: a read model at its end has every event that
    /// could be read safely then.
    pub short: bool,
    /// Batches read.
    pub batches: u32,
}

/// Feeds `members`, each from its checkpoint `from`, with one reader starting at the oldest of
/// them. `applied` is told, after each commit, which read model applied how many events.
pub async fn feed(
    pool: &PgPool,
    members: Vec<(Arc<dyn Projection>, LogPosition)>,
    config: Feed,
    applied: Arc<dyn Fn(&'static str, usize) + Send + Sync>,
) -> FeedReport {
    let Some(oldest) = members.iter().map(|&(_, from)| from).min() else {
        return FeedReport {
            members: Vec::new(),
            read_failed: None,
            short: true,
            batches: 0,
        };
    };
    let permits = Arc::new(Semaphore::new(config.parallel.max(1)));
    let mut senders = Vec::with_capacity(members.len());
    let mut tasks = Vec::with_capacity(members.len());
    let mut appliers = tokio::task::JoinSet::new();
    for (index, (member, from)) in members.into_iter().enumerate() {
        let (sender, batches) = mpsc::channel::<Arc<Vec<StoredEvent>>>(config.ahead.max(1));
        senders.push(sender);
        let name = member.name();
        tasks.push(name);
        let task = apply_fed(
            pool.clone(),
            member,
            from,
            batches,
            Arc::clone(&permits),
            Arc::clone(&applied),
        );
        appliers.spawn(async move { (index, task.await) });
    }
    let (read_failed, short, batches) = read(pool, oldest, &config, senders).await;
    let mut done: Vec<Option<Fed>> = tasks.iter().map(|_| None).collect();
    while let Some(joined) = appliers.join_next().await {
        match joined {
            Ok((index, fed)) => done[index] = Some(fed),
            Err(error) => tracing::error!(%error, "a read model's feeding task ended abnormally"),
        }
    }
    let members = done
        .into_iter()
        .zip(tasks)
        .map(|(fed, name)| {
            fed.unwrap_or_else(|| Fed {
                name,
                at: None,
                failed: Some(ProjectionError::Malformed(
                    "its feeding task ended abnormally".to_owned(),
                )),
                events: 0,
                batches: 0,
                applying: Duration::ZERO,
            })
        })
        .collect();
    FeedReport {
        members,
        read_failed,
        short,
        batches,
    }
}

/// The reader: batches in safe order from `at`, handed to every read model still taking them.
async fn read(
    pool: &PgPool,
    mut at: LogPosition,
    config: &Feed,
    mut senders: Vec<mpsc::Sender<Arc<Vec<StoredEvent>>>>,
) -> (Option<ProjectionError>, bool, u32) {
    let mut batches = 0u32;
    loop {
        let events = match log::read_after(pool, at, config.batch_size).await {
            Ok(events) => events,
            Err(error) => return (Some(error.into()), false, batches),
        };
        let Some(last) = events.last() else {
            return (None, true, batches);
        };
        batches += 1;
        let short = i64::try_from(events.len()).unwrap_or(i64::MAX) < config.batch_size;
        at = last.log_position();
        let events = Arc::new(events);
        let mut open = Vec::with_capacity(senders.len());
        for sender in senders {
            // A read model that stopped (left or failed) has dropped its end.
            if sender.send(Arc::clone(&events)).await.is_ok() {
                open.push(sender);
            }
        }
        senders = open;
        let stopped = config.stop.as_ref().is_some_and(|stop| *stop.borrow());
        if short
            || senders.is_empty()
            || stopped
            || config.max_batches.is_some_and(|most| batches >= most)
        {
            return (None, short, batches);
        }
    }
}

/// Events a read model fed from the start of the log applies before its tables' statistics are
/// gathered.
const ANALYZE_AFTER: u64 = 10_000;

/// Gathers the statistics of a read model's tables, emptied when it started from the log's start.
///
/// An emptied table has none until autovacuum comes by, which a rebuild outruns. Without them the
/// planner cannot tell that a key is unique and read whole tables for a few keys: the services
/// read model's lookup of the operations a batch finishes (`id = ANY($1)`) scanned every row of
/// `operations` at every batch of a rebuild, 1 s of its 3.7 (BENCHMARKS.md, 2026-12-07 evening).
/// Statistics taken once the tables hold a few thousand rows tell the planner the shape of the
/// data (which columns are unique) as they grow; their size it reads from the table itself.
async fn analyze(pool: &PgPool, member: &dyn Projection) {
    let tables = member.tables();
    if tables.is_empty() {
        return;
    }
    if let Err(error) = sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
        .execute(pool)
        .await
    {
        let projection = member.name();
        tracing::warn!(projection, %error, "could not analyze the read model's tables");
    }
}

/// One read model's side: applies each batch it is given from its checkpoint on.
async fn apply_fed(
    pool: PgPool,
    member: Arc<dyn Projection>,
    mut from: LogPosition,
    mut batches: mpsc::Receiver<Arc<Vec<StoredEvent>>>,
    permits: Arc<Semaphore>,
    applied: Arc<dyn Fn(&'static str, usize) + Send + Sync>,
) -> Fed {
    let name = member.name();
    let mut fed = Fed {
        name,
        at: Some(from),
        failed: None,
        events: 0,
        batches: 0,
        applying: Duration::ZERO,
    };
    // Only a read model emptied to start again from the log's start lacks statistics.
    let mut analyzed = from != LogPosition::default();
    while let Some(batch) = batches.recv().await {
        // The batches already queued behind this one are applied with it, in one transaction
        // (`apply_read_parts`): a read model behind the reader pays one commit, lock and
        // checkpoint check for them all.
        let Ok(_permit) = permits.acquire().await else {
            break;
        };
        let mut queued = vec![batch];
        while let Ok(next) = batches.try_recv() {
            queued.push(next);
        }
        let parts: Vec<&[StoredEvent]> = queued
            .iter()
            .map(|batch| &batch[batch.partition_point(|event| event.log_position() <= from)..])
            .filter(|part| !part.is_empty())
            .collect();
        let Some(last) = parts.last().and_then(|part| part.last()) else {
            continue;
        };
        let count: usize = parts.iter().map(|part| part.len()).sum();
        let started = Instant::now();
        match apply_read_parts(&pool, member.as_ref(), from, &parts).await {
            Ok(true) => {
                fed.applying += started.elapsed();
                fed.events += u64::try_from(count).unwrap_or(0);
                fed.batches += 1;
                from = last.log_position();
                fed.at = Some(from);
                let lag = (Utc::now() - last.recorded_at).to_std().unwrap_or_default();
                metrics::histogram!("billing_projection_lag_seconds", "projection" => name)
                    .record(lag.as_secs_f64());
                applied(name, count);
                if !analyzed && fed.events >= ANALYZE_AFTER {
                    analyzed = true;
                    analyze(&pool, member.as_ref()).await;
                }
            }
            Ok(false) => {
                fed.at = None;
                return fed;
            }
            Err(error) => {
                fed.failed = Some(error);
                return fed;
            }
        }
    }
    fed
}
