//! The reports page's tables (`reports`): one section per report, its headings catalogue keys,
//! its amounts, dates, item types and statuses written in the page's language, its totals per
//! currency as cards.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Session;
use super::reports::{Names, amount};
use super::tables::{Cell, Section, Totals};
use crate::http::i18n::Lang;
use crate::http::routes::reports as api;
use crate::http::routes::tickets::ResponseTimesRow;

/// Sums of revenue rows under one key: charged, credited, corrected, revenue.
#[derive(Default, Clone, Copy)]
struct Sums([Decimal; 4]);

impl Sums {
    fn add(&mut self, row: &api::RevenueRow) {
        for (sum, text) in
            self.0
                .iter_mut()
                .zip([&row.charged, &row.credited, &row.corrected, &row.revenue])
        {
            *sum += amount(text);
        }
    }

    fn cells(self, lang: Lang, currency: &str) -> Vec<Cell> {
        self.0
            .iter()
            .map(|sum| Cell::money(lang, *sum, currency))
            .collect()
    }
}

/// Revenue per period, per item type and per tariff, each per currency, with the total revenue
/// per currency.
pub(super) fn revenue_sections(
    lang: Lang,
    rows: &[api::RevenueRow],
    names: &Names,
    csv: String,
) -> Vec<Section> {
    let mut per_period: BTreeMap<(NaiveDate, String), Sums> = BTreeMap::new();
    let mut per_type: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut per_tariff: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut totals = Totals::default();
    for row in rows {
        per_period
            .entry((row.period_start, row.currency.clone()))
            .or_default()
            .add(row);
        per_type
            .entry((lang.named(&row.item_type), row.currency.clone()))
            .or_default()
            .add(row);
        per_tariff
            .entry((names.tariff(row.tariff_id), row.currency.clone()))
            .or_default()
            .add(row);
        totals.add(&row.currency, amount(&row.revenue));
    }
    let per_period: BTreeMap<(String, String), Sums> = per_period
        .into_iter()
        .map(|((day, currency), sums)| ((lang.date(day), currency), sums))
        .collect();
    let table = |sums: BTreeMap<(String, String), Sums>| -> Vec<Vec<Cell>> {
        sums.into_iter()
            .map(|((key, currency), sums)| {
                let mut cells = vec![Cell::text(key), Cell::text(&currency)];
                cells.extend(sums.cells(lang, &currency));
                cells
            })
            .collect()
    };
    let amounts = [
        "col-charged#",
        "col-credited#",
        "col-corrected#",
        "col-income#",
    ];
    let headings = |first: &'static str| -> Vec<&'static str> {
        [first, "col-currency"].into_iter().chain(amounts).collect()
    };
    let income = lang.t("report-income");
    vec![
        Section::new(
            "revenue",
            lang.t("report-income-per-period"),
            &headings("col-period-from"),
            table(per_period),
        )
        .with_totals(totals.cards(lang, &income))
        .with_csv(csv),
        Section::new(
            "revenue-by-type",
            lang.t("report-income-by-type"),
            &headings("col-item-type"),
            table(per_type),
        )
        .with_totals(totals.cards(lang, &income)),
        Section::new(
            "revenue-by-tariff",
            lang.t("report-income-by-tariff"),
            &headings("col-tariff"),
            table(per_tariff),
        ),
    ]
}

pub(super) fn payments_section(lang: Lang, rows: &[api::PaymentsRow], csv: String) -> Section {
    let mut totals = Totals::default();
    let table = rows
        .iter()
        .map(|r| {
            totals.add(&r.currency, amount(&r.net_amount));
            vec![
                Cell::text(lang.date(r.period_start)),
                Cell::text(lang.named(&r.method)),
                Cell::text(&r.currency),
                Cell::count(r.payments_count),
                Cell::money(lang, amount(&r.payments_amount), &r.currency),
                Cell::money(lang, amount(&r.refunds_amount), &r.currency),
                Cell::money(lang, amount(&r.reversals_amount), &r.currency),
                Cell::money(lang, amount(&r.net_amount), &r.currency),
            ]
        })
        .collect();
    Section::new(
        "payments",
        lang.t("report-payments"),
        &[
            "col-period-from",
            "col-method",
            "col-currency",
            "col-payments#",
            "col-paid#",
            "col-refunded#",
            "col-reversed#",
            "col-net#",
        ],
        table,
    )
    .with_totals(totals.cards(lang, &lang.t("report-net-payments")))
    .with_csv(csv)
}

pub(super) fn debtors_section(
    session: &Session,
    rows: &[api::DebtorRow],
    names: &Names,
    csv: String,
) -> Section {
    let lang = session.lang;
    let mut totals = Totals::default();
    let table = rows
        .iter()
        .map(|r| {
            totals.add(&r.currency, amount(&r.owed));
            vec![
                Cell::link(
                    names.clients.get(&r.client_id).cloned().unwrap_or_default(),
                    format!("/dashboard/clients/{}", r.client_id),
                ),
                Cell::text(names.provider(r.provider_id)),
                Cell::money(lang, amount(&r.owed), &r.currency),
                Cell::text(session.zone.time(r.negative_since)),
                Cell::count(r.days_overdue),
            ]
        })
        .collect();
    Section::new(
        "debtors",
        lang.t("report-debtors"),
        &[
            "col-client",
            "clients-provider",
            "col-owed#",
            "col-below-zero-since",
            "col-days#",
        ],
        table,
    )
    .with_totals(totals.cards(lang, &lang.t("report-owed")))
    .with_csv(csv)
}

