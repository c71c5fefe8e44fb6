//! `billing projections rebuild`: empty read models and rebuild them from the whole log.

use anyhow::Context;

use crate::cli::args::{Cli, ProjectionsCommand};
use crate::cli::database::open_database;

/// `billing projections …`.
pub async fn command(cli: &Cli, command: &ProjectionsCommand) -> anyhow::Result<()> {
    let ProjectionsCommand::Rebuild {
        name,
        batch_size,
        parallel,
    } = command;
    let database = open_database(cli).await?;
    let selected = match name {
        None => projections::all(),
        Some(name) => vec![
            projections::by_name(name).with_context(|| format!("no projection named {name:?}"))?,
        ],
    };
    let rebuilt =
        crate::cli::rebuild::rebuild_with(&database.pool, &selected, *batch_size, *parallel, true)
            .await?;
    let secs = rebuilt.elapsed.as_secs_f64().max(f64::EPSILON);
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let rate = rebuilt.log_events as f64 / secs;
    tracing::info!(
        log_events = rebuilt.log_events,
        projections = selected.len(),
        applied = rebuilt.events,
        seconds = secs,
        indexing_seconds = rebuilt.indexing.as_secs_f64(),
        log_events_per_second = rate.round(),
        "projections rebuilt"
    );
    crate::cli::database::print_out(&crate::cli::rebuild::cost_table(&rebuilt));
    database.close().await;
    Ok(())
}
