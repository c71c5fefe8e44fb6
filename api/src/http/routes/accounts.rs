//! Personal accounts: payments, staff adjustments and balances.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use domain::account::{Account, AccountCommand, PaymentMethod};
use domain::client::Client;
use domain::ids::{AccountId, AdjustmentId, ClientId, PaymentId, ProviderId};
use domain::money::{Currency, Money};
use eventstore::CommandKey;
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::format_amount;
use crate::http::answer::{Accepted, accepted};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

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

/// The client's account for money in `currency`, checking that the client exists and takes money.
async fn account_of(
    state: &AppState,
    client_id: Uuid,
    currency: Currency,
) -> Result<(ClientId, ProviderId, AccountId), ApiError> {
    let (provider_id, account_currency) =
        crate::usecases::clients::active(state, client_id).await?;
    if currency != account_currency {
        return Err(ApiError::unprocessable(
            "currency_mismatch",
            format!("currency: the client's account is in {account_currency}, not {currency}"),
        ));
    }
    let client_id = ClientId::from_uuid(client_id);
    Ok((
        client_id,
        provider_id,
        AccountId::of(client_id, provider_id, currency),
    ))
}

/// Credits a payment to the client's personal account. Idempotent by `payment_id`.
#[utoipa::path(post, path = "/v1/clients/{id}/payments", tag = "accounts",
    request_body = PostPaymentRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "credited, or already credited by an earlier call with the same payment_id (then marked Idempotent-Replayed)", body = Accepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "invalid amount or currency, or the payment_id was used for another payment", body = Problem)))]
