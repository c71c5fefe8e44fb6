//! Billing periods and calendar arithmetic on them.
//!
//! Periods are calendar periods, not fixed numbers of days: a monthly service is charged on the
//! same day of every month. Every period is half-open, `[start, end)`: the end is the first day
//! that is no longer paid, which is also the start of the next period.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// How long one paid period of a service lasts: one day, or a whole number of calendar months
/// from 1 to [`BillingPeriod::MONTHS_MAX`] (ten years). Serialized as an ISO 8601 duration.
///
/// The canonical spelling is `P1D` for a day and `P<n>M` for `n` months, with no leading zero:
/// a year is `P12M`, a two-year domain `P24M`, a ten-year one `P120M`. Equivalent spellings
/// (`P1Y`, `P2Y`, `P30D`, `P012M`) are rejected, so one period has one name in events, read
/// models and reports. The five periods of the first releases keep their names as constants
/// (`BillingPeriod::Month`, …) and their stored spellings decode as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BillingPeriod {
    /// Calendar months in the period; 0 stands for one day.
    months: u16,
}

#[expect(
    non_upper_case_globals,
    reason = "the constants keep the names of the enum variants they replaced, used across the code"
)]
impl BillingPeriod {
    /// One day (`P1D`).
    pub const Day: BillingPeriod = BillingPeriod { months: 0 };
    /// One calendar month (`P1M`).
    pub const Month: BillingPeriod = BillingPeriod { months: 1 };
    /// Three calendar months (`P3M`).
    pub const Quarter: BillingPeriod = BillingPeriod { months: 3 };
    /// Six calendar months (`P6M`).
    pub const HalfYear: BillingPeriod = BillingPeriod { months: 6 };
    /// Twelve calendar months (`P12M`).
    pub const Year: BillingPeriod = BillingPeriod { months: 12 };
}

impl BillingPeriod {
    /// The named periods of the first releases, shortest first. Any other number of months up
    /// to [`BillingPeriod::MONTHS_MAX`] is a period too ([`BillingPeriod::of_months`]).
    pub const ALL: [BillingPeriod; 5] = [
        BillingPeriod::Day,
        BillingPeriod::Month,
        BillingPeriod::Quarter,
        BillingPeriod::HalfYear,
        BillingPeriod::Year,
    ];

    /// The longest period: ten years, the longest a domain registry sells.
    pub const MONTHS_MAX: u16 = 120;

    /// A period of `months` calendar months (1 to [`BillingPeriod::MONTHS_MAX`]); `None` outside.
    pub fn of_months(months: u16) -> Option<BillingPeriod> {
        (1..=BillingPeriod::MONTHS_MAX)
            .contains(&months)
            .then_some(BillingPeriod { months })
    }

    /// A period of `years` years, that is `12 × years` months; `None` beyond ten years.
    pub fn of_years(years: u16) -> Option<BillingPeriod> {
        years.checked_mul(12).and_then(BillingPeriod::of_months)
    }

    /// Parses exactly the canonical spelling: `"P1D"`, or `"P<n>M"` with `n` from 1 to 120
    /// written without a leading zero (`"P1M"`, `"P3M"`, `"P12M"`, `"P36M"`).
    ///
    /// Equivalent spellings such as `"P1Y"` or `"P30D"` are rejected on purpose: one canonical
    /// spelling per period keeps stored events and reports free of duplicates.
    pub fn parse(text: &str) -> Result<BillingPeriod, PeriodError> {
        let refused = || PeriodError(text.to_string());
        if text == "P1D" {
            return Ok(BillingPeriod::Day);
        }
        let digits = text
            .strip_prefix('P')
            .and_then(|rest| rest.strip_suffix('M'))
            .ok_or_else(refused)?;
        if digits.is_empty()
            || digits.starts_with('0')
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(refused());
        }
        digits
            .parse::<u16>()
            .ok()
            .and_then(BillingPeriod::of_months)
            .ok_or_else(refused)
    }

    /// The number of calendar months in the period; zero for `Day`.
    pub fn months(self) -> u32 {
        u32::from(self.months)
    }

    /// The end (exclusive) of the period that starts on `start`. Months are calendar months that
    /// keep to `anchor_day` (the day of month of the first period's start): a monthly service
    /// started on Jan 31 runs to Feb 28 (29), then to Mar 31, then to Apr 30: it never drifts.
    /// A period of several years from Feb 29 ends on Feb 28 unless it ends in a leap year.
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

