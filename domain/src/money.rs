//! Exact money: an ISO 4217 currency and a decimal amount at that currency's minor-unit scale.
//!
//! A `Money` is always at its currency's scale (2 for EUR, 0 for JPY, 3 for BHD), so two amounts
//! in one currency compare, add and serialize without any rounding. Input with more decimal
//! places than the currency allows is rejected, because silently dropping a fraction of a cent is
//! how ledgers stop balancing. The only rounding is the named one in [`Money::prorate`], half
//! away from zero to the minor unit.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The exclusive bound on the absolute value of any amount: 10^15.
///
/// A quadrillion units of any currency is far beyond a hosting provider's ledger, and the bound
/// keeps every amount (at most 4 decimal places) well inside both `Decimal` and Postgres
/// `NUMERIC(19, 4)`-style columns, so sums of many amounts cannot overflow unnoticed.
const AMOUNT_ABS_LIMIT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// The number of integer digits an amount below `AMOUNT_ABS_LIMIT` can have.
const AMOUNT_INTEGER_DIGITS_MAX: usize = 15;

/// ISO 4217 currency with a defined number of minor units (EUR 2, JPY 0, BHD 3). Copy.
///
/// Codes without a minor unit count (precious metals such as XAU, testing and "no currency"
/// codes such as XTS and XXX) cannot be a `Currency`, because an amount in them has no scale.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The euro, handy in tests and examples.
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);
    /// The US dollar, handy in tests and examples.
    pub const USD: Currency = Currency(iso_currency::Currency::USD);
    /// The Japanese yen, a currency without minor units.
    pub const JPY: Currency = Currency(iso_currency::Currency::JPY);
    /// The Bahraini dinar, a currency with three minor units.
    pub const BHD: Currency = Currency(iso_currency::Currency::BHD);

    /// Parses an ISO 4217 alphabetic code: exactly three uppercase ASCII letters naming a
    /// currency with a defined number of minor units.
    ///
    /// The code is not trimmed or upper-cased: callers that accept sloppy input should normalise
    /// it themselves, so that stored events only ever hold the canonical spelling.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let unknown = || MoneyError::UnknownCurrency(code.to_string());
        if code.len() != 3 || !code.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(unknown());
        }
        let currency = iso_currency::Currency::from_code(code).ok_or_else(unknown)?;
        if currency.exponent().is_none() {
            return Err(unknown());
        }
        Ok(Currency(currency))
    }

    /// The ISO 4217 alphabetic code, such as `"EUR"`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// The number of decimal places of the currency's minor unit (2 for EUR, 0 for JPY).
    pub fn minor_units(self) -> u32 {
        // `parse` only admits currencies with an exponent, so the fallback is never taken.
        self.0.exponent().map_or(0, u32::from)
    }

    /// The currency's English name, such as `"Euro"`.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The ISO 4217 numeric code, such as 978 for the euro.
    pub fn numeric(self) -> u16 {
        self.0.numeric()
    }

    /// Every currency that can be a `Currency` (each ISO 4217 code with a defined number of
    /// minor units), sorted by code.
    pub fn all() -> Vec<Currency> {
        // `iso_currency` lists its currencies only behind a feature that pulls in another crate.
        // Every ISO 4217 currency has its own three-digit numeric code, so walking the numeric
        // codes finds each one exactly once.
        let mut all: Vec<Currency> = (0..=999_u16)
            .filter_map(iso_currency::Currency::from_numeric)
            .filter(|currency| currency.exponent().is_some())
            .map(Currency)
            .collect();
        all.sort_by_key(|currency| currency.code());
        all
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Currency, MoneyError> {
        Currency::parse(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Currency, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(D::Error::custom)
    }
}

/// An exact amount at its currency's minor-unit scale (amount.scale() == currency.minor_units()
/// always).
///
/// The fields are private so that the scale and the range can only be established by the
/// constructors below. There is no `PartialOrd`: ordering amounts in different currencies is
/// meaningless, so compare `amount()`s after checking the currencies.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::new(0, currency.minor_units()),
            currency,
        }
    }

    /// Parses a plain decimal string: an optional `-`, one or more digits, and optionally a `.`
    /// followed by one or more digits.
    ///
    /// There is no `+`, exponent, whitespace, thousands separator or leading `.`, because amounts
    /// come from machines and a lenient grammar only hides bugs in the sender. More fractional
    /// digits than the currency's minor units is `TooPrecise`, even when they are zeros
    /// (`"12.500"` EUR), since the sender evidently works at another scale. The result is
    /// rescaled to the minor units (`"12.5"` EUR is 12.50) and `"-0"` is plain zero.
    pub fn parse(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let invalid = || MoneyError::InvalidAmount(amount.to_string());
        let (negative, unsigned) = match amount.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount),
        };
        let (integer, fraction) = match unsigned.split_once('.') {
            Some((integer, fraction)) => (integer, fraction),
            None => (unsigned, ""),
        };
        let all_digits = |digits: &str| digits.bytes().all(|byte| byte.is_ascii_digit());
        let has_point = unsigned.len() != integer.len();
        if integer.is_empty() || !all_digits(integer) || (has_point && fraction.is_empty()) {
            return Err(invalid());
        }
        if !all_digits(fraction) {
            return Err(invalid());
        }

        let minor_units = currency.minor_units();
        // A fraction too long to count in a `u32` is certainly too precise.
        let too_precise = u32::try_from(fraction.len()).map_or(true, |digits| digits > minor_units);
        if too_precise {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                currency,
                minor_units,
            });
        }
        let integer = integer.trim_start_matches('0');
        if integer.len() > AMOUNT_INTEGER_DIGITS_MAX {
            return Err(MoneyError::Overflow);
        }

        // The checks above bound the text to at most 15 + 4 digits, which `Decimal` represents
        // exactly, so the conversion below cannot lose anything.
        let mut canonical = String::with_capacity(amount.len() + 2);
        if negative {
            canonical.push('-');
        }
        canonical.push_str(if integer.is_empty() { "0" } else { integer });
        if !fraction.is_empty() {
            canonical.push('.');
            canonical.push_str(fraction);
        }
        let decimal = Decimal::from_str_exact(&canonical).map_err(|_| invalid())?;
        Money::at_scale(decimal, currency)
    }

    /// Parses like [`Money::parse`] and then rejects zero and negative amounts with
    /// `NotPositive`.
    pub fn parse_positive(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        let money = Money::parse(amount, currency)?;
        if money.is_positive() {
            Ok(money)
        } else {
            Err(MoneyError::NotPositive)
        }
    }

    /// Converts a `Decimal` into `Money`, rescaling it to the currency's minor units.
    ///
    /// Trailing zeros beyond the minor units are accepted (1.230 EUR is 1.23 EUR), but non-zero
    /// digits there are `TooPrecise`, because dropping them would be an unannounced rounding.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let minor_units = currency.minor_units();
        if amount.normalize().scale() > minor_units {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                currency,
                minor_units,
            });
        }
        Money::at_scale(amount, currency)
    }

    /// The amount, with exactly `currency().minor_units()` decimal places.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Adds `rhs`, which must be in the same currency; the sum must stay within range.
    pub fn checked_add(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(rhs)?;
        let sum = self
            .amount
            .checked_add(rhs.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::at_scale(sum, self.currency)
    }

    /// Subtracts `rhs`, which must be in the same currency; the difference must stay within range.
    pub fn checked_sub(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(rhs)?;
        let difference = self
            .amount
            .checked_sub(rhs.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::at_scale(difference, self.currency)
    }

    /// Multiplies by a whole `quantity`, such as a number of units of an add-on. Exact: no
    /// rounding is needed, and the product must stay within range.
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .ok_or(MoneyError::Overflow)?;
        Money::at_scale(product, self.currency)
    }

    /// `self × numerator / denominator`, rounded once to the currency's minor unit, half away
    /// from zero (`RoundingStrategy::MidpointAwayFromZero`): 10.00 × 1/3 is 3.33 and 0.05 × 1/2
    /// is 0.03.
    ///
    /// This is the one place where money is rounded (pro rata credits and charges). The quotient
    /// is computed exactly on the count of minor units in 128-bit integers, so a result that lies
    /// a hair beside a midpoint can never be pushed onto it by an intermediate rounding. A zero
    /// `denominator` is `Overflow`, like any result out of range.
    pub fn prorate(self, numerator: u32, denominator: u32) -> Result<Money, MoneyError> {
        self.prorate_i128(i128::from(numerator), i128::from(denominator))
    }

    /// `self × part / whole`, rounded as [`Money::prorate`] rounds: the share of `self` that
    /// `part` is of `whole` (the commission on a refunded part of a payment). `part` and `whole`
    /// are in one currency, `whole` above zero.
    pub fn share(self, part: Money, whole: Money) -> Result<Money, MoneyError> {
        part.same_currency(whole)?;
        if !whole.is_positive() {
            return Err(MoneyError::Overflow);
        }
        // Both at their currency's scale: their mantissas count minor units.
        self.prorate_i128(part.amount.mantissa(), whole.amount.mantissa())
    }

    fn prorate_i128(self, numerator: i128, divisor: i128) -> Result<Money, MoneyError> {
        if divisor <= 0 {
            return Err(MoneyError::Overflow);
        }
        // The amount is at the currency's scale, so its mantissa counts minor units.
        let minor = self.amount.mantissa();
        let dividend = minor.checked_mul(numerator).ok_or(MoneyError::Overflow)?;
        let mut quotient = dividend / divisor;
        let remainder = dividend % divisor;
        // Integer division truncates toward zero; a remainder of at least half the divisor moves
        // the result one minor unit away from zero.
        if remainder.abs() * 2 >= divisor {
            quotient += dividend.signum();
        }
        let amount = Decimal::try_from_i128_with_scale(quotient, self.currency.minor_units())
            .map_err(|_| MoneyError::Overflow)?;
        Money::at_scale(amount, self.currency)
    }

    /// The same amount with the opposite sign. The range is symmetric, so this cannot fail.
    pub fn negated(self) -> Money {
        Money {
            amount: without_negative_zero(-self.amount),
            currency: self.currency,
        }
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        !self.amount.is_zero() && self.amount.is_sign_negative()
    }

    /// Whether the amount is above zero.
    pub fn is_positive(&self) -> bool {
        !self.amount.is_zero() && self.amount.is_sign_positive()
    }

    /// Checks the range and brings `amount` to the currency's scale. Every constructor ends here,
    /// so the invariants of `Money` are established in one place.
    fn at_scale(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if amount.abs() >= AMOUNT_ABS_LIMIT {
            return Err(MoneyError::Overflow);
        }
        let mut amount = amount;
        amount.rescale(currency.minor_units());
        Ok(Money {
            amount: without_negative_zero(amount),
            currency,
        })
    }

    fn same_currency(self, rhs: Money) -> Result<(), MoneyError> {
        if self.currency == rhs.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                expected: self.currency,
                found: rhs.currency,
            })
        }
    }
}

