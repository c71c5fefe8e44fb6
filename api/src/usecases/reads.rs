//! Where queries read: the primary, or a hot standby (`BILLING_REPLICA_URLS`) that keeps up.
//!
//! [`Reads`] stands where the use cases' pool stood ([`Core::pool`](super::Core::pool)) and
//! dereferences to the pool the current request reads from. Outside a request scope (commands,
//! process managers, the CLI) that is always the primary; a node's HTTP layer opens a scope
//! ([`Reads::scope`]) for each query (GET) on a replica it [chose](Reads::choose), so a request
//! reads one database from start to end. A query with `min_position` waits on its replica (the
//! checkpoints are replicated tables, and a standby has no LISTEN: it polls), and if the replica
//! does not get there within the lag bound the request falls back to the primary
//! ([`Reads::fall_back`]), whose read models are never behind a standby's.
//!
//! A monitor ([`Reads::monitor`]) measures each replica's lag against the primary every
//! [`PROBE_EVERY`]: in time (the primary's WAL positions sampled over time against the replica's
//! replayed one) and in events (the highest global position on each). A replica down or lagging
//! past the bound ([`LagBound`]) is skipped until it is back; a log line says when it is skipped
//! and when it is back, and the metrics `billing_replica_usable`, `billing_replica_lag_seconds`,
//! `billing_replica_lag_events` (gauges by replica) and `billing_reads_total` (by target) show it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::watch;

/// How often the monitor measures the replicas' lag.
pub const PROBE_EVERY: Duration = Duration::from_millis(200);

/// How long one probe of a replica may take before the replica counts as down.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);

/// The most a replica may lag and still answer queries (`BILLING_REPLICA_MAX_LAG_MS`,
/// `BILLING_REPLICA_MAX_LAG_EVENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagBound {
    /// Behind the primary by at most this long.
    pub time: Duration,
    /// Behind the primary's log by at most this many events.
    pub events: i64,
}

impl Default for LagBound {
    fn default() -> Self {
        LagBound {
            time: Duration::from_secs(2),
            events: 10_000,
        }
    }
}

tokio::task_local! {
    /// The pool the current request reads from: 0 the primary, `i + 1` replica `i`.
    static READ_FROM: Cell<usize>;
}

/// One hot standby.
struct Replica {
    /// How logs and metrics name it (host and port, never the password).
    name: String,
    pool: PgPool,
    /// Whether the last probe found it up and within the bound.
    usable: AtomicBool,
}

struct Inner {
    primary: PgPool,
    replicas: Vec<Replica>,
    /// Round-robin counter over the usable replicas.
    next: AtomicUsize,
    bound: LagBound,
}

/// The pools queries read from. Cheap to clone; dereferences to the current request's pool.
#[derive(Clone)]
pub struct Reads(Arc<Inner>);

impl std::ops::Deref for Reads {
    type Target = PgPool;

    fn deref(&self) -> &PgPool {
        self.current()
    }
}

impl Reads {
    /// Reads from the primary only (no replicas configured).
    pub fn primary_only(primary: PgPool) -> Reads {
        Reads::with_replicas(primary, Vec::new(), LagBound::default())
    }

    /// Reads from `replicas` (name and pool each) while they keep within `bound`, else from
    /// `primary`. Replicas count as usable only once the [monitor](Reads::monitor) has seen them.
    pub fn with_replicas(
        primary: PgPool,
        replicas: Vec<(String, PgPool)>,
        bound: LagBound,
    ) -> Reads {
        Reads(Arc::new(Inner {
            primary,
            replicas: replicas
                .into_iter()
                .map(|(name, pool)| Replica {
                    name,
                    pool,
                    usable: AtomicBool::new(false),
                })
                .collect(),
            next: AtomicUsize::new(0),
            bound,
        }))
    }

    /// The primary: commands, the log's head, anything that writes.
    pub fn primary(&self) -> &PgPool {
        &self.0.primary
    }

    /// Whether any replica is configured.
    pub fn has_replicas(&self) -> bool {
        !self.0.replicas.is_empty()
    }

