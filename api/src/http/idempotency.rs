//! `Idempotency-Key` on every write, enforced once, by [`enforce`], a layer over every route
//! (IETF draft "The Idempotency-Key HTTP Header Field", with Stripe's semantics).
//!
//! A `POST`, `PUT`, `PATCH` or `DELETE` that carries the header is recorded in
//! `idempotency_requests` under the caller (its actor; `anonymous` on the public routes) and the
//! key, with a fingerprint: the SHA-256 of the method, the path and the body. Then:
//!
//! - the first request claims the key (a *running* row with a lease of [`LEASE_SECS`]), runs the
//!   handler and stores the answer: status, the headers that matter and the body. A 5xx answer is
//!   not stored (the row is released, so a retry may succeed); a 4xx is.
//! - the same key with the same method, path and body gets the stored answer, byte for byte,
//!   with `Idempotent-Replayed: true`; the handler does not run, so nothing is written.
//! - the same key with another method, path or body is `422 idempotency_key_reused`.
//! - the same key while the first request still runs is `409 idempotency_key_in_flight`.
//!
//! Keys are kept [`KEPT_FOR_HOURS`] hours after their first request; then the key is free again.
//!
//! **The crash window.** The answer is stored after the handler ran. If the process dies between
//! the handler's commit and the stored answer, the row stays *running*; once its lease has passed
//! a retry with the same key and body takes the row over and runs the handler again. That rerun
//! moves no money twice because every money-moving command is idempotent by its own key, written
//! in the same statement as its events (`command_keys`): a caller-chosen id (payment, invoice),
//! the period of a charge, or the same `Idempotency-Key` under the caller (see
//! [`crate::http::extract::Command::key`]), so the rerun writes nothing and answers the first id.
//!
//! **Secrets.** The body is never kept, only its digest (a login's password included). An answer
//! that hands out a bearer token (signing in, a service token, acting as a client) is not kept
//! either: a repeat of such a request gets `409 idempotency_answer_not_kept` and must send a new
//! key to get a new token.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use eventstore::requests;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::extract::{Caller, MAX_KEY_LEN};
use crate::http::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// How long a key and its answer are kept after the first request.
pub const KEPT_FOR_HOURS: u32 = 24;

/// How long a running request holds its key. Longer than the request time limit (30 s), so a
/// request still running is never taken over; a retry after it finds the key free again.
pub const LEASE_SECS: u32 = 60;

/// The largest answer stored; write answers are small JSON documents.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The routes whose successful answer carries a bearer token or a secret (a module's HMAC
/// secret, shown once), which is never stored: secrets live only in `credentials` (ADR 11).
const SECRET_ANSWERS: &[(&str, &str)] = &[
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/service-tokens"),
    ("POST", "/v1/clients/{id}/act-as"),
    ("POST", "/v1/modules"),
];

/// Response headers that belong to one answer and are not replayed.
const NOT_REPLAYED: &[HeaderName] = &[
    header::SET_COOKIE,
    header::DATE,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
];

/// Whether requests with `method` change state, and so honour the key.
pub fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The layer: runs after authentication (it needs the caller) and routing (it needs the route).
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_write(request.method()) || !request.headers().contains_key(HEADER) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let outcome = match begin(&state, request).await {
        Err(error) => error.into_response(),
        Ok(Begun::Answered(response)) => response,
        Ok(Begun::Claimed(claim, request)) => {
            let response = next.run(request).await;
            finish(&state, claim, response).await
        }
    };
    metrics::histogram!("billing_idempotency_seconds").record(started.elapsed().as_secs_f64());
    outcome
}

/// A key this request holds.
struct Claim {
    principal: String,
    key: String,
    lease: Uuid,
    secret_answer: bool,
}

enum Begun {
    /// The handler must run; the body was read and put back.
    Claimed(Claim, Request),
    /// The answer without running the handler: a replay, or a refusal.
    Answered(Response),
}

