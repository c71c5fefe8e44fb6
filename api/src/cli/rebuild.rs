//! `billing projections rebuild [NAME]`: empty read models and build them again from the log.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventstore::log::LogPosition;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use projections::engine::{self, Feed};
use projections::{Projection, ProjectionError};
use sqlx::PgPool;

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// Events in the log when the rebuild began.
    pub log_events: u64,
    /// Events applied, summed over the projections rebuilt.
    pub events: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Of it, the time spent building the indexes left out while the read models were empty
    /// (`engine::build_deferred`), once they had caught up.
    pub indexing: Duration,
    /// What each projection cost, most expensive first.
    pub costs: Vec<Cost>,
}

/// Where a rebuild's time went, for one read model.
#[derive(Debug, Clone)]
pub struct Cost {
    /// The read model.
    pub name: &'static str,
    /// Transactions it committed.
    pub batches: u64,
    /// Wall time spent applying its batches: its statements, its CPU and its commits, on a
    /// connection of its own, while the others applied theirs.
    pub applying: Duration,
    /// Rows its tables took (inserted, updated or deleted), from PostgreSQL's statistics; `None`
    /// when they could not be read.
    pub rows: Option<i64>,
    /// Bytes its tables and their indexes hold at the end.
    pub bytes: Option<i64>,
}

/// How many read models apply a batch at once in a rebuild by default: twice the cores. More
/// only share the same cores: with all 25 at once on two cores, PostgreSQL's backends spent more
/// CPU on each other (locks, switches) and the 1M rebuild took 19.3–19.6 s against 16.9–17.9 s
/// with 3 or 4 (BENCHMARKS.md, 2026-12-07 afternoon).
pub fn default_parallel() -> usize {
    std::thread::available_parallelism().map_or(4, |cores| cores.get() * 2)
}

/// Rebuilds `projections`, all at once, each from the start of the log, with progress bars on
/// standard error when `show_progress` is set.
///
/// The log is read once ([`engine::feed`], the live worker's catch-up too): one reader reads it
/// in safe order, `batch_size` events at a time, and hands each batch to every projection, which
/// applies it in its own transaction with its checkpoint (each on its own connection and tables,
/// at its own pace; the reader waits for the slowest when it is four batches behind). A projection
/// whose checkpoint another worker moved meanwhile goes on by itself; each catches up on its own
/// with what was written during the rebuild.
pub async fn rebuild(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    show_progress: bool,
) -> Result<Rebuilt, ProjectionError> {
    rebuild_with(pool, projections, batch_size, None, show_progress).await
}

