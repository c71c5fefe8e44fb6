//! Extractors that turn axum's rejections into problem+json answers, and the caller's identity.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use eventstore::CommandKey;
use eventstore::metadata::{Actor, CommandContext};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::state::AppState;

/// A JSON body; a malformed one or one of the wrong shape is a 400 or 422 naming the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        // PostgreSQL cannot hold the NUL character in text or jsonb: a string with one would be
        // stored in the log and then stop every projection that reads it.
        if has_escaped_nul(&bytes) {
            return Err(ApiError::unprocessable(
                "invalid_field",
                "strings must not contain the NUL character (\\u0000)",
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

/// Whether a JSON text holds the escape `\u0000` (any case). Only the bytes after a backslash
/// are compared: a 1 MiB usage batch has almost none, and this runs on every JSON body.
pub(crate) fn has_escaped_nul(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(at, &byte)| {
        byte == b'\\'
            && bytes
                .get(at + 1..at + 6)
                .is_some_and(|rest| rest.eq_ignore_ascii_case(b"u0000"))
    })
}

/// The problem for a body that could not be read: 408 when the client stopped sending it (the
/// server's per-piece deadline, `server::BODY_STALL_TIMEOUT`), else axum's own status.
pub(crate) fn body_rejection(rejection: axum::extract::rejection::BytesRejection) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request body stopped arriving; send it again",
            );
        }
        cause = error.source();
    }
    ApiError::new(rejection.status(), "unreadable_body", rejection.body_text())
}

/// Path parameters; one that does not parse (an id that is no UUID) is a 404.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Query parameters; bad ones are a 400 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // PostgreSQL cannot compare or store text with the NUL character.
        if parts
            .uri
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
        {
            return Err(ApiError::bad_request(
                "invalid_query",
                "query parameters must not contain the NUL character",
            ));
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// The longest `Idempotency-Key` taken, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// Who is calling, as established by the authentication middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The actor written into the metadata of every event this caller causes.
    pub actor: Actor,
    /// `client:<id>` when a staff member acts as a client.
    pub on_behalf_of: Option<String>,
}

/// The caller plus what the request says about the command: its request id and its
/// `Idempotency-Key`, ready to be written into event metadata.
///
/// A repeated or concurrent request with the same key never reaches the handler: the
/// [`crate::http::idempotency`] layer answers it. [`Command::key`] makes the command itself
/// exactly-once too, for the rerun after a crash between the command and the stored answer.
#[derive(Debug)]
pub struct Command {
    /// The metadata context for the store.
    pub context: CommandContext,
    /// The request's method and path (`POST /v1/clients/{the id}/payments`), which an
    /// `Idempotency-Key` is fingerprinted with.
    route: String,
}

impl Command {
    /// A command sent from a form of the staff panel: `context` carries the session's actor and
    /// the form's idempotency key, `route` is the API route the form stands for (`POST
    /// /v1/clients/{the id}/payments`), so that [`Command::key`] keys it exactly as the API would.
    pub fn of_form(context: CommandContext, route: String) -> Self {
        Self { context, route }
    }

    /// The `Idempotency-Key` the caller sent, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.context.idempotency_key.as_deref()
    }

    /// The `Idempotency-Key` as the command's key: scoped to the caller, fingerprinted with the
    /// route and the request (the same key with another request is refused with 422), and with
    /// the id the command answers. The key is written in the same statement as the command's
    /// events, so a crash can neither lose the answer nor apply the command twice.
    pub fn key(&self, request: &impl Serialize, id: Uuid) -> Result<Option<CommandKey>, ApiError> {
        self.idempotency_key()
            .map(|key| {
                CommandKey::new(
                    format!("idempotency:{}", self.context.actor),
                    key,
                    &(&self.route, request),
                    serde_json::json!({ "id": id }),
                )
            })
            .transpose()
            .map_err(|e| ApiError::internal(&e))
    }
}

impl FromRequestParts<AppState> for Command {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
        let header = |name: &str| -> Result<Option<String>, ApiError> {
            match parts.headers.get(name) {
                None => Ok(None),
                Some(value) => value
                    .to_str()
                    .ok()
                    .filter(|v| !v.is_empty() && v.len() <= MAX_KEY_LEN)
                    .map(|v| Some(v.to_owned()))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "invalid_header",
                            format!("{name} must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
                        )
                    }),
            }
        };
        let mut context = CommandContext::new(caller.actor);
        context.on_behalf_of = caller.on_behalf_of;
        context.request_id = header("x-request-id")?;
        context.idempotency_key = header("idempotency-key")?;
        let route = format!("{} {}", parts.method, parts.uri.path());
        Ok(Self { context, route })
    }
}

/// Where a sign-in comes from, by the proxy's headers when the node trusts one.
impl FromRequestParts<AppState> for crate::http::auth::throttle::Source {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        Ok(crate::http::auth::throttle::Source::of(
            &parts.headers,
            peer,
            state.sign_in.trusts_proxy(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::has_escaped_nul;

    #[test]
    fn the_nul_escape_is_found_in_any_case_and_nothing_else_is() {
        assert!(has_escaped_nul(br#"{"name":"a\u0000b"}"#));
        assert!(has_escaped_nul(br#"{"name":"\U0000"}"#));
        assert!(!has_escaped_nul(br#"{"name":"a\u0001b","x":"\\"}"#));
        assert!(!has_escaped_nul(br#"{"name":"tail \u000"#));
        assert!(!has_escaped_nul(b""));
    }
}
