//! Reports for staff and accountants, each as JSON or as CSV (`Accept: text/csv` or
//! `?format=csv`; RFC 4180, money as decimal strings at the currency's scale). Every report is a
//! plain SELECT over the `report_*` read models that the `reports` projection writes; nothing is
//! computed from the log when a report is read (`projections::reports` has the definitions).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use domain::money::Currency;
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::format_amount;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::Query;
use crate::http::state::AppState;

/// The longest range a report covers: about ten years.
const RANGE_DAYS_MAX: i64 = 3660;

/// A report: its rows, in a stable order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report<T> {
    /// The rows.
    pub items: Vec<T>,
}

/// A row that also has a CSV form: the same fields, in the same order, as text.
pub trait CsvRow {
    /// The header line's fields: the JSON field names.
    const HEADER: &'static [&'static str];
    /// The row's fields as text; an absent value is empty.
    fn cells(&self) -> Vec<String>;
}

/// One RFC 4180 field: quoted when it holds a comma, a quote or a line break, with quotes
/// doubled.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The CSV document of `rows`: a header line, then one line per row, each ended by CRLF.
pub fn to_csv<R: CsvRow>(rows: &[R]) -> String {
    let mut out = String::new();
    let line = |out: &mut String, cells: Vec<String>| {
        let fields: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    };
    line(
        &mut out,
        R::HEADER.iter().map(|h| (*h).to_owned()).collect(),
    );
    for row in rows {
        line(&mut out, row.cells());
    }
    out
}

/// Whether the caller asked for CSV: `format` wins over the `Accept` header.
pub(crate) fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::bad_request(
            "invalid_query",
            format!("format must be json or csv, not {other:?}"),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/csv"))
            })),
    }
}

/// The report as JSON, or as a CSV download named `name.csv`.
pub(crate) fn respond<R: CsvRow + Serialize>(csv: bool, name: &str, items: Vec<R>) -> Response {
    if !csv {
        return Json(Report { items }).into_response();
    }
    let mut response = (StatusCode::OK, to_csv(&items)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", detail)
}

/// Checks a `currency` parameter.
fn currency(code: Option<&str>) -> Result<Option<&'static str>, ApiError> {
    code.map(|code| {
        Currency::parse(code)
            .map(Currency::code)
            .map_err(|_| bad(format!("currency: {code:?} is not an ISO 4217 code")))
    })
    .transpose()
}

/// Checks a `group` parameter: whether rows are per month (else per day).
fn monthly(group: Option<&str>) -> Result<bool, ApiError> {
    match group {
        None | Some("month") => Ok(true),
        Some("day") => Ok(false),
        Some(other) => Err(bad(format!("group must be day or month, not {other:?}"))),
    }
}

/// The half-open range `[from, to)`: by default the twelve calendar months up to and including
/// the current one. With `monthly`, both ends must be the first day of a month.
fn range(
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    monthly: bool,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let today = state.today();
    let this_month = today.with_day(1).unwrap_or(today);
    let to = match to {
        Some(to) => to,
        None => this_month
            .checked_add_months(Months::new(1))
            .ok_or_else(|| bad("to: out of range"))?,
    };
    let from = match from {
        Some(from) => from,
        None => to
            .checked_sub_months(Months::new(12))
            .ok_or_else(|| bad("from: out of range"))?,
    };
    if monthly {
        for (name, day) in [("from", from), ("to", to)] {
            if day.day() != 1 {
                return Err(bad(format!(
                    "{name}: {day} is not the first day of a month, as monthly rows need"
                )));
            }
        }
    }
    if from >= to {
        return Err(bad(format!("from ({from}) must be before to ({to})")));
    }
    if (to - from).num_days() > RANGE_DAYS_MAX {
        return Err(bad(format!(
            "from ({from}) to ({to}) covers more than {RANGE_DAYS_MAX} days"
        )));
    }
    Ok((from, to))
}