    /// The configured lag bound.
    pub fn bound(&self) -> LagBound {
        self.0.bound
    }

    fn current_index(&self) -> usize {
        READ_FROM
            .try_with(Cell::get)
            .ok()
            .filter(|index| *index <= self.0.replicas.len())
            .unwrap_or(0)
    }

    /// The pool the current request reads from (the primary outside a scope).
    pub fn current(&self) -> &PgPool {
        match self.current_index() {
            0 => &self.0.primary,
            index => &self.0.replicas[index - 1].pool,
        }
    }

    /// The name of the replica the current request reads from, if it reads one.
    pub fn current_replica(&self) -> Option<&str> {
        match self.current_index() {
            0 => None,
            index => Some(&self.0.replicas[index - 1].name),
        }
    }

    /// Picks where a query reads: the next usable replica in turn, else the primary (0).
    pub fn choose(&self) -> usize {
        let count = self.0.replicas.len();
        if count == 0 {
            return 0;
        }
        let start = self.0.next.fetch_add(1, Ordering::Relaxed);
        for step in 0..count {
            let index = (start + step) % count;
            if self.0.replicas[index].usable.load(Ordering::Relaxed) {
                return index + 1;
            }
        }
        0
    }

    /// Runs `work` reading from `index` (as given by [`Reads::choose`]).
    pub async fn scope<F: Future>(&self, index: usize, work: F) -> F::Output {
        let target = if index == 0 { "primary" } else { "replica" };
        metrics::counter!("billing_reads_total", "target" => target).increment(1);
        READ_FROM.scope(Cell::new(index), work).await
    }

    /// Moves the current request to the primary (its replica did not get to a position in time,
    /// or failed), returning the replica's name. `None` when it already reads the primary.
    pub fn fall_back(&self, why: &str) -> Option<String> {
        let name = self.current_replica()?.to_owned();
        let _ = READ_FROM.try_with(|cell| cell.set(0));
        metrics::counter!("billing_replica_fallbacks_total", "replica" => name.clone(), "why" => why.to_owned())
            .increment(1);
        tracing::info!(replica = %name, why, "a query falls back from replica {name} to the primary: {why}");
        Some(name)
    }

    /// Skips replica `index` until the monitor finds it usable again.
    pub fn skip(&self, index: usize, why: &str) {
        if let Some(replica) = index.checked_sub(1).and_then(|i| self.0.replicas.get(i))
            && replica.usable.swap(false, Ordering::Relaxed)
        {
            metrics::gauge!("billing_replica_usable", "replica" => replica.name.clone()).set(0.0);
            tracing::warn!(replica = %replica.name, why, "replica {} skipped: {why}; the primary answers", replica.name);
        }
    }

    /// Whether replica `index` answers a trivial statement within [`PROBE_TIMEOUT`].
    pub async fn answers(&self, index: usize) -> bool {
        let Some(replica) = index.checked_sub(1).and_then(|i| self.0.replicas.get(i)) else {
            return true;
        };
        matches!(
            tokio::time::timeout(PROBE_TIMEOUT, eventstore::log::ping(&replica.pool)).await,
            Ok(Ok(()))
        )
    }

