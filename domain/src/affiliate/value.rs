use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AffiliateError;
use crate::money::Money;
use crate::tariff::ItemType;

/// The most months a commission may be limited to (ten years); longer is "forever".
pub const COMMISSION_MONTHS_MAX: u32 = 120;

/// The hundredths of a percent in a whole: 100 % is 10,000 basis points.
const BASIS_POINTS_PER_WHOLE: u32 = 10_000;

/// What a commission is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CommissionBasis {
    /// The referred client's payments credited to its account (`PaymentPosted`).
    Payments,
    /// The referred client's charges (`ExpenseCharged`), gross.
    Charges,
}

/// How a program pays its affiliates: a percent of the referred client's payments or charges,
/// for a number of months from the referral or forever, optionally only for some item types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionRule {
    /// What the commission is a share of.
    pub basis: CommissionBasis,
    /// Above 0 and at most 100, with at most 2 decimal places.
    pub percent: Decimal,
    /// For how many months from the referral day the client earns commission (1 to 120);
    /// `None` is forever.
    pub months: Option<u32>,
    /// With `Charges`: only charges of services of these item types count; empty means any.
    /// Must be empty with `Payments` (a payment is of no item).
    pub item_types: Vec<ItemType>,
}

impl CommissionRule {
    /// Refuses a rule that is not well formed.
    pub fn check(&self) -> Result<(), AffiliateError> {
        if basis_points(self.percent).is_none_or(|bp| bp == 0 || bp > BASIS_POINTS_PER_WHOLE) {
            return Err(AffiliateError::InvalidPercent);
        }
        if self
            .months
            .is_some_and(|months| months == 0 || months > COMMISSION_MONTHS_MAX)
        {
            return Err(AffiliateError::InvalidMonths);
        }
        if self.basis == CommissionBasis::Payments && !self.item_types.is_empty() {
            return Err(AffiliateError::ItemTypesNeedCharges);
        }
        for (index, item_type) in self.item_types.iter().enumerate() {
            if self.item_types[..index].contains(item_type) {
                return Err(AffiliateError::DuplicateItemType);
            }
        }
        Ok(())
    }

    /// The commission `amount` earns on `on` for a client referred on `referred_on`: the percent
    /// of it rounded half away from zero to the minor unit, or `None` when the rule does not
    /// cover it (another basis, outside the months, an item type not listed, a negative or zero
    /// amount, or a commission that rounds to zero).
    pub fn commission(
        &self,
        basis: CommissionBasis,
        amount: Money,
        item_type: Option<ItemType>,
        referred_on: NaiveDate,
        on: NaiveDate,
    ) -> Result<Option<Money>, AffiliateError> {
        if basis != self.basis || !amount.is_positive() || on < referred_on {
            return Ok(None);
        }
        if let Some(months) = self.months {
            // Half-open: a client referred on 15 January for one month earns until 14 February.
            let end = referred_on.checked_add_months(Months::new(months));
            if end.is_none_or(|end| on >= end) {
                return Ok(None);
            }
        }
        if !self.item_types.is_empty()
            && !item_type.is_some_and(|item_type| self.item_types.contains(&item_type))
        {
            return Ok(None);
        }
        let basis_points = basis_points(self.percent).ok_or(AffiliateError::InvalidPercent)?;
        let commission = amount.prorate(basis_points, BASIS_POINTS_PER_WHOLE)?;
        Ok(commission.is_positive().then_some(commission))
    }
}

/// `percent` in hundredths of a percent, if it has at most 2 decimal places and fits.
fn basis_points(percent: Decimal) -> Option<u32> {
    let percent = percent.normalize();
    if percent.is_sign_negative() {
        return None;
    }
    let scale_up = 2_u32.checked_sub(percent.scale())?;
    let basis_points = percent
        .mantissa()
        .checked_mul(10_i128.checked_pow(scale_up)?)?;
    u32::try_from(basis_points).ok()
}

/// A referral link's code, as it appears in the link: 6 to 32 characters of `A-Z` and `0-9`
/// (lowercase letters are taken as uppercase).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReferralCode(String);

impl ReferralCode {
    /// Parses a code as typed or clicked.
    pub fn parse(text: &str) -> Result<ReferralCode, AffiliateError> {
        let code = text.trim().to_ascii_uppercase();
        if !(6..=32).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AffiliateError::InvalidCode(text.chars().take(40).collect()));
        }
        Ok(ReferralCode(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReferralCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The event a commission is accrued on: one commission per source, ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CommissionSource {
    /// Whether it is a payment or a charge.
    pub basis: CommissionBasis,
    /// The payment id or the expense id.
    pub id: Uuid,
}

impl CommissionSource {
    /// The source as a command key: `payment:<id>` or `charge:<id>`.
    pub fn key(&self) -> String {
        match self.basis {
            CommissionBasis::Payments => format!("payment:{}", self.id),
            CommissionBasis::Charges => format!("charge:{}", self.id),
        }
    }
}

/// Where a payout goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayoutDestination {
    /// A credit on the affiliate's own personal account at the provider.
    Account,
    /// Money sent out of the billing (a bank transfer, ...), recorded and not credited.
    External {
        /// What staff note about it (a transfer's reference); trimmed, 1 to 200 characters.
        reference: String,
    },
}
