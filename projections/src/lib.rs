//! Read models of the billing core, built only from the log.
//!
//! **Architecture Invariant:** a read model is written by its projection worker and nothing else,
//! in the same transaction that moves the projection's checkpoint; nothing here runs a business
//! rule (events carry their results, such as `balance_after`). Dropping every read model and
//! rebuilding from the log gives the same rows.

pub mod access;
pub mod action_log;
pub mod affiliates;
pub mod agreements;
pub mod balances;
pub mod catalog;
pub mod clients;
pub mod companies;
pub mod contracts;
mod copy;
pub mod costs;
pub mod domain_contacts;
pub mod domains;
pub mod engine;
pub mod expenses;
pub mod invoices;
pub mod item_types;
pub mod merges;
pub mod notify;
pub mod payers;
pub mod payments;
pub mod promos;
pub mod rates;
pub mod replay;
pub mod reports;
pub mod reset_link;
pub mod seal;
pub mod services;
pub mod statement;
pub mod support;

use std::sync::Arc;

use eventstore::log::StoredEvent;

pub use engine::{Outcome, Progress, Projection, WorkerConfig};

/// Why a read-model query failed: the database refused or could not be reached. The queries of
/// every read model (next to its writes) answer with it.
pub use sqlx::Error as QueryError;

/// Why a projection step failed. The step's transaction is rolled back and retried.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The database refused or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored payload or metadata did not decode.
    #[error("stored event could not be decoded: {0}")]
    Payload(#[from] serde_json::Error),
    /// A stored event is well-formed JSON but not what its type says.
    #[error("stored event is malformed: {0}")]
    Malformed(String),
    /// The log no longer matches the seal kept for it (ADR 7): applying it again stopped there,
    /// leaving the chain as it was.
    #[error("the log does not match its seal: {}", .0.detail)]
    Tampered(Box<crate::seal::Finding>),
    /// The failure, with the event it happened at.
    #[error("at position {position} ({event_type}): {source}")]
    AtEvent {
        /// The event's global position.
        position: i64,
        /// The event's stored name.
        event_type: String,
        /// What went wrong.
        source: Box<ProjectionError>,
    },
}

impl ProjectionError {
    /// Names the event this error happened at.
    pub fn at(self, event: &StoredEvent) -> Self {
        match self {
            Self::AtEvent { .. } => self,
            other => Self::AtEvent {
                position: event.position,
                event_type: event.event_type.clone(),
                source: Box::new(other),
            },
        }
    }
}

/// The read models, by name: what a query waits for with `min_position`. Each projection's
/// `name` is its variant's, so a query cannot name a read model that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadModel {
    /// `access`.
    Access,
    /// `action_log`.
    ActionLog,
    /// `balances`.
    Balances,
    /// `tariffs`.
    Tariffs,
    /// `providers`.
    Providers,
    /// `clients`.
    Clients,
    /// `companies`.
    Companies,
    /// `domain_contacts`.
    DomainContacts,
    /// `expenses`.
    Expenses,
    /// `invoices`.
    Invoices,
    /// `item_types`.
    ItemTypes,
    /// `merges`.
    Merges,
    /// `payers`.
    Payers,
    /// `payments`.
    Payments,
    /// `promo_codes`.
    PromoCodes,
    /// `affiliates`.
    Affiliates,
    /// `agreements`.
    Agreements,
    /// `contracts`.
    Contracts,
    /// `exchange_rates`.
    ExchangeRates,
    /// `reports`.
    Reports,
    /// `seal`.
    Seal,
    /// `services`.
    Services,
    /// `statement`.
    Statement,
    /// `support`.
    Support,
    /// `domains`.
    Domains,
}

impl ReadModel {
    /// Every read model.
    pub const ALL: [ReadModel; 25] = [
        ReadModel::Access,
        ReadModel::ActionLog,
        ReadModel::Balances,
        ReadModel::Tariffs,
        ReadModel::Providers,
        ReadModel::Clients,
        ReadModel::Companies,
        ReadModel::DomainContacts,
        ReadModel::Expenses,
        ReadModel::Invoices,
        ReadModel::ItemTypes,
        ReadModel::Merges,
        ReadModel::Payers,
        ReadModel::Payments,
        ReadModel::PromoCodes,
        ReadModel::Affiliates,
        ReadModel::Agreements,
        ReadModel::Contracts,
        ReadModel::ExchangeRates,
        ReadModel::Reports,
        ReadModel::Seal,
        ReadModel::Services,
        ReadModel::Statement,
        ReadModel::Support,
        ReadModel::Domains,
    ];

    /// The name its checkpoint is kept under.
    pub const fn name(self) -> &'static str {
        match self {
            ReadModel::Access => "access",
            ReadModel::ActionLog => "action_log",
            ReadModel::Balances => "balances",
            ReadModel::Tariffs => "tariffs",
            ReadModel::Providers => "providers",
            ReadModel::Clients => "clients",
            ReadModel::Companies => "companies",
            ReadModel::DomainContacts => "domain_contacts",
            ReadModel::Expenses => "expenses",
            ReadModel::Invoices => "invoices",
            ReadModel::ItemTypes => "item_types",
            ReadModel::Merges => "merges",
            ReadModel::Payers => "payers",
            ReadModel::Payments => "payments",
            ReadModel::PromoCodes => "promo_codes",
            ReadModel::Affiliates => "affiliates",
            ReadModel::Agreements => "agreements",
            ReadModel::Contracts => "contracts",
            ReadModel::ExchangeRates => "exchange_rates",
            ReadModel::Reports => "reports",
            ReadModel::Seal => "seal",
            ReadModel::Services => "services",
            ReadModel::Statement => "statement",
            ReadModel::Support => "support",
            ReadModel::Domains => "domains",
        }
    }
}

/// Every projection of the billing core, in the order a rebuild runs them.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(clients::Providers),
        Arc::new(clients::Clients),
        Arc::new(balances::Balances),
        Arc::new(action_log::ActionLog),
        Arc::new(catalog::Tariffs),
        Arc::new(services::Services),
        Arc::new(expenses::Expenses),
        Arc::new(statement::Statement),
        Arc::new(payments::Payments),
        Arc::new(invoices::Invoices),
        Arc::new(companies::Companies),
        Arc::new(rates::ExchangeRates),
        Arc::new(promos::PromoCodes),
        Arc::new(affiliates::Affiliates),
        Arc::new(agreements::Agreements),
        Arc::new(contracts::Contracts),
        Arc::new(reports::Reports),
        Arc::new(payers::Payers),
        Arc::new(domain_contacts::DomainContactsModel),
        Arc::new(merges::Merges),
        Arc::new(item_types::ItemTypes),
        Arc::new(access::Access),
        Arc::new(support::Support),
        Arc::new(seal::Seal),
        Arc::new(domains::Domains),
    ]
}

/// The projection named `name`, if there is one.
pub fn by_name(name: &str) -> Option<Arc<dyn Projection>> {
    all().into_iter().find(|p| p.name() == name)
}
