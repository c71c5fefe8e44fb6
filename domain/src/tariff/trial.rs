//! A tariff's trial: a free first period, once per client and tariff.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::TariffError;
use crate::period::BillingPeriod;

/// The longest trial counted in days.
pub const TRIAL_DAYS_MAX: u16 = 366;

/// The longest trial counted in months (a year).
pub const TRIAL_MONTHS_MAX: u32 = 12;

/// How long the free first period of a tariff with a trial lasts: a number of days
/// (`{"days": 14}`) or a billing period (`{"period": "P1M"}`).
///
/// The trial is free as a whole: no price and no setup fee. After it the service is charged its
/// period at the tariff's price on the billing day, as if it had been renewed (so the setup fee
/// is never charged to a client who started with a trial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trial {
    /// A number of days, 1 to [`TRIAL_DAYS_MAX`].
    Days(u16),
    /// Whole calendar months, 1 to [`TRIAL_MONTHS_MAX`] (`P1D` is spelt as one day instead).
    Period(BillingPeriod),
}

impl Trial {
    /// The trial itself if it is within its bounds; `InvalidTrial` otherwise.
    pub fn checked(self) -> Result<Trial, TariffError> {
        let within = match self {
            Trial::Days(days) => (1..=TRIAL_DAYS_MAX).contains(&days),
            Trial::Period(period) => (1..=TRIAL_MONTHS_MAX).contains(&period.months()),
        };
        if within {
            Ok(self)
        } else {
            Err(TariffError::InvalidTrial)
        }
    }

    /// The first day after a trial that starts on `start` (the trial is `[start, end)`); `None`
    /// only on calendar overflow.
    pub fn end_of(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Trial::Days(days) => start.checked_add_days(Days::new(u64::from(days))),
            Trial::Period(period) => period.end_of(start, chrono::Datelike::day(&start)),
        }
    }
}
