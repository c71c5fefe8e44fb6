//! Billing periods and calendar arithmetic on them.
//!
//! Periods are calendar periods, not fixed numbers of days: a monthly service is charged on the
//! same day of every month. Every period is half-open, `[start, end)`: the end is the first day
//! that is no longer paid, which is also the start of the next period.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// How long one paid period of a service lasts. Serialized as ISO 8601 durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BillingPeriod {
    /// One day (`P1D`).
    #[serde(rename = "P1D")]
    Day,
    /// One calendar month (`P1M`).
    #[serde(rename = "P1M")]
    Month,
    /// Three calendar months (`P3M`).
    #[serde(rename = "P3M")]
    Quarter,
    /// Six calendar months (`P6M`).
    #[serde(rename = "P6M")]
    HalfYear,
    /// Twelve calendar months (`P12M`).
    #[serde(rename = "P12M")]
    Year,
}

impl BillingPeriod {
    /// Every period, shortest first.
    pub const ALL: [BillingPeriod; 5] = [
        BillingPeriod::Day,
        BillingPeriod::Month,
        BillingPeriod::Quarter,
        BillingPeriod::HalfYear,
        BillingPeriod::Year,
    ];

    /// Parses exactly `"P1D"`, `"P1M"`, `"P3M"`, `"P6M"` or `"P12M"`.
    ///
    /// Equivalent spellings such as `"P1Y"` or `"P30D"` are rejected on purpose: one canonical
    /// spelling per period keeps stored events and reports free of duplicates.
    pub fn parse(text: &str) -> Result<BillingPeriod, PeriodError> {
        BillingPeriod::ALL
            .into_iter()
            .find(|period| period.as_str() == text)
            .ok_or_else(|| PeriodError(text.to_string()))
    }

    /// The ISO 8601 duration, such as `"P1M"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingPeriod::Day => "P1D",
            BillingPeriod::Month => "P1M",
            BillingPeriod::Quarter => "P3M",
            BillingPeriod::HalfYear => "P6M",
            BillingPeriod::Year => "P12M",
        }
    }

    /// The number of calendar months in the period; zero for `Day`.
    fn months(self) -> u32 {
        match self {
            BillingPeriod::Day => 0,
            BillingPeriod::Month => 1,
            BillingPeriod::Quarter => 3,
            BillingPeriod::HalfYear => 6,
            BillingPeriod::Year => 12,
        }
    }

    /// The end (exclusive) of the period that starts on `start`. Months are calendar months that
    /// keep to `anchor_day` (the day of month of the first period's start): a monthly service
    /// started on Jan 31 runs to Feb 28 (29), then to Mar 31, then to Apr 30: it never drifts.
    /// Day adds one day. None only on calendar overflow.
    ///
    /// The end falls on `anchor_day` of the target month, or on its last day when the month is
    /// shorter. An `anchor_day` of 0 counts as 1.
    pub fn end_of(self, start: NaiveDate, anchor_day: u32) -> Option<NaiveDate> {
        if self == BillingPeriod::Day {
            return start.succ_opt();
        }
        // Start from the first of the month so that adding months never clamps on its own;
        // the anchor decides the day.
        let first_of_start_month = start.with_day(1)?;
        let first_of_end_month =
            first_of_start_month.checked_add_months(Months::new(self.months()))?;
        let last_day = last_day_of_month(first_of_end_month)?;
        first_of_end_month.with_day(anchor_day.clamp(1, last_day))
    }
}

/// The number of days in the month of `first_of_month`, which must be the 1st.
fn last_day_of_month(first_of_month: NaiveDate) -> Option<u32> {
    let first_of_next = first_of_month.checked_add_months(Months::new(1))?;
    first_of_next.pred_opt().map(|last| last.day())
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BillingPeriod {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<BillingPeriod, PeriodError> {
        BillingPeriod::parse(text)
    }
}

/// The text, as given, is not one of the billing periods.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown billing period {0:?}: use P1D, P1M, P3M, P6M or P12M")]
pub struct PeriodError(pub String);

impl PeriodError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        "unknown_period"
    }
}

