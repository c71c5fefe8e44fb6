//! A client's top-up of its own account (`POST /v1/clients/{id}/top-ups`): the route a client's
//! owner and billing users pay through, over the API and from the customer panel's payments page
//! alike. The payment it makes is confirmed by someone else: a bank transfer by staff when the
//! money arrives (its proforma is issued at once), a card payment by the gateway
//! (`POST /v1/payments/{id}/confirm`) after the client paid at the address answered.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use domain::account::{PaymentMethod, PaymentMethodKind};
use domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::auth::throttle::Source;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path};
use crate::http::state::AppState;
use crate::usecases::top_ups::{self as usecase, TopUp, ToppedUp};

/// `POST /v1/clients/{id}/top-ups`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// The provider's company that receives the money; may be left out when only one of the
    /// provider's companies takes `method`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Uuid>,
    /// One of the company's enabled payment methods a client pays by: a bank transfer or a card
    /// gateway (a method of kind `manual` is for staff only).
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "bank_transfer")]
    pub method: String,
    /// What the client pays, as a decimal string.
    #[schema(example = "100.00")]
    pub amount: String,
    /// ISO 4217 code of what the client pays; another currency than the account's is converted
    /// at the rate of the day the payment is confirmed.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
}

/// The answer to `POST /v1/clients/{id}/top-ups`: the pending payment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TopUpCreated {
    /// The payment.
    pub id: Uuid,
    /// The global position of the last event written; pass it as `min_position`.
    pub position: i64,
    /// `new` (a bank transfer, until staff confirm it), `in_progress` (a card payment handed to
    /// the gateway), or `credited` (a method of kind `manual`, staff only).
    pub status: String,
    /// The company that receives the money.
    pub company_id: Uuid,
    /// The proforma invoice of a bank transfer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    /// Its number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// For a card gateway: where the client pays; the gateway sends it back to the customer
    /// panel's page of the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

/// Tops up the client's account by one of its provider's companies' payment methods: a bank
/// transfer (a `new` payment and its proforma invoice; staff confirm it when the money arrives)
/// or a card gateway (the payment is started and the answer carries the address where the client
/// pays; the gateway confirms it). A card method served by a payment gateway module (ADR 32) is
/// handed to the module, which answers that address and confirms by a signed notification. A client's users may not pay by a method of kind `manual`.
/// Idempotent by `Idempotency-Key`: a retry answers the first payment and writes nothing.
#[utoipa::path(post, path = "/v1/clients/{id}/top-ups", tag = "payments",
    request_body = TopUpRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "the pending payment", body = TopUpCreated),
        (status = 200, description = "the payment of an earlier request with the same Idempotency-Key", body = TopUpCreated),
        (status = 404, description = "no such client or company", body = Problem),
        (status = 422, description = "invalid amount or currency; unknown, disabled or staff-only method (payment_method_not_available); several companies take the method (company_required); a card method without a gateway address or module (gateway_not_configured); a currency a gateway module cannot take (currency_mismatch)", body = Problem),
        (status = 503, description = "the payment gateway module did not take the payment yet (gateway_unavailable); retry with the same Idempotency-Key", body = Problem)))]
pub async fn top_up(
    State(state): State<AppState>,
    command: Command,
    source: Source,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Body(request): Body<TopUpRequest>,
) -> Result<Response, ApiError> {
    let back = return_url(&state, &headers, source.https);
    let topped = run_top_up(&state, &command, client_id, Uuid::now_v7(), &request, &back).await?;
    let status = if topped.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(crate::http::answer::json_with(
        status,
        &answered(&topped),
        topped.replayed,
    ))
}

/// What `POST /v1/clients/{id}/top-ups` does, and the customer panel's top-up form with it:
/// reads the request into domain types (the same problems), keys it by the command's
/// `Idempotency-Key` and runs the one use case for the payment `payment_id` (the id a retry gets
/// back is the first call's).
pub async fn run_top_up(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    payment_id: Uuid,
    request: &TopUpRequest,
    return_url: &str,
) -> Result<ToppedUp, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let amount = Money::parse_positive(&request.amount, currency)?;
    let method = PaymentMethod::parse(&request.method)?;
    let key = command.key(request, payment_id)?;
    let input = TopUp {
        client_id,
        company_id: request.company_id,
        method,
        amount,
    };
    Ok(usecase::top_up(state, &command.context, key, payment_id, input, return_url).await?)
}

/// The answer's body for what a top-up made.
pub fn answered(topped: &ToppedUp) -> TopUpCreated {
    let status = match (topped.kind, &topped.redirect_url) {
        (PaymentMethodKind::Manual, _) => "credited",
        (PaymentMethodKind::CardGateway, Some(_)) => "in_progress",
        _ => "new",
    };
    TopUpCreated {
        id: topped.payment_id,
        position: topped.position,
        status: status.to_owned(),
        company_id: topped.company_id,
        invoice_id: topped.invoice_id.map(|id| id.as_uuid()),
        invoice_number: topped.invoice_number.clone(),
        redirect_url: topped.redirect_url.clone(),
    }
}

/// The address a card gateway sends the client back to: the customer panel's page of the
/// payment (`{payment_id}` left for the use case to fill in), under `BILLING_PUBLIC_URL` when it
/// is configured. Without it, under the origin the request named in its `Host` header (`https`
/// only when a trusted proxy says so); forwarded host headers, which anyone may send, are never
/// read.
pub fn return_url(state: &AppState, headers: &HeaderMap, https: bool) -> String {
    let origin = match state.public_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
        _ => host_origin(headers, https),
    };
    format!("{origin}/my/payments/{{payment_id}}/return")
}

/// `http(s)://host` of the request's `Host` header; empty when it names no plausible host.
fn host_origin(headers: &HeaderMap, https: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    match host {
        Some(host) => format!("{}://{host}", if https { "https" } else { "http" }),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, host.parse().unwrap());
        headers.insert("x-forwarded-host", "evil.example".parse().unwrap());
        headers
    }

    #[test]
    fn the_host_header_names_the_origin_and_a_forwarded_host_never_does() {
        assert_eq!(
            host_origin(&headers("billing.example.com:8080"), false),
            "http://billing.example.com:8080"
        );
        assert_eq!(
            host_origin(&headers("billing.example.com"), true),
            "https://billing.example.com"
        );
        assert_eq!(host_origin(&headers("a b/c"), false), "");
        assert_eq!(host_origin(&HeaderMap::new(), false), "");
    }
}
