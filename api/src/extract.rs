//! Extractors that turn axum's rejections into problem+json answers, and the caller's identity.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use eventstore::metadata::{Actor, CommandContext};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

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
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
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
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Who is calling, as established by the authentication middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The actor written into the metadata of every event this caller causes.
    pub actor: Actor,
}

/// The caller plus what the request says about the command: its request id and its
/// `Idempotency-Key`, ready to be written into event metadata.
#[derive(Debug, Clone)]
pub struct Command {
    /// The metadata context for the store.
    pub context: CommandContext,
}

impl Command {
    /// The `Idempotency-Key` the caller sent, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.context.idempotency_key.as_deref()
    }
}

const MAX_KEY_LEN: usize = 255;

impl<S: Send + Sync> FromRequestParts<S> for Command {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
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
        context.request_id = header("x-request-id")?;
        context.idempotency_key = header("idempotency-key")?;
        Ok(Self { context })
    }
}
