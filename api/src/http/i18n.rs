//! Languages of the panels: message catalogues (Project Fluent, `api/locales/<code>/*.ftl`,
//! embedded in the binary) and the formatting of amounts and dates per language.
//!
//! A page asks its session for a [`Lang`] (`session.lang`), looks texts up with
//! [`Lang::t`] (or [`Lang::t_with`] for a text with values, such as a count with its plural) and
//! formats amounts with [`Lang::money`] and dates with [`Lang::date`]; templates reach the same
//! through the layout: `{{ layout.t("clients-title") }}`. A key missing from a language's
//! catalogue falls back to English, and one missing from English too shows as the key itself,
//! so a page never fails for a text.
//!
//! How a language is picked ([`Lang::of_request`]): the `billing_lang` cookie the layout's
//! language form sets, else the browser's `Accept-Language`, else English.
//!
//! Adding a language: a folder `api/locales/<code>/` with the same files and keys as `en` (a
//! test checks that every key exists in every language), a variant of [`Lang`], and its line
//! in `Lang::ALL` and `Lang::sources`.

use std::sync::LazyLock;

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use domain::period::BillingPeriod;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use rust_decimal::Decimal;

use crate::http::answer::grouped_amount;
use crate::http::pages::cookie;

/// The name of the cookie holding the language a browser chose in the panels.
pub const LANG_COOKIE: &str = "billing_lang";

/// A language the panels speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English, the fallback.
    #[default]
    En,
    /// Russian.
    Ru,
}

