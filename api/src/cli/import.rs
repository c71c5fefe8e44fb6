//! `billing import FILE`: brings a bundle from another billing system over (`docs/import.md`),
//! through the use case `POST /v1/imports` runs. FILE is a JSON bundle, or a directory of CSV
//! files (`providers.csv`, `tariffs.csv`, `clients.csv`, `services.csv`, `service_addons.csv`,
//! `companies.csv`, `payers.csv`, `users.csv`, `invoices.csv`) with `--source` naming the system they come from. A bundle with bad rows prints every one
//! and writes nothing (exit 1); the report says how many services per second were written.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use eventstore::EventStore;
use eventstore::clock::SystemClock;
use eventstore::metadata::{Actor, CommandContext};

use crate::cli::args::{Cli, ImportArgs};
use crate::cli::database::{open_database, print_out};
use crate::usecases::imports::{self, BadRow, Bundle, ImportError};

/// The CSV files a directory bundle may hold.
const CSV_FILES: [&str; 9] = [
    "providers.csv",
    "tariffs.csv",
    "clients.csv",
    "services.csv",
    "service_addons.csv",
    "companies.csv",
    "payers.csv",
    "users.csv",
    "invoices.csv",
];

/// Reads FILE into a bundle: JSON, or a directory of CSV files.
fn read_bundle(path: &Path, source: Option<&str>) -> anyhow::Result<Result<Bundle, Vec<BadRow>>> {
    if path.is_dir() {
        let source = source.context("a CSV bundle needs --source (whmcs, billmanager, …)")?;
        let mut files = Vec::new();
        for name in CSV_FILES {
            let file = path.join(name);
            if file.exists() {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                files.push((name.to_owned(), text));
            }
        }
        return Ok(imports::csv::bundle(source, &files));
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bundle: Bundle = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a bundle (docs/import.md)", path.display()))?;
    if let Some(source) = source {
        source.clone_into(&mut bundle.source);
    }
    Ok(Ok(bundle))
}

/// Imports FILE and prints the report, or every bad row.
pub async fn command(cli: &Cli, args: &ImportArgs) -> anyhow::Result<()> {
    let bundle = match read_bundle(&args.file, args.source.as_deref())? {
        Ok(bundle) => bundle,
        Err(rows) => return refused(&rows),
    };
    let database = open_database(cli).await?;
    let store = EventStore::new(database.pool.clone(), Arc::new(SystemClock));
    let context = CommandContext::new(Actor::System("import".to_owned()));
    let outcome = imports::import(&store, &context, &bundle).await;
    database.close().await;
    match outcome {
        Ok(report) => {
            print_out(&serde_json::to_string_pretty(&report)?);
            print_out(&format!(
                "imported {} services ({} already there) at {:.0} services/s",
                report.services.imported, report.services.unchanged, report.services_per_second
            ));
            Ok(())
        }
        Err(ImportError::Invalid(rows)) => refused(&rows),
        Err(ImportError::Failed(error)) => Err(anyhow::anyhow!(
            "the import stopped ({error}); what was written stays, and running it again finishes it"
        )),
    }
}

fn refused(rows: &[BadRow]) -> anyhow::Result<()> {
    print_out(&serde_json::to_string_pretty(rows)?);
    anyhow::bail!(
        "the bundle has {} bad row(s); nothing was imported",
        rows.len()
    )
}
