//! The HTTP layer: routes, extractors, the authorization middleware, the idempotency layer,
//! the OpenAPI document, the staff panel (`dashboard`), the customer panel (`my`), what both
//! panels share (`pages`) and printable documents. A handler parses the request into typed
//! input, calls exactly one use case or one read-model query, and answers.

pub mod answer;
pub mod app;
pub mod auth;
pub mod chain;
pub mod csv;
pub mod dashboard;
pub mod document;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod my;
pub mod pages;
pub mod route;
pub mod routes;
pub mod server;
pub mod state;
pub mod views;