pub async fn post_payment(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<PostPaymentRequest>,
) -> Result<Response, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let paid = Money::parse_positive(&request.amount, currency)?;
    let method = PaymentMethod::parse(&request.method)?;
    let (provider, account_currency) = crate::usecases::clients::trading(&state, client_id).await?;
    let client = ClientId::from_uuid(client_id);
    let account = AccountId::of(client, provider, account_currency);
    // Money in another currency is credited converted at the rate in effect on the day it
    // arrived; the event keeps what was paid, the rate and its date.
    let (amount, conversion) = if currency == account_currency {
        (paid, None)
    } else {
        let on = request
            .received_on
            .unwrap_or_else(|| state.store.clock().now().date_naive());
        let conversion =
            crate::http::routes::payments::convert(&state, paid, account_currency, on).await?;
        (conversion.to, Some(conversion))
    };
    let key = CommandKey::new(
        "payment",
        request.payment_id.to_string(),
        &(
            client_id,
            &request.amount,
            &request.currency,
            &request.method,
        ),
        serde_json::json!({ "id": request.payment_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    // An Idempotency-Key, if sent, is a second key: the same key with another payment is refused.
    let keys: Vec<CommandKey> = std::iter::once(key)
        .chain(command.key(&request, request.payment_id)?)
        .collect();
    let committed = state
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::PostPayment {
                client_id: client,
                provider_id: provider,
                payment_id: PaymentId::from_uuid(request.payment_id),
                amount,
                method,
                conversion,
            },
            &command.context,
            &keys,
        )
        .await?;
    Ok(accepted(request.payment_id, &committed))
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
    let currency = Currency::parse(&request.currency)?;
    let amount = Money::parse(&request.amount, currency)?;
    let (client, provider, account) = account_of(&state, client_id, currency).await?;
    let key = CommandKey::new(
        "adjustment",
        request.adjustment_id.to_string(),
        &(client_id, &request),
        serde_json::json!({ "id": request.adjustment_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(key)
        .chain(command.key(&request, request.adjustment_id)?)
        .collect();
    let committed = state
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::AdjustBalance {
                client_id: client,
                provider_id: provider,
                adjustment_id: AdjustmentId::from_uuid(request.adjustment_id),
                amount,
                reason: request.reason,
            },
            &command.context,
            &keys,
        )
        .await?;
    Ok(accepted(request.adjustment_id, &committed))
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
        return balance_as_of(&state, client_id, as_of).await.map(Json);
    }
    let rows: Vec<(Uuid, String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT provider_id, currency, balance, credit_limit FROM balances
          WHERE client_id = $1 ORDER BY provider_id, currency",
    )
    .bind(client_id)
    .fetch_all(&state.pool)
    .await?;
    if rows.is_empty() {
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)")
            .bind(client_id)
            .fetch_one(&state.pool)
            .await?;
        if !known {
            return Err(ApiError::not_found(
                "client_not_found",
                format!("no client {client_id}"),
            ));
        }
    }
    let accounts = rows
        .into_iter()
        .map(|(provider_id, currency, balance, credit_limit)| {
            let currency = Currency::parse(&currency).map_err(|e| ApiError::internal(&e))?;
            let money =
                |amount| Money::from_decimal(amount, currency).map_err(|e| ApiError::internal(&e));
            Ok(AccountView {
                provider_id,
                currency: currency.code().to_owned(),
                balance: money(balance)?.amount().to_string(),
                credit_limit: money(credit_limit)?.amount().to_string(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Json(BalanceView {
        client_id,
        accounts,
    }))
}

/// The client's balances at `as_of`, folded from the `Client` and `Account` events that
/// occurred by then. The read model only says which accounts the client has.
async fn balance_as_of(
    state: &AppState,
    client_id: Uuid,
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<BalanceView, ApiError> {
    let client = state
        .store
        .load_as_of::<Client>(&client_id.to_string(), as_of)
        .await?
        .aggregate;
    let (Some(provider_id), Some(currency)) = (client.provider_id(), client.currency()) else {
        return Err(ApiError::not_found(
            "client_not_found",
            format!("no client {client_id} at {}", as_of.to_rfc3339()),
        ));
    };
    // The personal account a client has from registration on, and any other it had by then.
    let mut accounts = vec![AccountId::of(
        ClientId::from_uuid(client_id),
        provider_id,
        currency,
    )];
    let others: Vec<Uuid> = sqlx::query_scalar(
        "SELECT account_id FROM balances WHERE client_id = $1 ORDER BY provider_id, currency",
    )
    .bind(client_id)
    .fetch_all(&state.pool)
    .await?;
    for other in others.into_iter().map(AccountId::from_uuid) {
        if !accounts.contains(&other) {
            accounts.push(other);
        }
    }
    let mut views = Vec::new();
    for (n, account_id) in accounts.into_iter().enumerate() {
        let account = state
            .store
            .load_as_of::<Account>(&account_id.to_string(), as_of)
            .await?
            .aggregate;
        let view = match (
            account.provider_id(),
            account.balance(),
            account.credit_limit(),
        ) {
            (Some(provider), Some(balance), Some(limit)) => AccountView {
                provider_id: provider.as_uuid(),
                currency: balance.currency().code().to_owned(),
                balance: balance.amount().to_string(),
                credit_limit: limit.amount().to_string(),
            },
            // The registration's account, not opened yet: zero, as the read model shows it.
            _ if n == 0 => AccountView {
                provider_id: provider_id.as_uuid(),
                currency: currency.code().to_owned(),
                balance: Money::zero(currency).amount().to_string(),
                credit_limit: Money::zero(currency).amount().to_string(),
            },
            _ => continue,
        };
        views.push(view);
    }
    views.sort_by(|a, b| (a.provider_id, &a.currency).cmp(&(b.provider_id, &b.currency)));
    Ok(BalanceView {
        client_id,
        accounts: views,
    })
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
    let currency = Currency::parse(&request.currency)?;
    let limit = Money::parse(&request.amount, currency)?;
    let (client, provider, account) = account_of(&state, client_id, currency).await?;
    let committed = state
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::SetCreditLimit {
                client_id: client,
                provider_id: provider,
                limit,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(crate::http::answer::accepted_with(
        axum::http::StatusCode::OK,
        client_id,
        &committed,
    ))
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

#[derive(sqlx::FromRow)]
struct ExpenseRow {
    expense_id: Uuid,
    service_id: Uuid,
    kind: String,
    period_start: chrono::NaiveDate,
    period_end: chrono::NaiveDate,
    amount: Decimal,
    list_amount: Decimal,
    discount: Decimal,
    promo_code: Option<String>,
    currency: String,
    description: String,
    occurred_at: chrono::DateTime<chrono::Utc>,
    position: i64,
}

/// The client's expenses, oldest first.
#[utoipa::path(get, path = "/v1/clients/{id}/expenses", tag = "accounts",
    params(("id" = Uuid, Path, description = "the client"), ExpensesParams),
    responses((status = 200, description = "a page of expenses", body = crate::http::answer::Page<ExpenseView>)))]
pub async fn list_expenses(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ExpensesParams>,
) -> Result<Json<crate::http::answer::Page<ExpenseView>>, ApiError> {
    state
        .consistent(
            &[ReadModel::Balances, ReadModel::Expenses],
            params.min_position,
        )
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let rows: Vec<ExpenseRow> = sqlx::query_as(
        "SELECT e.expense_id, e.service_id, e.kind, e.period_start, e.period_end, e.amount,
                coalesce(e.list_amount, e.amount) AS list_amount, e.discount, e.promo_code,
                e.currency, e.description, e.occurred_at, e.position
           FROM expenses e
           JOIN balances b ON b.account_id = e.account_id
          WHERE b.client_id = $1
            AND ($2::uuid IS NULL OR e.service_id = $2)
            AND e.position > $3
          ORDER BY e.position
          LIMIT $4",
    )
    .bind(client_id)
    .bind(params.service_id)
    .bind(params.after.unwrap_or(0))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let items: Vec<ExpenseView> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
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
    let next = if more {
        items.last().map(|e| e.position.to_string())
    } else {
        None
    };
    Ok(Json(crate::http::answer::Page { items, next }))
}
