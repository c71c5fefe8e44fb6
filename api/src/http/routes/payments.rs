//! Payments with a lifecycle: created at a company by one of its payment methods, started at a
//! gateway, confirmed (credited to the personal account, converted at the rate of the day when
//! the currencies differ), cancelled, refunded, marked as fraud; and the payments read model.
//!
//! A payment credited directly (`POST /v1/clients/{id}/payments`) has no lifecycle; refunds and
//! fraud marks work on both kinds (docs/adr/0004-payments-and-accounts.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::{Account, PaymentMethod};
use domain::money::{Currency, Money};
use domain::payment::ExternalId;
use eventstore::Committed;
use projections::ReadModel;
use projections::payments::{PaymentFilter, PaymentRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with, format_amount};
use crate::http::auth::Visible;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::payments::{self as usecase, ConfirmPayment, CreatePayment, RefundPayment};

/// `POST /v1/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRequest {
    /// The caller's id for this payment: sending it again creates nothing more.
    pub payment_id: Uuid,
    /// The client paying.
    pub client_id: Uuid,
    /// The provider's company that receives the money.
    pub company_id: Uuid,
    /// One of the company's enabled payment methods.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "card")]
    pub method: String,
    /// What the client pays, as a decimal string.
    #[schema(example = "100.00")]
    pub amount: String,
    /// ISO 4217 code of what the client pays; another currency than the account's is converted
    /// at the rate of the day the payment is confirmed.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// Issue a proforma invoice for the payment (paid when the payment is credited).
    #[serde(default)]
    pub proforma: bool,
    /// The client's payer making the payment; the proforma is then made out to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_id: Option<Uuid>,
    /// An issued invoice of the client this payment pays (manual, monthly or imported; not a
    /// proforma, and not with `proforma`): marked paid when the payment is credited, if what is
    /// credited covers what is left of it. The amount must be in the invoice's currency and at
    /// least what is left of it; more stays on the balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
}

/// The answer to `POST /v1/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentCreated {
    /// The payment.
    pub id: Uuid,
    /// The global position of the last event written; pass it as `min_position`.
    pub position: i64,
    /// `new`, or `credited` for a payment method of kind `manual`.
    pub status: String,
    /// The proforma invoice, when one was asked for, or the invoice the payment pays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    /// The proforma's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
}

/// `POST /v1/payments/{id}/start`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPaymentRequest {
    /// The gateway's or bank's id for the payment.
    pub external_id: Option<String>,
}

/// `POST /v1/payments/{id}/confirm`: the money arrived.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPaymentRequest {
    /// The gateway's id; a repeated confirmation with the same id credits nothing more.
    pub external_id: Option<String>,
    /// The day the money arrived; today when absent. A payment in another currency is converted
    /// at the rate in effect on that day.
    #[schema(value_type = Option<String>, format = Date)]
    pub confirmed_on: Option<NaiveDate>,
    /// What arrived, in the account's currency, when less than the payment's amount (a transfer
    /// that arrives short, a gateway's fee); never more (`credited_exceeds_payment`); only for
    /// a payment in the account's currency.
    pub credited: Option<String>,
}

/// A reason, for cancelling or marking as fraud.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; kept in the log for auditors; 1 to 500 characters.
    pub reason: String,
}

/// `POST /v1/payments/{id}/refunds`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The caller's id for this refund: sending it again refunds nothing more.
    pub refund_id: Uuid,
    /// What to pay back, in the account's currency; at most the payment's money still on the
    /// balance (not spent, not refunded).
    #[schema(example = "25.00")]
    pub amount: String,
    /// Why; 1 to 500 characters.
    pub reason: String,
}

/// A payment as staff and accountants see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    /// Its id.
    pub id: Uuid,
    /// The client's payer that made it, if one was named.
    pub payer_id: Option<Uuid>,
    /// The client.
    pub client_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The company that received it; absent for a payment credited directly without one.
    pub company_id: Option<Uuid>,
    /// The payment method.
    pub method: String,
    /// `bank_transfer`, `card_gateway`, `manual`, or `direct` for a payment credited directly.
    pub method_kind: String,
    /// `new`, `in_progress`, `credited`, `partially_refunded`, `refunded`, `cancelled` or
    /// `fraud`.
    pub status: String,
    /// What the client paid.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// What was credited to the account, once credited.
    pub credited: Option<String>,
    /// The account's currency.
    pub account_currency: String,
    /// The exchange rate used, for a converted payment.
    pub rate: Option<String>,
    /// The day that rate took effect.
    #[schema(value_type = Option<String>, format = Date)]
    pub rate_date: Option<NaiveDate>,
    /// What was refunded, in the account's currency.
    pub refunded: String,
    /// The gateway's or bank's id.
    pub external_id: Option<String>,
    /// The invoice it pays: its proforma, or an issued invoice it named.
    pub invoice_id: Option<Uuid>,
    /// When it was created (or credited, for a direct payment).
    pub created_at: DateTime<Utc>,
    /// When it was credited.
    pub credited_at: Option<DateTime<Utc>>,
    /// The global position of its last change.
    pub position: i64,
}

