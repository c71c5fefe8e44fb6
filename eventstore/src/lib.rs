//! The PostgreSQL event log of the billing core.
//!
//! **Architecture Invariant:** events are only ever appended. Every write goes through
//! [`EventStore::execute`], which loads an aggregate (snapshot plus tail, each event applied once),
//! lets the domain decide, and appends with the `(aggregate_type, aggregate_id, sequence)` primary
//! key as the optimistic-concurrency check. Readers of the whole log use [`log::read_after`], the
//! safe order, which never skips an event of a transaction that commits late.
//!
//! The schema is postgres-es's `events` table plus our columns (`global_position`, `tx_id`,
//! `recorded_at`); postgres-es's own repository still reads it (full replays).

mod aggregates;
pub mod clock;
mod error;
mod group;
pub mod log;
pub mod metadata;
pub mod requests;
mod store;

pub use error::{CommandError, StoreError};
pub use group::wake_projections;
pub use store::{
    BatchCommand, Batched, CommandKey, Committed, Created, Credential, EventStore, Loaded,
    NamedCommand, StoreConfig, StoredAggregate,
};

/// The schema migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
