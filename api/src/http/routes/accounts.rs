//! Personal accounts: payments, staff adjustments and balances.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use domain::account::{Account, PaymentMethod};
use domain::money::{Currency, Money};
use eventstore::Committed;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, format_amount};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::accounts::{self as usecase, AdjustBalance, BalanceAt, PostPayment};

/// `POST /v1/clients/{id}/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostPaymentRequest {
    /// The caller's id for this payment: sending it again credits nothing more and gets the same
    /// answer.
    pub payment_id: Uuid,
    /// The amount as a decimal string with at most the currency's minor digits, such as `"12.50"`.
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code of what was paid. Another currency than the account's is converted at the
    /// rate in effect on `received_on` (rates set with `PUT /v1/currencies/{code}/rates`).
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// How it was paid: 1 to 64 characters of `a-z`, `0-9`, `_` and `-`, such as `bank_transfer`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "bank_transfer")]
    pub method: String,
    /// The day the money arrived, for the exchange rate; today when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub received_on: Option<chrono::NaiveDate>,
}

/// `POST /v1/clients/{id}/adjustments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustBalanceRequest {
    /// The caller's id for this adjustment: sending it again changes nothing more.
    pub adjustment_id: Uuid,
    /// A signed decimal string: positive credits the client, negative debits it.
    #[schema(example = "-5.00")]
    pub amount: String,
    /// ISO 4217 code of the account.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// Why; kept in the log for auditors.
    pub reason: String,
}

/// A client's personal accounts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalanceView {
    /// The client.
    pub client_id: Uuid,
    /// One per provider and currency.
    pub accounts: Vec<AccountView>,
}

/// One personal account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    /// The provider the account is kept at.
    pub provider_id: Uuid,
    /// ISO 4217 code.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// The balance, as a decimal string at the currency's scale.
    #[schema(example = "12.50")]
    pub balance: String,
    /// How far the balance may go below zero.
    #[schema(example = "0.00")]
    pub credit_limit: String,
}

/// Credits a payment to the client's personal account. Idempotent by `payment_id`.
#[utoipa::path(post, path = "/v1/clients/{id}/payments", tag = "accounts",
    request_body = PostPaymentRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "credited, or already credited by an earlier call with the same payment_id (then marked Idempotent-Replayed)", body = Accepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 404, description = "no such client", body = Problem),
        (status = 409, description = "a payment with a lifecycle has this payment_id (payment_exists)", body = Problem),
        (status = 422, description = "invalid amount or currency, or the payment_id was used for another payment", body = Problem)))]
pub async fn post_payment(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<PostPaymentRequest>,
) -> Result<Response, ApiError> {
    let committed = run_post_payment(&state, &command, client_id, &request).await?;
    Ok(accepted(request.payment_id, &committed))
}

/// What `POST /v1/clients/{id}/payments` does, and the staff panel's payment form with it:
/// parses the request into domain types, keys it and runs the one use case.
pub async fn run_post_payment(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    request: &PostPaymentRequest,
) -> Result<Committed<Account>, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let paid = Money::parse_positive(&request.amount, currency)?;
    let method = PaymentMethod::parse(&request.method)?;
    let key = command.key(request, request.payment_id)?;
    let input = PostPayment {
        payment_id: request.payment_id,
        paid,
        method,
        received_on: request.received_on,
    };
    Ok(usecase::post_payment(state, &command.context, key, client_id, input).await?)
}

/// Staff correct a balance, with a reason. Idempotent by `adjustment_id`.
#[utoipa::path(post, path = "/v1/clients/{id}/adjustments", tag = "accounts",
    request_body = AdjustBalanceRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "adjusted", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn adjust_balance(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<AdjustBalanceRequest>,
) -> Result<Response, ApiError> {
    let committed = run_adjust_balance(&state, &command, client_id, &request).await?;
    Ok(accepted(request.adjustment_id, &committed))
}

/// What `POST /v1/clients/{id}/adjustments` does, and the staff panel's adjustment form with it:
/// parses the amount, keys the request by its `adjustment_id` and runs the one use case.
pub async fn run_adjust_balance(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    request: &AdjustBalanceRequest,
) -> Result<Committed<Account>, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let amount = Money::parse(&request.amount, currency)?;
    let key = command.key(request, request.adjustment_id)?;
    let input = AdjustBalance {
        adjustment_id: request.adjustment_id,
        amount,
        reason: request.reason.clone(),
    };
    Ok(usecase::adjust_balance(state, &command.context, key, client_id, input).await?)
}

/// `GET /v1/clients/{id}/balance` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BalanceParams {
    /// The balances as they were at this moment (RFC 3339), folded from the accounts' events
    /// that occurred by then; the current read model when absent.
    #[param(value_type = Option<String>, format = DateTime, example = "2027-01-01T09:00:00Z")]
    pub as_of: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The client's balances, one per provider and currency; with `as_of`, as they were then.
#[utoipa::path(get, path = "/v1/clients/{id}/balance", tag = "accounts",
    params(("id" = Uuid, Path, description = "the client"), BalanceParams),
    responses(
        (status = 200, description = "the balances", body = BalanceView),
        (status = 404, description = "no such client", body = Problem),
        (status = 503, description = "the read model did not reach min_position in time", body = Problem)))]
