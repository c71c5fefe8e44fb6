//! The billing day, as staff run it.

use chrono::NaiveDate;
use eventstore::metadata::CommandContext;

use crate::usecases::clocks::BusinessTime;
pub use crate::usecases::process::billing_day::BillingDayReport;
use crate::usecases::process::billing_day::{self, Scope};
use crate::usecases::{Core, Error};

/// How many services the billing day works on at once.
const CONCURRENCY: usize = 8;

/// Runs the billing day for `as_of`: prolongs and charges what is due, suspends what could not be
/// paid, closes and deletes what is due, records notices. Running it again for the same day
/// changes nothing.
pub async fn run_billing(
    core: &Core,
    context: &CommandContext,
    as_of: NaiveDate,
) -> Result<BillingDayReport, Error> {
    run_billing_with(core, context, as_of, CONCURRENCY).await
}

/// [`run_billing`] with `concurrency` services worked on at once (`billing run-billing
/// --concurrency`).
pub async fn run_billing_with(
    core: &Core,
    context: &CommandContext,
    as_of: NaiveDate,
    concurrency: usize,
) -> Result<BillingDayReport, Error> {
    let mut report = billing_day::run(
        &core.store,
        &core.pool,
        &core.progress,
        as_of,
        Scope::Live,
        context,
        concurrency,
    )
    .await?;
    // Domains are noticed, renewed and expired on the same day (issue 20.4, ADR 33).
    let domains = crate::usecases::domains::billing_day(
        core,
        context,
        as_of,
        Scope::Live,
        BusinessTime::real(&core.store),
    )
    .await?;
    report.add_domains(&domains);
    Ok(report)
}