/// `GET /v1/payments` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPaymentsParams {
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only those with this status.
    #[param(pattern = "^(new|in_progress|credited|partially_refunded|refunded|cancelled|fraud)$")]
    pub status: Option<String>,
    /// Only those by this method.
    pub method: Option<String>,
    /// Only those received by this company.
    pub company_id: Option<Uuid>,
    /// Created on or after this day.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Created before this day.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

fn parse_external_id(external_id: Option<&str>) -> Result<Option<ExternalId>, ApiError> {
    external_id
        .map(ExternalId::parse)
        .transpose()
        .map_err(ApiError::from)
}

/// Creates a payment at one of the company's payment methods; with `proforma`, issues a proforma
/// invoice for it. A payment by a method of kind `manual` (money staff received) is credited at
/// once. Idempotent by `payment_id`.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    request_body = CreatePaymentRequest,
    responses(
        (status = 201, description = "created", body = PaymentCreated),
        (status = 404, description = "no such client, company, or invoice of the client", body = Problem),
        (status = 409, description = "a payment with this id exists", body = Problem),
        (status = 422, description = "invalid amount, unknown or disabled method, company of another provider, an invoice not payable (a proforma, paid, cancelled, another currency, less than is left of it)", body = Problem)))]
pub async fn create_payment(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreatePaymentRequest>,
) -> Result<Response, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let amount = Money::parse_positive(&request.amount, currency)?;
    let method = PaymentMethod::parse(&request.method)?;
    let key = command.key(&request, request.payment_id)?;
    let input = CreatePayment {
        payment_id: request.payment_id,
        client_id: request.client_id,
        company_id: request.company_id,
        method,
        amount,
        proforma: request.proforma,
        payer_id: request.payer_id,
        invoice_id: request.invoice_id,
        to_gateway_module: false,
    };
    let created = usecase::create_payment(&state, &command.context, key, input).await?;
    let body = PaymentCreated {
        id: request.payment_id,
        position: created.position,
        status: if created.credited { "credited" } else { "new" }.to_string(),
        invoice_id: created.invoice_id.map(|id| id.as_uuid()),
        invoice_number: created.invoice_number,
    };
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(crate::http::answer::json_with(
        status,
        &body,
        created.replayed,
    ))
}

/// Hands the payment to a gateway or a bank: new → in progress.
#[utoipa::path(post, path = "/v1/payments/{id}/start", tag = "payments",
    request_body = StartPaymentRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "in progress", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "not new, or another external id", body = Problem)))]
pub async fn start_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<StartPaymentRequest>,
) -> Result<Response, ApiError> {
    let committed =
        usecase::start_payment(&state, &command.context, id, request.external_id.as_deref())
            .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The money arrived: credits the payment to the client's account (converted at the rate of the
/// day when the currencies differ) and marks its proforma paid. A repeated confirmation with the
/// same external id credits nothing more.
#[utoipa::path(post, path = "/v1/payments/{id}/confirm", tag = "payments",
    request_body = ConfirmPaymentRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "credited (or already credited by this confirmation)", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "cancelled, fraud, another external id, credited above the amount paid (credited_exceeds_payment), or no exchange rate for the day", body = Problem)))]
pub async fn confirm_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ConfirmPaymentRequest>,
) -> Result<Response, ApiError> {
    let input = ConfirmPayment {
        external_id: parse_external_id(request.external_id.as_deref())?,
        confirmed_on: request.confirmed_on,
        credited: request.credited,
    };
    let position = usecase::confirm_payment(&state, &command.context, id, input).await?;
    Ok(crate::http::answer::json_with(
        StatusCode::OK,
        &Accepted { id, position },
        false,
    ))
}

