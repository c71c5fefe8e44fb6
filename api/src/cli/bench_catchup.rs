//! `billing bench --workload catch-up`: the live worker catching up a backlog against the rebuild,
//! on the same database and the same events, alternately.
//!
//! The live side is what a new version of every read model meets on a running node: each read
//! model emptied and put at the start of the log, then the node's projection workers (on a pool of
//! the node's size) run until every checkpoint is at the end of the log. The rebuild side is
//! `billing projections rebuild`. Both start from the same emptied read models; the ratio is the
//! live rate to the rebuild's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use projections::{Progress, Projection, WorkerConfig, engine};
use serde::Serialize;
use sqlx::PgPool;

/// One live catch-up and one rebuild over the same log.
#[derive(Debug, Clone, Serialize)]
pub struct CatchUpRun {
    /// Events in the log.
    pub events: u64,
    /// Seconds the live workers took to bring every read model from the start to the end.
    pub live_seconds: f64,
    /// Seconds the rebuild took.
    pub rebuild_seconds: f64,
    /// The live rate over the rebuild's (1 means as fast).
    pub ratio: f64,
}

/// Runs the comparison `runs` times (live first, then the rebuild, each time).
pub async fn run(pool: &PgPool, runs: usize) -> anyhow::Result<Vec<CatchUpRun>> {
    let read_models = projections::all();
    let events = u64::try_from(eventstore::log::count_events(pool).await?).unwrap_or(0);
    let mut measured = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let live = live(pool, &read_models).await?;
        let rebuilt = crate::cli::rebuild::rebuild(pool, &read_models, 5000, false).await?;
        let rebuild = rebuilt.elapsed.as_secs_f64();
        measured.push(CatchUpRun {
            events,
            live_seconds: live.as_secs_f64(),
            rebuild_seconds: rebuild,
            ratio: rebuild / live.as_secs_f64().max(f64::EPSILON),
        });
    }
    Ok(measured)
}

/// Empties every read model and times the live workers bringing them back to the end of the log.
async fn live(pool: &PgPool, read_models: &[Arc<dyn Projection>]) -> anyhow::Result<Duration> {
    for projection in read_models {
        engine::reset(pool, projection.as_ref()).await?;
    }
    let head = eventstore::log::head_position(pool).await?;
    let workers = crate::node::workers_pool(pool);
    let started = Instant::now();
    let progress = Progress::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(engine::run_until_stopped(
        workers.clone(),
        read_models.to_vec(),
        WorkerConfig::default(),
        progress.clone(),
        stopped,
    ));
    let names: Vec<&'static str> = read_models.iter().map(|p| p.name()).collect();
    let caught_up = async {
        for &name in &names {
            while !engine::wait_for_position(pool, &progress, name, head, Duration::from_secs(3600))
                .await?
            {}
        }
        // And the indexes deferred while they were empty, which the rebuild builds too.
        while engine::deferred_count(pool, &names).await? > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let took = started.elapsed();
    let _ = stop.send(true);
    let _ = task.await;
    workers.close().await;
    caught_up?;
    Ok(took)
}

/// The runs as a table, with the medians.
pub fn table(runs: &[CatchUpRun]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>10} {:>14} {:>12} {:>16} {:>14} {:>8}",
        "events", "live s", "live ev/s", "rebuild s", "rebuild ev/s", "ratio"
    );
    #[expect(clippy::as_conversions, reason = "rates for people to read")]
    let rate = |events: u64, seconds: f64| events as f64 / seconds.max(f64::EPSILON);
    for run in runs {
        let _ = writeln!(
            out,
            "{:>10} {:>14.2} {:>12.0} {:>16.2} {:>14.0} {:>8.2}",
            run.events,
            run.live_seconds,
            rate(run.events, run.live_seconds),
            run.rebuild_seconds,
            rate(run.events, run.rebuild_seconds),
            run.ratio
        );
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    let _ = writeln!(
        out,
        "median: live {:.2} s, rebuild {:.2} s, live/rebuild rate {:.2}",
        median(runs.iter().map(|r| r.live_seconds).collect()),
        median(runs.iter().map(|r| r.rebuild_seconds).collect()),
        median(runs.iter().map(|r| r.ratio).collect()),
    );
    out
}