/// The no-break space Russian puts between groups of thousands and before a currency.
const NBSP: char = '\u{a0}';

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// The ISO 639-1 code: `en`, `ru`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// The language's name in itself, for the language form.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
        }
    }

    /// The catalogue files of the language, embedded at build time.
    fn sources(self) -> &'static [&'static str] {
        match self {
            Lang::En => &[
                include_str!("../../locales/en/panel.ftl"),
                include_str!("../../locales/en/dashboard.ftl"),
                include_str!("../../locales/en/my.ftl"),
                include_str!("../../locales/en/documents.ftl"),
                include_str!("../../locales/en/item_types.ftl"),
                include_str!("../../locales/en/price_changes.ftl"),
                include_str!("../../locales/en/import.ftl"),
                include_str!("../../locales/en/sandbox.ftl"),
                include_str!("../../locales/en/agreements.ftl"),
                include_str!("../../locales/en/affiliates.ftl"),
                include_str!("../../locales/en/discounts.ftl"),
                include_str!("../../locales/en/group_discounts.ftl"),
                include_str!("../../locales/en/contracts.ftl"),
            ],
            Lang::Ru => &[
                include_str!("../../locales/ru/panel.ftl"),
                include_str!("../../locales/ru/dashboard.ftl"),
                include_str!("../../locales/ru/my.ftl"),
                include_str!("../../locales/ru/documents.ftl"),
                include_str!("../../locales/ru/item_types.ftl"),
                include_str!("../../locales/ru/price_changes.ftl"),
                include_str!("../../locales/ru/import.ftl"),
                include_str!("../../locales/ru/sandbox.ftl"),
                include_str!("../../locales/ru/agreements.ftl"),
                include_str!("../../locales/ru/affiliates.ftl"),
                include_str!("../../locales/ru/discounts.ftl"),
                include_str!("../../locales/ru/group_discounts.ftl"),
                include_str!("../../locales/ru/contracts.ftl"),
            ],
        }
    }

    /// The language of a tag such as `ru`, `ru-RU` or `RU_ru`; `None` for a language the panels
    /// do not speak.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(primary))
    }

    /// The language of a tag, English for one the panels do not speak.
    pub fn of_tag(tag: &str) -> Lang {
        Lang::parse(tag).unwrap_or_default()
    }

    /// The first language of an `Accept-Language` header the panels speak, by the header's
    /// weights (`de, ru;q=0.8, en;q=0.5` is Russian); English when none.
    pub fn of_accept_language(header: &str) -> Lang {
        let mut offered: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(index, item)| {
                let mut parts = item.split(';');
                let lang = Lang::parse(parts.next()?)?;
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (weight > 0.0).then_some((weight, index, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map_or(Lang::En, |(_, _, lang)| *lang)
    }

    /// The language of a request to a panel: the `billing_lang` cookie, else `Accept-Language`,
    /// else English.
    pub fn of_request(headers: &HeaderMap) -> Lang {
        if let Some(lang) = cookie(headers, LANG_COOKIE)
            .as_deref()
            .and_then(Lang::parse)
        {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::En, Lang::of_accept_language)
    }

    /// The text of `key` in this language (English if this language lacks it, the key itself if
    /// English does too).
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The text of `key` with values: `lang.t_with("clients-count", &[("count", 3.into())])`.
    /// Numbers given as [`FluentValue::Number`] choose the plural form.
    pub fn t_with(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, value.clone());
        }
        self.format(key, Some(&fluent))
    }

    /// The text of `key` with one value, for templates: `{{ layout.t1("k", "name", x) }}`; a
    /// value that reads as a number chooses the plural form.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.t_with(key, &[(name, FluentValue::try_number(value))])
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        for lang in [*self, Lang::En] {
            let Some(bundle) = lang.bundle() else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        key.to_owned()
    }

    /// A status or kind code (`active`, `credit_note`, `bank_transfer`, ...) in this language: the
    /// catalogue's `code-…` text (underscores become hyphens), else the code itself. The one
    /// place a code becomes a catalogue key, so that a status reads the same on every page.
    pub fn named(self, code: &str) -> String {
        let key = format!("code-{}", code.replace('_', "-"));
        if self.has(&key) {
            self.t(&key)
        } else {
            code.to_owned()
        }
    }

    /// A code of a `family` (`invoice-status`, `operation-status`, `aggregate`) whose word
    /// differs from the same code elsewhere (an invoice is `credited` by a credit note, a payment
    /// to an account): the catalogue's `{family}-…` text, else [`Lang::named`].
    pub fn named_in(self, family: &str, code: &str) -> String {
        let key = format!("{family}-{}", code.replace('_', "-"));
        if self.has(&key) {
            self.t(&key)
        } else {
            self.named(code)
        }
    }

    /// Whether the catalogue of this language has `key` (for the catalogue tests).
    pub fn has(self, key: &str) -> bool {
        self.bundle().is_some_and(|b| b.has_message(key))
    }

    /// The language's bundle, built on first use.
    fn bundle(self) -> Option<&'static FluentBundle<FluentResource>> {
        BUNDLES
            .iter()
            .find(|(lang, _)| *lang == self)
            .map(|(_, bundle)| bundle)
    }

    /// Every key of this language's catalogues, in file order: each line that starts a message
    /// (`key = ...` at the start of a line; terms, comments and continuations start otherwise).
    pub fn keys(self) -> Vec<String> {
        self.sources()
            .iter()
            .flat_map(|source| source.lines())
            .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|line| line.split_once('='))
            .map(|(key, _)| key.trim().to_owned())
            .collect()
    }

    /// An amount at its currency's scale, grouped: `1,234.50` in English, `1 234,50` (no-break
    /// spaces, a decimal comma) in Russian.
    pub fn amount(self, amount: Decimal, currency: &str) -> String {
        let english = grouped_amount(amount, currency);
        match self {
            Lang::En => english,
            Lang::Ru => english
                .chars()
                .map(|c| match c {
                    ',' => NBSP,
                    '.' => ',',
                    other => other,
                })
                .collect(),
        }
    }

    /// An amount with its currency: `1,234.50 EUR`, `1 234,50 EUR`.
    pub fn money(self, amount: Decimal, currency: &str) -> String {
        match self {
            Lang::En => format!("{} {currency}", self.amount(amount, currency)),
            Lang::Ru => format!("{}{NBSP}{currency}", self.amount(amount, currency)),
        }
    }

    /// A price per hour with its currency, as many decimals as it has (it may be below the
    /// currency's minor unit): `0.0137 EUR/h`, `0,0137 EUR/ч`.
    pub fn per_hour(self, per_hour: Decimal, currency: &str) -> String {
        let amount = per_hour.normalize().to_string();
        let amount = match self {
            Lang::En => amount,
            Lang::Ru => amount.replace('.', ","),
        };
        self.t_with(
            "price-per-hour",
            &[("amount", amount.into()), ("currency", currency.into())],
        )
    }

    /// A billing period (`P1D`, `P<n>M`) in words, with the language's plurals: `P1M` "1 month",
    /// `P12M` "1 year", `P18M` "1 year 6 months", `P1D` "1 day"; in Russian "1 месяц", "2 года",
    /// "5 лет", "1 год 6 месяцев". The one place a period becomes words, on every page of both
    /// panels. A code that is no period (a corrupt row) is shown as it is.
    pub fn period(self, code: &str) -> String {
        BillingPeriod::parse(code).map_or_else(|_| code.to_owned(), |period| self.period_of(period))
    }

    /// [`Lang::period`] of a parsed period.
    pub fn period_of(self, period: BillingPeriod) -> String {
        let months = period.months();
        if months == 0 {
            return self.count("period-days", 1);
        }
        [
            ("period-years", months / 12),
            ("period-months", months % 12),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(key, n)| self.count(key, n))
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// `n` with the word of `key` in the plural form the catalogue selects for it.
    fn count(self, key: &str, n: u32) -> String {
        self.t_with(key, &[("count", n.into())])
    }

    /// The `strftime` pattern of a date: `%Y-%m-%d` (2026-12-06), `%d.%m.%Y` (06.12.2026).
    pub fn date_pattern(self) -> &'static str {
        match self {
            Lang::En => "%Y-%m-%d",
            Lang::Ru => "%d.%m.%Y",
        }
    }

    /// A date: `2026-12-06`, `06.12.2026`.
    pub fn date(self, date: NaiveDate) -> String {
        date.format(self.date_pattern()).to_string()
    }
}

