//! The panel's actions: each form's POST checks the session's CSRF token, asks the rule table
//! for the API route it stands for (`auth::may` with that route's method and template), reads
//! the fields into the API route's own request type, and calls the very function the API route
//! calls (`routes::…::run_*`), with the form's idempotency key as the command's
//! `Idempotency-Key`. A success redirects (303) to the page the form was on; a refusal shows
//! the problem's detail on that page, with the problem's status, and writes nothing.

use crate::http::pages::forms::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::clients::{FormError, ListParams, client_page, clients_page};
use super::format::Zone;
use super::{Session, ZONE_COOKIE, failed, forbidden, message, signed_in};
use crate::http::error::ApiError;
use crate::http::extract::Command;
use crate::http::i18n::{self, Lang};
use crate::http::routes::{accounts, clients, invoices, payments, services, tickets};
use crate::http::state::AppState;

pub(super) use crate::http::pages::forms::{Fields, field, request};

/// Why an action did not run.
pub(super) enum Refusal {
    /// No session: sign in first.
    SignIn(Response),
    /// The CSRF token is missing or wrong, or the API would refuse the route (403).
    Forbidden(Response),
}

impl Refusal {
    pub(super) fn into_response(self) -> Response {
        match self {
            Refusal::SignIn(response) | Refusal::Forbidden(response) => response,
        }
    }
}

/// The session of an action whose form carries the session's CSRF token and whose API route
/// (`method`, `path` as in the rule table) the staff member may call.
pub(super) async fn allowed(
    state: &AppState,
    headers: &HeaderMap,
    fields: &Fields,
    method: &str,
    path: &str,
) -> Result<Session, Refusal> {
    let session = signed_in(state, headers).await.map_err(Refusal::SignIn)?;
    if !state.forms.verify(&session.bearer, &fields.csrf) {
        return Err(Refusal::Forbidden(super::forbidden_form(&session)));
    }
    if !session.may(method, path) {
        return Err(Refusal::Forbidden(forbidden(&session)));
    }
    Ok(session)
}

/// The command of a form standing for `route` (the API's method and path, ids filled in): the
/// session's actor, the form's key as its `Idempotency-Key`.
pub(super) fn command(
    session: &Session,
    fields: &Fields,
    route: String,
) -> Result<Command, ApiError> {
    crate::http::pages::forms::command(session.principal.context(), fields, route)
}

/// Registers a client: `POST /v1/clients`.
pub(super) async fn register_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", "/v1/clients").await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, "POST /v1/clients".to_owned())?;
        let mut json = Map::new();
        for name in ["provider_id", "name", "email", "kind", "country"] {
            json.insert(name.to_owned(), json!(field(&fields, name)));
        }
        let request: clients::RegisterClientRequest = request(Value::Object(json))?;
        clients::run_register_client(&state, &command, &request).await
    }
    .await;
    match outcome {
        Ok(registered) => Redirect::to(&format!(
            "/dashboard/clients/{}?done=register&at={}",
            registered.client_id, registered.position
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let refused = FormError::said(session.lang, "register", &error);
            clients_page(&state, &session, ListParams::default(), Some(refused)).await
        }
    }
}

/// Posts a payment: `POST /v1/clients/{id}/payments`; the form's key is the payment id.
pub(super) async fn post_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/payments";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("POST /v1/clients/{client_id}/payments");
        let command = command(&session, &fields, route)?;
        let request: accounts::PostPaymentRequest = request(json!({
            "payment_id": fields.key.trim(),
            "amount": field(&fields, "amount"),
            "currency": field(&fields, "currency"),
            "method": field(&fields, "method"),
        }))?;
        accounts::run_post_payment(&state, &command, client_id, &request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, client_id, "payment", outcome).await
}

