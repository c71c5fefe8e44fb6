//! The client's statement (every movement of a personal account with its running balance) and
//! staff corrections of charged expenses.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::money::Currency;
use projections::ReadModel;
use projections::statement::MovementFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, format_amount};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases;
use crate::usecases::accounts::CorrectExpense;

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
    /// `payment`, `adjustment`, `charge`, `credit`, `refund`, `reversal`, `correction`, `void`
    /// or `opening_balance` (a balance imported from another billing system).
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
    let day = |d: Option<NaiveDate>| d.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let filter = MovementFilter {
        from: day(params.from),
        to: day(params.to),
        as_of,
        after: after.unwrap_or(0),
        limit: limit + 1,
    };
    let statement = projections::statement::of_client(
        &state.pool,
        client_id,
        currency.map(Currency::code),
        filter,
    )
    .await?;
    let Some(statement) = statement else {
        return Err(ApiError::not_found(
            "account_not_found",
            format!("client {client_id} has no account in that currency"),
        ));
    };
    let (account_id, currency, opening) =
        (statement.account_id, statement.currency, statement.opening);
    let rows = statement.movements;
    let items: Vec<MovementView> = rows
        .into_iter()
        .map(|row| MovementView {
            position: row.position,
            occurred_at: row.occurred_at,
            kind: row.kind,
            amount: format_amount(row.amount, &currency),
            balance_after: format_amount(row.balance_after, &currency),
            reference: row.reference,
            description: row.description,
            details: row.details,
        })
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
    let key = command.key(&request, request.correction_id)?;
    let correction_id = request.correction_id;
    let input = CorrectExpense {
        correction_id,
        amount: request.amount,
        reason: request.reason,
    };
    let committed =
        usecases::accounts::correct_expense(&state, &command.context, key, expense_id, input)
            .await?;
    Ok(accepted(correction_id, &committed))
}