/// `GET /v1/reports/revenue` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevenueParams {
    /// `day` or `month` (default): one row per UTC day or per calendar month.
    #[param(pattern = "^(day|month)$")]
    pub group: Option<String>,
    /// The first day (UTC) included; with `group=month`, the first day of a month. Default: the
    /// first day of the month eleven months before the current one.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The first day (UTC) not included; with `group=month`, the first day of a month. Default:
    /// the first day of the next month.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Only this provider's revenue.
    pub provider_id: Option<Uuid>,
    /// Only revenue in this currency (ISO 4217).
    #[param(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// `cash` (default): each amount on the day it was charged, credited or corrected;
    /// `recognised`: each amount spread per day over the service period it pays for or gives
    /// back (accrual basis; the rounding rule is in the README's "Billing rules").
    #[param(pattern = "^(cash|recognised)$")]
    pub basis: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Checks a `basis` parameter: the revenue table it reads.
fn revenue_table(basis: Option<&str>) -> Result<&'static str, ApiError> {
    match basis {
        None | Some("cash") => Ok("report_revenue_daily"),
        Some("recognised") => Ok("report_recognised_daily"),
        Some(other) => Err(bad(format!(
            "basis must be cash or recognised, not {other:?}"
        ))),
    }
}

/// Revenue of one day or month, provider, tariff, item type and currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevenueRow {
    /// The day, or the first day of the month.
    #[schema(value_type = String, format = Date)]
    pub period_start: NaiveDate,
    /// The provider.
    pub provider_id: Uuid,
    /// The tariff the service was on (the nil UUID for a service the report does not know).
    pub tariff_id: Uuid,
    /// The tariff's item type, such as `vds`.
    pub item_type: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The sum of charges.
    pub charged: String,
    /// The sum of credits (the unused part of a changed tariff).
    pub credited: String,
    /// The sum of corrections (staff giving back part or all of a charge).
    pub corrected: String,
    /// `charged - credited - corrected`.
    pub revenue: String,
}

impl CsvRow for RevenueRow {
    const HEADER: &'static [&'static str] = &[
        "period_start",
        "provider_id",
        "tariff_id",
        "item_type",
        "currency",
        "charged",
        "credited",
        "corrected",
        "revenue",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.period_start.to_string(),
            self.provider_id.to_string(),
            self.tariff_id.to_string(),
            self.item_type.clone(),
            self.currency.clone(),
            self.charged.clone(),
            self.credited.clone(),
            self.corrected.clone(),
            self.revenue.clone(),
        ]
    }
}

/// One row of `report_revenue_daily`'s sums.
#[derive(sqlx::FromRow)]
struct RevenueSums {
    period_start: NaiveDate,
    provider_id: Uuid,
    tariff_id: Uuid,
    item_type: String,
    currency: String,
    charged: Decimal,
    credited: Decimal,
    corrected: Decimal,
}

