//! What the client's money did: its expenses (each charge and credit with its period, promo code
//! discount and tax), the statement of each personal account (every movement with the running
//! balance, within a date range), and its invoices and credit notes, each printable as HTML and
//! PDF by the API's own document (`http::document`).
//!
//! Every figure is the read model's, formatted at the currency's scale, so the pages agree to
//! the cent with the API's answers. An invoice id of another client answers 404. Kinds of
//! movements and expenses are shown by their catalogue names (`Lang::named`); expenses page by
//! keyset, newest first, and each account's statement page by keyset in its order, with "N of M"
//! (`pager`). The statement's days are the user's (`Session.zone`): a range of days starts and
//! ends at the zone's midnights, and its movements are grouped by the zone's day.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use projections::invoices::{InvoiceFilter, InvoiceRow};
use projections::statement::MovementFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::pager::{PageParams, Pager};
use super::{Session, failed, may_open, message, not_found};
use crate::http::document::Audience;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pages::format::{movement, negative};
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;

/// The API route whose rule opens the expenses page.
pub(super) const EXPENSES_ROUTE: &str = "/v1/clients/{id}/expenses";
/// The API route whose rule opens the statement.
pub(super) const STATEMENT_ROUTE: &str = "/v1/clients/{id}/statement";
/// The API route whose rule opens the list of invoices.
pub(super) const INVOICES_ROUTE: &str = "/v1/invoices";
/// The API route whose rule opens one invoice.
const INVOICE_ROUTE: &str = "/v1/invoices/{id}";
/// How many invoices the list shows at most.
const SHOWN: i64 = 500;

#[derive(Template)]
#[template(path = "my/expenses.html")]
struct ExpensesPage {
    layout: Layout,
    expenses: Vec<ExpenseLine>,
    pager: Pager,
}

struct ExpenseLine {
    service_id: String,
    description: String,
    kind: String,
    period: String,
    list_amount: String,
    discount: String,
    promo_code: String,
    tax: String,
    tax_rate: String,
    amount: String,
    negative: bool,
}

pub(super) async fn expenses(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    let session = match may_open(&state, &headers, EXPENSES_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    match expenses_page(&state, &session, &params).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(Some(&session), error),
    }
}

async fn expenses_page(
    state: &AppState,
    session: &Session,
    params: &PageParams,
) -> Result<ExpensesPage, ApiError> {
    let client = session.client_id.as_uuid();
    let before = position_cursor(params.before.as_deref())?;
    let size = params.size()?;
    let mut rows =
        projections::expenses::latest_of_client(&state.pool, client, before, size + 1).await?;
    let total = projections::expenses::count_of_client(&state.pool, client).await?;
    let more = params.limit_query();
    let pager = Pager::cut(
        &mut rows,
        size,
        total,
        format!("/my/expenses?{}", more.trim_start_matches('&')),
        before.is_some(),
        |last| format!("/my/expenses?before={}{more}", last.position),
    );
    let expenses = rows
        .into_iter()
        .map(|row| {
            let c = row.currency.as_str();
            ExpenseLine {
                service_id: row.service_id.to_string(),
                description: row.description.clone(),
                kind: session.lang.named(&row.kind),
                period: format!(
                    "{} – {}",
                    session.lang.date(row.period_start),
                    session.lang.date(row.period_end)
                ),
                list_amount: session.lang.amount(row.list_amount, c),
                discount: session.lang.amount(row.discount, c),
                promo_code: discount_label(session.lang, row.promo_code.as_deref()),
                tax: session.lang.amount(row.tax, c),
                tax_rate: row.tax_rate.normalize().to_string(),
                amount: session.lang.money(row.amount, c),
                negative: negative(row.amount),
            }
        })
        .collect();
    Ok(ExpensesPage {
        layout: session.layout(session.lang.t("my-expenses-title")),
        expenses,
        pager,
    })
}

/// A cursor that is a global position this panel gave (`?before=` / `?after=`); empty is the
/// first page.
fn position_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(cursor) => cursor.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_request("invalid_cursor", "after: not a cursor this panel gave")
        }),
    }
}