/// Orders a service: `POST /v1/clients/{id}/services`.
pub(super) async fn order_service(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/services";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("POST /v1/clients/{client_id}/services");
        let command = command(&session, &fields, route)?;
        let request: services::OrderServiceRequest = request(json!({
            "tariff_id": field(&fields, "tariff_id"),
            "period": field(&fields, "period"),
            "auto_prolong": field(&fields, "auto_prolong") == "true",
        }))?;
        services::run_order_service(&state, &command, client_id, request).await
    }
    .await;
    let outcome = outcome.map(|(_, committed)| committed.position);
    finish(&state, &session, client_id, "order", outcome).await
}

/// Suspends (for a staff decision), resumes or closes (now) a service:
/// `POST /v1/services/{id}/suspend`, `…/resume`, `…/close`.
pub(super) async fn service_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((service_id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let (path, done) = match action.as_str() {
        "suspend" => ("/v1/services/{id}/suspend", "suspend"),
        "resume" => ("/v1/services/{id}/resume", "resume"),
        "close" => ("/v1/services/{id}/close", "close"),
        _ => return message(None, StatusCode::NOT_FOUND, "No such action", ""),
    };
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let service = match projections::services::service(&state.pool, service_id).await {
        Ok(Some(service)) => service,
        Ok(None) => {
            return message(
                Some(&session),
                StatusCode::NOT_FOUND,
                &session.lang.t("service-none"),
                "",
            );
        }
        Err(error) => return failed(error.into()),
    };
    let outcome = async {
        let route = format!("POST /v1/services/{service_id}/{done}");
        let command = command(&session, &fields, route)?;
        match done {
            "suspend" => {
                let request: services::SuspendRequest = request(json!({ "reason": "staff" }))?;
                services::run_suspend_service(&state, &command, service_id, &request).await
            }
            "resume" => services::run_resume_service(&state, &command, service_id).await,
            _ => {
                let request = services::CloseRequest::default();
                services::run_close_service(&state, &command, service_id, &request).await
            }
        }
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, service.client_id, done, outcome).await
}

/// Issues an invoice of one line: `POST /v1/invoices`; the form's key is the invoice id.
pub(super) async fn issue_invoice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", "/v1/invoices").await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, "POST /v1/invoices".to_owned())?;
        let request: invoices::IssueInvoiceRequest = request(json!({
            "invoice_id": fields.key.trim(),
            "client_id": client_id,
            "company_id": field(&fields, "company_id"),
            "lines": [{
                "description": field(&fields, "description"),
                "quantity": field(&fields, "quantity"),
                "unit_price": field(&fields, "unit_price"),
            }],
        }))?;
        invoices::run_issue_invoice(&state, &command, &request).await
    }
    .await;
    let outcome = outcome.map(|issued| issued.position);
    finish(&state, &session, client_id, "invoice", outcome).await
}

/// Refunds money of a payment: `POST /v1/payments/{id}/refunds`; the form's key is the refund id.
pub(super) async fn refund_payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(payment_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/payments/{id}/refunds";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let client_id = match projections::payments::get(&state.pool, payment_id).await {
        Ok(Some(payment)) => payment.client_id,
        Ok(None) => {
            return message(
                Some(&session),
                StatusCode::NOT_FOUND,
                &session.lang.t("payment-none"),
                "",
            );
        }
        Err(error) => return failed(error.into()),
    };
    let outcome = async {
        let route = format!("POST /v1/payments/{payment_id}/refunds");
        let command = command(&session, &fields, route)?;
        let request: payments::RefundRequest = request(json!({
            "refund_id": fields.key.trim(),
            "amount": field(&fields, "amount"),
            "reason": field(&fields, "reason"),
        }))?;
        payments::run_refund_payment(&state, &command, payment_id, &request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, client_id, "refund", outcome).await
}

/// Answers a ticket: `POST /v1/tickets/{id}/messages`.
pub(super) async fn answer_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(ticket_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/tickets/{id}/messages";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let client_id = match projections::support::ticket(&state.pool, ticket_id).await {
        Ok(Some(ticket)) => ticket.client_id,
        Ok(None) => {
            return message(
                Some(&session),
                StatusCode::NOT_FOUND,
                &session.lang.t("ticket-none"),
                "",
            );
        }
        Err(error) => return failed(error.into()),
    };
    let outcome = reply(&state, &session, &fields, ticket_id).await;
    finish(&state, &session, client_id, "answer", outcome).await
}

