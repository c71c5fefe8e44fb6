//! The client's statement (every movement of a personal account with its running balance) and
//! staff corrections of charged expenses.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::{Account, AccountCommand};
use domain::ids::{AccountId, ClientId, CorrectionId, ExpenseId, ProviderId};
use domain::money::{Currency, Money};
use eventstore::CommandKey;
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::format_amount;
use crate::http::answer::{Accepted, Page, accepted};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `GET /v1/clients/{id}/statement` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementParams {
    /// The account's currency; the client's first account when absent.
    #[param(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Only movements on or after this day (UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Only movements before this day (UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// The statement as it was at this moment (RFC 3339): only movements that occurred by then.
    #[param(value_type = Option<String>, format = DateTime, example = "2027-01-01T09:00:00Z")]
    pub as_of: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// One movement of a personal account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovementView {
    /// Its global position: the order of the statement.
    pub position: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// `payment`, `adjustment`, `charge`, `credit`, `refund`, `reversal`, `correction` or `void`.
    pub kind: String,
    /// The signed amount: positive brings money to the account.
    pub amount: String,
    /// The balance after this movement: the running balance.
    pub balance_after: String,
    /// What it refers to: the payment, adjustment, expense, refund or correction id.
    pub reference: Uuid,
    /// What the client reads.
    pub description: String,
    /// More about it (for a converted payment: the amount paid and the rate).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A page of the statement of one account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatementView {
    /// The client.
    pub client_id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// ISO 4217 code of the account.
    pub currency: String,
    /// The balance before the first movement of this page.
    pub opening_balance: String,
    /// The balance after the last movement of this page.
    pub closing_balance: String,
    /// The movements, oldest first.
    pub items: Vec<MovementView>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

type MovementRow = (
    i64,
    DateTime<Utc>,
    String,
    Decimal,
    Decimal,
    Uuid,
    String,
    serde_json::Value,
);

/// The client's statement: every movement of one personal account, oldest first, each with the
/// balance after it. The last running balance is the account's balance. With `as_of`, the
/// statement as it stood at that moment: the movements that had occurred by then.
#[utoipa::path(get, path = "/v1/clients/{id}/statement", tag = "accounts",
    params(("id" = Uuid, Path, description = "the client"), StatementParams),
    responses(
        (status = 200, description = "a page of the statement", body = StatementView),
        (status = 400, description = "bad parameters", body = Problem),
        (status = 404, description = "no such client or no account in that currency", body = Problem)))]
pub async fn get_statement(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<StatementParams>,
) -> Result<Json<StatementView>, ApiError> {
    state
        .consistent(
            &[ReadModel::Balances, ReadModel::Statement],
            params.min_position,
        )
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let as_of = crate::http::answer::as_of(params.as_of.as_deref())?;
    let currency = params
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", format!("currency: {e}")))?;
    let after = params
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<i64>().map_err(|_| {
                ApiError::bad_request("invalid_cursor", "after: not a cursor this API gave")
            })
        })
        .transpose()?;
    let account: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT account_id, currency FROM balances
          WHERE client_id = $1 AND ($2::text IS NULL OR currency = $2)
          ORDER BY provider_id, currency LIMIT 1",
    )
    .bind(client_id)
    .bind(currency.map(Currency::code))
    .fetch_optional(&state.pool)
    .await?;
    let Some((account_id, currency)) = account else {
        return Err(ApiError::not_found(
            "account_not_found",
            format!("client {client_id} has no account in that currency"),
        ));
    };
    let from = params
        .from
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let to = params
        .to
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let rows: Vec<MovementRow> = sqlx::query_as(
        "SELECT position, occurred_at, kind, amount, balance_after, reference, description, details
           FROM account_movements
          WHERE account_id = $1
            AND ($2::timestamptz IS NULL OR occurred_at >= $2)
            AND ($3::timestamptz IS NULL OR occurred_at < $3)
            AND position > $4
            AND ($6::timestamptz IS NULL OR occurred_at <= $6)
          ORDER BY position
          LIMIT $5",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(after.unwrap_or(0))
    .bind(limit + 1)
    .bind(as_of)
    .fetch_all(&state.pool)
    .await?;
    // The balance before the page is the balance after the movement just before it.
    let first_position = rows.first().map_or(i64::MAX, |row| row.0);
    let opening: Option<Decimal> = sqlx::query_scalar(
        "SELECT balance_after FROM account_movements
          WHERE account_id = $1 AND position < $2
          ORDER BY position DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(first_position)
    .fetch_optional(&state.pool)
    .await?;
    let opening = opening.unwrap_or(Decimal::ZERO);
    let items: Vec<MovementView> = rows
        .into_iter()
        .map(
            |(
                position,
                occurred_at,
                kind,
                amount,
                balance_after,
                reference,
                description,
                details,
            )| {
                MovementView {
                    position,
                    occurred_at,
                    kind,
                    amount: format_amount(amount, &currency),
                    balance_after: format_amount(balance_after, &currency),
                    reference,
                    description,
                    details,
                }
            },
        )
        .collect();
    let page: Page<MovementView> =
        crate::http::answer::page(items, limit, |last| last.position.to_string());
    let closing = page.items.last().map_or_else(
        || format_amount(opening, &currency),
        |m| m.balance_after.clone(),
    );
    Ok(Json(StatementView {
        client_id,
        account_id,
        opening_balance: format_amount(opening, &currency),
        closing_balance: closing,
        currency,
        items: page.items,
        next: page.next,
    }))
}

/// `POST /v1/expenses/{id}/corrections`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectExpenseRequest {
    /// The caller's id for this correction: sending it again gives back nothing more.
    pub correction_id: Uuid,
    /// What to give back, as a decimal string in the expense's currency; absent voids the
    /// expense (gives back all that is left of it).
    #[schema(example = "5.00")]
    pub amount: Option<String>,
    /// Why; kept in the log for auditors.
    pub reason: String,
}

