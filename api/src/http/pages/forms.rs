//! What the forms of both panels share: the fields every form carries (its CSRF token and its
//! idempotency key) with the rest as text, the command a form stands for, and the API request
//! type read from a form's fields. (The CSRF tokens themselves are `dashboard::forms`.)

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use eventstore::metadata::CommandContext;

use crate::http::error::ApiError;
use crate::http::extract::Command;
use crate::http::i18n::Lang;

/// A panel's form, read as `axum::extract::Form` reads it, refusing a NUL character in any
/// field (`%00`, or the byte itself) before anything is parsed: PostgreSQL's text cannot hold
/// it, and free text with one would be appended to the log and then stop every read model that
/// copies it. (JSON bodies are checked the same way by `extract::Body`.)
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(crate::http::extract::body_rejection)?;
        if bytes.contains(&0) || bytes.windows(3).any(|window| window == b"%00") {
            return Err(ApiError::unprocessable(
                "invalid_form",
                "fields must not contain the NUL character",
            ));
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        let axum::extract::Form(value) = axum::extract::Form::<T>::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::new(rejection.status(), "invalid_form", rejection.body_text())
            })?;
        Ok(Self(value))
    }
}

/// The fields every form carries, and the rest as typed.
#[derive(Deserialize)]
pub struct Fields {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The idempotency key rendered into the form ([`new_key`]).
    #[serde(default)]
    pub key: String,
    /// Every other field, as typed.
    #[serde(flatten)]
    pub rest: std::collections::BTreeMap<String, String>,
}

/// The text field `name`, trimmed; empty when absent.
pub fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.rest.get(name).map_or("", |v| v.trim())
}

/// A new idempotency key for a form.
pub fn new_key() -> String {
    Uuid::now_v7().to_string()
}

/// The command of a form standing for `route` (the API's method and path, ids filled in), made
/// by the signed-in person (`context`, from its principal), with the form's key as its
/// `Idempotency-Key`.
pub fn command(
    context: CommandContext,
    fields: &Fields,
    route: String,
) -> Result<Command, ApiError> {
    Ok(keyed_command(context, form_key(&fields.key)?, route))
}

/// A form's idempotency key, the UUID [`new_key`] rendered into it.
pub fn form_key(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        ApiError::unprocessable(
            "invalid_form",
            "the form has no idempotency key; reload the page and send it again",
        )
    })
}

/// The command standing for `route`, made by `context`'s actor, with the form's `key` as its
/// `Idempotency-Key` (for a form whose key is also the id of what it makes).
pub fn keyed_command(mut context: CommandContext, key: Uuid, route: String) -> Command {
    context.idempotency_key = Some(key.to_string());
    Command::of_form(context, route)
}

/// The API's request type `T` from a form's fields (`json` as the API would take it): the same
/// parsing, the same problems.
pub fn request<T: DeserializeOwned>(json: Value) -> Result<T, ApiError> {
    serde_json::from_value(json)
        .map_err(|e| ApiError::unprocessable("invalid_field", e.to_string()))
}

/// What a refused form says, shown on the page it came from.
pub struct FormError {
    /// Which form (the page's name for it, such as `payment` or `order`).
    pub form: &'static str,
    /// The problem's detail, as the API would answer it.
    pub detail: String,
    /// The problem's code.
    pub code: String,
    /// The problem's status, which the page answers with.
    pub status: StatusCode,
}

impl FormError {
    /// The error of `form` for the API's problem `error`, its detail as the API words it.
    pub fn of(form: &'static str, error: &ApiError) -> Self {
        Self {
            form,
            detail: error.detail().to_owned(),
            code: error.code().to_owned(),
            status: error.status(),
        }
    }

    /// The error of `form` for `error` as the staff panel says it in `lang`: the catalogue's
    /// `staff-problem-<code>` (English quotes the API's own detail, `{ $detail }`, which names
    /// ids and fields; another language words the problem itself), else the API's detail. The
    /// code is shown beside it either way.
    pub fn said(lang: Lang, form: &'static str, error: &ApiError) -> Self {
        let mut said = Self::of(form, error);
        let key = format!("staff-problem-{}", error.code().replace('_', "-"));
        if lang.has(&key) {
            said.detail = lang.t_with(&key, &[("detail", error.detail().to_owned().into())]);
        }
        said
    }
}
