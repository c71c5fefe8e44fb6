//! `billing projections rebuild [NAME]`: empty read models and build them again from the log.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use projections::engine::{self, Outcome};
use projections::{Projection, ProjectionError};
use sqlx::PgPool;

/// What a rebuild did.
#[derive(Debug, Clone, Copy)]
pub struct Rebuilt {
    /// Events read, summed over the projections rebuilt.
    pub events: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// Rebuilds `projections` one after the other, each from the start of the log, with a progress
/// bar on standard error when `show_progress` is set.
pub async fn rebuild(
    pool: &PgPool,
    projections: &[std::sync::Arc<dyn Projection>],
    batch_size: i64,
    show_progress: bool,
) -> Result<Rebuilt, ProjectionError> {
    let started = Instant::now();
    let total = u64::try_from(eventstore::log::count_events(pool).await?).unwrap_or(0);
    let mut events = 0u64;
    for projection in projections {
        let bar = if show_progress {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>12} [{bar:40}] {pos}/{len} events {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(projection.name());
        engine::reset(pool, projection.as_ref()).await?;
        loop {
            match engine::try_project_batch(pool, projection.as_ref(), batch_size).await? {
                Outcome::Processed(n) => {
                    let n = u64::try_from(n).unwrap_or(0);
                    events += n;
                    bar.inc(n);
                }
                Outcome::CaughtUp => break,
                Outcome::Busy => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        bar.finish();
    }
    Ok(Rebuilt {
        events,
        elapsed: started.elapsed(),
    })
}