#[derive(Template)]
#[template(path = "my/statement.html")]
struct StatementPage {
    layout: Layout,
    from: String,
    to: String,
    accounts: Vec<AccountStatement>,
}

struct AccountStatement {
    currency: String,
    opening: String,
    /// The balance after the page's last movement.
    closing: String,
    closing_negative: bool,
    /// Whether more movements follow this page (its last balance is then not the range's end).
    continues: bool,
    movements: Vec<MovementLine>,
    pager: Pager,
}

struct MovementLine {
    /// The user's day the movement falls on, on the first movement of each day of the page.
    day: Option<String>,
    at: String,
    kind: String,
    description: String,
    amount: String,
    negative: bool,
    balance: String,
}

/// The statement's date range (days, both included, in the user's time zone), and which
/// account's page (`currency`, `after`, `limit`) to show past the first.
#[derive(Deserialize, Default)]
pub(super) struct Range {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// A day of the range, or `None` when the field is empty.
fn day(name: &str, value: &str) -> Result<Option<NaiveDate>, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            ApiError::unprocessable(
                "invalid_day",
                format!("{name}: a day such as 2026-12-01, not {value:?}"),
            )
        })
}

pub(super) async fn statement(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(range): Query<Range>,
) -> Response {
    let session = match may_open(&state, &headers, STATEMENT_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let days = day("from", &range.from).and_then(|from| Ok((from, day("to", &range.to)?)));
    let (from, to) = match days {
        Ok(days) => days,
        Err(error) => {
            return message(
                Some(&session),
                error.status(),
                &session.lang.t("my-statement-title"),
                &super::problems::text(session.lang, &error),
            );
        }
    };
    match statement_page(&state, &session, &range, from, to).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(Some(&session), error),
    }
}

