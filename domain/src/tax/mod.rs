//! Taxes: VAT numbers, a company's tax rules per client country, and the pricing of invoice lines
//! under them.
//!
//! A company keeps [`TaxRules`]: at most one [`TaxRule`] per client country and at most one
//! default for every other country. [`TaxRules::treatment_for`] turns them and a customer into a
//! [`TaxTreatment`] (standard, reverse charge, not taxed), which an invoice freezes when it is
//! drafted, so that a later change of the rules never changes an issued document.
//!
//! [`price_lines`] prices invoice lines under a treatment. Every line is rounded on its own to the
//! currency's minor unit, half away from zero, and the totals are sums of the rounded lines, so a
//! printed invoice always adds up line by line. All rounding is done on exact integer counts of
//! minor units (as [`Money::prorate`] does), never on a quotient that was itself rounded.

use rust_decimal::Decimal;

use crate::client::Country;
use crate::money::{Currency, Money, MoneyError};

/// The legal notice printed on a reverse-charge invoice.
pub const REVERSE_CHARGE_NOTICE: &str = "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)";

/// The most decimal places a tax rate may have (`7.7` has one, `2.1234` four).
pub const TAX_RATE_DECIMALS_MAX: u32 = 4;

/// The most decimal places a line quantity may have (hours or gigabytes in fractions).
pub const QUANTITY_DECIMALS_MAX: u32 = 4;

/// The largest quantity of one line.
pub const QUANTITY_MAX: u32 = 1_000_000;

/// The longest line description, in characters.
pub const LINE_DESCRIPTION_CHARS_MAX: usize = 500;

/// The most lines one invoice may have.
pub const LINES_MAX: usize = 1000;

/// Why a tax value or rule was refused, or why invoice lines could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    /// The VAT number is not two letters followed by 2 to 13 letters or digits.
    #[error(
        "vat_number: {0:?} is not two uppercase letters followed by 2 to 13 uppercase letters or digits"
    )]
    InvalidVatNumber(String),
    /// The tax rate, as given, is not a percentage from 0 to 100 with at most 4 decimal places.
    #[error(
        "rate: {0:?} is not a percentage from 0 to 100 in plain decimal notation with at most 4 decimal places"
    )]
    InvalidTaxRate(String),
    /// Two rules name the same country, or two rules are the default (`country` is `None`).
    #[error("rules: more than one rule for {}", .country.map_or("the default", |country| country.as_str()))]
    DuplicateTaxRule {
        /// The country named twice, or `None` for a second default rule.
        country: Option<Country>,
    },
    /// There are no lines to price.
    #[error("lines: an invoice needs at least one line")]
    NoLines,
    /// There are more than 1000 lines.
    #[error("lines: at most {LINES_MAX} lines, not {0}")]
    TooManyLines(usize),
    /// A line's description is empty after trimming or longer than 500 characters.
    #[error("lines[{line}].description: must be 1 to 500 characters")]
    InvalidDescription {
        /// The index of the line, from 0.
        line: usize,
    },
    /// A line's quantity is not above zero, has more than 4 decimal places or exceeds 1000000.
    #[error(
        "lines[{line}].quantity: {quantity} is not above 0 and at most 1000000 with at most 4 decimal places"
    )]
    InvalidQuantity {
        /// The index of the line, from 0.
        line: usize,
        /// The quantity as given.
        quantity: Decimal,
    },
    /// A line's unit price or discount is below zero.
    #[error("lines[{line}].{field}: must not be negative")]
    NegativeAmount {
        /// The index of the line, from 0.
        line: usize,
        /// `unit_price` or `discount`.
        field: &'static str,
    },
    /// A line's discount is larger than its quantity × unit price.
    #[error("lines[{line}].discount: {discount} exceeds the line amount {amount}")]
    DiscountExceedsAmount {
        /// The index of the line, from 0.
        line: usize,
        /// The discount asked for.
        discount: Money,
        /// The rounded quantity × unit price.
        amount: Money,
    },
    /// A line's unit price or discount is not in the invoice's currency.
    #[error("lines[{line}].{field}: currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The index of the line, from 0.
        line: usize,
        /// `unit_price` or `discount`.
        field: &'static str,
        /// The invoice's currency.
        expected: Currency,
        /// The currency of the amount.
        found: Currency,
    },
    /// A recorded line's gross is not its net plus its tax.
    #[error("lines[{line}]: gross must be net + tax")]
    LineDoesNotAddUp {
        /// The index of the line, from 0.
        line: usize,
    },
    /// Money arithmetic failed, such as a total leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl TaxError {
    /// The stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            TaxError::InvalidVatNumber(_) => "invalid_vat_number",
            TaxError::InvalidTaxRate(_) => "invalid_tax_rate",
            TaxError::DuplicateTaxRule { .. } => "duplicate_tax_rule",
            TaxError::NoLines => "no_lines",
            TaxError::TooManyLines(_) => "too_many_lines",
            TaxError::InvalidDescription { .. } => "invalid_description",
            TaxError::InvalidQuantity { .. } => "invalid_quantity",
            TaxError::NegativeAmount { .. } => "negative_amount",
            TaxError::DiscountExceedsAmount { .. } => "discount_exceeds_amount",
            TaxError::CurrencyMismatch { .. } => "currency_mismatch",
            TaxError::LineDoesNotAddUp { .. } => "line_does_not_add_up",
            TaxError::Money(error) => error.code(),
        }
    }
}

mod amounts;
mod lines;
mod rules;

#[cfg(test)]
mod tests;

pub use amounts::*;
pub use lines::*;
pub use rules::*;

/// 100 % in the unit of [`TaxRate::millionths`].
const ONE_IN_MILLIONTHS: i128 = 1_000_000;

/// The count of minor units in `money` (1234 for 12.34 EUR).
fn minor_units(money: Money) -> i128 {
    money.amount().mantissa()
}

/// `dividend / divisor` rounded to an integer half away from zero, or `None` on overflow.
///
/// Both are exact integers, so a result beside a midpoint can never be pushed onto it by an
/// intermediate rounding. `divisor` is always positive here.
fn divide_rounded(dividend: Option<i128>, divisor: i128) -> Option<i128> {
    let dividend = dividend?;
    let quotient = dividend.checked_div(divisor)?;
    let remainder = dividend.checked_rem(divisor)?;
    if remainder.checked_abs()?.checked_mul(2)? >= divisor {
        quotient.checked_add(dividend.signum())
    } else {
        Some(quotient)
    }
}

/// Money from a count of minor units, or `Overflow` when it is out of range.
fn minor_units_to_money(minor: Option<i128>, currency: Currency) -> Result<Money, MoneyError> {
    let minor = minor.ok_or(MoneyError::Overflow)?;
    let amount = Decimal::try_from_i128_with_scale(minor, currency.minor_units())
        .map_err(|_| MoneyError::Overflow)?;
    Money::from_decimal(amount, currency)
}