async fn begin(state: &AppState, request: Request) -> Result<Begun, ApiError> {
    let key = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_KEY_LEN)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_header",
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            )
        })?;
    let principal = request
        .extensions()
        .get::<Caller>()
        .map_or_else(|| "anonymous".to_owned(), |caller| caller.actor.to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );

    let (parts, body) = request.into_parts();
    let limit = state.rules.body_limit(&method, &route);
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "unreadable_body",
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let fingerprint = fingerprint(&method, &path, &bytes);
    let secret_answer = SECRET_ANSWERS.contains(&(method.as_str(), route.as_str()));

    // The key is claimed by one statement: a new key, an expired one, or a running one whose
    // lease has passed (its process died) with the same request. Otherwise the row says why not.
    for _ in 0..3 {
        let lease = Uuid::now_v7();
        let asked = requests::Request {
            principal: &principal,
            key: &key,
            method: &method,
            path: &path,
            fingerprint: &fingerprint,
        };
        let claimed =
            requests::claim(&state.pool, &asked, lease, LEASE_SECS, KEPT_FOR_HOURS).await?;
        if claimed {
            metrics::counter!("billing_idempotency_total", "outcome" => "claimed").increment(1);
            let claim = Claim {
                principal,
                key,
                lease,
                secret_answer,
            };
            return Ok(Begun::Claimed(
                claim,
                Request::from_parts(parts, Body::from(bytes)),
            ));
        }
        let stored = requests::find(&state.pool, &principal, &key).await?;
        // Released meanwhile (its first request failed with a 5xx): try to claim it again.
        let Some(stored) = stored else { continue };
        if stored.method != method || stored.path != path || stored.fingerprint != fingerprint {
            metrics::counter!("billing_idempotency_total", "outcome" => "reused").increment(1);
            return Err(ApiError::unprocessable(
                "idempotency_key_reused",
                format!(
                    "Idempotency-Key {key} was used for another request ({} {}); \
                     send a new key for a new request",
                    stored.method, stored.path
                ),
            ));
        }
        let Some(status) = stored.status else {
            metrics::counter!("billing_idempotency_total", "outcome" => "in_flight").increment(1);
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_flight",
                "a request with this Idempotency-Key is still running; retry later",
            )
            .retry_after(1));
        };
        let Some(body) = stored.body else {
            metrics::counter!("billing_idempotency_total", "outcome" => "withheld").increment(1);
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_answer_not_kept",
                "the request with this Idempotency-Key succeeded, and its answer held a token, \
                 which is never stored; send a new key to get a new token",
            ));
        };
        metrics::counter!("billing_idempotency_total", "outcome" => "replayed").increment(1);
        return Ok(Begun::Answered(replay(
            status,
            stored.headers.map(|h| h.0).unwrap_or_default(),
            body,
        )));
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_key_in_flight",
        "a request with this Idempotency-Key is being retried at the same time; retry later",
    )
    .retry_after(1))
}

/// The digest that tells one request from another: method, path with query, body.
fn fingerprint(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(method.as_bytes());
    digest.update([0]);
    digest.update(path.as_bytes());
    digest.update([0]);
    digest.update(body);
    digest.finalize().to_vec()
}

/// Stores the answer of a claimed request (or releases the key after a 5xx) and passes the
/// answer on.
async fn finish(state: &AppState, claim: Claim, response: Response) -> Response {
    if response.status().is_server_error() {
        release(state, &claim).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            release(state, &claim).await;
            return ApiError::internal(&format!("an answer could not be kept: {error}"))
                .into_response();
        }
    };
    let headers = kept_headers(&parts.headers);
    let withheld = claim.secret_answer && parts.status.is_success();
    let stored = requests::store_answer(
        &state.pool,
        &claim.principal,
        &claim.key,
        claim.lease,
        parts.status.as_u16(),
        &headers,
        (!withheld).then_some(bytes.as_ref()),
    )
    .await;
    if let Err(error) = stored {
        // The caller still gets its answer; a retry after the lease runs the handler again,
        // which its keyed commands make safe.
        tracing::warn!(%error, key = %claim.key, "an idempotent answer was not stored");
    }
    if fastrand::u8(..) == 0 {
        let core = state.core.clone();
        tokio::spawn(async move { purge(&core).await });
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Frees the key of a request that failed on the server's side, so that a retry runs again.
async fn release(state: &AppState, claim: &Claim) {
    let released = requests::release(&state.pool, &claim.principal, &claim.key, claim.lease).await;
    if let Err(error) = released {
        tracing::warn!(%error, key = %claim.key, "an idempotency key was not released; its lease will");
    }
}

/// Deletes a batch of keys past their time.
async fn purge(core: &crate::usecases::Core) {
    let purged = requests::purge(&core.pool).await;
    if let Err(error) = purged {
        tracing::warn!(%error, "expired idempotency keys were not purged");
    }
}

fn kept_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !NOT_REPLAYED.contains(name))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

fn replay(status: i16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(Bytes::from(body)));
    *response.status_mut() = status;
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            map.append(name, value);
        }
    }
    map.insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    response
}

/// Adds the `Idempotency-Key` header to a write operation of the OpenAPI document, where its
/// handler did not already declare it.
pub fn document(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{ObjectBuilder, Required, Type};
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    parameters.retain(|p| p.name != "Idempotency-Key");
    parameters.push(
        ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(format!(
                "makes a retry safe: the same key and body within {KEPT_FOR_HOURS} hours get the \
                 first answer, byte for byte, with `Idempotent-Replayed: true`, and write \
                 nothing; the same key with another request is a 422; while the first runs, a \
                 409. Keys belong to the caller; 1 to {MAX_KEY_LEN} visible ASCII characters"
            )))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_KEY_LEN)),
            ))
            .build(),
    );
}
