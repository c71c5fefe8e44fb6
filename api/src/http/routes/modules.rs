//! Provisioning and payment modules (issue 20.5, ADR 25): `POST /v1/modules` registers one and
//! answers its HMAC secret once, `GET /v1/modules/{id}` reads it (without the secret), and
//! `POST /v1/modules/{id}/callbacks` takes the module's signed report on an operation, and
//! `POST /v1/modules/{id}/payments/notify` a payment gateway's signed notification (ADR 32).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::module::{ModuleKind, RegisteredModule};
use eventstore::CommandKey;
use eventstore::metadata::{Actor, CommandContext};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::Accepted;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path};
use crate::http::state::AppState;
use crate::usecases::gateways::{self, Notice};
use crate::usecases::modules::{self as usecase, BadSignature, SIGNATURE_HEADER};

/// The longest callback body, in bytes (the route's body limit).
pub const CALLBACK_BODY_LIMIT: usize = usecase::CALLBACK_BODY_LIMIT;

/// `POST /v1/modules`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterModuleRequest {
    /// The module's id, chosen by the caller (a repeat with the same id is refused).
    pub module_id: Uuid,
    /// The provider whose services or payments it serves.
    pub provider_id: Uuid,
    /// `provisioning`, `payment` or `registrar`.
    #[schema(value_type = String, example = "provisioning")]
    pub kind: ModuleKind,
    /// The module's base URL; the billing core posts to `{base_url}/operations` (provisioning)
    /// or `{base_url}/payments` (payment).
    #[schema(example = "https://panel.example.com/billing")]
    pub base_url: String,
    /// Item type codes (provisioning), payment method codes (payment) or TLDs (registrar), 1
    /// to 50.
    pub serves: Vec<String>,
}

/// A module, without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModuleView {
    /// The module.
    pub id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// `provisioning`, `payment` or `registrar`.
    pub kind: String,
    /// Its base URL.
    pub base_url: String,
    /// What it serves.
    pub serves: Vec<String>,
    /// The key id sent in `X-Billing-Key-Id`.
    pub key_id: String,
    /// The first 16 hex digits of the SHA-256 of its secret.
    pub fingerprint: String,
}

impl From<RegisteredModule> for ModuleView {
    fn from(module: RegisteredModule) -> Self {
        ModuleView {
            id: module.module_id.as_uuid(),
            provider_id: module.provider_id.as_uuid(),
            kind: module.kind.as_str().to_owned(),
            base_url: module.base_url,
            serves: module.serves,
            key_id: module.key_id,
            fingerprint: module.fingerprint,
        }
    }
}

/// The answer to a registration: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredAnswer {
    /// The module.
    pub id: Uuid,
    /// The key id sent in `X-Billing-Key-Id`.
    pub key_id: String,
    /// The HMAC-SHA-256 secret, 64 hex digits. Shown once; the billing core never shows it again.
    pub secret: String,
    /// The first 16 hex digits of the SHA-256 of the secret.
    pub fingerprint: String,
    /// The global position of the registration.
    pub position: i64,
}

/// Registers a module; the answer has its secret, once.
#[utoipa::path(post, path = "/v1/modules", tag = "modules",
    request_body = RegisterModuleRequest,
    responses(
        (status = 201, description = "registered", body = RegisteredAnswer),
        (status = 404, description = "no such provider", body = Problem),
        (status = 409, description = "registered already", body = Problem),
        (status = 422, description = "a bad URL or nothing served", body = Problem)))]
pub async fn register_module(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<RegisterModuleRequest>,
) -> Result<Response, ApiError> {
    // No Idempotency-Key: a repeat would answer without the secret. A repeated id is a 409.
    let (registered, committed) = usecase::register(
        &state,
        &command.context,
        None,
        request.module_id,
        request.provider_id,
        request.kind,
        request.base_url,
        request.serves,
    )
    .await?;
    let answer = RegisteredAnswer {
        id: registered.module_id.as_uuid(),
        key_id: registered.key_id,
        secret: registered.secret_hex,
        fingerprint: registered.fingerprint,
        position: committed.position,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// A module, without its secret.
#[utoipa::path(get, path = "/v1/modules/{id}", tag = "modules",
    params(("id" = Uuid, Path, description = "the module")),
    responses(
        (status = 200, description = "the module", body = ModuleView),
        (status = 404, description = "no such module", body = Problem)))]
