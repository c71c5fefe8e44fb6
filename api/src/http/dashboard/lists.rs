//! The invoices and the payments: keyset pages (oldest first, as the API's lists), filters,
//! client names, and the totals per currency of everything the filter matches; and the ticket
//! queue, the tickets waiting for an answer in the staff member's own departments.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::clients::query_value;
use super::{Layout, Session, failed, may_open, render};
use crate::http::answer::{time_cursor, time_cursor_of};
use crate::http::error::ApiError;
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`) with a 400 problem.
use crate::http::extract::Query;

/// Rows per page.
const PAGE: i64 = 100;

#[derive(Deserialize)]
pub(super) struct ListParams {
    status: Option<String>,
    after: Option<String>,
}

/// A list page: its rows as cells, the totals per currency, the filter and the next page.
#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    action: &'static str,
    /// The family of the statuses' words (`Lang::named_in`): `invoice-status` or
    /// `payment-status`.
    family: &'static str,
    status: String,
    statuses: &'static [&'static str],
    /// The columns' catalogue keys.
    headings: &'static [&'static str],
    rows: Vec<Row>,
    totals: Vec<(String, String)>,
    next: Option<String>,
}

struct Row {
    client_id: String,
    client: String,
    link: Option<String>,
    cells: Vec<String>,
}

fn status_filter(params: &ListParams) -> Option<String> {
    params
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The names of the clients of a page's rows.
async fn names(state: &AppState, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, ApiError> {
    Ok(projections::clients::names(&state.pool, &ids)
        .await?
        .into_iter()
        .collect())
}

pub(super) async fn invoices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/invoices").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match invoices_page(&state, &session, &params).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn invoices_page(
    state: &AppState,
    session: &Session,
    params: &ListParams,
) -> Result<ListPage, ApiError> {
    let status = status_filter(params);
    let filter = projections::invoices::InvoiceFilter {
        status: status.clone(),
        ..Default::default()
    };
    let after = time_cursor(params.after.as_deref())?;
    let page = projections::invoices::page(&state.pool, &filter, after, PAGE + 1).await?;
    let mut rows = page.rows;
    let next = next_page(&mut rows, |r| time_cursor_of(r.created_at, r.invoice_id));
    let names = names(state, rows.iter().map(|r| r.client_id).collect()).await?;
    let rows = rows
        .into_iter()
        .map(|invoice| Row {
            client_id: invoice.client_id.to_string(),
            client: names.get(&invoice.client_id).cloned().unwrap_or_default(),
            link: Some(format!("/dashboard/invoices/{}", invoice.invoice_id)),
            cells: vec![
                invoice
                    .number
                    .unwrap_or_else(|| session.lang.named("draft")),
                session.lang.named(&invoice.kind),
                session.lang.named_in("invoice-status", &invoice.status),
                session.lang.date(invoice.issued_on),
                session.lang.date(invoice.due_on),
                session.lang.money(invoice.gross, &invoice.currency),
            ],
        })
        .collect();
    let totals = page
        .totals
        .into_iter()
        .map(|t| {
            (
                session
                    .lang
                    .t1("list-documents", "count", &t.count.to_string()),
                session.lang.money(t.gross, &t.currency),
            )
        })
        .collect();
    Ok(ListPage {
        layout: session.layout(session.lang.t("title-invoices")),
        action: "/dashboard/invoices",
        family: "invoice-status",
        status: status.clone().unwrap_or_default(),
        statuses: &[
            "draft",
            "issued",
            "partially_paid",
            "paid",
            "partially_credited",
            "credited",
            "cancelled",
        ],
        headings: &[
            "col-number",
            "col-kind",
            "col-status",
            "col-issued",
            "col-due",
            "col-total",
        ],
        rows,
        totals,
        next: next.map(|cursor| with_status(&status, &cursor)),
    })
}

pub(super) async fn payments(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/payments").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match payments_page(&state, &session, &params).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn payments_page(
    state: &AppState,
    session: &Session,
    params: &ListParams,
) -> Result<ListPage, ApiError> {
    let status = status_filter(params);
    let filter = projections::payments::PaymentFilter {
        status: status.clone(),
        ..Default::default()
    };
    let after = time_cursor(params.after.as_deref())?;
    let mut rows = projections::payments::list(&state.pool, &filter, after, PAGE + 1).await?;
    let totals = projections::payments::totals(&state.pool, &filter).await?;
    let next = next_page(&mut rows, |r| time_cursor_of(r.created_at, r.payment_id));
    let names = names(state, rows.iter().map(|r| r.client_id).collect()).await?;
    let rows = rows
        .into_iter()
        .map(|payment| Row {
            client_id: payment.client_id.to_string(),
            client: names.get(&payment.client_id).cloned().unwrap_or_default(),
            link: None,
            cells: vec![
                session.zone.time(payment.created_at),
                session.lang.named(&payment.method),
                session.lang.named(&payment.status),
                session.lang.money(payment.amount, &payment.currency),
            ],
        })
        .collect();
    let totals = totals
        .into_iter()
        .map(|t| {
            (
                session
                    .lang
                    .t1("list-payments", "count", &t.count.to_string()),
                session.lang.money(t.amount, &t.currency),
            )
        })
        .collect();
    Ok(ListPage {
        layout: session.layout(session.lang.t("title-payments")),
        action: "/dashboard/payments",
        family: "payment-status",
        status: status.clone().unwrap_or_default(),
        statuses: &[
            "new",
            "in_progress",
            "credited",
            "partially_refunded",
            "refunded",
            "cancelled",
            "fraud",
        ],
        headings: &["col-when", "col-method", "col-status", "col-amount"],
        rows,
        totals,
        next: next.map(|cursor| with_status(&status, &cursor)),
    })
}

/// Keeps a page of `rows` fetched one longer than a page; the cursor of the next page when there
/// is one.
fn next_page<T>(rows: &mut Vec<T>, cursor: impl Fn(&T) -> String) -> Option<String> {
    let limit = usize::try_from(PAGE).unwrap_or(100);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor)
    } else {
        None
    }
}

/// The query of the next page, keeping the filter.
fn with_status(status: &Option<String>, cursor: &str) -> String {
    let status = status.as_deref().map(query_value).unwrap_or_default();
    format!("status={status}&after={}", query_value(cursor))
}

/// The ticket queue page.
#[derive(Template)]
#[template(path = "tickets.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
}

struct QueueRow {
    id: String,
    client_id: String,
    client: String,
    department: String,
    subject: String,
    messages: i32,
    waiting_since: String,
}

/// The tickets waiting for an answer, longest waiting first, in the queues the staff member sees
/// (`auth::Queues`, as `GET /v1/ticket-queue` narrows them); the first 200.
pub(super) async fn ticket_queue(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, "/v1/ticket-queue").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match queue_page(&state, &session).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn queue_page(state: &AppState, session: &Session) -> Result<QueuePage, ApiError> {
    let departments = crate::http::auth::Queues::of(&session.principal).narrow(None)?;
    let tickets = projections::support::ticket_queue(&state.pool, departments, None, 200).await?;
    let clients = names(state, tickets.iter().map(|t| t.client_id).collect()).await?;
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.department_id).collect();
    let departments: HashMap<Uuid, String> =
        projections::access::department_names(&state.pool, &ids)
            .await?
            .into_iter()
            .collect();
    let rows = tickets
        .into_iter()
        .map(|ticket| QueueRow {
            id: ticket.ticket_id.to_string(),
            client_id: ticket.client_id.to_string(),
            client: clients.get(&ticket.client_id).cloned().unwrap_or_default(),
            department: departments
                .get(&ticket.department_id)
                .cloned()
                .unwrap_or_default(),
            subject: ticket.subject,
            messages: ticket.messages,
            waiting_since: ticket
                .awaiting_since
                .map(|at| session.zone.time(at))
                .unwrap_or_default(),
        })
        .collect();
    Ok(QueuePage {
        layout: session.layout(session.lang.t("title-ticket-queue")),
        rows,
    })
}
