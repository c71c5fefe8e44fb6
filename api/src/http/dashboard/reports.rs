//! The reports page: what `GET /v1/reports/...` offers (revenue per period, per item type and per
//! tariff, payments, debtors, MRR, services, new and lost clients, deferred revenue) as tables
//! with totals per currency, each with a CSV link. The CSV is served under
//! `/dashboard/reports/{report}/csv` so that the browser's session cookie goes with it, after the
//! same rule check as the API route, from the same function the route calls
//! (`routes::reports::run_*`): one query, two forms. The form takes the range and grouping and
//! the routes' filters (provider, currency, payment method, cash or recognised basis, deferred
//! revenue "as of", services' status); each report gets those its route takes.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::clients::query_value;
use super::tables::{Cell, PeriodForm, Section, TablesPage, Totals};
use super::{Session, failed, may_open, render, signed_in};
use crate::http::csv::respond;
use crate::http::error::ApiError;
use crate::http::routes::reports::{
    self as api, ClientsReportParams, DebtorsParams, DeferredRevenueParams, MrrParams,
    PaymentsReportParams, RevenueParams, ServicesReportParams,
};
use crate::http::routes::services::STATUSES;
use crate::http::routes::tickets::{ResponseTimesParams, ResponseTimesRow, run_response_times};
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`) with a 400 problem.
use crate::http::extract::Query;

/// The page's and the downloads' parameters: the range and the grouping of the reports over a
/// period, and the filters, as the API's parameters of the same names (its defaults when left
/// empty). Each report takes those of them its route takes; the route's function checks them.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ReportsParams {
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
    provider_id: Option<String>,
    currency: Option<String>,
    method: Option<String>,
    basis: Option<String>,
    as_of: Option<String>,
    status: Option<String>,
}

/// A text field of the form: `None` when empty.
fn given(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl ReportsParams {
    /// A day of the form; empty is the API's default, anything else not a date a 400 problem.
    fn day(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("{name}: {text:?} is not a date"),
                    )
                }),
        }
    }

    fn range(&self) -> Result<(Option<NaiveDate>, Option<NaiveDate>), ApiError> {
        Ok((
            Self::day("from", self.from.as_deref())?,
            Self::day("to", self.to.as_deref())?,
        ))
    }

    fn group(&self) -> Option<String> {
        self.group.clone().filter(|g| !g.is_empty())
    }

    /// The provider chosen; anything but an id is a 400 problem, as the API's query parameter.
    fn provider(&self) -> Result<Option<Uuid>, ApiError> {
        given(self.provider_id.as_deref())
            .map(|id| {
                Uuid::parse_str(&id).map_err(|_| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("provider_id: {id:?} is not an id"),
                    )
                })
            })
            .transpose()
    }

    fn currency(&self) -> Option<String> {
        given(self.currency.as_deref())
    }

    fn revenue(&self) -> Result<RevenueParams, ApiError> {
        let (from, to) = self.range()?;
        Ok(RevenueParams {
            group: self.group(),
            from,
            to,
            provider_id: self.provider()?,
            currency: self.currency(),
            basis: given(self.basis.as_deref()),
            ..RevenueParams::default()
        })
    }

    fn payments(&self) -> Result<PaymentsReportParams, ApiError> {
        let (from, to) = self.range()?;
        Ok(PaymentsReportParams {
            group: self.group(),
            from,
            to,
            provider_id: self.provider()?,
            currency: self.currency(),
            method: given(self.method.as_deref()),
            ..PaymentsReportParams::default()
        })
    }

    fn response_times(&self) -> Result<ResponseTimesParams, ApiError> {
        let (from, to) = self.range()?;
        Ok(ResponseTimesParams {
            from,
            to,
            ..ResponseTimesParams::default()
        })
    }

    fn debtors(&self) -> Result<DebtorsParams, ApiError> {
        Ok(DebtorsParams {
            provider_id: self.provider()?,
            currency: self.currency(),
            ..DebtorsParams::default()
        })
    }

    fn mrr(&self) -> Result<MrrParams, ApiError> {
        Ok(MrrParams {
            provider_id: self.provider()?,
            currency: self.currency(),
            ..MrrParams::default()
        })
    }

    fn deferred(&self) -> Result<DeferredRevenueParams, ApiError> {
        Ok(DeferredRevenueParams {
            as_of: Self::day("as_of", self.as_of.as_deref())?,
            provider_id: self.provider()?,
            currency: self.currency(),
            ..DeferredRevenueParams::default()
        })
    }

    fn services(&self) -> Result<ServicesReportParams, ApiError> {
        Ok(ServicesReportParams {
            provider_id: self.provider()?,
            status: given(self.status.as_deref()),
            ..ServicesReportParams::default()
        })
    }

    /// New and lost clients are counted per month: the range only when it is monthly.
    fn clients(&self) -> Result<ClientsReportParams, ApiError> {
        let (from, to) = match self.group().as_deref() {
            Some("day") => (None, None),
            _ => self.range()?,
        };
        Ok(ClientsReportParams {
            from,
            to,
            provider_id: self.provider()?,
            ..ClientsReportParams::default()
        })
    }

    /// The query string the page's links keep.
    fn query(&self) -> String {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("group", &self.group),
            ("provider_id", &self.provider_id),
            ("currency", &self.currency),
            ("method", &self.method),
            ("basis", &self.basis),
            ("as_of", &self.as_of),
            ("status", &self.status),
        ]
        .iter()
        .map(|(name, value)| {
            format!(
                "{name}={}",
                query_value(value.as_deref().unwrap_or_default())
            )
        })
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The reports, by the name in their path, with the API route each is.
const REPORTS: [(&str, &str); 8] = [
    ("revenue", "/v1/reports/revenue"),
    ("response-times", "/v1/reports/response-times"),
    ("deferred-revenue", "/v1/reports/deferred-revenue"),
    ("payments", "/v1/reports/payments"),
    ("debtors", "/v1/reports/debtors"),
    ("clients", "/v1/reports/clients"),
    ("services", "/v1/reports/services"),
    ("mrr", "/v1/reports/mrr"),
];

/// A report as CSV, exactly as `GET /v1/reports/{report}?format=csv` answers it.
pub(super) async fn report_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(report): Path<String>,
    Query(params): Query<ReportsParams>,
) -> Response {
    let Some((name, route)) = REPORTS.iter().find(|(name, _)| *name == report) else {
        return match signed_in(&state, &headers).await {
            Ok(session) => super::message(
                Some(&session),
                StatusCode::NOT_FOUND,
                "No such report",
                "There is no such report.",
            ),
            Err(answer) => answer,
        };
    };
    if let Err(answer) = may_open(&state, &headers, route).await {
        return answer;
    }
    // One arm per report: its parameters from the page's, its rows from the API route's own
    // function, the CSV the route writes.
    macro_rules! download {
        ($params:expr, $run:path) => {
            match $params {
                Ok(params) => $run(&state, &params)
                    .await
                    .map(|rows| respond(true, name, rows)),
                Err(error) => Err(error),
            }
        };
    }
    let answer = match *name {
        "revenue" => download!(params.revenue(), api::run_revenue),
        "deferred-revenue" => download!(params.deferred(), api::run_deferred_revenue),
        "payments" => download!(params.payments(), api::run_payments),
        "debtors" => download!(params.debtors(), api::run_debtors),
        "clients" => download!(params.clients(), api::run_clients),
        "services" => download!(params.services(), api::run_services),
        "response-times" => download!(params.response_times(), run_response_times),
        _ => download!(params.mrr(), api::run_mrr),
    };
    answer.unwrap_or_else(failed)
}

/// An amount of a report row (a decimal string at its currency's scale, as the API writes it).
fn amount(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// The names the reports show instead of ids.
struct Names {
    providers: HashMap<Uuid, String>,
    tariffs: HashMap<Uuid, String>,
    clients: HashMap<Uuid, String>,
}

impl Names {
    fn provider(&self, id: Uuid) -> String {
        self.providers.get(&id).cloned().unwrap_or_default()
    }

    /// A tariff's name; the nil id is a service the reports do not know.
    fn tariff(&self, id: Uuid) -> String {
        self.tariffs
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "unknown tariff".to_owned())
    }
}

/// The reports page: staff who may read the revenue report (every report has the same rule).
pub(super) async fn reports(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ReportsParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/reports/revenue").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match reports_page(&state, &session, params).await {
        // Bad parameters are the API's 400, shown above the reports that do not take them.
        Ok(page) if page.error.is_some() => render(StatusCode::BAD_REQUEST, &page),
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn reports_page(
    state: &AppState,
    session: &Session,
    params: ReportsParams,
) -> Result<TablesPage, ApiError> {
    let query = params.query();
    let link = |name: &str| format!("/dashboard/reports/{name}/csv?{query}");
    // Each report from its route's function with the parameters it takes; bad parameters are
    // that function's 400 problem, shown above the reports that could be read.
    macro_rules! run {
        ($params:expr, $run:path) => {
            match $params {
                Ok(p) => $run(state, &p).await,
                Err(e) => Err(e),
            }
        };
    }
    let revenue = run!(params.revenue(), api::run_revenue);
    let payments = run!(params.payments(), api::run_payments);
    let clients = run!(params.clients(), api::run_clients);
    let debtors = run!(params.debtors(), api::run_debtors);
    let mrr = run!(params.mrr(), api::run_mrr);
    let services = run!(params.services(), api::run_services);
    let deferred = run!(params.deferred(), api::run_deferred_revenue);

    let mut tariff_ids: Vec<Uuid> = Vec::new();
    if let Ok(rows) = &services {
        tariff_ids.extend(rows.iter().map(|r| r.tariff_id));
    }
    if let Ok(rows) = &deferred {
        tariff_ids.extend(rows.iter().map(|r| r.tariff_id));
    }
    if let Ok(rows) = &revenue {
        tariff_ids.extend(rows.iter().map(|r| r.tariff_id));
    }
    let client_ids: Vec<Uuid> = debtors.iter().flatten().map(|r| r.client_id).collect();
    let providers = projections::clients::providers(&state.pool).await?;
    let names = Names {
        providers: providers.iter().map(|p| (p.id, p.name.clone())).collect(),
        tariffs: projections::catalog::names(&state.pool, &tariff_ids)
            .await?
            .into_iter()
            .collect(),
        clients: projections::clients::names(&state.pool, &client_ids)
            .await?
            .into_iter()
            .collect(),
    };

    let mut sections = Vec::new();
    let mut error: Option<String> = None;
    let mut shown =
        |result: Result<Vec<Section>, ApiError>, sections: &mut Vec<Section>| match result {
            Ok(more) => sections.extend(more),
            Err(e) => {
                error.get_or_insert_with(|| e.detail().to_owned());
            }
        };
    shown(
        revenue.map(|rows| revenue_sections(&rows, &names, link("revenue"))),
        &mut sections,
    );
    shown(
        payments.map(|rows| vec![payments_section(&rows, link("payments"))]),
        &mut sections,
    );
    shown(
        debtors.map(|rows| vec![debtors_section(session, &rows, &names, link("debtors"))]),
        &mut sections,
    );
    shown(
        mrr.map(|rows| vec![mrr_section(&rows, &names, link("mrr"))]),
        &mut sections,
    );
    let as_of = params
        .deferred()
        .ok()
        .and_then(|p| p.as_of)
        .unwrap_or_else(|| state.today());
    shown(
        deferred.map(|rows| {
            vec![deferred_section(
                as_of,
                &rows,
                &names,
                link("deferred-revenue"),
            )]
        }),
        &mut sections,
    );
    shown(
        services.map(|rows| vec![services_section(&rows, &names, link("services"))]),
        &mut sections,
    );
    shown(
        clients.map(|rows| vec![clients_section(&rows, &names, link("clients"))]),
        &mut sections,
    );
    // The support desk's report has a rule of its own.
    if session.may("GET", "/v1/reports/response-times") {
        let rows = run!(params.response_times(), run_response_times);
        shown(
            rows.map(|rows| vec![response_times_section(&rows, link("response-times"))]),
            &mut sections,
        );
    }
    let mut page = TablesPage::of(session.layout(session.lang.t("title-reports")), sections);
    let field = |value: &Option<String>| given(value.as_deref()).unwrap_or_default();
    page.period = Some(PeriodForm {
        action: "/dashboard/reports",
        from: field(&params.from),
        to: field(&params.to),
        group: params.group().unwrap_or_else(|| "month".to_owned()),
        providers: providers
            .into_iter()
            .map(|p| (p.id.to_string(), p.name))
            .collect(),
        provider_id: field(&params.provider_id),
        currency: field(&params.currency),
        method: field(&params.method),
        basis: given(params.basis.as_deref()).unwrap_or_else(|| "cash".to_owned()),
        as_of: field(&params.as_of),
        status: field(&params.status),
        statuses: &STATUSES,
    });
    let basis = if given(params.basis.as_deref()).as_deref() == Some("recognised") {
        "each amount spread per day over the service period it pays for (recognised basis)"
    } else {
        "on the day charged (cash basis)"
    };
    page.intro = Some(format!(
        "Income is charges less credits less corrections, {basis}. Empty dates are the last \
         twelve months; the filters narrow the reports that take them."
    ));
    page.error = error;
    Ok(page)
}

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

    fn cells(self, currency: &str) -> Vec<Cell> {
        self.0
            .iter()
            .map(|sum| Cell::money(*sum, currency))
            .collect()
    }
}

/// Revenue per period, per item type and per tariff, each per currency, with the total revenue
/// per currency.
fn revenue_sections(rows: &[api::RevenueRow], names: &Names, csv: String) -> Vec<Section> {
    let mut per_period: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut per_type: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut per_tariff: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut totals = Totals::default();
    for row in rows {
        per_period
            .entry((row.period_start.to_string(), row.currency.clone()))
            .or_default()
            .add(row);
        per_type
            .entry((row.item_type.clone(), row.currency.clone()))
            .or_default()
            .add(row);
        per_tariff
            .entry((names.tariff(row.tariff_id), row.currency.clone()))
            .or_default()
            .add(row);
        totals.add(&row.currency, amount(&row.revenue));
    }
    let table = |sums: BTreeMap<(String, String), Sums>| -> Vec<Vec<Cell>> {
        sums.into_iter()
            .map(|((key, currency), sums)| {
                let mut cells = vec![Cell::text(key), Cell::text(&currency)];
                cells.extend(sums.cells(&currency));
                cells
            })
            .collect()
    };
    let amounts = ["Charged#", "Credited#", "Corrected#", "Income#"];
    let headings = |first: &'static str| -> Vec<&'static str> {
        [first, "Currency"].into_iter().chain(amounts).collect()
    };
    vec![
        Section::new(
            "revenue",
            "Income per period",
            &headings("Period from"),
            table(per_period),
        )
        .with_totals(totals.cards("Income"))
        .with_csv(csv),
        Section::new(
            "revenue-by-type",
            "Income by item type",
            &headings("Item type"),
            table(per_type),
        )
        .with_totals(totals.cards("Income")),
        Section::new(
            "revenue-by-tariff",
            "Income by tariff",
            &headings("Tariff"),
            table(per_tariff),
        ),
    ]
}

fn payments_section(rows: &[api::PaymentsRow], csv: String) -> Section {
    let mut totals = Totals::default();
    let table = rows
        .iter()
        .map(|r| {
            totals.add(&r.currency, amount(&r.net_amount));
            vec![
                Cell::text(r.period_start.to_string()),
                Cell::text(&r.method),
                Cell::text(&r.currency),
                Cell::count(r.payments_count),
                Cell::money(amount(&r.payments_amount), &r.currency),
                Cell::money(amount(&r.refunds_amount), &r.currency),
                Cell::money(amount(&r.reversals_amount), &r.currency),
                Cell::money(amount(&r.net_amount), &r.currency),
            ]
        })
        .collect();
    Section::new(
        "payments",
        "Payments per period and method",
        &[
            "Period from",
            "Method",
            "Currency",
            "Payments#",
            "Paid#",
            "Refunded#",
            "Reversed#",
            "Net#",
        ],
        table,
    )
    .with_totals(totals.cards("Net payments"))
    .with_csv(csv)
}

fn debtors_section(
    session: &Session,
    rows: &[api::DebtorRow],
    names: &Names,
    csv: String,
) -> Section {
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
                Cell::money(amount(&r.owed), &r.currency),
                Cell::text(session.zone.time(r.negative_since)),
                Cell::count(r.days_overdue),
            ]
        })
        .collect();
    Section::new(
        "debtors",
        "Debtors",
        &["Client", "Provider", "Owed#", "Below zero since", "Days#"],
        table,
    )
    .with_totals(totals.cards("Owed"))
    .with_csv(csv)
}

fn mrr_section(rows: &[api::MrrRow], names: &Names, csv: String) -> Section {
    let mut totals = Totals::default();
    let table = rows
        .iter()
        .map(|r| {
            totals.add(&r.currency, amount(&r.mrr));
            vec![
                Cell::text(names.provider(r.provider_id)),
                Cell::text(&r.currency),
                Cell::count(r.active_services),
                Cell::money(amount(&r.mrr), &r.currency),
            ]
        })
        .collect();
    Section::new(
        "mrr",
        "Monthly recurring revenue",
        &["Provider", "Currency", "Active services#", "MRR#"],
        table,
    )
    .with_totals(totals.cards("MRR"))
    .with_csv(csv)
}

fn deferred_section(
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
                Cell::text(&r.item_type),
                Cell::money(amount(&r.charged), &r.currency),
                Cell::money(amount(&r.recognised), &r.currency),
                Cell::money(amount(&r.deferred), &r.currency),
            ]
        })
        .collect();
    Section::new(
        "deferred-revenue",
        format!("Deferred revenue at the end of {as_of}"),
        &[
            "Provider",
            "Tariff",
            "Item type",
            "Charged#",
            "Recognised#",
            "Deferred#",
        ],
        table,
    )
    .with_totals(totals.cards("Deferred"))
    .with_csv(csv)
}

fn services_section(rows: &[api::ServicesRow], names: &Names, csv: String) -> Section {
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(names.provider(r.provider_id)),
                Cell::text(names.tariff(r.tariff_id)),
                Cell::text(&r.item_type),
                Cell::text(&r.status),
                Cell::count(r.services),
            ]
        })
        .collect();
    Section::new(
        "services",
        "Services by tariff and status",
        &["Provider", "Tariff", "Item type", "Status", "Services#"],
        table,
    )
    .with_csv(csv)
}

fn clients_section(rows: &[api::ClientsRow], names: &Names, csv: String) -> Section {
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(r.month.to_string()),
                Cell::text(names.provider(r.provider_id)),
                Cell::count(r.new_clients),
                Cell::count(r.lost_clients),
                Cell::count(r.active_clients),
            ]
        })
        .collect();
    Section::new(
        "clients",
        "New and lost clients per month",
        &["Month", "Provider", "New#", "Lost#", "Active#"],
        table,
    )
    .with_csv(csv)
}

/// A wait in whole seconds as people read it: `1 h 05 min`, `4 min 10 s`, `12 s`.
fn wait(seconds: i64) -> String {
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("{minutes} min {rest:02} s")
    } else {
        format!("{rest} s")
    }
}

fn response_times_section(rows: &[ResponseTimesRow], csv: String) -> Section {
    let table = rows
        .iter()
        .map(|r| {
            vec![
                Cell::text(&r.department),
                Cell::count(r.answers),
                Cell::text(wait(r.average_seconds)),
                Cell::text(wait(r.median_seconds)),
                Cell::text(wait(r.max_seconds)),
                Cell::count(r.waiting_now),
            ]
        })
        .collect();
    Section::new(
        "response-times",
        "First answers per department, within business hours (the last 30 days when no dates are given)",
        &[
            "Department",
            "Answers#",
            "Mean wait#",
            "Median wait#",
            "Longest wait#",
            "Waiting now#",
        ],
        table,
    )
    .with_csv(csv)
}