    /// Measures the replicas' lag every [`PROBE_EVERY`] until `stop` turns true, marking each
    /// usable or skipped. Does nothing without replicas.
    pub async fn monitor(self, mut stop: watch::Receiver<bool>) {
        if !self.has_replicas() {
            return;
        }
        // The primary's WAL position over the last while: a replica that has replayed up to
        // some LSN is as old as the first sample past it.
        let keep = self.0.bound.time * 2 + Duration::from_secs(1);
        let mut samples: VecDeque<(Instant, u64)> = VecDeque::new();
        loop {
            match tokio::time::timeout(PROBE_TIMEOUT, primary_position(&self.0.primary)).await {
                Ok(Ok((lsn, head))) => {
                    let now = Instant::now();
                    samples.push_back((now, lsn));
                    while samples
                        .front()
                        .is_some_and(|(at, _)| now.duration_since(*at) > keep)
                    {
                        samples.pop_front();
                    }
                    for index in 1..=self.0.replicas.len() {
                        self.probe(index, &samples, head).await;
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "cannot read the primary's WAL position; replicas keep their state")
                }
                Err(_) => tracing::warn!(
                    "the primary did not tell its WAL position in time; replicas keep their state"
                ),
            }
            tokio::select! {
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }

    async fn probe(&self, index: usize, samples: &VecDeque<(Instant, u64)>, primary_head: i64) {
        let replica = &self.0.replicas[index - 1];
        let name = replica.name.clone();
        let measured = tokio::time::timeout(PROBE_TIMEOUT, replica_position(&replica.pool)).await;
        let verdict = match measured {
            Err(_) => Err(format!("it did not answer within {PROBE_TIMEOUT:?}")),
            Ok(Err(error)) => Err(format!("it is down or refuses: {error}")),
            Ok(Ok((replayed, head))) => {
                let now = Instant::now();
                let behind = replayed.map_or(Duration::ZERO, |replayed| {
                    samples
                        .iter()
                        .find(|(_, lsn)| *lsn > replayed)
                        .map_or(Duration::ZERO, |(at, _)| now.duration_since(*at))
                });
                let events = (primary_head - head).max(0);
                metrics::gauge!("billing_replica_lag_seconds", "replica" => name.clone())
                    .set(behind.as_secs_f64());
                metrics::gauge!("billing_replica_lag_events", "replica" => name.clone())
                    .set(f64::from(u32::try_from(events).unwrap_or(u32::MAX)));
                if behind > self.0.bound.time {
                    Err(format!(
                        "it lags {behind:?} behind the primary (bound {:?})",
                        self.0.bound.time
                    ))
                } else if events > self.0.bound.events {
                    Err(format!(
                        "it lags {events} events behind the primary (bound {})",
                        self.0.bound.events
                    ))
                } else {
                    Ok(())
                }
            }
        };
        match verdict {
            Ok(()) => {
                if !replica.usable.swap(true, Ordering::Relaxed) {
                    metrics::gauge!("billing_replica_usable", "replica" => name.clone()).set(1.0);
                    tracing::info!(replica = %name, "replica {name} is within the lag bound: queries read it");
                }
            }
            Err(why) => {
                metrics::counter!("billing_replica_skipped_probes_total", "replica" => name.clone())
                    .increment(1);
                self.skip(index, &why);
            }
        }
    }
}

/// The primary's current WAL position and the highest global position of its log.
async fn primary_position(pool: &PgPool) -> Result<(u64, i64), sqlx::Error> {
    let (lsn, head): (String, i64) = sqlx::query_as(
        "SELECT pg_current_wal_lsn()::text, coalesce((SELECT max(global_position) FROM events), 0)",
    )
    .fetch_one(pool)
    .await?;
    Ok((parse_lsn(&lsn).unwrap_or(0), head))
}

/// The WAL position a standby has replayed (`None` when it is not in recovery: a promoted
/// standby is as current as it gets) and the highest global position it sees.
async fn replica_position(pool: &PgPool) -> Result<(Option<u64>, i64), sqlx::Error> {
    let (lsn, head): (Option<String>, i64) = sqlx::query_as(
        "SELECT pg_last_wal_replay_lsn()::text, coalesce((SELECT max(global_position) FROM events), 0)",
    )
    .fetch_one(pool)
    .await?;
    Ok((lsn.as_deref().and_then(parse_lsn), head))
}

/// A `pg_lsn` spelt `X/Y` (two hexadecimal halves) as one number.
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    Some((high << 32) | low)
}

#[cfg(test)]
mod tests {
    use super::parse_lsn;

    #[test]
    fn an_lsn_is_read_as_its_two_halves() {
        assert_eq!(parse_lsn("0/16B3748"), Some(0x016B_3748));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert_eq!(parse_lsn("garbage"), None);
    }
}