/// Staff give back part (an adjustment) or all (a void) of a charged expense; the money returns
/// to the balance. Idempotent by `correction_id`.
#[utoipa::path(post, path = "/v1/expenses/{id}/corrections", tag = "accounts",
    request_body = CorrectExpenseRequest,
    params(("id" = Uuid, Path, description = "the expense")),
    responses(
        (status = 201, description = "given back", body = Accepted),
        (status = 404, description = "no such charged expense", body = Problem),
        (status = 422, description = "more than is left of the expense, or invalid", body = Problem)))]
pub async fn correct_expense(
    State(state): State<AppState>,
    command: Command,
    Path(expense_id): Path<Uuid>,
    Body(request): Body<CorrectExpenseRequest>,
) -> Result<Response, ApiError> {
    // What the expense charged is an immutable fact of the log; the read model that holds it is
    // asked to be at least as recent as the log's head, so a just-charged expense is found.
    let head = eventstore::log::head_position(&state.pool).await?;
    state
        .consistent(&[ReadModel::Balances, ReadModel::Expenses], Some(head))
        .await?;
    let row: Option<(Uuid, Uuid, Uuid, String, Decimal, String, Decimal)> = sqlx::query_as(
        "SELECT b.account_id, b.client_id, b.provider_id, e.currency, e.amount, e.kind,
                e.tax_rate
           FROM expenses e JOIN balances b ON b.account_id = e.account_id
          WHERE e.expense_id = $1",
    )
    .bind(expense_id)
    .fetch_optional(&state.pool)
    .await?;
    let Some((account_id, client_id, provider_id, currency, charged, kind, tax_rate)) = row else {
        return Err(ApiError::not_found(
            "expense_not_found",
            format!("no expense {expense_id}"),
        ));
    };
    if kind != "charge" {
        return Err(ApiError::unprocessable(
            "expense_not_a_charge",
            format!("expense {expense_id} is a credit; only charges can be corrected"),
        ));
    }
    let currency = Currency::parse(&currency).map_err(|e| ApiError::internal(&e))?;
    let charged = Money::from_decimal(charged, currency).map_err(|e| ApiError::internal(&e))?;
    let charged_tax_rate =
        domain::tax::TaxRate::new(tax_rate).map_err(|e| ApiError::internal(&e))?;
    let give_back = request
        .amount
        .as_deref()
        .map(|amount| Money::parse_positive(amount, currency))
        .transpose()?;
    let key = CommandKey::new(
        "correction",
        request.correction_id.to_string(),
        &(expense_id, &request.amount, &request.reason),
        serde_json::json!({ "id": request.correction_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(key)
        .chain(command.key(&request, request.correction_id)?)
        .collect();
    let account = AccountId::from_uuid(account_id);
    let committed = state
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::CorrectExpense {
                client_id: ClientId::from_uuid(client_id),
                provider_id: ProviderId::from_uuid(provider_id),
                correction_id: CorrectionId::from_uuid(request.correction_id),
                expense_id: ExpenseId::from_uuid(expense_id),
                charged,
                give_back,
                charged_tax_rate,
                reason: request.reason,
            },
            &command.context,
            &keys,
        )
        .await?;
    Ok(accepted(request.correction_id, &committed))
}