pub async fn get_balance(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<BalanceParams>,
) -> Result<Json<BalanceView>, ApiError> {
    let as_of = crate::http::answer::as_of(params.as_of.as_deref())?;
    state
        .consistent(
            &[ReadModel::Clients, ReadModel::Balances],
            params.min_position,
        )
        .await?;
    if let Some(as_of) = as_of {
        let balances = usecase::balances_as_of(&state, client_id, as_of).await?;
        return Ok(Json(BalanceView {
            client_id,
            accounts: balances.into_iter().map(AccountView::from).collect(),
        }));
    }
    let Some(rows) = projections::balances::of_client(&state.pool, client_id).await? else {
        return Err(ApiError::not_found(
            "client_not_found",
            format!("no client {client_id}"),
        ));
    };
    let accounts = rows
        .into_iter()
        .map(|row| {
            let currency = Currency::parse(&row.currency).map_err(|e| ApiError::internal(&e))?;
            let money =
                |amount| Money::from_decimal(amount, currency).map_err(|e| ApiError::internal(&e));
            Ok(AccountView {
                provider_id: row.provider_id,
                currency: currency.code().to_owned(),
                balance: money(row.balance)?.amount().to_string(),
                credit_limit: money(row.credit_limit)?.amount().to_string(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Json(BalanceView {
        client_id,
        accounts,
    }))
}

impl From<BalanceAt> for AccountView {
    fn from(at: BalanceAt) -> Self {
        Self {
            provider_id: at.provider_id.as_uuid(),
            currency: at.balance.currency().code().to_owned(),
            balance: at.balance.amount().to_string(),
            credit_limit: at.credit_limit.amount().to_string(),
        }
    }
}

/// `PUT /v1/clients/{id}/credit-limit`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLimitRequest {
    /// How far the balance may go below zero, as a decimal string.
    #[schema(example = "50.00")]
    pub amount: String,
    /// ISO 4217 code of the account.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
}

/// Sets how far the client's balance may go below zero (post-paid and trusted clients).
#[utoipa::path(put, path = "/v1/clients/{id}/credit-limit", tag = "accounts",
    request_body = CreditLimitRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "set", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn set_credit_limit(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<CreditLimitRequest>,
) -> Result<Response, ApiError> {
    let committed = run_set_credit_limit(&state, &command, client_id, &request).await?;
    Ok(crate::http::answer::accepted_with(
        axum::http::StatusCode::OK,
        client_id,
        &committed,
    ))
}

/// What `PUT /v1/clients/{id}/credit-limit` does, and the staff panel's credit-limit form with
/// it.
pub async fn run_set_credit_limit(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    request: &CreditLimitRequest,
) -> Result<Committed<Account>, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let limit = Money::parse(&request.amount, currency)?;
    Ok(usecase::set_credit_limit(state, &command.context, client_id, limit).await?)
}

/// `GET /v1/clients/{id}/expenses` parameters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpensesParams {
    /// The `next` cursor of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Only this service's.
    pub service_id: Option<Uuid>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// One charge (positive) or credit (negative) of the personal account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExpenseView {
    /// Its id (the same for the same service and period, whoever charges it).
    pub id: Uuid,
    /// The service.
    pub service_id: Uuid,
    /// `charge` or `credit`.
    pub kind: String,
    /// The first day it pays for.
    #[schema(value_type = String)]
    pub period_start: chrono::NaiveDate,
    /// The day after the last it pays for.
    #[schema(value_type = String)]
    pub period_end: chrono::NaiveDate,
    /// The amount; negative for a credit.
    pub amount: String,
    /// The price before the promo code discount: `amount` plus `discount`.
    pub list_amount: String,
    /// What the promo code took off (`"0.00"` without one).
    pub discount: String,
    /// The promo code redeemed, if any.
    pub promo_code: Option<String>,
    /// ISO 4217 code.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// What it is for.
    pub description: String,
    /// When it was charged.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// Its global position.
    pub position: i64,
}

/// The client's expenses, oldest first.
#[utoipa::path(get, path = "/v1/clients/{id}/expenses", tag = "accounts",
    params(("id" = Uuid, Path, description = "the client"), ExpensesParams),
    responses((status = 200, description = "a page of expenses", body = Page<ExpenseView>)))]
pub async fn list_expenses(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ExpensesParams>,
) -> Result<Json<Page<ExpenseView>>, ApiError> {
    state
        .consistent(
            &[ReadModel::Balances, ReadModel::Expenses],
            params.min_position,
        )
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let rows = projections::expenses::of_client(
        &state.pool,
        client_id,
        params.service_id,
        params.after.unwrap_or(0),
        limit + 1,
    )
    .await?;
    let items: Vec<ExpenseView> = rows
        .into_iter()
        .map(|row| ExpenseView {
            id: row.expense_id,
            service_id: row.service_id,
            kind: row.kind,
            period_start: row.period_start,
            period_end: row.period_end,
            amount: format_amount(row.amount, &row.currency),
            list_amount: format_amount(row.list_amount, &row.currency),
            discount: format_amount(row.discount, &row.currency),
            promo_code: row.promo_code,
            currency: row.currency,
            description: row.description,
            occurred_at: row.occurred_at,
            position: row.position,
        })
        .collect();
    Ok(Json(crate::http::answer::page(items, limit, |last| {
        last.position.to_string()
    })))
}