/// `Decimal` keeps a sign on zero; clearing it makes `-0.00` print, hash and serialize as `0.00`.
fn without_negative_zero(mut amount: Decimal) -> Decimal {
    if amount.is_zero() {
        amount.set_sign_positive(true);
    }
    amount
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The JSON shape of `Money`: `{"amount":"12.50","currency":"EUR"}`.
///
/// The amount is a string so that no JSON parser along the way turns it into a float.
#[derive(Serialize, Deserialize)]
struct MoneyWire {
    amount: String,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.amount.to_string(),
            currency: self.currency,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        // Going through `parse` means a stored or posted amount obeys exactly the same grammar
        // and precision rules as one typed into a form.
        let wire = MoneyWire::deserialize(deserializer)?;
        Money::parse(&wire.amount, wire.currency).map_err(D::Error::custom)
    }
}

/// Why an amount or a currency was rejected, or why arithmetic on money failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not an ISO 4217 currency with a defined number of minor units.
    #[error("unknown currency {0:?}")]
    UnknownCurrency(String),
    /// The amount has more decimal places than the currency's minor units.
    #[error("{amount} has more decimal places than {currency} allows ({minor_units})")]
    TooPrecise {
        /// The amount as it was given.
        amount: String,
        /// The currency it was given in.
        currency: Currency,
        /// The number of decimal places the currency allows.
        minor_units: u32,
    },
    /// The text is not a plain decimal number.
    #[error("{0:?} is not a decimal amount")]
    InvalidAmount(String),
    /// The amount had to be greater than zero.
    #[error("amount must be greater than zero")]
    NotPositive,
    /// The amount, or the result of arithmetic, is not below 10^15 in absolute value.
    #[error("amount is out of range")]
    Overflow,
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The currency of the left-hand side (or of the account).
        expected: Currency,
        /// The currency that was found instead.
        found: Currency,
    },
}

impl MoneyError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::UnknownCurrency(_) => "unknown_currency",
            MoneyError::TooPrecise { .. } => "too_precise",
            MoneyError::InvalidAmount(_) => "invalid_amount",
            MoneyError::NotPositive => "not_positive",
            MoneyError::Overflow => "amount_out_of_range",
            MoneyError::CurrencyMismatch { .. } => "currency_mismatch",
        }
    }
}

#[cfg(test)]
mod tests;
