//! End-to-end tests: one binary, a fresh PostgreSQL database per test, the real HTTP server on a
//! loopback port.

// Tests fail loudly with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod affiliates;
mod agreements;
// Affiliate programs on the panels and at the sign-up (helper "aff2").
mod affiliates_pages;
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
mod contracts;
mod crash;
mod demo;
// Group and personal discounts (helper "dis").
mod discounts;
// Documents that print any name, and document templates (helper "docs").
mod documents;
mod documents_lang;
// Domain contacts and the domain services that use them (helper "domains").
mod domain_contacts;
mod eventstore;
mod holes;
mod hourly;
mod idempotency;
mod import;
mod invoicing;
// Item types as a directory, their policies (helper "pol1").
mod item_types;
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
mod policies;
// A tariff's price change on its staff page (helper "i19b").
mod pressure;
mod price_change_pages;
mod private_cluster;
mod process;
mod projections;
mod promos;
mod reports;
mod restore;

// Sandbox providers with a test clock (helper "clk", issue 19.3).
mod gateways;
mod modules;
mod registrar;
mod sandbox;
mod secrets;
mod shutdown;
mod signin;
mod support;
mod tax_invoices;

// Usage-based charging (helper "usage", issue 20.3).
mod usage;
// Domains with registrars (helper "domains", issue 20.4).
mod domains;
// Several nodes behind HAProxy with a read replica (helper "scale", issue 21.2).
mod multinode;
// Import: companies, payers, users and open invoices (helper "imports", issue 19.1).
mod import_people;
// Imported and manual invoices paid by a payment that names them (helper "i19a", issue 19).
mod import_invoices;
// The client groups' discounts on the staff panel (helper "imports", issue 20.6).
mod group_discounts_panel;
// Projection groups spread over nodes (helper "groups", issue 21.3).
mod groups;
