//! How the panels show amounts and times: amounts at their currency's scale with thousands
//! separators (the one helper, `answer::grouped_amount`), times in the staff member's time zone
//! with the zone named.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::http::answer::grouped_amount;

/// The time zone a session shows times in: the one chosen in the panel (kept in a cookie of the
/// browser), UTC until one is chosen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Zone(Tz);

impl Zone {
    /// The zone named by the cookie's value, UTC when there is none or it names no IANA zone.
    pub(crate) fn of_cookie(value: Option<&str>) -> Zone {
        Zone(value.and_then(Zone::parse).unwrap_or(Tz::UTC))
    }

    /// An IANA time zone name such as `Europe/Berlin`, or `UTC`.
    pub(crate) fn parse(name: &str) -> Option<Tz> {
        name.trim().parse::<Tz>().ok()
    }

    /// The zone's IANA name.
    pub(crate) fn name(self) -> String {
        self.0.name().to_owned()
    }

    /// `at` in this zone to the minute, with the zone's abbreviation: `2026-12-06 10:14 CET`.
    pub(crate) fn time(self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// Today's date in this zone.
    pub(crate) fn today(self) -> chrono::NaiveDate {
        Utc::now().with_timezone(&self.0).date_naive()
    }

    /// `at` in this zone to the second, with the zone's abbreviation.
    pub(crate) fn time_exact(self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }
}

/// An amount with its currency: `1,234.50 EUR`.
pub(crate) fn money(amount: Decimal, currency: &str) -> String {
    format!("{} {currency}", grouped_amount(amount, currency))
}

/// An amount alone, for a column whose currency is named elsewhere: `1,234.50`.
pub(crate) fn amount(amount: Decimal, currency: &str) -> String {
    grouped_amount(amount, currency)
}

/// Whether an amount is below zero, to mark it.
pub(crate) fn negative(amount: Decimal) -> bool {
    amount < Decimal::ZERO
}
