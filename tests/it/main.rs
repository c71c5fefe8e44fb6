//! End-to-end tests: one binary, a fresh PostgreSQL database per test, the real HTTP server on a
//! loopback port.

// Tests fail loudly with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod api;
mod audit;
mod billing;
mod browser;
mod companies;
mod crash;
mod demo;
mod eventstore;
mod invoicing;
mod merge;
mod notifications;
mod payments;
mod permissions;
mod pressure;
mod process;
mod projections;
mod promos;
mod reports;
mod support;
mod tax_invoices;