/// The answer to a language form: the `billing_lang` cookie (for the whole site, both panels
/// and their sign-in pages) and a redirect (303) to `back`.
pub fn chosen(lang: Lang, back: &str) -> Response {
    (
        [(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
                lang.code()
            ),
        )],
        Redirect::to(back),
    )
        .into_response()
}

/// One bundle per language, built once. A catalogue that does
/// not parse fails the catalogue tests; at run time its broken entries are left out.
static BUNDLES: LazyLock<Vec<(Lang, FluentBundle<FluentResource>)>> = LazyLock::new(|| {
    Lang::ALL
        .into_iter()
        .map(|lang| {
            let id = lang.code().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Pages are HTML escaped by askama; the bidi isolation marks would only stand in
            // the way of copying a number.
            bundle.set_use_isolating(false);
            for source in lang.sources() {
                let resource = FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(partial, _)| partial);
                // A key defined twice keeps its first text; the catalogue test reports it.
                let _ = bundle.add_resource(resource);
            }
            (lang, bundle)
        })
        .collect()
});

/// Whether every catalogue of every language parses without an error and defines no key twice
/// (for the catalogue tests): the problems, one a line, or none.
pub fn catalogue_problems() -> Vec<String> {
    let mut problems = Vec::new();
    for lang in Lang::ALL {
        let mut bundle: FluentBundle<FluentResource> = FluentBundle::new_concurrent(Vec::new());
        for (index, source) in lang.sources().iter().enumerate() {
            match FluentResource::try_new((*source).to_owned()) {
                Ok(resource) => {
                    if let Err(errors) = bundle.add_resource(resource) {
                        problems.push(format!("{} file {index}: {errors:?}", lang.code()));
                    }
                }
                Err((_, errors)) => {
                    problems.push(format!("{} file {index}: {errors:?}", lang.code()));
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_headers_pick_a_language_english_otherwise() {
        assert_eq!(Lang::of_tag("ru-RU"), Lang::Ru);
        assert_eq!(Lang::of_tag("RU"), Lang::Ru);
        assert_eq!(Lang::of_tag("de"), Lang::En);
        assert_eq!(
            Lang::of_accept_language("de-DE, ru;q=0.8, en;q=0.5"),
            Lang::Ru
        );
        assert_eq!(Lang::of_accept_language("en-GB, ru;q=0.9"), Lang::En);
        assert_eq!(Lang::of_accept_language("ru;q=0, fr"), Lang::En);
        assert_eq!(Lang::of_accept_language("de"), Lang::En);
    }

    #[test]
    fn amounts_and_dates_per_language() {
        let amount = Decimal::new(-123_450, 2);
        assert_eq!(Lang::En.money(amount, "EUR"), "-1,234.50 EUR");
        assert_eq!(Lang::Ru.money(amount, "EUR"), "-1\u{a0}234,50\u{a0}EUR");
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
        assert_eq!(Lang::En.date(day), "2026-12-06");
        assert_eq!(Lang::Ru.date(day), "06.12.2026");
    }

    #[test]
    fn catalogues_parse_and_every_key_is_in_every_language() {
        assert_eq!(catalogue_problems(), Vec::<String>::new());
        let english = Lang::En.keys();
        for lang in Lang::ALL {
            let keys = lang.keys();
            let missing: Vec<_> = english.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !english.contains(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
            assert!(
                extra.is_empty(),
                "{} has keys English lacks: {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn a_price_per_hour_keeps_its_decimals_and_the_languages_separator() {
        let price: Decimal = "0.013700".parse().unwrap();
        assert_eq!(Lang::En.per_hour(price, "EUR"), "0.0137 EUR/h");
        assert_eq!(Lang::Ru.per_hour(price, "EUR"), "0,0137 EUR/ч");
        assert_eq!(Lang::En.per_hour(Decimal::from(2), "USD"), "2 USD/h");
    }

    #[test]
    fn periods_are_words_with_the_plural_of_their_number() {
        let en = |code: &str| Lang::En.period(code);
        assert_eq!(en("P1D"), "1 day");
        assert_eq!(en("P1M"), "1 month");
        assert_eq!(en("P3M"), "3 months");
        assert_eq!(en("P12M"), "1 year");
        assert_eq!(en("P18M"), "1 year 6 months");
        assert_eq!(en("P36M"), "3 years");
        assert_eq!(en("P13M"), "1 year 1 month");
        let ru = |code: &str| Lang::Ru.period(code);
        assert_eq!(ru("P1D"), "1 день");
        assert_eq!(ru("P1M"), "1 месяц");
        assert_eq!(ru("P2M"), "2 месяца");
        assert_eq!(ru("P5M"), "5 месяцев");
        assert_eq!(ru("P11M"), "11 месяцев");
        assert_eq!(ru("P12M"), "1 год");
        assert_eq!(ru("P18M"), "1 год 6 месяцев");
        assert_eq!(ru("P24M"), "2 года");
        assert_eq!(ru("P60M"), "5 лет");
        assert_eq!(ru("P120M"), "10 лет");
        // Not a period: shown as it is.
        assert_eq!(ru("P1Y"), "P1Y");
    }

    #[test]
    fn russian_counts_of_periods_take_one_few_or_many() {
        let forms = |key: &str| {
            [1, 2, 5, 11, 21, 22, 25]
                .map(|n| Lang::Ru.count(key, n))
                .join(", ")
        };
        assert_eq!(
            forms("period-months"),
            "1 месяц, 2 месяца, 5 месяцев, 11 месяцев, 21 месяц, 22 месяца, 25 месяцев"
        );
        assert_eq!(
            forms("period-years"),
            "1 год, 2 года, 5 лет, 11 лет, 21 год, 22 года, 25 лет"
        );
        assert_eq!(
            forms("period-days"),
            "1 день, 2 дня, 5 дней, 11 дней, 21 день, 22 дня, 25 дней"
        );
        assert_eq!(Lang::En.count("period-years", 21), "21 years");
        assert_eq!(Lang::En.count("period-days", 1), "1 day");
    }

    #[test]
    fn plurals_follow_the_language() {
        let count = |lang: Lang, n: i64| lang.t_with("clients-count", &[("count", n.into())]);
        assert_eq!(count(Lang::En, 1), "1 client");
        assert_eq!(count(Lang::En, 5), "5 clients");
        assert_eq!(count(Lang::Ru, 1), "1 клиент");
        assert_eq!(count(Lang::Ru, 3), "3 клиента");
        assert_eq!(count(Lang::Ru, 5), "5 клиентов");
        assert_eq!(Lang::Ru.t("no-such-key"), "no-such-key");
    }
}
