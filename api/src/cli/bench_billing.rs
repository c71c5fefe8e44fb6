//! `billing bench --workload billing-day`: how long the billing day takes over N active services.
//! The services are set up as the same commands as production (order, charge, activate) would
//! set them up, but decided in memory and written with COPY (`bulk::set_up_billing_day`: the
//! same events, expense keys and snapshots), then every read model catches up, then the billing
//! day runs, timed alone, on the day they all come due.

use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use eventstore::EventStore;
use eventstore::metadata::{Actor, CommandContext};
use projections::Progress;
use serde::Serialize;

use crate::cli::demo::DemoError;
use crate::usecases::process::billing_day::{self, BillingDayReport};

/// What the billing-day bench measured.
#[derive(Debug, Clone, Serialize)]
pub struct BillingDayBench {
    /// Active services the day ran over.
    pub services: usize,
    /// Seconds to set them up (order, charge, activate, written with COPY) and for every read
    /// model to catch up with them.
    pub setup_seconds: f64,
    /// Seconds the billing day took.
    pub billing_day_seconds: f64,
    /// Services per second through the billing day.
    pub services_per_second: f64,
    /// The billing day's own report.
    pub report: BillingDayReport,
}

fn refused(error: impl std::fmt::Display) -> DemoError {
    DemoError::Refused(error.to_string())
}

/// Sets up `services` monthly services ordered on 2027-01-01, 100 per client, and runs the billing
/// day of 2027-02-01 over them.
pub async fn run(
    store: Arc<EventStore>,
    progress: &Progress,
    services: usize,
    concurrency: usize,
) -> Result<BillingDayBench, DemoError> {
    let ordered_on = NaiveDate::from_ymd_opt(2027, 1, 1).ok_or_else(|| refused("date"))?;
    let due_on = NaiveDate::from_ymd_opt(2027, 2, 1).ok_or_else(|| refused("date"))?;
    let context = CommandContext::new(Actor::System("bench".to_owned()));
    let started = Instant::now();
    let pool = store.pool();
    // The set-up the commands would write, written with COPY (`bulk::set_up_billing_day`); then
    // every read model catches up before the day starts, so that the day is measured alone.
    crate::cli::bulk::set_up_billing_day(pool, services, ordered_on, &context.actor.to_string())
        .await
        .map_err(refused)?;
    let head = eventstore::log::head_position(pool)
        .await
        .map_err(refused)?;
    for projection in projections::all() {
        let caught_up = projections::engine::wait_for_position(
            pool,
            progress,
            projection.name(),
            head,
            std::time::Duration::from_secs(3_600),
        )
        .await
        .map_err(refused)?;
        if !caught_up {
            return Err(refused(format!("{} did not catch up", projection.name())));
        }
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    let day = Instant::now();
    let report = billing_day::run(
        &store,
        store.pool(),
        progress,
        due_on,
        crate::usecases::process::billing_day::Scope::Live,
        &context,
        concurrency,
    )
    .await
    .map_err(refused)?;
    let billing_day_seconds = day.elapsed().as_secs_f64();
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let services_per_second = services as f64 / billing_day_seconds.max(f64::EPSILON);
    Ok(BillingDayBench {
        services,
        setup_seconds,
        billing_day_seconds,
        services_per_second,
        report,
    })
}
