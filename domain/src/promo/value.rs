//! Value types of promo codes: the code itself, the discount and the limits.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::PromoError;
use crate::ids::TariffId;
use crate::money::Money;
use crate::period::BillingPeriod;
use crate::tariff::ItemType;

/// The shortest promo code, in characters.
pub const PROMO_CODE_CHARS_MIN: usize = 3;

/// The longest promo code, in characters (all of them ASCII).
pub const PROMO_CODE_CHARS_MAX: usize = 32;

/// The most decimal places of a percent discount.
pub const PERCENT_DECIMAL_PLACES_MAX: u32 = 2;

/// What a client types to get a discount, such as `SPRING25`: 3 to 32 characters of `A-Z`,
/// `0-9`, `_` and `-`.
///
/// Only the canonical uppercase spelling is accepted, never case-folded here: the code names the
/// aggregate ([`crate::ids::PromoCodeId::of`]), so one code must have exactly one spelling. A
/// caller that accepts `spring25` from a form upper-cases it first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PromoCodeText(String);

impl PromoCodeText {
    /// Checks `code` without trimming or upper-casing it.
    pub fn parse(code: &str) -> Result<PromoCodeText, PromoError> {
        let allowed = |byte: u8| {
            byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
        };
        let length = PROMO_CODE_CHARS_MIN..=PROMO_CODE_CHARS_MAX;
        if length.contains(&code.len()) && code.bytes().all(allowed) {
            Ok(PromoCodeText(code.to_string()))
        } else {
            Err(PromoError::InvalidCode(code.to_string()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PromoCodeText {
    type Error = PromoError;

    fn try_from(value: String) -> Result<PromoCodeText, PromoError> {
        PromoCodeText::parse(&value)
    }
}

impl From<PromoCodeText> for String {
    fn from(value: PromoCodeText) -> String {
        value.0
    }
}

impl fmt::Display for PromoCodeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a promo code takes off a price.
///
/// JSON: `{"kind":"percent","percent":"12.5"}` or
/// `{"kind":"fixed","amount":{"amount":"5.00","currency":"EUR"}}`. Reading checks the same rules
/// as [`Discount::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "DiscountWire")]
pub enum Discount {
    /// A share of the price.
    Percent {
        /// Above 0 and at most 100, with at most 2 decimal places.
        percent: Decimal,
    },
    /// A fixed amount, in the currency of the prices it discounts.
    Fixed {
        /// Above zero.
        amount: Money,
    },
}

/// The JSON shape of [`Discount`] as it is read, before its rules are checked.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DiscountWire {
    Percent { percent: Decimal },
    Fixed { amount: Money },
}

impl TryFrom<DiscountWire> for Discount {
    type Error = PromoError;

    fn try_from(wire: DiscountWire) -> Result<Discount, PromoError> {
        let discount = match wire {
            DiscountWire::Percent { percent } => Discount::Percent { percent },
            DiscountWire::Fixed { amount } => Discount::Fixed { amount },
        };
        discount.check()?;
        Ok(discount)
    }
}

impl Discount {
    /// Refuses a percent that is not above 0 and at most 100 with at most 2 decimal places, and
    /// a fixed amount that is not above zero, with `InvalidDiscount`.
    pub fn check(&self) -> Result<(), PromoError> {
        let valid = match self {
            Discount::Percent { percent } => {
                percent.is_sign_positive()
                    && !percent.is_zero()
                    && *percent <= Decimal::ONE_HUNDRED
                    && percent.normalize().scale() <= PERCENT_DECIMAL_PLACES_MAX
            }
            Discount::Fixed { amount } => amount.is_positive(),
        };
        if valid {
            Ok(())
        } else {
            Err(PromoError::InvalidDiscount)
        }
    }

    /// The discount on `price`, in `price`'s currency and never more than it.
    ///
    /// A percent is rounded once to the minor unit, half away from zero ([`Money::prorate`] on
    /// basis points): 12.5 % of 9.99 EUR is 1.25 EUR. A fixed amount is capped at the price and
    /// must be in the price's currency (`CurrencyMismatch`). A negative price is
    /// `NegativePrice`; a price of zero gets a discount of zero.
    pub fn of(&self, price: Money) -> Result<Money, PromoError> {
        self.check()?;
        if price.is_negative() {
            return Err(PromoError::NegativePrice);
        }
        match self {
            Discount::Percent { percent } => {
                let basis_points = basis_points(*percent).ok_or(PromoError::InvalidDiscount)?;
                Ok(price.prorate(basis_points, BASIS_POINTS_PER_WHOLE)?)
            }
            Discount::Fixed { amount } => {
                if amount.currency() != price.currency() {
                    return Err(PromoError::CurrencyMismatch {
                        expected: price.currency(),
                        found: amount.currency(),
                    });
                }
                Ok(if amount.amount() > price.amount() {
                    price
                } else {
                    *amount
                })
            }
        }
    }
}

/// Basis points in a whole: 100 % is 10 000 basis points.
const BASIS_POINTS_PER_WHOLE: u32 = 10_000;

/// `percent` in basis points (12.5 % is 1250), exact for a checked percent (at most 2 decimal
/// places); `None` if it does not fit.
fn basis_points(percent: Decimal) -> Option<u32> {
    let percent = percent.normalize();
    let scale_up = PERCENT_DECIMAL_PLACES_MAX.checked_sub(percent.scale())?;
    let basis_points = percent
        .mantissa()
        .checked_mul(10_i128.checked_pow(scale_up)?)?;
    u32::try_from(basis_points).ok()
}

/// What a promo code is limited to. An empty list means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoLimits {
    /// The tariffs the code applies to; each at most once.
    pub tariffs: Vec<TariffId>,
    /// The kinds of item the code applies to; each at most once.
    pub item_types: Vec<ItemType>,
    /// The billing periods the code applies to; each at most once.
    pub periods: Vec<BillingPeriod>,
    /// The first day the code may be redeemed, if limited.
    pub valid_from: Option<NaiveDate>,
    /// The last day the code may be redeemed (inclusive), if limited.
    pub valid_until: Option<NaiveDate>,
}
