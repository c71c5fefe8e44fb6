//! Import: a provider moving from another billing system (WHMCS, BILLmanager, …) brings over its
//! providers, tariffs, clients with their balances and credit limits, and services with their
//! paid time, from a bundle (`docs/import.md`), behind both `billing import` and
//! `POST /v1/imports`.
//!
//! Nothing here pretends that something happened here: each client, balance and service
//! becomes an `…Imported` event of its own aggregate (`ClientImported`, `BalanceImported`,
//! `ServiceImported`) naming its source system and id; providers and tariffs are created as
//! ever (their creation is no money event). No order, payment or charge is recorded; a
//! service's paid time is the bundle's, so the next billing day charges its next period from
//! `paid_until` on.
//!
//! - **Whole or nothing**: the bundle is checked whole first ([`plan::plan`]: every row parsed,
//!   every reference resolved, every command decided in memory on an empty aggregate); a bundle
//!   with any bad row is refused with the list of all of them and nothing is written.
//! - **Idempotent, resumable**: every id is derived from the source system and the row's id
//!   (`ImportSource::derived`), and an aggregate that has events already is left alone, so
//!   importing the same bundle again writes nothing, and a rerun after a crash (each batch is
//!   one transaction: written whole or not at all) writes what is missing.
//! - **Fast**: the aggregates are new, so their events are decided in memory and written the
//!   bulk loader's way (`EventStore::create_many`: one `COPY` of five thousand aggregates' events
//!   per transaction, one transaction at a time), not command by command.

pub mod bundle;
pub mod csv;
pub mod people;
pub mod plan;

use std::time::Instant;

use domain::access::ClientUser;
use domain::account::Account;
use domain::client::Client;
use domain::company::Company;
use domain::invoice::Invoice;
use domain::payer::Payer;
use domain::provider::Provider;
use domain::service::Service;
use domain::tariff::Tariff;
use eventstore::metadata::CommandContext;
use eventstore::{Created, EventStore, NamedCommand, StoredAggregate};
use futures::StreamExt;
use serde::Serialize;

use crate::usecases::Error;
pub use bundle::{BadRow, Bundle};

/// Aggregates per transaction (one `COPY` of their events).
const AGGREGATES_PER_BATCH: usize = 5_000;

/// Transactions written at once: two keep the database busy while the next batch is encoded.
/// Their global positions interleave (each row takes the next position as it is copied), so the
/// report's position is the log's head in the safe order once all are written, not the highest
/// position any batch wrote.
const BATCHES_AT_ONCE: usize = 2;

/// Why an import wrote nothing, or stopped.
#[derive(Debug)]
pub enum ImportError {
    /// The bundle has bad rows: all of them. Nothing was written.
    Invalid(Vec<BadRow>),
    /// Writing failed; what was written stays, and a rerun finishes it.
    Failed(Error),
}

impl From<Error> for ImportError {
    fn from(error: Error) -> Self {
        ImportError::Failed(error)
    }
}

/// What one kind of thing did in an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counted {
    /// Brought over by this import.
    pub imported: u64,
    /// There already (imported before): nothing written.
    pub unchanged: u64,
    /// Left out by design (closed services): nothing written.
    pub skipped: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// The source system.
    pub source: String,
    /// Providers created.
    pub providers: Counted,
    /// Tariffs created.
    pub tariffs: Counted,
    /// Clients imported.
    pub clients: Counted,
    /// Opening balances (and credit limits) imported.
    pub balances: Counted,
    /// Services imported.
    pub services: Counted,
    /// Companies imported.
    pub companies: Counted,
    /// Payers imported.
    pub payers: Counted,
    /// Client users imported.
    pub users: Counted,
    /// The bundle's users without an argon2 hash: they must reset their password to sign in.
    pub users_reset_required: u64,
    /// Open invoices imported.
    pub invoices: Counted,
    /// Events written.
    pub events: u64,
    /// The log's head in the safe order once everything is written (0 if nothing was):
    /// `min_position` for queries.
    pub position: i64,
    /// Wall time of the writing, in milliseconds (the check before it not included).
    pub elapsed_ms: u64,
    /// Services in the bundle per second of writing.
    pub services_per_second: f64,
}