/// [`rebuild`] with at most `parallel` read models applying a batch at once (when `None`, twice
/// the cores: [`default_parallel`]).
pub async fn rebuild_with(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
    parallel: Option<usize>,
    show_progress: bool,
) -> Result<Rebuilt, ProjectionError> {
    let started = Instant::now();
    let total = u64::try_from(eventstore::log::count_events(pool).await?).unwrap_or(0);
    let bars = MultiProgress::with_draw_target(if show_progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let style =
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} events {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    let before = projections::costs::table_writes(pool, projections)
        .await
        .ok();
    for projection in projections {
        engine::reset(pool, projection.as_ref()).await?;
    }
    let mut progress = HashMap::with_capacity(projections.len());
    for projection in projections {
        let bar = bars.add(ProgressBar::new(total));
        bar.set_style(style.clone());
        bar.set_message(projection.name());
        progress.insert(projection.name(), bar);
    }
    let progress = Arc::new(progress);
    let shown = Arc::clone(&progress);
    // The rebuild's own connections, one per read model and the reader's, closed at the end so
    // that their statistics (the rows written) are published.
    let own = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(projections.len()).unwrap_or(u32::MAX) + 1)
        .connect_with((*pool.connect_options()).clone())
        .await?;
    let report = engine::feed(
        &own,
        projections
            .iter()
            .map(|projection| (Arc::clone(projection), LogPosition::default()))
            .collect(),
        Feed {
            batch_size,
            max_batches: None,
            parallel: parallel.unwrap_or_else(default_parallel),
            ahead: 4,
            stop: None,
        },
        Arc::new(move |name, n| {
            if let Some(bar) = shown.get(name) {
                bar.inc(u64::try_from(n).unwrap_or(0));
            }
        }),
    )
    .await;
    if let Some(error) = report.read_failed {
        return Err(error);
    }
    // The indexes left out while the read models were empty, built once, two read models at a
    // time, before the few events written meanwhile are applied.
    let indexing = Instant::now();
    let names: Vec<&'static str> = projections.iter().map(|p| p.name()).collect();
    engine::build_deferred(&own, &names, true).await?;
    let indexing = indexing.elapsed();
    let mut events = 0;
    let mut costs = Vec::with_capacity(projections.len());
    for (fed, projection) in report.members.into_iter().zip(projections) {
        if let Some(error) = fed.failed {
            return Err(error);
        }
        // Whatever was written since the reader's last batch, or all of it if another worker
        // moved the checkpoint meanwhile.
        let rest = engine::catch_up(&own, projection.as_ref(), batch_size).await?;
        if let Some(bar) = progress.get(fed.name) {
            bar.inc(rest);
            bar.finish();
        }
        events += fed.events + rest;
        costs.push(Cost {
            name: fed.name,
            batches: fed.batches,
            applying: fed.applying,
            rows: None,
            bytes: None,
        });
    }
    let elapsed = started.elapsed();
    own.close().await;
    if let Some(before) = before {
        let after = published_writes(pool, projections).await;
        for cost in &mut costs {
            if let (Some(was), Some(now)) = (before.get(cost.name), after.get(cost.name)) {
                cost.rows = Some(now.rows - was.rows);
                cost.bytes = Some(now.bytes);
            }
        }
    }
    costs.sort_by_key(|cost| std::cmp::Reverse(cost.applying));
    Ok(Rebuilt {
        log_events: total,
        events,
        elapsed,
        indexing,
        costs,
    })
}

/// The read models' writes once the closed connections have published their statistics: read
/// until two readings a tenth of a second apart agree (a closing connection publishes as it ends).
async fn published_writes(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
) -> HashMap<&'static str, projections::costs::TableWrites> {
    let mut last = HashMap::new();
    for _ in 0..20 {
        let Ok(now) = projections::costs::table_writes(pool, projections).await else {
            return last;
        };
        if now == last {
            break;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// The costs as a table for people: per read model, the time it spent applying, per event of the
/// log, the rows it wrote per event and the space it takes.
pub fn cost_table(rebuilt: &Rebuilt) -> String {
    let log_events = rebuilt.log_events.max(1);
    #[expect(clippy::as_conversions, reason = "ratios for people to read")]
    let per_event = |n: f64| n / log_events as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:>10} {:>12} {:>12} {:>12} {:>10}",
        "read model", "batches", "applying s", "µs/event", "rows/event", "MB"
    );
    let mut sum = (Duration::ZERO, 0i64);
    for cost in &rebuilt.costs {
        sum.0 += cost.applying;
        sum.1 += cost.rows.unwrap_or(0);
        #[expect(clippy::as_conversions, reason = "ratios for people to read")]
        let (rows, megabytes) = (
            cost.rows.map_or_else(
                || "?".to_owned(),
                |rows| format!("{:.2}", per_event(rows as f64)),
            ),
            cost.bytes.map_or_else(
                || "?".to_owned(),
                |bytes| format!("{:.1}", bytes as f64 / 1_048_576.0),
            ),
        );
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>12.2} {:>12.1} {:>12} {:>10}",
            cost.name,
            cost.batches,
            cost.applying.as_secs_f64(),
            per_event(cost.applying.as_secs_f64() * 1e6),
            rows,
            megabytes,
        );
    }
    #[expect(clippy::as_conversions, reason = "ratios for people to read")]
    let _ = writeln!(
        out,
        "{:<16} {:>10} {:>12.2} {:>12.1} {:>12.2} {:>10}",
        "all",
        "",
        sum.0.as_secs_f64(),
        per_event(sum.0.as_secs_f64() * 1e6),
        per_event(sum.1 as f64),
        "",
    );
    out
}
