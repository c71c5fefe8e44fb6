//! `billing migrate`: apply the database migrations and exit.

use crate::cli::args::Cli;
use crate::cli::database::open_database;

/// Opening the database applies the migrations.
pub async fn command(cli: &Cli) -> anyhow::Result<()> {
    let database = open_database(cli).await?;
    tracing::info!("migrations applied");
    database.close().await;
    Ok(())
}