/// Checks `bundle` whole, then imports it. Importing a bundle imported before writes nothing.
pub async fn import(
    store: &EventStore,
    context: &CommandContext,
    bundle: &Bundle,
) -> Result<ImportReport, ImportError> {
    let plan = plan::plan(bundle).map_err(ImportError::Invalid)?;
    let taken = people::logins_taken(store, bundle, &plan).await?;
    if !taken.is_empty() {
        return Err(ImportError::Invalid(taken));
    }
    let plan_closed = plan.closed_services;
    let reset_required = plan
        .users
        .iter()
        .filter(|(_, command)| command.password_hash().is_none())
        .count();
    let started = Instant::now();
    let mut report = ImportReport {
        source: plan.system.clone(),
        ..ImportReport::default()
    };
    let mut position = 0;
    // In the order things refer to each other: a crash leaves no service without its client.
    for (counted, written) in [
        (
            &mut report.providers,
            run::<Provider>(store, context, plan.providers).await?,
        ),
        (
            &mut report.tariffs,
            run::<Tariff>(store, context, plan.tariffs).await?,
        ),
        (
            &mut report.clients,
            run::<Client>(store, context, plan.clients).await?,
        ),
        (
            &mut report.balances,
            run::<Account>(store, context, plan.balances).await?,
        ),
        (
            &mut report.services,
            run::<Service>(store, context, plan.services).await?,
        ),
        (
            &mut report.companies,
            run::<Company>(store, context, plan.companies).await?,
        ),
        (
            &mut report.payers,
            run::<Payer>(store, context, plan.payers).await?,
        ),
        (
            &mut report.users,
            run::<ClientUser>(store, context, plan.users).await?,
        ),
        (
            &mut report.invoices,
            run::<Invoice>(store, context, plan.invoices).await?,
        ),
    ] {
        counted.imported = written.created;
        counted.unchanged = written.existing;
        report.events += written.events;
        position = position.max(written.position);
    }
    report.services.skipped = plan_closed;
    report.users_reset_required = u64::try_from(reset_required).unwrap_or(u64::MAX);
    if position != 0 {
        report.position = eventstore::log::head_position(store.pool())
            .await
            .map_err(Error::from)?;
    }
    let elapsed = started.elapsed();
    report.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let services = report.services.imported + report.services.unchanged;
    #[expect(
        clippy::as_conversions,
        clippy::cast_precision_loss,
        reason = "a rate for people to read"
    )]
    {
        report.services_per_second = services as f64 / elapsed.as_secs_f64().max(1e-6);
    }
    Ok(report)
}

/// Brings the aggregates of `commands` (one each, decided on an empty aggregate) into existence
/// in transactions of [`AGGREGATES_PER_BATCH`], a few at once (`EventStore::create_many`: one
/// `COPY` each); the ones there already are left alone.
async fn run<A>(
    store: &EventStore,
    context: &CommandContext,
    commands: Vec<(String, A::Command)>,
) -> Result<Created, Error>
where
    A: StoredAggregate,
    A::Command: NamedCommand + Send + 'static,
{
    let mut total = Created::default();
    let mut chunks = Vec::new();
    let mut commands = commands.into_iter().peekable();
    while commands.peek().is_some() {
        chunks.push(
            commands
                .by_ref()
                .take(AGGREGATES_PER_BATCH)
                .collect::<Vec<_>>(),
        );
    }
    let mut results = futures::stream::iter(chunks)
        .map(|chunk| store.create_many::<A>(chunk, context))
        .buffer_unordered(BATCHES_AT_ONCE);
    while let Some(created) = results.next().await {
        let created = created?;
        total.created += created.created;
        total.existing += created.existing;
        total.events += created.events;
        total.position = total.position.max(created.position);
    }
    Ok(total)
}
