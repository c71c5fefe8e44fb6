//! Process managers: cross-aggregate work driven by the log, each step an idempotent command.
//!
//! A process manager is run by the same engine as a projection (its checkpoint moves only after
//! the batch's commands succeeded), but it writes nothing in the worker's transaction: it runs
//! commands through the [`EventStore`](eventstore::EventStore), each keyed or guarded by its
//! aggregate's rules, so that a crash in the middle is finished by the rerun and never done twice.

pub mod affiliates;
pub mod billing_day;
pub mod domain_contacts;
pub mod hourly_billing;
pub mod invoicing;
pub mod merging;
pub mod modules;
pub mod payments;
pub mod prepayment;
pub mod price_changes;
pub mod settlement;
pub mod usage_billing;
pub mod user_directory;

use std::sync::Arc;

use tokio::sync::watch;

use projections::Projection;

/// Every process manager, for the server to run beside the projections. Unlike read models they
/// are never rebuilt: their effects are commands, not rows.
pub fn all(store: Arc<eventstore::EventStore>) -> Vec<Arc<dyn Projection>> {
    let (_, never) = watch::channel(false);
    all_stopping_on(store, never)
}

/// Every process manager, each giving up its waits for read models when `stop` turns true: the
/// server stops the read models' worker at the same time, so such a wait could only time out.
pub fn all_stopping_on(
    store: Arc<eventstore::EventStore>,
    stop: watch::Receiver<bool>,
) -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(settlement::Settlement::new(Arc::clone(&store)).stopping_on(stop.clone())),
        Arc::new(payments::Payments::new(Arc::clone(&store))),
        Arc::new(invoicing::Invoicing::new(Arc::clone(&store))),
        Arc::new(prepayment::Prepayments::new(Arc::clone(&store)).stopping_on(stop.clone())),
        Arc::new(domain_contacts::Releases::new(Arc::clone(&store))),
        Arc::new(affiliates::Commissions::new(Arc::clone(&store))),
        Arc::new(user_directory::DirectoryFollower::new(Arc::clone(&store))),
        Arc::new(price_changes::PriceChanges::new(Arc::clone(&store)).stopping_on(stop.clone())),
        Arc::new(merging::Merging::new(store).stopping_on(stop)),
        // The notifier's outbox: like a process manager, never rebuilt (its rows are the
        // record of what was sent).
        Arc::new(projections::notify::Outbox),
        // The module outbox (ADR 25): likewise never rebuilt.
        Arc::new(modules::ModuleOutbox),
    ]
}
