//! `billing projections rebuild [NAME]`: empty read models and build them again from the log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use projections::engine::{self, Outcome};
use projections::{Projection, ProjectionError};
use sqlx::PgPool;

/// What a rebuild did.
#[derive(Debug, Clone, Copy)]
pub struct Rebuilt {
    /// Events in the log when the rebuild began.
    pub log_events: u64,
    /// Events applied, summed over the projections rebuilt.
    pub events: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Rebuilds `projections`, all at once (each reads the log on its own connection and writes its
/// own tables), each from the start of the log, with progress bars on standard error when
/// `show_progress` is set.
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
    let runs = projections.iter().map(|projection| {
        let bar = bars.add(ProgressBar::new(total));
        bar.set_style(style.clone());
        bar.set_message(projection.name());
        let projection = Arc::clone(projection);
        async move {
            engine::reset(pool, projection.as_ref()).await?;
            let mut applied = 0u64;
            loop {
                match engine::try_project_batch(pool, projection.as_ref(), batch_size).await? {
                    Outcome::Processed(n) => {
                        let n = u64::try_from(n).unwrap_or(0);
                        applied += n;
                        bar.inc(n);
                    }
                    Outcome::CaughtUp => break,
                    Outcome::Busy => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
            bar.finish();
            Ok::<u64, ProjectionError>(applied)
        }
    });
    let mut events = 0;
    for applied in futures::future::join_all(runs).await {
        events += applied?;
    }
    Ok(Rebuilt {
        log_events: total,
        events,
        elapsed: started.elapsed(),
    })
}
