//! The billing rules of the hosting billing core: money, identifiers, aggregates, their
//! commands, events and errors.
//!
//! **Architecture Invariant:** `domain` does no IO and knows nothing about Postgres, HTTP or the
//! clock. Everything a decision needs (ids, timestamps, the provider's currency) arrives in the
//! command, so every rule here is a pure function that a test can run without a runtime, a
//! database or a mocked clock. `clippy.toml` enforces part of this by forbidding the clock, random
//! ids and floating point types in this crate.
//!
//! Each aggregate (`Provider`, `Client`, `Account`, `Tariff`, `Service`) exposes a synchronous `decide` that turns a
//! command into events; the `cqrs_es::Aggregate` implementation is a thin adapter over it.

pub mod access;
pub mod account;
pub mod affiliate;
pub mod agreement;
pub mod client;
pub mod company;
pub mod contact;
pub mod contract;
pub mod decimal;
pub mod desk;
pub mod discount;
pub mod domains;
pub mod group;
pub mod hourly;
pub mod ids;
pub mod import;
pub mod invoice;
pub mod item_type;
pub mod merge;
pub mod module;
pub mod money;
pub mod notice;
pub mod payer;
pub mod payment;
pub mod period;
pub mod promo;
pub mod provider;
pub mod rates;
pub mod revenue;
pub mod service;
pub mod tariff;
pub mod tax;
pub mod ticket;
pub mod tld;
pub mod usage;

mod text;
