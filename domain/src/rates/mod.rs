//! The exchange rates aggregate: the rates of one base currency against its quote currencies,
//! by the date they take effect.
//!
//! There is one aggregate per base currency, and its id is the base's code (`"USD"`). A set of
//! rates applies from its `effective_from` on, until a later set quotes the same currency: a
//! quote missing from a later set keeps its earlier rate. A second, different set for the same
//! date is a correction and replaces the first one whole; sending the same set again records
//! nothing, so a rate feed can be replayed safely.
//!
//! The state keeps every set ever recorded (at most 200 quotes a day), because a payment may be
//! converted at the rate of any past date.

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The most quotes one set of rates may hold.
pub const QUOTES_MAX: usize = 200;

/// The exchange rates of one base currency, rebuilt from their events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRates {
    /// `None` until the first `ExchangeRatesSet`.
    base: Option<Currency>,
    /// The set in effect from each date on, each sorted by quote currency code.
    sets: BTreeMap<NaiveDate, Vec<QuotedRate>>,
}

impl ExchangeRates {
    /// The base currency, once a set of rates has been recorded.
    pub fn base(&self) -> Option<Currency> {
        self.base
    }

    /// The set of rates recorded for exactly `effective_from`, if there is one.
    pub fn rates_set_on(&self, effective_from: NaiveDate) -> Option<&[QuotedRate]> {
        self.sets.get(&effective_from).map(Vec::as_slice)
    }

    /// The rate of `quote` in effect on `on` and the day it took effect: the one from the latest
    /// set dated `on` or earlier that quotes it. `None` before any such set.
    pub fn rate_on(&self, quote: Currency, on: NaiveDate) -> Option<(NaiveDate, ExchangeRate)> {
        self.sets.range(..=on).rev().find_map(|(date, rates)| {
            rates
                .iter()
                .find(|entry| entry.quote == quote)
                .map(|entry| (*date, entry.rate))
        })
    }

    /// Converts `amount`, in the base currency, into `to` at the rate in effect on `on`,
    /// rounding half away from zero to `to`'s minor unit (see [`ExchangeRate::convert`]).
    ///
    /// `CurrencyMismatch` when `amount` is not in the base; `NoExchangeRate` when no rate is in
    /// effect on `on`, including when `to` is the base itself (no rate is ever kept for it) and
    /// when no rates have been recorded at all.
    pub fn convert(
        &self,
        amount: Money,
        to: Currency,
        on: NaiveDate,
    ) -> Result<Conversion, RatesError> {
        let from = amount.currency();
        let no_rate = RatesError::NoExchangeRate { from, to, on };
        let Some(base) = self.base else {
            return Err(no_rate);
        };
        if from != base {
            return Err(RatesError::CurrencyMismatch {
                expected: base,
                found: from,
            });
        }
        let (effective_from, rate) = self.rate_on(to, on).ok_or(no_rate)?;
        Ok(Conversion {
            from: amount,
            to: rate.convert(amount, to)?,
            rate,
            effective_from,
        })
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(
        &self,
        command: ExchangeRatesCommand,
    ) -> Result<Vec<ExchangeRatesEvent>, RatesError> {
        match command {
            ExchangeRatesCommand::SetRates {
                base,
                effective_from,
                rates,
            } => {
                if let Some(expected) = self.base
                    && expected != base
                {
                    return Err(RatesError::BaseMismatch {
                        expected,
                        found: base,
                    });
                }
                let rates = checked_rates(base, rates)?;
                if self.rates_set_on(effective_from) == Some(rates.as_slice()) {
                    return Ok(vec![]);
                }
                Ok(vec![ExchangeRatesEvent::ExchangeRatesSet {
                    base,
                    effective_from,
                    rates,
                }])
            }
        }
    }
}

/// Checks a set of rates against `base` and returns it sorted by quote currency code, so that
/// the same set sent in another order is recognised as the same.
fn checked_rates(
    base: Currency,
    mut rates: Vec<QuotedRate>,
) -> Result<Vec<QuotedRate>, RatesError> {
    if rates.is_empty() {
        return Err(RatesError::NoRates);
    }
    if rates.len() > QUOTES_MAX {
        return Err(RatesError::TooManyRates {
            count: rates.len(),
            max: QUOTES_MAX,
        });
    }
    rates.sort_by_key(|entry| entry.quote.code());
    for (index, entry) in rates.iter().enumerate() {
        if entry.quote == base {
            return Err(RatesError::QuoteIsBase(base));
        }
        if index > 0 && rates[index - 1].quote == entry.quote {
            return Err(RatesError::DuplicateQuote(entry.quote));
        }
    }
    Ok(rates)
}

impl Aggregate for ExchangeRates {
    const TYPE: &'static str = "ExchangeRates";
    type Command = ExchangeRatesCommand;
    type Event = ExchangeRatesEvent;
    type Error = RatesError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ExchangeRatesCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), RatesError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ExchangeRatesEvent) {
        match event {
            ExchangeRatesEvent::ExchangeRatesSet {
                base,
                effective_from,
                rates,
            } => {
                // A set for a date already recorded replaces it: the latest correction wins.
                self.base = Some(base);
                self.sets.insert(effective_from, rates);
            }
        }
    }
}
