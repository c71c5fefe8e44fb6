// Over 800 lines: seven reports, each with its parameters, its row and the row's CSV form.
//! Reports for staff and accountants, each as JSON or as CSV (`Accept: text/csv` or
//! `?format=csv`; RFC 4180, money as decimal strings at the currency's scale). Every report is a
//! plain SELECT over the `report_*` read models that the `reports` projection writes; nothing is
//! computed from the log when a report is read (`projections::reports` has the definitions).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use domain::money::Currency;
use projections::ReadModel;
use projections::reports::{self as read, ReportFilter, RevenueBasis};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::format_amount;
use crate::http::csv::{CsvRow, Report, respond, wants_csv};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::Query;
use crate::http::state::AppState;

/// The longest range a report covers: about ten years.
const RANGE_DAYS_MAX: i64 = 3660;

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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
}

/// Checks a `basis` parameter: the revenue table it reads.
fn revenue_basis(basis: Option<&str>) -> Result<RevenueBasis, ApiError> {
    match basis {
        None | Some("cash") => Ok(RevenueBasis::Cash),
        Some("recognised") => Ok(RevenueBasis::Recognised),
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
    Ok(respond(csv, "revenue", run_revenue(&state, &params).await?))
}

/// The rows of `GET /v1/reports/revenue`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_revenue(
    state: &AppState,
    params: &RevenueParams,
) -> Result<Vec<RevenueRow>, ApiError> {
    let monthly = monthly(params.group.as_deref())?;
    let (from, to) = range(state, params.from, params.to, monthly)?;
    let currency = currency(params.currency.as_deref())?;
    let basis = revenue_basis(params.basis.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let filter = ReportFilter {
        from,
        to,
        monthly,
        provider_id: params.provider_id,
        currency,
        sandbox: params.sandbox.unwrap_or(false),
    };
    let rows = read::revenue(&state.pool, basis, filter).await?;
    Ok(rows
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
        .collect())
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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
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
    Ok(respond(
        csv,
        "deferred-revenue",
        run_deferred_revenue(&state, &params).await?,
    ))
}

/// The rows of `GET /v1/reports/deferred-revenue`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_deferred_revenue(
    state: &AppState,
    params: &DeferredRevenueParams,
) -> Result<Vec<DeferredRevenueRow>, ApiError> {
    let currency = currency(params.currency.as_deref())?;
    let as_of = params.as_of.unwrap_or_else(|| state.today());
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows = read::deferred_revenue(
        &state.pool,
        as_of,
        params.provider_id,
        currency,
        params.sandbox.unwrap_or(false),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeferredRevenueRow {
            as_of,
            provider_id: r.provider_id,
            tariff_id: r.tariff_id,
            item_type: r.item_type,
            charged: format_amount(r.charged, &r.currency),
            recognised: format_amount(r.recognised, &r.currency),
            deferred: format_amount(r.charged - r.recognised, &r.currency),
            currency: r.currency,
        })
        .collect())
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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
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
    Ok(respond(
        csv,
        "payments",
        run_payments(&state, &params).await?,
    ))
}

/// The rows of `GET /v1/reports/payments`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_payments(
    state: &AppState,
    params: &PaymentsReportParams,
) -> Result<Vec<PaymentsRow>, ApiError> {
    let monthly = monthly(params.group.as_deref())?;
    let (from, to) = range(state, params.from, params.to, monthly)?;
    let currency = currency(params.currency.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let filter = ReportFilter {
        from,
        to,
        monthly,
        provider_id: params.provider_id,
        currency,
        sandbox: params.sandbox.unwrap_or(false),
    };
    let rows = read::payments(&state.pool, filter, params.method.as_deref()).await?;
    Ok(rows
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
        .collect())
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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
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
    Ok(respond(csv, "debtors", run_debtors(&state, &params).await?))
}

/// The rows of `GET /v1/reports/debtors`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_debtors(
    state: &AppState,
    params: &DebtorsParams,
) -> Result<Vec<DebtorRow>, ApiError> {
    let currency = currency(params.currency.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows = read::debtors(
        &state.pool,
        params.provider_id,
        currency,
        params.sandbox.unwrap_or(false),
    )
    .await?;
    let today = state.today();
    Ok(rows
        .into_iter()
        .map(|r| DebtorRow {
            account_id: r.account_id,
            client_id: r.client_id,
            provider_id: r.provider_id,
            balance: format_amount(r.balance, &r.currency),
            owed: format_amount(-r.balance, &r.currency),
            days_overdue: (today - r.negative_since.date_naive()).num_days().max(0),
            negative_since: r.negative_since,
            currency: r.currency,
        })
        .collect())
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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
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
    Ok(respond(csv, "clients", run_clients(&state, &params).await?))
}

/// The rows of `GET /v1/reports/clients`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_clients(
    state: &AppState,
    params: &ClientsReportParams,
) -> Result<Vec<ClientsRow>, ApiError> {
    let (from, to) = range(state, params.from, params.to, true)?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows = read::clients(
        &state.pool,
        from,
        to,
        params.provider_id,
        params.sandbox.unwrap_or(false),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ClientsRow {
            month: r.month,
            provider_id: r.provider_id,
            new_clients: r.new_clients,
            lost_clients: r.lost_clients,
            active_clients: r.active_clients,
        })
        .collect())
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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
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
    Ok(respond(
        csv,
        "services",
        run_services(&state, &params).await?,
    ))
}

/// The rows of `GET /v1/reports/services`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_services(
    state: &AppState,
    params: &ServicesReportParams,
) -> Result<Vec<ServicesRow>, ApiError> {
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
    let rows = read::services(
        &state.pool,
        params.provider_id,
        params.status.as_deref(),
        params.sandbox.unwrap_or(false),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ServicesRow {
            provider_id: r.provider_id,
            tariff_id: r.tariff_id,
            item_type: r.item_type,
            status: r.status,
            services: r.services,
        })
        .collect())
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
    /// `true`: only sandbox providers' figures; absent or `false` (default): only live
    /// providers'. The two never mix (ADR 20).
    pub sandbox: Option<bool>,
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
/// a month: P1D × 30, `P<n>M` / n (P3M / 3, P12M / 12, P36M / 36), each service's monthly price rounded
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
    Ok(respond(csv, "mrr", run_mrr(&state, &params).await?))
}

/// The rows of `GET /v1/reports/mrr`: what its handler answers and the panel shows and
/// downloads.
pub(crate) async fn run_mrr(state: &AppState, params: &MrrParams) -> Result<Vec<MrrRow>, ApiError> {
    let currency = currency(params.currency.as_deref())?;
    state
        .consistent(&[ReadModel::Reports], params.min_position)
        .await?;
    let rows = read::mrr(
        &state.pool,
        params.provider_id,
        currency,
        params.sandbox.unwrap_or(false),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MrrRow {
            provider_id: r.provider_id,
            mrr: format_amount(r.mrr, &r.currency),
            currency: r.currency,
            active_services: r.active_services,
        })
        .collect())
}
