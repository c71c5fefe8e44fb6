//! The billing core's application: the use cases that decide through the aggregates, the HTTP
//! layer that translates requests into them, and the `billing` binary's commands.
//!
//! Three rooms, one direction: [`http`] parses a request, calls one use case or one query, and
//! answers; [`usecases`] loads aggregates, runs commands through [`eventstore::EventStore`] and
//! holds the process managers; [`cli`] is one module per command of the binary. `http` and
//! `cli` call `usecases`; `usecases` knows neither.

pub mod cli;
pub mod http;
pub mod node;
pub mod telemetry;
pub mod usecases;

pub use http::app::router;
pub use http::state::AppState;
pub use node::{Running, ServerConfig};
