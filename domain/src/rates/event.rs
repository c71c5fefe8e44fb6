use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::QuotedRate;
use crate::money::Currency;

/// What has happened to the exchange rates of one base currency. Stored forever: variants and
/// fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExchangeRatesEvent {
    /// The rates in effect from a date on were set, replacing any set for the same date.
    ExchangeRatesSet {
        /// The base currency.
        base: Currency,
        /// The first day the rates apply to.
        effective_from: NaiveDate,
        /// The whole set for that date, sorted by quote currency code.
        rates: Vec<QuotedRate>,
    },
}

impl DomainEvent for ExchangeRatesEvent {
    fn event_type(&self) -> String {
        // A literal name, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::ExchangeRatesSet { .. } => "ExchangeRatesSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
