//! `billing projections rebuild [NAME]`: empty read models and build them again from the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventstore::log::{self, LogPosition, StoredEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use projections::engine;
use projections::{Projection, ProjectionError};
use sqlx::PgPool;
use tokio::sync::mpsc;

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// Events in the log when the rebuild began.
    pub log_events: u64,
    /// Events applied, summed over the projections rebuilt.
    pub events: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Each projection's name and how long it took to catch up, slowest first.
    pub took: Vec<(&'static str, Duration)>,
}

/// Rebuilds `projections`, all at once, each from the start of the log, with progress bars on
/// standard error when `show_progress` is set.
///
/// The log is read once: one reader reads it in safe order, `batch_size` events at a time, and
/// hands each batch to every projection, which applies it in its own transaction with its
/// checkpoint (each on its own connection and tables, at its own pace; the reader waits for the
/// slowest when it is four batches behind). A projection whose checkpoint another worker moved
/// meanwhile goes on by itself; each catches up on its own with what was written during the
/// rebuild.
pub async fn rebuild(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    batch_size: i64,
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
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} events {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    for projection in projections {
        engine::reset(pool, projection.as_ref()).await?;
    }
    let mut senders = Vec::with_capacity(projections.len());
    let mut runs = Vec::with_capacity(projections.len());
    for projection in projections {
        let (sender, mut batches) = mpsc::channel::<(LogPosition, Arc<Vec<StoredEvent>>)>(4);
        senders.push(sender);
        let bar = bars.add(ProgressBar::new(total));
        bar.set_style(style.clone());
        bar.set_message(projection.name());
        let projection = Arc::clone(projection);
        runs.push(async move {
            let mut applied = 0u64;
            let mut on_its_own = false;
            while let Some((from, events)) = batches.recv().await {
                if on_its_own {
                    continue;
                }
                if engine::apply_read(pool, projection.as_ref(), from, &events).await? {
                    let n = u64::try_from(events.len()).unwrap_or(0);
                    applied += n;
                    bar.inc(n);
                } else {
                    on_its_own = true;
                }
            }
            let rest = engine::catch_up(pool, projection.as_ref(), batch_size).await?;
            applied += rest;
            bar.inc(rest);
            bar.finish();
            Ok::<(u64, &'static str, Duration), ProjectionError>((
                applied,
                projection.name(),
                started.elapsed(),
            ))
        });
    }
    let read = async move {
        let mut at = LogPosition::default();
        loop {
            let events = log::read_after(pool, at, batch_size).await?;
            let Some(last) = events.last() else {
                break;
            };
            let next = last.log_position();
            let events = Arc::new(events);
            for sender in &senders {
                // A projection that failed has dropped its end; its error is reported below.
                let _ = sender.send((at, Arc::clone(&events))).await;
            }
            at = next;
        }
        Ok::<(), ProjectionError>(())
    };
    let (read, applied) = tokio::join!(read, futures::future::join_all(runs));
    let mut events = 0;
    let mut took = Vec::with_capacity(applied.len());
    for applied in applied {
        let (applied, name, elapsed) = applied?;
        events += applied;
        took.push((name, elapsed));
    }
    read?;
    took.sort_by_key(|&(_, took)| std::cmp::Reverse(took));
    Ok(Rebuilt {
        log_events: total,
        events,
        elapsed: started.elapsed(),
        took,
    })
}
