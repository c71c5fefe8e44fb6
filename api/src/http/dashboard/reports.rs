//! The reports page: what `GET /v1/reports/...` offers (revenue per period, per item type and per
//! tariff, payments, debtors, MRR, services, new and lost clients, deferred revenue) as tables
//! with totals per currency, each with a CSV link. The CSV is served under
//! `/dashboard/reports/{report}/csv` so that the browser's session cookie goes with it, after the
//! same rule check as the API route, from the same function the route calls
//! (`routes::reports::run_*`): one query, two forms. The form takes the range and grouping and
//! the routes' filters (provider, currency, payment method, cash or recognised basis, deferred
//! revenue "as of", services' status); each report gets those its route takes.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::clients::query_value;
use super::report_tables::{
    clients_section, debtors_section, deferred_section, mrr_section, payments_section,
    response_times_section, revenue_sections, services_section,
};
use super::tables::{PeriodForm, Section, TablesPage};
use super::{Session, failed, may_open, render, signed_in};
use crate::http::csv::respond;
use crate::http::error::ApiError;
use crate::http::routes::reports::{
    self as api, ClientsReportParams, DebtorsParams, DeferredRevenueParams, MrrParams,
    PaymentsReportParams, RevenueParams, ServicesReportParams,
};
use crate::http::routes::services::STATUSES;
use crate::http::routes::tickets::{ResponseTimesParams, run_response_times};
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
                &session.lang.t("report-none"),
                &session.lang.t("report-none-text"),
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
pub(super) fn amount(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// The names the reports show instead of ids.
pub(super) struct Names {
    providers: HashMap<Uuid, String>,
    tariffs: HashMap<Uuid, String>,
    pub(super) clients: HashMap<Uuid, String>,
    /// What a tariff the reports do not know is called, in the page's language.
    unknown_tariff: String,
}

impl Names {
    pub(super) fn provider(&self, id: Uuid) -> String {
        self.providers.get(&id).cloned().unwrap_or_default()
    }

    /// A tariff's name; the nil id is a service the reports do not know.
    pub(super) fn tariff(&self, id: Uuid) -> String {
        self.tariffs
            .get(&id)
            .cloned()
            .unwrap_or_else(|| self.unknown_tariff.clone())
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
        unknown_tariff: session.lang.t("report-unknown-tariff"),
    };
    let lang = session.lang;

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
        revenue.map(|rows| revenue_sections(lang, &rows, &names, link("revenue"))),
        &mut sections,
    );
    shown(
        payments.map(|rows| vec![payments_section(lang, &rows, link("payments"))]),
        &mut sections,
    );
    shown(
        debtors.map(|rows| vec![debtors_section(session, &rows, &names, link("debtors"))]),
        &mut sections,
    );
    shown(
        mrr.map(|rows| vec![mrr_section(lang, &rows, &names, link("mrr"))]),
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
                lang,
                as_of,
                &rows,
                &names,
                link("deferred-revenue"),
            )]
        }),
        &mut sections,
    );
    shown(
        services.map(|rows| vec![services_section(lang, &rows, &names, link("services"))]),
        &mut sections,
    );
    shown(
        clients.map(|rows| vec![clients_section(lang, &rows, &names, link("clients"))]),
        &mut sections,
    );
    // The support desk's report has a rule of its own.
    if session.may("GET", "/v1/reports/response-times") {
        let rows = run!(params.response_times(), run_response_times);
        shown(
            rows.map(|rows| vec![response_times_section(lang, &rows, link("response-times"))]),
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
        lang.t("report-basis-recognised")
    } else {
        lang.t("report-basis-cash")
    };
    page.intro = Some(lang.t1("report-intro", "basis", &basis));
    page.error = error;
    Ok(page)
}
