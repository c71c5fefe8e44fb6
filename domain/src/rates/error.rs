use chrono::NaiveDate;

use crate::money::{Currency, MoneyError};

/// Why an exchange rate command was refused, a rate was rejected, or an amount could not be
/// converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatesError {
    /// The rate, as given, is not a positive decimal below 1000000000 with at most 10 decimal
    /// places.
    #[error(
        "rate: {0:?} must be a positive decimal below 1000000000 with at most 10 decimal places"
    )]
    InvalidRate(String),
    /// A set of rates was empty.
    #[error("rates: must not be empty")]
    NoRates,
    /// A set of rates held more quotes than allowed.
    #[error("rates: {count} quotes, at most {max} allowed")]
    TooManyRates {
        /// How many quotes the command held.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A quote currency appeared more than once in one set.
    #[error("rates: {0} is quoted more than once")]
    DuplicateQuote(Currency),
    /// A quote currency was the base currency itself.
    #[error("rates: {0} is the base currency and cannot be quoted against itself")]
    QuoteIsBase(Currency),
    /// The command names another base currency than the aggregate's.
    #[error("base: expected {expected}, found {found}")]
    BaseMismatch {
        /// The aggregate's base currency.
        expected: Currency,
        /// The command's base currency.
        found: Currency,
    },
    /// The amount to convert is not in the base currency.
    #[error("amount: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The base currency.
        expected: Currency,
        /// The amount's currency.
        found: Currency,
    },
    /// No rate from `from` to `to` is in effect on `on`.
    #[error("no exchange rate from {from} to {to} on {on}")]
    NoExchangeRate {
        /// The currency converted from.
        from: Currency,
        /// The currency converted to.
        to: Currency,
        /// The date asked for.
        on: NaiveDate,
    },
    /// Money arithmetic failed, such as a converted amount leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl RatesError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            RatesError::InvalidRate(_) => "invalid_rate",
            RatesError::NoRates => "no_rates",
            RatesError::TooManyRates { .. } => "too_many_rates",
            RatesError::DuplicateQuote(_) => "duplicate_quote",
            RatesError::QuoteIsBase(_) => "quote_is_base",
            RatesError::BaseMismatch { .. } => "base_mismatch",
            RatesError::CurrencyMismatch { .. } => "currency_mismatch",
            RatesError::NoExchangeRate { .. } => "no_exchange_rate",
            RatesError::Money(error) => error.code(),
        }
    }
}