/// Days in a half-open range [start, end).
///
/// Zero if `end <= start`. A range too long for a `u32` (millions of years) saturates.
pub fn days_between(start: NaiveDate, end: NaiveDate) -> u32 {
    let days = end.signed_duration_since(start).num_days();
    if days <= 0 {
        0
    } else {
        u32::try_from(days).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// Follows `count` consecutive periods from `start`, as billing does.
    fn ends(period: BillingPeriod, start: &str, count: usize) -> Vec<String> {
        let start = date(start);
        let anchor = start.day();
        let mut current = start;
        let mut out = Vec::new();
        for _ in 0..count {
            current = period.end_of(current, anchor).unwrap();
            out.push(current.to_string());
        }
        out
    }

    #[test]
    fn a_monthly_period_from_the_31st_keeps_to_the_month_end_without_drifting() {
        assert_eq!(
            ends(BillingPeriod::Month, "2025-01-31", 4),
            ["2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31"]
        );
    }

    #[test]
    fn a_monthly_period_from_the_31st_ends_on_february_29_in_a_leap_year() {
        assert_eq!(
            ends(BillingPeriod::Month, "2024-01-31", 2),
            ["2024-02-29", "2024-03-31"]
        );
    }

    #[test]
    fn a_monthly_period_from_the_30th_ends_on_the_30th_or_the_month_end() {
        assert_eq!(
            ends(BillingPeriod::Month, "2025-01-30", 3),
            ["2025-02-28", "2025-03-30", "2025-04-30"]
        );
    }

    #[test]
    fn a_monthly_period_crosses_the_year_end() {
        assert_eq!(
            ends(BillingPeriod::Month, "2024-12-15", 2),
            ["2025-01-15", "2025-02-15"]
        );
    }

    #[test]
    fn a_quarter_and_a_half_year_keep_to_the_anchor_day() {
        assert_eq!(
            ends(BillingPeriod::Quarter, "2024-11-30", 3),
            ["2025-02-28", "2025-05-30", "2025-08-30"]
        );
        assert_eq!(
            ends(BillingPeriod::HalfYear, "2024-08-31", 2),
            ["2025-02-28", "2025-08-31"]
        );
    }

    #[test]
    fn a_year_from_february_29_ends_on_february_28_and_returns_to_the_29th_in_leap_years() {
        assert_eq!(
            ends(BillingPeriod::Year, "2024-02-29", 4),
            ["2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"]
        );
    }

    #[test]
    fn a_year_lasts_365_or_366_days() {
        let start = date("2024-01-01");
        let end = BillingPeriod::Year.end_of(start, 1).unwrap();
        assert_eq!(end, date("2025-01-01"));
        assert_eq!(days_between(start, end), 366);
        let end_2025 = BillingPeriod::Year.end_of(end, 1).unwrap();
        assert_eq!(days_between(end, end_2025), 365);
    }

    #[test]
    fn a_daily_period_adds_one_day_across_month_and_leap_day() {
        assert_eq!(
            BillingPeriod::Day.end_of(date("2024-02-28"), 28),
            Some(date("2024-02-29"))
        );
        assert_eq!(
            BillingPeriod::Day.end_of(date("2024-12-31"), 31),
            Some(date("2025-01-01"))
        );
    }

    #[test]
    fn end_of_is_none_only_on_calendar_overflow() {
        assert_eq!(BillingPeriod::Day.end_of(NaiveDate::MAX, 1), None);
        assert_eq!(BillingPeriod::Year.end_of(NaiveDate::MAX, 1), None);
    }

    #[test]
    fn an_anchor_day_of_zero_counts_as_the_first() {
        assert_eq!(
            BillingPeriod::Month.end_of(date("2025-01-01"), 0),
            Some(date("2025-02-01"))
        );
    }

    #[test]
    fn periods_parse_from_and_print_as_their_iso_durations() {
        for period in BillingPeriod::ALL {
            assert_eq!(BillingPeriod::parse(period.as_str()), Ok(period));
            assert_eq!(period.to_string().parse::<BillingPeriod>(), Ok(period));
        }
        assert_eq!(BillingPeriod::Year.as_str(), "P12M");
    }

    #[test]
    fn other_duration_spellings_are_rejected() {
        for text in ["P1Y", "P30D", "p1m", "", " P1M", "P2M"] {
            assert_eq!(
                BillingPeriod::parse(text),
                Err(PeriodError(text.to_string()))
            );
        }
        assert_eq!(
            PeriodError("P1Y".to_string()).to_string(),
            r#"unknown billing period "P1Y": use P1D, P1M, P3M, P6M or P12M"#
        );
    }

    #[test]
    fn periods_serialize_as_iso_durations() {
        assert_eq!(
            serde_json::to_string(&BillingPeriod::HalfYear).unwrap(),
            r#""P6M""#
        );
        assert_eq!(
            serde_json::from_str::<BillingPeriod>(r#""P12M""#).unwrap(),
            BillingPeriod::Year
        );
        assert!(serde_json::from_str::<BillingPeriod>(r#""Year""#).is_err());
    }

    #[test]
    fn days_between_counts_a_half_open_range() {
        assert_eq!(days_between(date("2025-02-01"), date("2025-03-01")), 28);
        assert_eq!(days_between(date("2025-02-01"), date("2025-02-01")), 0);
        assert_eq!(days_between(date("2025-03-01"), date("2025-02-01")), 0);
    }
}
