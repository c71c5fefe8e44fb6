//! Standing discounts: a client group's percent per item type and a client's personal percent,
//! which every charge of the client's services may take off the price per period.
//!
//! The groups (`ClientGroup`) and the client (`Client`) keep what staff set; the use case that
//! charges reads them into [`StandingDiscount`]s and hands them to the service, whose
//! `Service::due_period_with` chooses what a charge gets. The rule of combination lives there,
//! in one place: **the best single discount** — of the service's promo code discount and the
//! standing discounts that apply to the period, the one that takes the most off the price per
//! period, never stacked, so a charge never goes below zero and never below what any one
//! discount alone would leave. On a tie the promo code wins, then the personal discount, then the
//! groups in the order given.

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::ClientGroupId;
use crate::money::Money;
use crate::promo::{Discount, PERCENT_DECIMAL_PLACES_MAX};
use crate::tariff::ItemType;

/// The most item types a personal discount may be limited to.
pub const DISCOUNT_ITEM_TYPES_MAX: usize = 50;

/// A discount percent: above 0 and at most 100, with at most 2 decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct DiscountPercent(Decimal);

impl DiscountPercent {
    /// Checks `percent`: refused with `InvalidPercent` unless above 0, at most 100 and with at
    /// most 2 decimal places.
    pub fn parse(percent: Decimal) -> Result<DiscountPercent, DiscountError> {
        let valid = percent > Decimal::ZERO
            && percent <= Decimal::ONE_HUNDRED
            && percent.normalize().scale() <= PERCENT_DECIMAL_PLACES_MAX;
        if valid {
            Ok(DiscountPercent(percent.normalize()))
        } else {
            Err(DiscountError::InvalidPercent(percent))
        }
    }

    /// The percent.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// The discount on `price`: the percent of it, rounded once to the minor unit half away from
    /// zero (as a promo code's percent), never more than the price; zero for a negative price.
    pub fn of(self, price: Money) -> Money {
        Discount::Percent { percent: self.0 }
            .of(price)
            .unwrap_or_else(|_| Money::zero(price.currency()))
    }
}

impl TryFrom<Decimal> for DiscountPercent {
    type Error = DiscountError;

    fn try_from(value: Decimal) -> Result<DiscountPercent, DiscountError> {
        DiscountPercent::parse(value)
    }
}

impl From<DiscountPercent> for Decimal {
    fn from(value: DiscountPercent) -> Decimal {
        value.0
    }
}

/// A client's personal discount, as staff set it on the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalDiscount {
    /// What it takes off the price per period.
    pub percent: DiscountPercent,
    /// The item types it applies to; empty for every type. Each at most once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_types: Vec<ItemType>,
    /// The last day a discounted period may start (inclusive); `None` for no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

impl PersonalDiscount {
    /// Refuses an item type named twice or too many of them.
    pub fn check(&self) -> Result<(), DiscountError> {
        if self.item_types.len() > DISCOUNT_ITEM_TYPES_MAX {
            return Err(DiscountError::TooManyItemTypes {
                max: DISCOUNT_ITEM_TYPES_MAX,
            });
        }
        for (index, item_type) in self.item_types.iter().enumerate() {
            if self.item_types[..index].contains(item_type) {
                return Err(DiscountError::DuplicateItemType(item_type.to_string()));
            }
        }
        Ok(())
    }
}

/// Where a standing discount comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscountSource {
    /// The client's personal discount.
    Personal,
    /// The discount of a group the client is in.
    Group {
        /// The group.
        group_id: ClientGroupId,
        /// Its name, shown on the expense.
        name: String,
    },
}

/// A discount in effect for a client, read from its aggregate by the caller that charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingDiscount {
    /// Where it comes from.
    pub source: DiscountSource,
    /// What it takes off the price per period.
    pub percent: DiscountPercent,
    /// The item types it applies to; empty for every type.
    pub item_types: Vec<ItemType>,
    /// The last day a discounted period may start (inclusive); `None` for no end.
    pub until: Option<NaiveDate>,
}

impl StandingDiscount {
    /// Whether it applies to a period of an `item_type` service starting on `period_start`.
    pub fn applies_to(&self, item_type: ItemType, period_start: NaiveDate) -> bool {
        (self.item_types.is_empty() || self.item_types.contains(&item_type))
            && self.until.is_none_or(|until| period_start <= until)
    }

    /// How an expense names it: `personal`, or `group:<name>`. The labels are stable (a page
    /// may translate them); a promo code discount is named by its code.
    pub fn label(&self) -> String {
        match &self.source {
            DiscountSource::Personal => PERSONAL_LABEL.to_string(),
            DiscountSource::Group { name, .. } => format!("{GROUP_LABEL_PREFIX}{name}"),
        }
    }
}

/// The expense discount label of a personal discount.
pub const PERSONAL_LABEL: &str = "personal";

/// The prefix of the expense discount label of a group discount, before the group's name.
pub const GROUP_LABEL_PREFIX: &str = "group:";

/// Why a discount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscountError {
    /// The percent is not above 0 and at most 100 with at most 2 decimal places.
    #[error("percent: {0} must be above 0 and at most 100, with at most 2 decimal places")]
    InvalidPercent(Decimal),
    /// An item type is named twice.
    #[error("item_types: {0} is named twice")]
    DuplicateItemType(String),
    /// Too many item types.
    #[error("item_types: at most {max}")]
    TooManyItemTypes {
        /// The most allowed.
        max: usize,
    },
}

impl DiscountError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            DiscountError::InvalidPercent(_) => "invalid_discount_percent",
            DiscountError::DuplicateItemType(_) => "duplicate_item_type",
            DiscountError::TooManyItemTypes { .. } => "too_many_item_types",
        }
    }
}
