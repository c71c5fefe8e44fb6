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
    // The same day as `POST /v1/billing/runs`: services, then domains (noticed, renewed and
    // expired).
    let core = crate::usecases::Core {
        store,
        pool: crate::usecases::reads::Reads::primary_only(database.pool.clone()),
        progress: workers.progress.clone(),
        query_wait: std::time::Duration::from_secs(60),
    };
    let report =
        crate::usecases::billing::run_billing_with(&core, &context, args.as_of, args.concurrency)
            .await?;
    workers.stop().await;
    print_out(&serde_json::to_string_pretty(&report)?);
    database.close().await;
    Ok(())
}