impl Serialize for BillingPeriod {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BillingPeriod {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        BillingPeriod::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl BillingPeriod {
    /// The start of the period that ends (exclusive) on `end`: one period earlier, on `end`'s
    /// day of month or the last day of a shorter month. What an import takes as the current
    /// period of a service whose other system knew only its next due date. None only on
    /// calendar overflow.
    pub fn start_of(self, end: NaiveDate) -> Option<NaiveDate> {
        if self == BillingPeriod::Day {
            return end.pred_opt();
        }
        end.checked_sub_months(Months::new(self.months()))
    }
}

/// The number of days in the month of `first_of_month`, which must be the 1st.
fn last_day_of_month(first_of_month: NaiveDate) -> Option<u32> {
    let first_of_next = first_of_month.checked_add_months(Months::new(1))?;
    first_of_next.pred_opt().map(|last| last.day())
}

impl fmt::Display for BillingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.months == 0 {
            f.write_str("P1D")
        } else {
            write!(f, "P{}M", self.months)
        }
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
#[error(
    "unknown billing period {0:?}: use P1D or P<n>M with n months from 1 to 120 (P12M a year, P36M three years)"
)]
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
            assert_eq!(BillingPeriod::parse(&period.to_string()), Ok(period));
            assert_eq!(period.to_string().parse::<BillingPeriod>(), Ok(period));
        }
        assert_eq!(BillingPeriod::Year.to_string(), "P12M");
    }

    #[test]
    fn other_duration_spellings_are_rejected() {
        for text in [
            "P1Y",
            "P30D",
            "p1m",
            "",
            " P1M",
            "P0M",
            "P012M",
            "P121M",
            "P2Y",
            "P+3M",
            "PM",
            "P1DM",
            "P99999999999M",
        ] {
            assert_eq!(
                BillingPeriod::parse(text),
                Err(PeriodError(text.to_string()))
            );
        }
        assert_eq!(
            PeriodError("P1Y".to_string()).to_string(),
            r#"unknown billing period "P1Y": use P1D or P<n>M with n months from 1 to 120 (P12M a year, P36M three years)"#
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
    fn any_number_of_months_up_to_ten_years_is_a_period_with_one_spelling() {
        for months in 1..=120u16 {
            let period = BillingPeriod::of_months(months).unwrap();
            assert_eq!(period.to_string(), format!("P{months}M"));
            assert_eq!(BillingPeriod::parse(&period.to_string()), Ok(period));
            let json = serde_json::to_string(&period).unwrap();
            assert_eq!(
                serde_json::from_str::<BillingPeriod>(&json).unwrap(),
                period
            );
        }
        assert_eq!(BillingPeriod::of_months(0), None);
        assert_eq!(BillingPeriod::of_months(121), None);
        assert_eq!(BillingPeriod::of_months(12), Some(BillingPeriod::Year));
        assert_eq!(
            BillingPeriod::of_years(3),
            BillingPeriod::parse("P36M").ok()
        );
        assert_eq!(BillingPeriod::of_years(11), None);
    }

    #[test]
    fn a_three_year_period_from_february_29_keeps_its_anchor_day() {
        let three_years = BillingPeriod::of_years(3).unwrap();
        assert_eq!(
            ends(three_years, "2024-02-29", 3),
            ["2027-02-28", "2030-02-28", "2033-02-28"]
        );
        let four_years = BillingPeriod::of_years(4).unwrap();
        assert_eq!(
            ends(four_years, "2024-02-29", 2),
            ["2028-02-29", "2032-02-29"]
        );
    }

    #[test]
    fn multi_year_periods_last_their_calendar_days() {
        let start = date("2025-03-15");
        for (years, days) in [(2, 730), (3, 1096), (5, 1826), (10, 3652)] {
            let period = BillingPeriod::of_years(years).unwrap();
            let end = period.end_of(start, 15).unwrap();
            assert_eq!(days_between(start, end), days, "{period}");
        }
    }

    #[test]
    fn periods_order_by_length() {
        let mut periods = [
            BillingPeriod::of_years(2).unwrap(),
            BillingPeriod::Year,
            BillingPeriod::Day,
            BillingPeriod::of_months(2).unwrap(),
            BillingPeriod::Month,
        ];
        periods.sort();
        let names: Vec<String> = periods.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["P1D", "P1M", "P2M", "P12M", "P24M"]);
    }

    #[test]
    fn days_between_counts_a_half_open_range() {
        assert_eq!(days_between(date("2025-02-01"), date("2025-03-01")), 28);
        assert_eq!(days_between(date("2025-02-01"), date("2025-02-01")), 0);
        assert_eq!(days_between(date("2025-03-01"), date("2025-02-01")), 0);
    }
}