async fn statement_page(
    state: &AppState,
    session: &Session,
    range: &Range,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<StatementPage, ApiError> {
    let client = session.client_id.as_uuid();
    let paging = PageParams {
        before: None,
        after: range.after.clone(),
        limit: range.limit,
    };
    let size = paging.size()?;
    let after = position_cursor(paging.after.as_deref())?;
    let zone = session.zone;
    let filter = MovementFilter {
        from: from.map(|d| zone.start_of(d)),
        // The last day is included: the range ends where the user's next day starts.
        to: to.and_then(|d| d.succ_opt()).map(|d| zone.start_of(d)),
        as_of: None,
        after: 0,
        limit: size + 1,
    };
    let base = format!(
        "/my/statement?from={}&to={}",
        range.from.trim(),
        range.to.trim()
    );
    let mut accounts = Vec::new();
    for account in projections::balances::accounts_of_client(&state.pool, client).await? {
        // A later page is asked for one account; the others show their first.
        let paged = after.filter(|_| account.currency == range.currency.trim());
        let filter = MovementFilter {
            after: paged.unwrap_or(0),
            ..filter
        };
        let Some(mut page) =
            projections::statement::of_client(&state.pool, client, Some(&account.currency), filter)
                .await?
        else {
            continue;
        };
        let total = projections::statement::count(&state.pool, page.account_id, filter).await?;
        let c = page.currency.clone();
        let more = paging.limit_query();
        let pager = Pager::cut(
            &mut page.movements,
            size,
            total,
            format!("{base}{more}"),
            paged.is_some(),
            |last| format!("{base}&currency={c}&after={}{more}", last.position),
        );
        let closing = page
            .movements
            .last()
            .map_or(page.opening, |m| m.balance_after);
        let mut last_day = None;
        let movements = page
            .movements
            .iter()
            .map(|m| {
                let on = zone.day_of(m.occurred_at);
                let day = (last_day != Some(on)).then(|| session.lang.date(on));
                last_day = Some(on);
                MovementLine {
                    day,
                    at: zone.time(m.occurred_at),
                    kind: session.lang.named(&m.kind),
                    description: movement(session.lang, &m.kind, &m.description, &m.details),
                    amount: session.lang.amount(m.amount, &c),
                    negative: negative(m.amount),
                    balance: session.lang.amount(m.balance_after, &c),
                }
            })
            .collect();
        accounts.push(AccountStatement {
            opening: session.lang.money(page.opening, &c),
            closing: session.lang.money(closing, &c),
            closing_negative: negative(closing),
            continues: pager.next.is_some(),
            movements,
            pager,
            currency: c,
        });
    }
    Ok(StatementPage {
        layout: session.layout(session.lang.t("my-statement-title")),
        from: range.from.trim().to_owned(),
        to: range.to.trim().to_owned(),
        accounts,
    })
}

#[derive(Template)]
#[template(path = "my/invoices.html")]
struct InvoicesPage {
    layout: Layout,
    invoices: Vec<InvoiceLine>,
}

struct InvoiceLine {
    id: String,
    number: String,
    kind: String,
    status: String,
    issued_on: String,
    due_on: String,
    total: String,
}

pub(super) async fn invoices(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, INVOICES_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let filter = InvoiceFilter {
        client_id: Some(session.client_id.as_uuid()),
        ..InvoiceFilter::default()
    };
    let rows = match projections::invoices::page(&state.pool, &filter, None, SHOWN).await {
        Ok(page) => page.rows,
        Err(error) => return failed(Some(&session), error.into()),
    };
    let invoices = rows
        .into_iter()
        .rev()
        .filter(|row| row.number.is_some())
        .map(|row| InvoiceLine {
            id: row.invoice_id.to_string(),
            total: session.lang.money(row.gross, &row.currency),
            number: row.number.unwrap_or_default(),
            kind: session.lang.named(&row.kind),
            status: session.lang.named(&row.status),
            issued_on: session.lang.date(row.issued_on),
            due_on: session.lang.date(row.due_on),
        })
        .collect();
    render(
        StatusCode::OK,
        &InvoicesPage {
            layout: session.layout(session.lang.t("my-invoices-title")),
            invoices,
        },
    )
}

/// One of the client's invoices or credit notes, as the API prints it: HTML.
pub(super) async fn invoice_html(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    document(state, headers, id, false).await
}

/// One of the client's invoices or credit notes, as the API prints it: PDF.
pub(super) async fn invoice_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    document(state, headers, id, true).await
}

async fn document(state: AppState, headers: HeaderMap, id: String, pdf: bool) -> Response {
    let session = match may_open(&state, &headers, INVOICE_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let row = match own_invoice(&state, &session, &id).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    };
    let document = match crate::http::document::Document::read(&state, &row, Audience::Client).await
    {
        Ok(document) => document,
        Err(error) => return failed(Some(&session), error),
    };
    if !pdf {
        return match document.html() {
            Ok(html) => {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
            }
            Err(error) => failed(Some(&session), error),
        };
    }
    let bytes = match document.pdf() {
        Ok(bytes) => bytes,
        Err(error) => return failed(Some(&session), error),
    };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{}.pdf\"",
                    row.number.as_deref().unwrap_or("invoice")
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The issued invoice `id` if it is the session's client's; `None` for anything else (another
/// client's, a draft, no such id, not an id), which all answer the same 404.
async fn own_invoice(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Option<InvoiceRow>, ApiError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    let row = projections::invoices::get(&state.pool, id).await?;
    Ok(row.filter(|row| row.client_id == session.client_id.as_uuid() && row.number.is_some()))
}

/// How the page names a charge's discount: a promo code as typed, a personal or a group discount
/// (`domain::discount` labels) in the reader's language; empty without a discount.
fn discount_label(lang: crate::http::i18n::Lang, label: Option<&str>) -> String {
    match label {
        None => String::new(),
        Some(domain::discount::PERSONAL_LABEL) => lang.t("discount-personal"),
        Some(label) => match label.strip_prefix(domain::discount::GROUP_LABEL_PREFIX) {
            Some(group) => lang.t_with("discount-group", &[("group", group.to_owned().into())]),
            None => label.to_owned(),
        },
    }
}