pub async fn get_module(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<ModuleView>, ApiError> {
    Ok(Json(usecase::module(&state, id).await?.into()))
}

/// The module's report on an operation, in the signed body of a callback.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackRequest {
    /// The operation (the `operation_id` of the request, its `Idempotency-Key`).
    pub operation_id: Uuid,
    /// `done` or `failed`.
    #[schema(example = "done")]
    pub status: String,
    /// Why, for `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a registrar's `done`: the domain's expiry the registry now has (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2028-03-01T00:00:00Z")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The longest failure reason a callback may give, in characters.
const REASON_CHARS_MAX: usize = 1000;

/// A module reports an operation done or failed, signed with its secret
/// (`X-Billing-Signature: t=<unix>,v1=<hex>`). A missing, stale or wrong signature is a 401 and
/// changes nothing; the same signed callback again changes nothing either.
#[utoipa::path(post, path = "/v1/modules/{id}/callbacks", tag = "modules",
    request_body = CallbackRequest,
    params(("id" = Uuid, Path, description = "the module")),
    responses(
        (status = 200, description = "recorded", body = Accepted),
        (status = 400, description = "not a callback, or a registrar's done without expires_at", body = Problem),
        (status = 401, description = "no valid signature", body = Problem),
        (status = 404, description = "no such operation of this module", body = Problem),
        (status = 409, description = "the domain's operation was answered otherwise", body = Problem),
        (status = 422, description = "not the service's or domain's current operation", body = Problem)))]
pub async fn module_callback(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = checked_signature(&state, id, &headers, &body).await?;
    refuse_nul(&body, "invalid_callback")?;
    let request: CallbackRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_callback", format!("body: {e}")))?;
    if usecase::module_of_operation(&state, request.operation_id).await? != Some(id) {
        return Err(ApiError::not_found(
            "operation_not_found",
            format!(
                "operation_id: module {id} was sent no operation {}",
                request.operation_id
            ),
        ));
    }
    let mut context = CommandContext::new(Actor::Service(format!("module-{id}")));
    context.idempotency_key = Some(signature.clone());
    // The signature is the callback's key: the same signed callback again (a replay inside
    // the tolerance) gets the first answer and records nothing.
    let key = CommandKey::new(
        format!("module-callback:{id}"),
        signature,
        &request,
        serde_json::json!({ "id": request.operation_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let position = match request.status.as_str() {
        "done" => {
            let done = usecase::Report::Done {
                expires_at: request.expires_at,
            };
            usecase::report(&state, &context, key, id, request.operation_id, done).await?
        }
        "failed" => {
            let reason = request
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty() && r.chars().count() <= REASON_CHARS_MAX)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_callback",
                        "reason: give 1 to 1000 characters for a failure",
                    )
                })?;
            let failed = usecase::Report::Failed {
                reason: reason.to_owned(),
            };
            usecase::report(&state, &context, key, id, request.operation_id, failed).await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_callback",
                "status: must be done or failed",
            ));
        }
    };
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "id": request.operation_id, "position": position })),
    )
        .into_response())
}

/// Refuses a signed body with a NUL character in a string, as the JSON extractor does every
/// other body: PostgreSQL's text cannot hold it, and a module's (or anyone's with its secret)
/// failure reason with one would stop every read model that copies it.
fn refuse_nul(body: &[u8], code: &'static str) -> Result<(), ApiError> {
    if crate::http::extract::has_escaped_nul(body) {
        return Err(ApiError::bad_request(
            code,
            "strings must not contain the NUL character (\\u0000)",
        ));
    }
    Ok(())
}

