//! "Send to client": e-mail an issued invoice or credit note to the client again, from the
//! invoice's page (to the address in the form, the client's prefilled) or with the button of its
//! row on the client's page (to the client's address).
//!
//! Both forms work as the others of the panel do: the session's CSRF token, the rule table asked
//! for `POST /v1/invoices/{id}/send`, the route's own `run_send_invoice` called with the form's
//! idempotency key, and a refusal (a draft, a cancelled proforma, a bad address) shown as the
//! problem's detail on the page the form was on. A sent document lands on the client's page,
//! whose list of invoice e-mails shows the notifier's e-mail of it.

use crate::http::pages::forms::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, request};
use super::clients::{FormError, client_page};
use super::invoice_page::{ROUTE, page};
use super::{Session, failed, message};
use crate::http::error::ApiError;
use crate::http::routes::invoices;
use crate::http::state::AppState;

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
        return message(
            Some(&session),
            StatusCode::NOT_FOUND,
            &session.lang.t("invoice-none"),
            "",
        );
    };
    match outcome {
        Ok(position) => sent(row.client_id, position),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            page(
                &state,
                &session,
                &row,
                None,
                Some(FormError::said(session.lang, "send", &error)),
            )
            .await
        }
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
            let refused = Some(FormError::said(session.lang, "send", &error));
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
