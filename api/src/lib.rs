//! The HTTP layer of the billing core and the `billing` binary's commands.
//!
//! **Architecture Invariant:** handlers hold no business rules. A POST parses its body into domain
//! types and runs one command through [`eventstore::EventStore`]; a GET reads one read model
//! (waiting for `min_position` first). Every error leaves as `application/problem+json`.

pub mod app;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod bench_billing;
pub mod bench_deep;
pub mod bulk;
pub mod dashboard;
pub mod demo;
pub mod document;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod pgcluster;
pub mod rebuild;
pub mod routes;
pub mod server;
pub mod telemetry;

pub use app::{AppState, router};
pub use server::{Running, ServerConfig};
