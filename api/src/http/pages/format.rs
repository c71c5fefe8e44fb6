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

/// What a statement's movement says in `lang`: a payment by its method (and what was paid in
/// another currency), a refund's or reversal's reason, a merge's transfer by its accounts; a
/// charge, credit, adjustment or correction says what it recorded (the service and period, or
/// the reason staff wrote). `description` is the read model's English text, kept for what the
/// catalogue does not word.
pub fn movement(lang: Lang, kind: &str, description: &str, details: &serde_json::Value) -> String {
    let text = |name: &str| details.get(name).and_then(|v| v.as_str()).unwrap_or("");
    match kind {
        "payment" if !text("method").is_empty() => {
            let method = lang.named(text("method"));
            if text("paid").is_empty() {
                lang.t1("movement-payment", "method", &method)
            } else {
                let paid = text("paid").parse::<Decimal>().map_or_else(
                    |_| text("paid").to_owned(),
                    |paid| lang.money(paid, text("paid_currency")),
                );
                lang.t_with(
                    "movement-payment-converted",
                    &[
                        ("method", method.into()),
                        ("paid", paid.into()),
                        ("rate", decimal(lang, text("rate")).into()),
                        ("day", day(lang, text("rate_date")).into()),
                    ],
                )
            }
        }
        "refund" => description.strip_prefix("Refund: ").map_or_else(
            || description.to_owned(),
            |reason| lang.t1("movement-refund", "reason", reason),
        ),
        "reversal" => description.strip_prefix("Payment reversed: ").map_or_else(
            || description.to_owned(),
            |reason| lang.t1("movement-reversal", "reason", reason),
        ),
        "transfer_out" if !text("to_account").is_empty() => {
            lang.t1("movement-transfer-out", "account", text("to_account"))
        }
        "opening_balance" if !text("system").is_empty() => {
            lang.t1("movement-opening-balance", "system", text("system"))
        }
        "transfer_in" if !text("from_account").is_empty() => {
            lang.t1("movement-transfer-in", "account", text("from_account"))
        }
        _ => description.to_owned(),
    }
}

/// A decimal number as `lang` writes it (`1.0825`, `1,0825`).
fn decimal(lang: Lang, number: &str) -> String {
    match lang {
        Lang::En => number.to_owned(),
        Lang::Ru => number.replace('.', ","),
    }
}

/// An ISO day (`2026-12-06`) as `lang` writes it; anything else as it is.
fn day(lang: Lang, iso: &str) -> String {
    iso.parse::<chrono::NaiveDate>()
        .map_or_else(|_| iso.to_owned(), |on| lang.date(on))
}