/// Gives up a payment no money arrived for.
#[utoipa::path(post, path = "/v1/payments/{id}/cancel", tag = "payments",
    request_body = ReasonRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "cancelled", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "already credited, or no reason", body = Problem)))]
pub async fn cancel_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ReasonRequest>,
) -> Result<Response, ApiError> {
    let committed = usecase::cancel_payment(&state, &command.context, id, request.reason).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Pays back money of a payment that is still unallocated: credited, not refunded, and still on
/// the balance. Idempotent by `refund_id`.
#[utoipa::path(post, path = "/v1/payments/{id}/refunds", tag = "payments",
    request_body = RefundRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 201, description = "refunded", body = Accepted),
        (status = 404, description = "no such credited payment", body = Problem),
        (status = 422, description = "more than the payment's unallocated money (refund_exceeds_unallocated, refund_exceeds_payment), or invalid", body = Problem)))]
pub async fn refund_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<RefundRequest>,
) -> Result<Response, ApiError> {
    let committed = run_refund_payment(&state, &command, id, &request).await?;
    Ok(accepted(request.refund_id, &committed))
}

/// What `POST /v1/payments/{id}/refunds` does, and the staff panel's refund form with it.
pub async fn run_refund_payment(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &RefundRequest,
) -> Result<Committed<Account>, ApiError> {
    let key = command.key(request, request.refund_id)?;
    let input = RefundPayment {
        refund_id: request.refund_id,
        amount: request.amount.clone(),
        reason: request.reason.clone(),
    };
    Ok(usecase::refund_payment(state, &command.context, key, id, input).await?)
}

/// Marks a payment as fraud; what is left of a credited one is taken back from the balance,
/// which may go below zero.
#[utoipa::path(post, path = "/v1/payments/{id}/fraud", tag = "payments",
    request_body = ReasonRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "marked", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "cancelled or already marked, or no reason", body = Problem)))]
pub async fn mark_fraud(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ReasonRequest>,
) -> Result<Response, ApiError> {
    let position = usecase::mark_fraud(&state, &command.context, id, request.reason).await?;
    Ok(crate::http::answer::json_with(
        StatusCode::OK,
        &Accepted { id, position },
        false,
    ))
}

fn view(row: PaymentRow) -> PaymentView {
    PaymentView {
        payer_id: row.payer_id,
        id: row.payment_id,
        client_id: row.client_id,
        provider_id: row.provider_id,
        company_id: row.company_id,
        method: row.method,
        method_kind: row.method_kind,
        status: row.status,
        amount: format_amount(row.amount, &row.currency),
        currency: row.currency,
        credited: row
            .credited
            .map(|c| format_amount(c, &row.account_currency)),
        refunded: format_amount(row.refunded, &row.account_currency),
        account_currency: row.account_currency,
        rate: row.rate.map(|r| r.normalize().to_string()),
        rate_date: row.rate_date,
        external_id: row.external_id,
        invoice_id: row.invoice_id,
        created_at: row.created_at,
        credited_at: row.credited_at,
        position: row.position,
    }
}

/// Payments by client, status, method, company and creation day, oldest first.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(ListPaymentsParams),
    responses(
        (status = 200, description = "a page of payments", body = Page<PaymentView>),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_payments(
    State(state): State<AppState>,
    visible: Visible,
    Query(params): Query<ListPaymentsParams>,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    state
        .consistent(&[ReadModel::Payments], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    let day = |d: Option<NaiveDate>| d.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let filter = PaymentFilter {
        client_id: visible.narrow(params.client_id),
        status: params.status,
        method: params.method,
        company_id: params.company_id,
        from: day(params.from),
        to: day(params.to),
    };
    let rows = projections::payments::list(&state.pool, &filter, after, limit + 1).await?;
    let items = rows.into_iter().map(view).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &PaymentView| crate::http::answer::time_cursor_of(last.created_at, last.id),
    )))
}

/// One payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = Uuid, Path, description = "the payment"), Consistency),
    responses(
        (status = 200, description = "the payment", body = PaymentView),
        (status = 404, description = "no such payment", body = Problem)))]
pub async fn get_payment(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<PaymentView>, ApiError> {
    state
        .consistent(&[ReadModel::Payments], consistency.min_position)
        .await?;
    let row = projections::payments::get(&state.pool, id).await?;
    row.map(|row| Json(view(row)))
        .ok_or_else(|| ApiError::not_found("payment_not_found", format!("no payment {id}")))
}
