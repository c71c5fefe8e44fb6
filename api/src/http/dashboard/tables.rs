//! The page of plain tables that the catalog, settings and reports pages share (`tables.html`):
//! sections of a heading, totals per currency as cards, a table of text cells (numbers right
//! aligned, below zero marked), an optional CSV link and an optional next page.

use std::collections::BTreeMap;

use askama::Template;
use rust_decimal::Decimal;

use super::Layout;
use super::format::negative;
use crate::http::i18n::Lang;

/// A page of sections.
#[derive(Template)]
#[template(path = "tables.html")]
pub(super) struct TablesPage {
    pub(super) layout: Layout,
    /// A line under the title.
    pub(super) intro: Option<String>,
    /// The reports' period form.
    pub(super) period: Option<PeriodForm>,
    /// What went wrong reading the page (a report's bad parameters), shown above the sections.
    pub(super) error: Option<String>,
    pub(super) sections: Vec<Section>,
}

impl TablesPage {
    /// A page titled by `layout` of `sections`, without a form.
    pub(super) fn of(layout: Layout, sections: Vec<Section>) -> TablesPage {
        TablesPage {
            layout,
            intro: None,
            period: None,
            error: None,
            sections,
        }
    }
}

/// The reports' form: the range and whether rows are per day or per month, and the filters the
/// report routes take (each empty for all, as the API's parameter left out).
pub(super) struct PeriodForm {
    pub(super) action: &'static str,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) group: String,
    /// The providers to choose from: id and name.
    pub(super) providers: Vec<(String, String)>,
    pub(super) provider_id: String,
    pub(super) currency: String,
    pub(super) method: String,
    /// `cash` or `recognised`.
    pub(super) basis: String,
    pub(super) as_of: String,
    /// The services' status, from `statuses`.
    pub(super) status: String,
    pub(super) statuses: &'static [&'static str],
}

/// One table with its title.
pub(super) struct Section {
    /// The section's element id; the table's is `{id}-table`, the totals' `{id}-totals`.
    pub(super) id: &'static str,
    pub(super) title: String,
    pub(super) headings: Vec<Heading>,
    pub(super) rows: Vec<Vec<Cell>>,
    /// `(label, amount)` cards, one per currency.
    pub(super) totals: Vec<(String, String)>,
    /// The address of its CSV download.
    pub(super) csv: Option<String>,
    /// The address of its next page.
    pub(super) next: Option<String>,
}

impl Section {
    /// A section of `rows` under `headings`, catalogue keys (`col-name`) the template shows in the
    /// page's language; a key ending in `#` is a numeric column.
    pub(super) fn new(
        id: &'static str,
        title: impl Into<String>,
        headings: &[&str],
        rows: Vec<Vec<Cell>>,
    ) -> Section {
        Section {
            id,
            title: title.into(),
            headings: headings
                .iter()
                .map(|h| match h.strip_suffix('#') {
                    Some(text) => Heading {
                        text: text.to_owned(),
                        numeric: true,
                    },
                    None => Heading {
                        text: (*h).to_owned(),
                        numeric: false,
                    },
                })
                .collect(),
            rows,
            totals: Vec::new(),
            csv: None,
            next: None,
        }
    }

    pub(super) fn with_totals(mut self, totals: Vec<(String, String)>) -> Section {
        self.totals = totals;
        self
    }

    pub(super) fn with_csv(mut self, csv: String) -> Section {
        self.csv = Some(csv);
        self
    }

    pub(super) fn with_next(mut self, next: Option<String>) -> Section {
        self.next = next;
        self
    }
}

pub(super) struct Heading {
    /// The heading's catalogue key.
    pub(super) text: String,
    pub(super) numeric: bool,
}

/// A cell: its text, a link, and whether it is a number (right aligned, marked below zero).
pub(super) struct Cell {
    pub(super) text: String,
    pub(super) link: Option<String>,
    pub(super) numeric: bool,
    pub(super) negative: bool,
}

impl Cell {
    /// Text.
    pub(super) fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            link: None,
            numeric: false,
            negative: false,
        }
    }

    /// Text linking to `href`.
    pub(super) fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            link: Some(href.into()),
            ..Cell::text(text)
        }
    }

    /// A count.
    pub(super) fn count(n: impl ToString) -> Cell {
        Cell {
            numeric: true,
            ..Cell::text(n.to_string())
        }
    }

    /// An amount with its currency, with thousands separators, written the way `lang` writes it.
    pub(super) fn money(lang: Lang, amount: Decimal, currency: &str) -> Cell {
        Cell {
            text: lang.money(amount, currency),
            link: None,
            numeric: true,
            negative: negative(amount),
        }
    }
}

/// Sums per currency, for the totals of a table: `add` as rows are made, `cards` at the end.
#[derive(Default)]
pub(super) struct Totals(BTreeMap<String, Decimal>);

impl Totals {
    pub(super) fn add(&mut self, currency: &str, amount: Decimal) {
        *self.0.entry(currency.to_owned()).or_default() += amount;
    }

    /// One card per currency, A to Z, labelled `label` and the currency, amounts written the way
    /// `lang` writes them.
    pub(super) fn cards(&self, lang: Lang, label: &str) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(currency, sum)| (format!("{label}, {currency}"), lang.money(*sum, currency)))
            .collect()
    }
}

/// The navigation's links to the catalog, settings and reports pages, each for staff who may
/// `GET` the API route its page is checked against.
pub(super) fn nav(session: &super::Session, nav: &mut Vec<super::NavLink>) {
    const PAGES: [(&str, &str, &str); 12] = [
        ("/v1/services", "/dashboard/services", "nav-services"),
        ("/v1/tariffs", "/dashboard/tariffs", "nav-tariffs"),
        (
            "/v1/promo-codes",
            "/dashboard/promo-codes",
            "nav-promo-codes",
        ),
        ("/v1/reports/revenue", "/dashboard/reports", "nav-reports"),
        (
            "/v1/affiliate-programs",
            "/dashboard/affiliate-programs",
            "nav-affiliate-programs",
        ),
        ("/v1/currencies", "/dashboard/currencies", "nav-currencies"),
        ("/v1/item-types", "/dashboard/item-types", "nav-item-types"),
        ("/v1/companies", "/dashboard/companies", "nav-companies"),
        (
            "/v1/clients/{id}/contracts",
            "/dashboard/contracts",
            "nav-contracts",
        ),
        ("/v1/staff", "/dashboard/staff", "nav-staff"),
        (
            "/v1/notifications",
            "/dashboard/notifications",
            "nav-notifications",
        ),
        (
            "/v1/client-groups",
            "/dashboard/client-groups",
            "nav-group-discounts",
        ),
    ];
    for (route, href, label) in PAGES {
        if session.may("GET", route) {
            nav.push(super::NavLink { href, label });
        }
    }
}

/// Rows per page of the catalog's and settings' tables.
pub(super) const PAGE: i64 = 100;

#[derive(serde::Deserialize, Default)]
pub(super) struct PageParams {
    /// The API's cursor of the page: the last row of the previous one.
    pub(super) after: Option<String>,
}

/// Keeps a page of `rows` read one longer than [`PAGE`]; the address of the next page, at
/// `path` after the cursor of the page's last row, when there is one.
pub(super) fn next_page<T>(
    rows: &mut Vec<T>,
    path: &str,
    cursor: impl Fn(&T) -> String,
) -> Option<String> {
    let limit = usize::try_from(PAGE).unwrap_or(100);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|last| {
            format!(
                "{path}?after={}",
                super::clients::query_value(&cursor(last))
            )
        })
    } else {
        None
    }
}
