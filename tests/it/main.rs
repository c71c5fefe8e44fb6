//! End-to-end tests: one binary, a fresh PostgreSQL database per test, the real HTTP server on a
//! loopback port.

// Tests fail loudly with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod api;
// `GET /v1/services` (helper "polish").
mod api_services;
mod audit;
mod bench;
mod billing;
mod billing_batches;
mod browser;
mod companies;
mod conservation;
mod crash;
mod demo;
// Documents that print any name, and document templates (helper "docs").
mod documents;
mod documents_lang;
// Domain contacts and the domain services that use them (helper "domains").
mod domain_contacts;
mod eventstore;
mod holes;
mod idempotency;
mod invoicing;
// Languages from message catalogues (helper "lang").
mod languages;
// Sending a document to the client again (helper "send").
mod invoice_send;
mod ledger_year;
mod merge;
mod my_panel;
mod notifications;
mod panel;
mod panel_flows;
mod panel_pages;
// Every staff page in Russian (helper "staffru").
mod panel_russian;
mod payments;
mod periods;
mod permissions;
mod pressure;
mod process;
mod projections;
mod promos;
mod reports;
mod secrets;
mod shutdown;
mod signin;
mod support;
mod tax_invoices;
