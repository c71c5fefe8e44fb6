use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::QuotedRate;
use crate::money::Currency;

/// What can be asked of the exchange rates of one base currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExchangeRatesCommand {
    /// Sets the rates in effect from `effective_from` on: one unit of `base` is worth `rate`
    /// units of each quote.
    ///
    /// Sending the same set for the same date again records nothing; a different set for a date
    /// that already has one replaces it (a correction).
    SetRates {
        /// The base currency; must be the aggregate's base once it has one.
        base: Currency,
        /// The first day the rates apply to.
        effective_from: NaiveDate,
        /// The rates: 1 to 200, each quote at most once and never the base.
        rates: Vec<QuotedRate>,
    },
}