/// The `v1` of a valid signature of `body` by module `id`, or a 401 naming what is wrong.
async fn checked_signature(
    state: &AppState,
    id: Uuid,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, ApiError> {
    let refused = || ApiError::unauthorized("X-Billing-Signature: no valid signature");
    let secret = usecase::secret_of(&state.store, id)
        .await?
        .ok_or_else(refused)?;
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(refused)?;
    usecase::verify(&secret, header, body, usecase::unix_now()).map_err(|e| {
        ApiError::unauthorized(match e {
            BadSignature::Malformed => "X-Billing-Signature: not t=<unix>,v1=<hex>",
            BadSignature::Stale => "X-Billing-Signature: the time is more than 300 s away",
            BadSignature::Mismatch => "X-Billing-Signature: the signature does not match",
        })
    })
}

/// A payment gateway's notification about a payment it was handed, in the signed body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentNotification {
    /// The payment (the `payment_id` of the request, its `Idempotency-Key`).
    pub payment_id: Uuid,
    /// `confirmed` (the client paid) or `failed` (declined, abandoned or expired).
    #[schema(example = "confirmed")]
    pub status: String,
    /// The gateway's transaction id, for `confirmed`: 1 to 128 printable ASCII characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "tx_81f3c2")]
    pub transaction_id: Option<String>,
    /// What the client paid, for `confirmed`: a decimal string that must equal the payment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "40.00")]
    pub amount: Option<String>,
    /// Its ISO 4217 code, for `confirmed`: must be the payment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Why, for `failed` (1 to 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to a payment notification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentNotified {
    /// The payment.
    pub payment_id: Uuid,
    /// Its status now: `credited` after a confirmation, `cancelled` after a failure.
    pub status: String,
    /// The global position to read the balance at (`min_position`).
    pub position: i64,
}

/// The longest field of a notification, in characters (bounds what is parsed).
const NOTIFY_FIELD_CHARS_MAX: usize = 500;

/// A payment gateway module confirms or fails a payment it was handed, signed with its secret
/// (`X-Billing-Signature: t=<unix>,v1=<hex>`). A confirmation credits the account once, with
/// exactly the payment's amount and currency: another amount fails the payment (422
/// `amount_mismatch`). The same notification again changes nothing and answers 200; a missing,
/// stale or wrong signature is a 401 and changes nothing; a payment not handed to this module
/// is a 404.
#[utoipa::path(post, path = "/v1/modules/{id}/payments/notify", tag = "modules",
    request_body = PaymentNotification,
    params(("id" = Uuid, Path, description = "the payment module")),
    responses(
        (status = 200, description = "recorded (or recorded before)", body = PaymentNotified),
        (status = 400, description = "not a notification", body = Problem),
        (status = 401, description = "no valid signature", body = Problem),
        (status = 404, description = "no such payment of this module", body = Problem),
        (status = 413, description = "the body is too large", body = Problem),
        (status = 422, description = "another amount than the payment's (the payment is failed), a bad transaction id, or a payment already credited or cancelled", body = Problem)))]
pub async fn payment_notification(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = checked_signature(&state, id, &headers, &body).await?;
    refuse_nul(&body, "invalid_notification")?;
    let request: PaymentNotification = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_notification", format!("body: {e}")))?;
    let field = |name: &'static str, value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= NOTIFY_FIELD_CHARS_MAX)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_notification",
                    format!("{name}: give 1 to 500 characters"),
                )
            })
    };
    let notice = match request.status.as_str() {
        "confirmed" => Notice::Confirmed {
            transaction_id: field("transaction_id", &request.transaction_id)?,
            amount: field("amount", &request.amount)?,
            currency: field("currency", &request.currency)?,
        },
        "failed" => Notice::Failed {
            reason: field("reason", &request.reason)?,
        },
        _ => {
            return Err(ApiError::bad_request(
                "invalid_notification",
                "status: must be confirmed or failed",
            ));
        }
    };
    let mut context = CommandContext::new(Actor::Service(format!("module-{id}")));
    context.idempotency_key = Some(signature.clone());
    // The signature is the notification's key: the same signed notification again gets the
    // first answer and records nothing; a new signature of the same confirmation is recognised
    // by the payment (same transaction id).
    let key = CommandKey::new(
        format!("module-notify:{id}"),
        signature,
        &request,
        serde_json::json!({ "id": request.payment_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let notified = gateways::notify(&state, &context, key, id, request.payment_id, notice).await?;
    Ok((
        StatusCode::OK,
        Json(PaymentNotified {
            payment_id: request.payment_id,
            status: notified.status.as_str().to_owned(),
            position: notified.position,
        }),
    )
        .into_response())
}