pub(super) fn mrr_section(lang: Lang, rows: &[api::MrrRow], names: &Names, csv: String) -> Section {
    let mut totals = Totals::default();
    let table = rows
        .iter()
        .map(|r| {
            totals.add(&r.currency, amount(&r.mrr));
            vec![
                Cell::text(names.provider(r.provider_id)),
                Cell::text(&r.currency),
                Cell::count(r.active_services),
                Cell::money(lang, amount(&r.mrr), &r.currency),
            ]
        })
        .collect();
    Section::new(
        "mrr",
        lang.t("report-mrr"),
        &[
            "clients-provider",
            "col-currency",
            "col-active-services#",
            "col-mrr#",
        ],
        table,
    )
    .with_totals(totals.cards(lang, &lang.t("col-mrr")))
    .with_csv(csv)
}

pub(super) fn deferred_section(
    lang: Lang,
    as_of: NaiveDate,
    rows: &[api::DeferredRevenueRow],
    names: &Names,
    csv: String,
) -> Section {
    let mut totals = Totals::default();
    let table = rows
        .iter()
        .map(|r| {
            totals.add(&r.currency, amount(&r.deferred));
            vec![
                Cell::text(names.provider(r.provider_id)),
                Cell::text(names.tariff(r.tariff_id)),
                Cell::text(lang.named(&r.item_type)),
                Cell::money(lang, amount(&r.charged), &r.currency),
                Cell::money(lang, amount(&r.recognised), &r.currency),
                Cell::money(lang, amount(&r.deferred), &r.currency),
            ]
        })
        .collect();
    Section::new(
        "deferred-revenue",
        lang.t1("report-deferred", "day", &lang.date(as_of)),
        &[
            "clients-provider",
            "col-tariff",
            "col-item-type",
            "col-charged#",
            "col-recognised#",
            "col-deferred#",
        ],
        table,
    )
    .with_totals(totals.cards(lang, &lang.t("report-deferred-total")))
    .with_csv(csv)
}

pub(super) fn services_section(
    lang: Lang,
    rows: &[api::ServicesRow],
    names: &Names,
    csv: String,
) -> Section {
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(names.provider(r.provider_id)),
                Cell::text(names.tariff(r.tariff_id)),
                Cell::text(lang.named(&r.item_type)),
                Cell::text(lang.named(&r.status)),
                Cell::count(r.services),
            ]
        })
        .collect();
    Section::new(
        "services",
        lang.t("report-services"),
        &[
            "clients-provider",
            "col-tariff",
            "col-item-type",
            "col-status",
            "col-services#",
        ],
        table,
    )
    .with_csv(csv)
}

pub(super) fn clients_section(
    lang: Lang,
    rows: &[api::ClientsRow],
    names: &Names,
    csv: String,
) -> Section {
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(lang.date(r.month)),
                Cell::text(names.provider(r.provider_id)),
                Cell::count(r.new_clients),
                Cell::count(r.lost_clients),
                Cell::count(r.active_clients),
            ]
        })
        .collect();
    Section::new(
        "clients",
        lang.t("report-clients"),
        &[
            "col-month",
            "clients-provider",
            "col-new#",
            "col-lost#",
            "col-active#",
        ],
        table,
    )
    .with_csv(csv)
}

/// A wait in whole seconds as people read it: `1 h 05 min`, `4 min 10 s`, `12 s` (`1 ч 05 мин`
/// in Russian).
fn wait(lang: Lang, seconds: i64) -> String {
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let (h, min, s) = (lang.t("unit-h"), lang.t("unit-min"), lang.t("unit-s"));
    if hours > 0 {
        format!("{hours} {h} {minutes:02} {min}")
    } else if minutes > 0 {
        format!("{minutes} {min} {rest:02} {s}")
    } else {
        format!("{rest} {s}")
    }
}

pub(super) fn response_times_section(
    lang: Lang,
    rows: &[ResponseTimesRow],
    csv: String,
) -> Section {
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.department),
                Cell::count(r.answers),
                Cell::text(wait(lang, r.average_seconds)),
                Cell::text(wait(lang, r.median_seconds)),
                Cell::text(wait(lang, r.max_seconds)),
                Cell::count(r.waiting_now),
            ]
        })
        .collect();
    Section::new(
        "response-times",
        lang.t("report-response-times"),
        &[
            "overview-department",
            "col-answers#",
            "col-mean-wait#",
            "col-median-wait#",
            "col-longest-wait#",
            "col-waiting-now#",
        ],
        table,
    )
    .with_csv(csv)
}
