//! `billing run-billing --as-of`: the billing day for a date, with projection workers of its
//! own so the day reads current read models.

use std::sync::Arc;

use eventstore::EventStore;
use eventstore::clock::SystemClock;

use crate::cli::args::{Cli, RunBillingArgs};
use crate::cli::database::{ReadModelWorkers, open_database, print_out};

/// Runs the billing day and prints its report.
pub async fn command(cli: &Cli, args: &RunBillingArgs) -> anyhow::Result<()> {
    let database = open_database(cli).await?;
    let store = Arc::new(EventStore::new(
        database.pool.clone(),
        Arc::new(SystemClock),
    ));
    let workers = ReadModelWorkers::start(&database.pool);
    let context = eventstore::metadata::CommandContext::new(eventstore::metadata::Actor::System(
        "billing-day".to_owned(),
    ));
    let report = crate::usecases::process::billing_day::run(
        &store,
        &database.pool,
        &workers.progress,
        args.as_of,
        crate::usecases::process::billing_day::Scope::Live,
        &context,
        args.concurrency,
    )
    .await?;
    workers.stop().await;
    print_out(&serde_json::to_string_pretty(&report)?);
    database.close().await;
    Ok(())
}