/// Revenue by day or month × provider × tariff × item type × currency: charges minus credits
/// minus corrections, from the accounts' expense events. On the cash basis (the default) each
/// amount counts on the UTC day of its event; on the recognised basis (`basis=recognised`) it is
/// spread per day over the service period it pays for (a correction over its charge's period),
/// the share of days before its event counting on the event's day. A charge and a credit count
/// under the tariff and item type the service is on when the account records them, except the
/// charge of a tariff change, which counts under the new tariff; a correction counts under its
/// charge's tariff and item type. Rows whose sums are all zero are left out.
#[utoipa::path(get, path = "/v1/reports/revenue", tag = "reports",
    params(RevenueParams),
    responses(
        (status = 200, description = "revenue rows, ordered by period, provider, tariff, item type and currency",
         content((Report<RevenueRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn revenue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<RevenueParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let monthly = monthly(params.group.as_deref())?;
    let (from, to) = range(&state, params.from, params.to, monthly)?;
    let currency = currency(params.currency.as_deref())?;
    let table = revenue_table(params.basis.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<RevenueSums> = sqlx::query_as(&format!(
        "SELECT CASE WHEN $1 THEN date_trunc('month', day)::date ELSE day END AS period_start,
                    provider_id, tariff_id, item_type, currency,
                    sum(charged) AS charged, sum(credited) AS credited,
                    sum(corrected) AS corrected
               FROM {table}
              WHERE day >= $2 AND day < $3
                AND ($4::uuid IS NULL OR provider_id = $4)
                AND ($5::text IS NULL OR currency = $5)
              GROUP BY 1, 2, 3, 4, 5
             HAVING sum(charged) <> 0 OR sum(credited) <> 0 OR sum(corrected) <> 0
              ORDER BY 1, 2, 3, 4, 5"
    ))
    .bind(monthly)
    .bind(from)
    .bind(to)
    .bind(params.provider_id)
    .bind(currency)
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| RevenueRow {
            period_start: r.period_start,
            provider_id: r.provider_id,
            tariff_id: r.tariff_id,
            item_type: r.item_type,
            charged: format_amount(r.charged, &r.currency),
            credited: format_amount(r.credited, &r.currency),
            corrected: format_amount(r.corrected, &r.currency),
            revenue: format_amount(r.charged - r.credited - r.corrected, &r.currency),
            currency: r.currency,
        })
        .collect();
    Ok(respond(csv, "revenue", items))
}

/// `GET /v1/reports/deferred-revenue` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeferredRevenueParams {
    /// The day (UTC) at whose end the figures are taken; default today.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<NaiveDate>,
    /// Only this provider's revenue.
    pub provider_id: Option<Uuid>,
    /// Only revenue in this currency (ISO 4217).
    #[param(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Deferred revenue of one provider, tariff, item type and currency as of a day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeferredRevenueRow {
    /// The day at whose end the figures are taken.
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// The provider.
    pub provider_id: Uuid,
    /// The tariff (the nil UUID for a service the report does not know).
    pub tariff_id: Uuid,
    /// The tariff's item type, such as `domain`.
    pub item_type: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Revenue on the cash basis up to and including `as_of`: charges less credits less
    /// corrections.
    pub charged: String,
    /// Of that, what is recognised up to and including `as_of`.
    pub recognised: String,
    /// `charged - recognised`: charged but not yet earned.
    pub deferred: String,
}

impl CsvRow for DeferredRevenueRow {
    const HEADER: &'static [&'static str] = &[
        "as_of",
        "provider_id",
        "tariff_id",
        "item_type",
        "currency",
        "charged",
        "recognised",
        "deferred",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.as_of.to_string(),
            self.provider_id.to_string(),
            self.tariff_id.to_string(),
            self.item_type.clone(),
            self.currency.clone(),
            self.charged.clone(),
            self.recognised.clone(),
            self.deferred.clone(),
        ]
    }
}

