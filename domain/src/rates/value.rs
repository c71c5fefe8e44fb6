//! Value types of exchange rates and of the conversions made with them.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::RatesError;
use crate::money::{Currency, Money, MoneyError};

/// The most decimal places a rate may have.
pub const RATE_DECIMAL_PLACES_MAX: u32 = 10;

/// The most integer digits a rate may have: rates stay below 10^9.
const RATE_INTEGER_DIGITS_MAX: usize = 9;

/// The exclusive upper bound of a rate: 10^9.
const RATE_LIMIT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// How many units of a quote currency one unit of a base currency is worth: a positive decimal
/// below 1000000000 with at most 10 decimal places, such as `0.9234`.
///
/// Rates are finer than money and are never rounded; the one place a rate meets money is
/// [`ExchangeRate::convert`], which rounds once. The value is kept without trailing zeros, so
/// `"0.92340"` and `"0.9234"` are the same rate and serialize alike. JSON carries it as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExchangeRate(Decimal);

impl ExchangeRate {
    /// Parses a plain decimal string: one or more digits, optionally a `.` and one to ten
    /// digits. There is no sign, exponent, whitespace or leading `.`, as in [`Money::parse`].
    pub fn parse(rate: &str) -> Result<ExchangeRate, RatesError> {
        let invalid = || RatesError::InvalidRate(rate.to_string());
        let (integer, fraction) = match rate.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (rate, None),
        };
        let all_digits = |digits: &str| digits.bytes().all(|byte| byte.is_ascii_digit());
        if integer.is_empty() || !all_digits(integer) {
            return Err(invalid());
        }
        if let Some(fraction) = fraction {
            let too_long = u32::try_from(fraction.len())
                .map_or(true, |digits| digits > RATE_DECIMAL_PLACES_MAX);
            if fraction.is_empty() || too_long || !all_digits(fraction) {
                return Err(invalid());
            }
        }
        if integer.trim_start_matches('0').len() > RATE_INTEGER_DIGITS_MAX {
            return Err(invalid());
        }
        // At most 9 + 10 digits: `Decimal` holds them exactly.
        let decimal = Decimal::from_str_exact(rate).map_err(|_| invalid())?;
        ExchangeRate::from_decimal(decimal).map_err(|_| invalid())
    }

    /// Checks a `Decimal`: above zero, below 10^9, at most 10 decimal places once trailing zeros
    /// are dropped.
    pub fn from_decimal(rate: Decimal) -> Result<ExchangeRate, RatesError> {
        let rate = rate.normalize();
        let in_range = rate.is_sign_positive() && !rate.is_zero() && rate < RATE_LIMIT;
        if in_range && rate.scale() <= RATE_DECIMAL_PLACES_MAX {
            Ok(ExchangeRate(rate))
        } else {
            Err(RatesError::InvalidRate(rate.to_string()))
        }
    }

    /// The rate, without trailing zeros.
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// `amount × rate` in `to`, rounded once to `to`'s minor unit, half away from zero
    /// (`RoundingStrategy::MidpointAwayFromZero`): 100.00 USD at 0.9234 is 92.34 EUR, and 1 at
    /// 2.5 is 3 JPY.
    ///
    /// The product is computed exactly on the mantissas in 128-bit integers (an amount below
    /// 10^15 with 4 decimal places times a rate below 10^9 with 10 stays below 10^38), so no
    /// intermediate rounding can move a result onto a midpoint. A result out of the range of
    /// `Money` is `Overflow`.
    pub fn convert(self, amount: Money, to: Currency) -> Result<Money, MoneyError> {
        let overflow = || MoneyError::Overflow;
        let product = amount
            .amount()
            .mantissa()
            .checked_mul(self.0.mantissa())
            .ok_or_else(overflow)?;
        let scale = amount.amount().scale() + self.0.scale();
        let target = to.minor_units();
        let minor = if scale <= target {
            let factor = 10_i128.checked_pow(target - scale).ok_or_else(overflow)?;
            product.checked_mul(factor).ok_or_else(overflow)?
        } else {
            let divisor = 10_i128.checked_pow(scale - target).ok_or_else(overflow)?;
            let mut quotient = product / divisor;
            let remainder = product % divisor;
            // Integer division truncates toward zero; a remainder of at least half the divisor
            // moves the result one minor unit away from zero.
            if remainder.abs() * 2 >= divisor {
                quotient += product.signum();
            }
            quotient
        };
        let decimal = Decimal::try_from_i128_with_scale(minor, target).map_err(|_| overflow())?;
        Money::from_decimal(decimal, to)
    }
}

impl TryFrom<String> for ExchangeRate {
    type Error = RatesError;

    fn try_from(value: String) -> Result<ExchangeRate, RatesError> {
        ExchangeRate::parse(&value)
    }
}

impl From<ExchangeRate> for String {
    fn from(value: ExchangeRate) -> String {
        value.0.to_string()
    }
}

impl fmt::Display for ExchangeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The rate of one quote currency against the base: one unit of the base is worth `rate` units
/// of `quote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedRate {
    /// The currency the rate converts into; never the base.
    pub quote: Currency,
    /// Units of `quote` per unit of the base.
    pub rate: ExchangeRate,
}

/// A conversion of an amount into another currency, as a converted payment keeps it: what was
/// converted, what it became, and which rate (in effect since which date) did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The amount converted, in the base currency.
    pub from: Money,
    /// The result, in the quote currency, rounded half away from zero to its minor unit.
    pub to: Money,
    /// The rate used.
    pub rate: ExchangeRate,
    /// The day the rate took effect.
    pub effective_from: NaiveDate,
}

impl Conversion {
    /// Whether `to` is what `rate` makes of `from` ([`ExchangeRate::convert`]).
    ///
    /// A conversion arrives in a command, so whoever credits money with it must check it: a
    /// conversion that is not at its own rate would credit more (or less) than the amount paid
    /// is worth.
    pub fn is_at_its_rate(&self) -> bool {
        self.rate
            .convert(self.from, self.to.currency())
            .is_ok_and(|converted| converted == self.to)
    }
}
