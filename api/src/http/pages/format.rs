//! How the panels show amounts and times: amounts at their currency's scale with thousands
//! separators (`i18n::Lang::money` and `Lang::amount`, over the one helper
//! `answer::grouped_amount`), times in the staff member's time zone with the zone named, both
//! written the way the page's language writes them (`i18n::Lang`); there is no English-only
//! amount helper left, so a page cannot show an amount the English way in Russian.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::http::i18n::Lang;

/// The time zone a session shows times in: the one chosen in the panel (kept in a cookie of the
/// browser), UTC until one is chosen; and the language whose way of writing dates it uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Zone(Tz, Lang);

impl Zone {
    /// The zone named by the cookie's value, UTC when there is none or it names no IANA zone;
    /// dates written the English way until [`Zone::in_lang`].
    pub(crate) fn of_cookie(value: Option<&str>) -> Zone {
        Zone(value.and_then(Zone::parse).unwrap_or(Tz::UTC), Lang::En)
    }

    /// The same zone, writing dates the way `lang` writes them.
    pub(crate) fn in_lang(self, lang: Lang) -> Zone {
        Zone(self.0, lang)
    }

    /// An IANA time zone name such as `Europe/Berlin`, or `UTC`.
    pub(crate) fn parse(name: &str) -> Option<Tz> {
        name.trim().parse::<Tz>().ok()
    }

    /// The zone's IANA name.
    pub(crate) fn name(self) -> String {
        self.0.name().to_owned()
    }

    /// `at` in this zone to the minute, with the zone's abbreviation: `2026-12-06 10:14 CET`
    /// (`06.12.2026 10:14 CET` in Russian).
    pub(crate) fn time(self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0)
            .format(&format!("{} %H:%M %Z", self.1.date_pattern()))
            .to_string()
    }

    /// The moment `day` starts in this zone (its first local instant, should midnight fall in a
    /// daylight-saving gap).
    pub(crate) fn start_of(self, day: chrono::NaiveDate) -> DateTime<Utc> {
        use chrono::TimeZone;
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        match self.0.from_local_datetime(&midnight) {
            chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => {
                at.with_timezone(&Utc)
            }
            chrono::LocalResult::None => self
                .0
                .from_local_datetime(&(midnight + chrono::TimeDelta::hours(1)))
                .earliest()
                .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc)),
        }
    }

    /// The day `at` falls on in this zone.
    pub(crate) fn day_of(self, at: DateTime<Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// Today's date in this zone.
    pub(crate) fn today(self) -> chrono::NaiveDate {
        Utc::now().with_timezone(&self.0).date_naive()
    }

    /// `at` in this zone to the second, with the zone's abbreviation.
    pub(crate) fn time_exact(self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0)
            .format(&format!("{} %H:%M:%S %Z", self.1.date_pattern()))
            .to_string()
    }
}

/// Whether an amount is below zero, to mark it.
pub(crate) fn negative(amount: Decimal) -> bool {
    amount < Decimal::ZERO
}