/// Deferred revenue as of the end of a day, per provider × tariff × item type × currency: what
/// was charged (less credits and corrections) on days up to `as_of`, what of it is recognised on
/// days up to `as_of` (`/v1/reports/revenue?basis=recognised`), and the difference, revenue
/// charged but not yet earned. Rows with nothing deferred are left out.
#[utoipa::path(get, path = "/v1/reports/deferred-revenue", tag = "reports",
    params(DeferredRevenueParams),
    responses(
        (status = 200, description = "deferred revenue rows, ordered by provider, tariff, item type and currency",
         content((Report<DeferredRevenueRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn deferred_revenue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<DeferredRevenueParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let currency = currency(params.currency.as_deref())?;
    let as_of = params.as_of.unwrap_or_else(|| state.today());
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<(Uuid, Uuid, String, String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT provider_id, tariff_id, item_type, currency,
                sum(cash) AS charged, sum(recognised) AS recognised
           FROM (SELECT provider_id, tariff_id, item_type, currency,
                        charged - credited - corrected AS cash, 0 AS recognised
                   FROM report_revenue_daily
                  WHERE day <= $1
                 UNION ALL
                 SELECT provider_id, tariff_id, item_type, currency,
                        0, charged - credited - corrected
                   FROM report_recognised_daily
                  WHERE day <= $1) AS both_bases
          WHERE ($2::uuid IS NULL OR provider_id = $2)
            AND ($3::text IS NULL OR currency = $3)
          GROUP BY 1, 2, 3, 4
         HAVING sum(cash) <> sum(recognised)
          ORDER BY 1, 2, 3, 4",
    )
    .bind(as_of)
    .bind(params.provider_id)
    .bind(currency)
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(
            |(provider_id, tariff_id, item_type, currency, charged, recognised)| {
                DeferredRevenueRow {
                    as_of,
                    provider_id,
                    tariff_id,
                    item_type,
                    charged: format_amount(charged, &currency),
                    recognised: format_amount(recognised, &currency),
                    deferred: format_amount(charged - recognised, &currency),
                    currency,
                }
            },
        )
        .collect();
    Ok(respond(csv, "deferred-revenue", items))
}

/// `GET /v1/reports/payments` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentsReportParams {
    /// `day` or `month` (default): one row per UTC day or per calendar month.
    #[param(pattern = "^(day|month)$")]
    pub group: Option<String>,
    /// The first day (UTC) included; with `group=month`, the first day of a month. Default: the
    /// first day of the month eleven months before the current one.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The first day (UTC) not included; with `group=month`, the first day of a month. Default:
    /// the first day of the next month.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Only this provider's payments.
    pub provider_id: Option<Uuid>,
    /// Only payments credited in this account currency (ISO 4217).
    #[param(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Only this payment method.
    pub method: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Payments of one day or month, provider, method and account currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentsRow {
    /// The day, or the first day of the month.
    #[schema(value_type = String, format = Date)]
    pub period_start: NaiveDate,
    /// The provider.
    pub provider_id: Uuid,
    /// The payment method (`unknown` for a refund of a payment the report does not know).
    pub method: String,
    /// The account's currency, ISO 4217.
    pub currency: String,
    /// How many payments were credited.
    pub payments_count: i64,
    /// What they credited, in the account's currency.
    pub payments_amount: String,
    /// How many refunds paid money back.
    pub refunds_count: i64,
    /// What they paid back.
    pub refunds_amount: String,
    /// How many fraudulent payments were reversed.
    pub reversals_count: i64,
    /// What the reversals took back.
    pub reversals_amount: String,
    /// `payments_amount - refunds_amount - reversals_amount`.
    pub net_amount: String,
}

impl CsvRow for PaymentsRow {
    const HEADER: &'static [&'static str] = &[
        "period_start",
        "provider_id",
        "method",
        "currency",
        "payments_count",
        "payments_amount",
        "refunds_count",
        "refunds_amount",
        "reversals_count",
        "reversals_amount",
        "net_amount",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.period_start.to_string(),
            self.provider_id.to_string(),
            self.method.clone(),
            self.currency.clone(),
            self.payments_count.to_string(),
            self.payments_amount.clone(),
            self.refunds_count.to_string(),
            self.refunds_amount.clone(),
            self.reversals_count.to_string(),
            self.reversals_amount.clone(),
            self.net_amount.clone(),
        ]
    }
}

/// One row of `report_payments_daily`'s sums.
#[derive(sqlx::FromRow)]
struct PaymentsSums {
    period_start: NaiveDate,
    provider_id: Uuid,
    method: String,
    currency: String,
    payments_count: i64,
    payments_amount: Decimal,
    refunds_count: i64,
    refunds_amount: Decimal,
    reversals_count: i64,
    reversals_amount: Decimal,
}

/// Payments by method per day or month × provider × account currency: the count and sum of
/// payments credited to personal accounts (in the account's currency, after any conversion), of
/// refunds and of reversals of fraudulent payments, each on the UTC day of its account event and
/// under the method of the payment it takes back. A payment created but never credited does not
/// count.
#[utoipa::path(get, path = "/v1/reports/payments", tag = "reports",
    params(PaymentsReportParams),
    responses(
        (status = 200, description = "payment rows, ordered by period, provider, method and currency",
         content((Report<PaymentsRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn payments(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PaymentsReportParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let monthly = monthly(params.group.as_deref())?;
    let (from, to) = range(&state, params.from, params.to, monthly)?;
    let currency = currency(params.currency.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<PaymentsSums> = sqlx::query_as(
        "SELECT CASE WHEN $1 THEN date_trunc('month', day)::date ELSE day END AS period_start,
                provider_id, method, currency,
                sum(payments_count)::bigint AS payments_count,
                sum(payments_amount) AS payments_amount,
                sum(refunds_count)::bigint AS refunds_count,
                sum(refunds_amount) AS refunds_amount,
                sum(reversals_count)::bigint AS reversals_count,
                sum(reversals_amount) AS reversals_amount
           FROM report_payments_daily
          WHERE day >= $2 AND day < $3
            AND ($4::uuid IS NULL OR provider_id = $4)
            AND ($5::text IS NULL OR currency = $5)
            AND ($6::text IS NULL OR method = $6)
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3, 4",
    )
    .bind(monthly)
    .bind(from)
    .bind(to)
    .bind(params.provider_id)
    .bind(currency)
    .bind(params.method)
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| PaymentsRow {
            period_start: r.period_start,
            provider_id: r.provider_id,
            method: r.method,
            payments_count: r.payments_count,
            payments_amount: format_amount(r.payments_amount, &r.currency),
            refunds_count: r.refunds_count,
            refunds_amount: format_amount(r.refunds_amount, &r.currency),
            reversals_count: r.reversals_count,
            reversals_amount: format_amount(r.reversals_amount, &r.currency),
            net_amount: format_amount(
                r.payments_amount - r.refunds_amount - r.reversals_amount,
                &r.currency,
            ),
            currency: r.currency,
        })
        .collect();
    Ok(respond(csv, "payments", items))
}

/// `GET /v1/reports/debtors` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DebtorsParams {
    /// Only this provider's accounts.
    pub provider_id: Option<Uuid>,
    /// Only accounts in this currency (ISO 4217).
    #[param(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A personal account below zero.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DebtorRow {
    /// The account.
    pub account_id: Uuid,
    /// Its client.
    pub client_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    /// The balance, below zero.
    pub balance: String,
    /// What the client owes: the balance with its sign turned.
    pub owed: String,
    /// When the balance went below zero (and has stayed there since).
    pub negative_since: DateTime<Utc>,
    /// Whole days from the UTC day of `negative_since` to today (UTC): 0 on that day.
    pub days_overdue: i64,
}

impl CsvRow for DebtorRow {
    const HEADER: &'static [&'static str] = &[
        "account_id",
        "client_id",
        "provider_id",
        "currency",
        "balance",
        "owed",
        "negative_since",
        "days_overdue",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.account_id.to_string(),
            self.client_id.to_string(),
            self.provider_id.to_string(),
            self.currency.clone(),
            self.balance.clone(),
            self.owed.clone(),
            self.negative_since
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            self.days_overdue.to_string(),
        ]
    }
}

/// Debtors: every personal account whose balance, as the read model holds it, is below zero,
/// with what is owed and the days since the balance went below zero (since the first money event
/// that left it negative after it was zero or more), longest overdue first.
#[utoipa::path(get, path = "/v1/reports/debtors", tag = "reports",
    params(DebtorsParams),
    responses(
        (status = 200, description = "accounts below zero, longest overdue first",
         content((Report<DebtorRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn debtors(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<DebtorsParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let currency = currency(params.currency.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<(Uuid, Uuid, Uuid, String, Decimal, DateTime<Utc>)> = sqlx::query_as(
        "SELECT account_id, client_id, provider_id, currency, balance, negative_since
           FROM report_accounts
          WHERE negative_since IS NOT NULL AND balance < 0
            AND ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR currency = $2)
          ORDER BY negative_since, balance, account_id",
    )
    .bind(params.provider_id)
    .bind(currency)
    .fetch_all(&state.pool)
    .await?;
    let today = state.today();
    let items = rows
        .into_iter()
        .map(
            |(account_id, client_id, provider_id, currency, balance, negative_since)| DebtorRow {
                account_id,
                client_id,
                provider_id,
                balance: format_amount(balance, &currency),
                owed: format_amount(-balance, &currency),
                days_overdue: (today - negative_since.date_naive()).num_days().max(0),
                negative_since,
                currency,
            },
        )
        .collect();
    Ok(respond(csv, "debtors", items))
}

/// `GET /v1/reports/clients` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientsReportParams {
    /// The first month included, as its first day. Default: eleven months before the current one.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The first month not included, as its first day. Default: the next month.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Only this provider's clients.
    pub provider_id: Option<Uuid>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// New, lost and active clients of one provider in one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientsRow {
    /// The first day of the month.
    #[schema(value_type = String, format = Date)]
    pub month: NaiveDate,
    /// The provider.
    pub provider_id: Uuid,
    /// Clients registered in the month.
    pub new_clients: i64,
    /// Clients deleted in the month.
    pub lost_clients: i64,
    /// Clients with at least one active service on at least one day of the month.
    pub active_clients: i64,
}

impl CsvRow for ClientsRow {
    const HEADER: &'static [&'static str] = &[
        "month",
        "provider_id",
        "new_clients",
        "lost_clients",
        "active_clients",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.month.to_string(),
            self.provider_id.to_string(),
            self.new_clients.to_string(),
            self.lost_clients.to_string(),
            self.active_clients.to_string(),
        ]
    }
}

/// New, lost and active clients per month and provider, for every provider with a client and
/// every month of the range. New: registered in the month (UTC). Lost: deleted in the month.
/// Active: had at least one service in status `active` on at least one UTC day of the month.
#[utoipa::path(get, path = "/v1/reports/clients", tag = "reports",
    params(ClientsReportParams),
    responses(
        (status = 200, description = "one row per month and provider, ordered by month and provider",
         content((Report<ClientsRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn clients(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ClientsReportParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let (from, to) = range(&state, params.from, params.to, true)?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<(NaiveDate, Uuid, i64, i64, i64)> = sqlx::query_as(
        "WITH months AS (
              SELECT m::date AS month, (m + interval '1 month')::date AS next
                FROM generate_series($1::date, $2::date - 1, interval '1 month') AS m),
              providers AS (
              SELECT DISTINCT provider_id FROM report_clients
               WHERE $3::uuid IS NULL OR provider_id = $3),
              spans AS (
              SELECT client_id, provider_id, active_from, active_until
                FROM report_client_activity
              UNION ALL
              SELECT client_id, provider_id, active_since, NULL FROM report_clients
               WHERE active_since IS NOT NULL)
         SELECT m.month, p.provider_id,
                (SELECT count(*) FROM report_clients c
                  WHERE c.provider_id = p.provider_id
                    AND c.registered_on >= m.month AND c.registered_on < m.next),
                (SELECT count(*) FROM report_clients c
                  WHERE c.provider_id = p.provider_id
                    AND c.lost_on >= m.month AND c.lost_on < m.next),
                (SELECT count(DISTINCT s.client_id) FROM spans s
                  WHERE s.provider_id = p.provider_id
                    AND s.active_from < m.next
                    AND (s.active_until IS NULL OR s.active_until >= m.month))
           FROM months m CROSS JOIN providers p
          ORDER BY m.month, p.provider_id",
    )
    .bind(from)
    .bind(to)
    .bind(params.provider_id)
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(
            |(month, provider_id, new_clients, lost_clients, active_clients)| ClientsRow {
                month,
                provider_id,
                new_clients,
                lost_clients,
                active_clients,
            },
        )
        .collect();
    Ok(respond(csv, "clients", items))
}

/// `GET /v1/reports/services` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServicesReportParams {
    /// Only this provider's services.
    pub provider_id: Option<Uuid>,
    /// Only services in this status.
    #[param(pattern = "^(ordered|provisioning|active|suspended|closed|deleted)$")]
    pub status: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// How many services of one tariff are in one status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServicesRow {
    /// The provider.
    pub provider_id: Uuid,
    /// The tariff the services are on now.
    pub tariff_id: Uuid,
    /// The tariff's item type.
    pub item_type: String,
    /// `ordered`, `provisioning`, `active`, `suspended`, `closed` or `deleted`.
    pub status: String,
    /// How many services.
    pub services: i64,
}

impl CsvRow for ServicesRow {
    const HEADER: &'static [&'static str] = &[
        "provider_id",
        "tariff_id",
        "item_type",
        "status",
        "services",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.provider_id.to_string(),
            self.tariff_id.to_string(),
            self.item_type.clone(),
            self.status.clone(),
            self.services.to_string(),
        ]
    }
}

const STATUSES: [&str; 6] = [
    "ordered",
    "provisioning",
    "active",
    "suspended",
    "closed",
    "deleted",
];

/// Services by tariff: how many services are on each tariff (the one they are on now) in each
/// status, `active` being the running ones.
#[utoipa::path(get, path = "/v1/reports/services", tag = "reports",
    params(ServicesReportParams),
    responses(
        (status = 200, description = "counts ordered by provider, tariff, item type and status",
         content((Report<ServicesRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn services(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ServicesReportParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    if let Some(status) = params.status.as_deref()
        && !STATUSES.contains(&status)
    {
        return Err(bad(format!(
            "status must be one of {}, not {status:?}",
            STATUSES.join(", ")
        )));
    }
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<(Uuid, Uuid, String, String, i64)> = sqlx::query_as(
        "SELECT provider_id, tariff_id, item_type, status, count(*)
           FROM report_services
          WHERE ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR status = $2)
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3, 4",
    )
    .bind(params.provider_id)
    .bind(params.status)
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(
            |(provider_id, tariff_id, item_type, status, services)| ServicesRow {
                provider_id,
                tariff_id,
                item_type,
                status,
                services,
            },
        )
        .collect();
    Ok(respond(csv, "services", items))
}

/// `GET /v1/reports/mrr` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MrrParams {
    /// Only this provider's services.
    pub provider_id: Option<Uuid>,
    /// Only services priced in this currency (ISO 4217).
    #[param(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// `json` or `csv`; overrides the `Accept` header.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Monthly recurring revenue of one provider in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MrrRow {
    /// The provider.
    pub provider_id: Uuid,
    /// ISO 4217 code.
    pub currency: String,
    /// How many active services count.
    pub active_services: i64,
    /// The sum of their monthly prices.
    pub mrr: String,
}

impl CsvRow for MrrRow {
    const HEADER: &'static [&'static str] = &["provider_id", "currency", "active_services", "mrr"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.provider_id.to_string(),
            self.currency.clone(),
            self.active_services.to_string(),
            self.mrr.clone(),
        ]
    }
}

/// Monthly recurring revenue per provider and currency: the sum over services in status `active`
/// of their price per period (base price and add-ons, before promo code discounts) normalised to
/// a month: P1D × 30, P1M × 1, P3M / 3, P6M / 6, P12M / 12, each service's monthly price rounded
/// to the currency's minor unit, half away from zero, before the sum.
#[utoipa::path(get, path = "/v1/reports/mrr", tag = "reports",
    params(MrrParams),
    responses(
        (status = 200, description = "one row per provider and currency",
         content((Report<MrrRow> = "application/json"), (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn mrr(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<MrrParams>,
) -> Result<Response, ApiError> {
    let csv = wants_csv(params.format.as_deref(), &headers)?;
    let currency = currency(params.currency.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows: Vec<(Uuid, String, i64, Decimal)> = sqlx::query_as(
        "SELECT provider_id, currency, count(*), sum(mrr)
           FROM report_services
          WHERE status = 'active'
            AND ($1::uuid IS NULL OR provider_id = $1)
            AND ($2::text IS NULL OR currency = $2)
          GROUP BY 1, 2
          ORDER BY 1, 2",
    )
    .bind(params.provider_id)
    .bind(currency)
    .fetch_all(&state.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|(provider_id, currency, active_services, mrr)| MrrRow {
            provider_id,
            mrr: format_amount(mrr, &currency),
            currency,
            active_services,
        })
        .collect();
    Ok(respond(csv, "mrr", items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_with_a_comma_a_quote_or_a_line_break_is_quoted_with_quotes_doubled() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\r\nlines"), "\"two\r\nlines\"");
    }
}