/// Posts the form's `body` as the staff's answer to the ticket, through the API route's use case;
/// answers the position of its event. The client page's and the ticket page's forms both answer
/// with it.
pub(super) async fn reply(
    state: &AppState,
    session: &Session,
    fields: &Fields,
    ticket_id: Uuid,
) -> Result<i64, ApiError> {
    let route = format!("POST /v1/tickets/{ticket_id}/messages");
    let command = command(session, fields, route)?;
    // The text as typed: only the line ends a browser sends (CRLF) become newlines.
    let body = fields
        .rest
        .get("body")
        .map(|b| b.replace("\r\n", "\n"))
        .unwrap_or_default();
    let request: tickets::ReplyRequest = request(json!({ "body": body }))?;
    tickets::run_reply(state, &session.principal, &command, ticket_id, request)
        .await
        .map(|(_, committed)| committed.position)
}

/// The answer to an action on a client's page: back to the page with a note and the position
/// of the command's last event (the page waits until its read models have it: read your
/// writes), or the page with the problem as a form error (a server failure is the error page).
pub(super) async fn finish(
    state: &AppState,
    session: &Session,
    client_id: Uuid,
    done: &'static str,
    outcome: Result<i64, ApiError>,
) -> Response {
    match outcome {
        Ok(position) => Redirect::to(&format!(
            "/dashboard/clients/{client_id}?done={done}&at={position}"
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            // The service rows share one form's error; every other action has a form of its own.
            let form = match done {
                "suspend" | "resume" | "close" => "service",
                _ => done,
            };
            client_page(
                state,
                session,
                client_id,
                Some(FormError::said(session.lang, form, &error)),
                None,
            )
            .await
        }
    }
}

/// Sets the time zone the panel shows times in, for this browser: an IANA name such as
/// `Europe/Berlin`, kept in a cookie.
pub(super) async fn set_time_zone(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    if !state.forms.verify(&session.bearer, &fields.csrf) {
        return super::forbidden_form(&session);
    }
    let Some(zone) = Zone::parse(field(&fields, "zone")) else {
        return message(
            Some(&session),
            StatusCode::UNPROCESSABLE_ENTITY,
            &session.lang.t("msg-time-zone"),
            &session.lang.t("msg-time-zone-text"),
        );
    };
    (
        [(
            header::SET_COOKIE,
            format!(
                "{ZONE_COOKIE}={}; Path=/dashboard; SameSite=Strict; Max-Age=31536000",
                zone.name()
            ),
        )],
        Redirect::to("/dashboard"),
    )
        .into_response()
}

/// Sets the language of the panel's pages for this browser (the `billing_lang` cookie); a
/// language the panel does not speak is English.
pub(super) async fn set_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    if !state.forms.verify(&session.bearer, &fields.csrf) {
        return super::forbidden_form(&session);
    }
    i18n::chosen(Lang::of_tag(field(&fields, "language")), "/dashboard")
}

/// Moves the clock of the client `client_id`'s sandbox provider: `POST /v1/providers/{id}/clock`,
/// then back to the client's page.
pub(super) async fn move_clock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(
        &state,
        &headers,
        &fields,
        "POST",
        super::sandbox::CLOCK_ROUTE,
    )
    .await
    {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let Some(client) = projections::clients::client(&state.pool, client_id).await? else {
            return Err(ApiError::from(crate::usecases::Error::not_found(
                "client_not_found",
                format!("no client {client_id}"),
            )));
        };
        let provider = client.provider_id;
        let command = command(
            &session,
            &fields,
            format!("POST /v1/providers/{provider}/clock"),
        )?;
        let to = crate::http::routes::providers::clock_time(field(&fields, "to"))?;
        let moved =
            crate::usecases::provider_clocks::advance_clock(&state, &command.context, provider, to)
                .await?;
        Ok(moved.position)
    }
    .await;
    finish(&state, &session, client_id, "clock", outcome).await
}
