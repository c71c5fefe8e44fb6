//! "Send to client": e-mail an issued invoice or credit note to the client again, from the
//! invoice's page (to the address in the form, the client's prefilled) or with the button of its
//! row on the client's page (to the client's address).
//!
//! Both forms work as the others of the panel do: the session's CSRF token, the rule table asked
//! for `POST /v1/invoices/{id}/send`, the route's own `run_send_invoice` called with the form's
//! idempotency key, and a refusal (a draft, a cancelled proforma, a bad address) shown as the
//! problem's detail on the page the form was on. A sent document lands on the client's page,
//! whose list of invoice e-mails shows the notifier's e-mail of it.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use projections::invoices::InvoiceRow;
use serde_json::json;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, request};
use super::clients::{FormError, client_page};
use super::forms::new_key;
use super::{Session, failed, message};
use crate::http::error::ApiError;
use crate::http::routes::invoices;
use crate::http::state::AppState;

/// The API route both forms stand for.
const ROUTE: &str = "/v1/invoices/{id}/send";

/// The form put above the printable document on the invoice's page.
#[derive(Template)]
#[template(path = "invoice_send.html")]
struct SendForm<'a> {
    id: String,
    client_id: String,
    to: String,
    csrf: String,
    key: String,
    error: Option<&'a FormError>,
}

/// The invoice's page: the printable document `html` of `row` and, for a staff member who may
/// send it, the "Send to client" form above it (with `error`, a refused sending's problem).
pub(super) async fn page(
    state: &AppState,
    session: &Session,
    row: &InvoiceRow,
    html: String,
    error: Option<FormError>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let html = if session.may("POST", ROUTE) {
        let client = match projections::clients::client(&state.pool, row.client_id).await {
            Ok(client) => client,
            Err(error) => return failed(error.into()),
        };
        let form = SendForm {
            id: row.invoice_id.to_string(),
            client_id: row.client_id.to_string(),
            to: client.map(|c| c.email).unwrap_or_default(),
            csrf: session.csrf(),
            key: new_key(),
            error: error.as_ref(),
        };
        match form.render() {
            Ok(form) => with_form(html, &form),
            Err(error) => return failed(ApiError::internal(&error)),
        }
    } else {
        html
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// `html` with `form` at the start of its body.
fn with_form(mut html: String, form: &str) -> String {
    let at = html
        .find("<body")
        .and_then(|body| html[body..].find('>').map(|end| body + end + 1))
        .unwrap_or(0);
    html.insert_str(at, form);
    html
}

/// Sends the document from its page: `POST /v1/invoices/{id}/send` with the form's address.
pub(super) async fn send_from_invoice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(invoice_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let to = field(&fields, "to");
    let outcome = send(&state, &session, &fields, invoice_id, to).await;
    let row = match projections::invoices::get(&state.pool, invoice_id).await {
        Ok(row) => row,
        Err(error) => return failed(error.into()),
    };
    let Some(row) = row else {
        return message(Some(&session), StatusCode::NOT_FOUND, "No such invoice", "");
    };
    match outcome {
        Ok(position) => sent(row.client_id, position),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => match crate::http::document::Document::of(&row) {
            Ok(document) => {
                let refused = Some(FormError::of("send", &error));
                page(&state, &session, &row, document.html(), refused).await
            }
            Err(error) => failed(error),
        },
    }
}

/// Sends one of the client's documents from the client's page, to the client's address.
pub(super) async fn send_from_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((client_id, invoice_id)): Path<(Uuid, Uuid)>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    match send(&state, &session, &fields, invoice_id, "").await {
        Ok(position) => sent(client_id, position),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let refused = Some(FormError::of("send", &error));
            client_page(&state, &session, client_id, refused, None).await
        }
    }
}

/// Runs the API route's use case with the form's key; `to` empty is the client's address.
async fn send(
    state: &AppState,
    session: &Session,
    fields: &Fields,
    invoice_id: Uuid,
    to: &str,
) -> Result<i64, ApiError> {
    let command = command(
        session,
        fields,
        format!("POST /v1/invoices/{invoice_id}/send"),
    )?;
    let body = if to.is_empty() {
        json!({})
    } else {
        json!({ "to": to })
    };
    let request: invoices::SendInvoiceRequest = request(body)?;
    invoices::run_send_invoice(state, &command, invoice_id, &request).await
}

/// The client's page after sending, at its list of invoice e-mails.
fn sent(client_id: Uuid, position: i64) -> Response {
    Redirect::to(&format!(
        "/dashboard/clients/{client_id}?done=send&at={position}#invoice-mails"
    ))
    .into_response()
}
