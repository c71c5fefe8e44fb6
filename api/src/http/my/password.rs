//! A forgotten password: the form asking for a reset link, and the link's page setting a new
//! password. Both are open to anyone; they call the API routes' own functions
//! (`routes::passwords`), so they answer and are limited exactly as the API is. Nobody is signed
//! in, so the forms carry no session CSRF token: asking for a link changes nothing an attacker
//! could use, and the reset form is worth nothing without the link's MAC, which only the holder
//! of the e-mail has.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::failed;
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::{Layout, render};
use crate::http::routes::passwords;
use crate::http::state::AppState;
use crate::usecases::access::ResetLink;

/// The form asking for a link, or its answer.
#[derive(Template)]
#[template(path = "my/password_request.html")]
struct RequestPage {
    layout: Layout,
    sent: bool,
    error: Option<String>,
}

/// The form setting a new password through a link.
#[derive(Template)]
#[template(path = "my/password_reset.html")]
struct ResetPage {
    layout: Layout,
    request_id: String,
    user: String,
    mac: String,
    /// The password was set.
    done: bool,
    /// `expired`: the link does not work (any more); `mismatch`, `weak`: the form again.
    error: Option<&'static str>,
}

pub(super) async fn request_form(headers: HeaderMap) -> Response {
    let lang = super::language(&headers);
    request_page(lang, StatusCode::OK, false, None)
}

fn request_page(lang: Lang, status: StatusCode, sent: bool, error: Option<String>) -> Response {
    render(
        status,
        &RequestPage {
            layout: Layout::anonymous(lang.t("my-forgot-title"), "/my").in_lang(lang),
            sent,
            error,
        },
    )
}

#[derive(Deserialize)]
pub(super) struct RequestForm {
    #[serde(default)]
    email: String,
}

/// Asks for a link: the same answer for every address.
pub(super) async fn request(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> Response {
    let lang = super::language(&headers);
    match passwords::ask(&state, &source, &form.email).await {
        Ok(()) => request_page(lang, StatusCode::OK, true, None),
        Err(error) => limited(error, |status| {
            request_page(
                lang,
                status,
                false,
                Some("Too many requests; wait a little and try again.".to_owned()),
            )
        }),
    }
}

/// A 429 or 503 of the limits as a page with the API's status and `Retry-After`, any other
/// failure as the error page.
fn limited(error: ApiError, page: impl FnOnce(StatusCode) -> Response) -> Response {
    let status = error.status();
    if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE {
        return failed(None, error);
    }
    let retry_after = error
        .into_response()
        .headers()
        .get(header::RETRY_AFTER)
        .cloned();
    let mut response = page(status);
    if let Some(retry_after) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    response
}

/// The link's parameters.
#[derive(Deserialize)]
pub(super) struct LinkParams {
    #[serde(default)]
    user: String,
    #[serde(default)]
    mac: String,
}

fn reset_page(
    lang: Lang,
    status: StatusCode,
    request_id: Uuid,
    user: &str,
    mac: &str,
    done: bool,
    error: Option<&'static str>,
) -> Response {
    render(
        status,
        &ResetPage {
            layout: Layout::anonymous(lang.t("my-set-password-title"), "/my").in_lang(lang),
            request_id: request_id.to_string(),
            user: user.to_owned(),
            mac: mac.to_owned(),
            done,
            error,
        },
    )
}

/// The link's page: the new password's form (the link is checked when it is sent).
pub(super) async fn reset_form(
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(params): Query<LinkParams>,
    headers: HeaderMap,
) -> Response {
    let lang = super::language(&headers);
    match Uuid::parse_str(&id) {
        Ok(id) => reset_page(
            lang,
            StatusCode::OK,
            id,
            &params.user,
            &params.mac,
            false,
            None,
        ),
        Err(_) => reset_page(
            lang,
            StatusCode::NOT_FOUND,
            Uuid::nil(),
            "",
            "",
            false,
            Some("expired"),
        ),
    }
}

#[derive(Deserialize)]
pub(super) struct ResetForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    mac: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

/// Sets the new password through the link, once.
pub(super) async fn reset(
    State(state): State<AppState>,
    source: Source,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    let lang = super::language(&headers);
    let (Ok(request_id), Ok(user_id)) = (Uuid::parse_str(&id), Uuid::parse_str(&form.user)) else {
        return reset_page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            Uuid::nil(),
            "",
            "",
            false,
            Some("expired"),
        );
    };
    let again = |error| {
        reset_page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            request_id,
            &form.user,
            &form.mac,
            false,
            Some(error),
        )
    };
    if form.password != form.again {
        return again("mismatch");
    }
    let link = ResetLink {
        request_id,
        user_id,
        mac: form.mac.clone(),
    };
    match passwords::use_link(&state, &source, &link, &form.password).await {
        Ok(_) => reset_page(lang, StatusCode::OK, request_id, "", "", true, None),
        Err(error) if error.code() == "reset_link_invalid" => reset_page(
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            request_id,
            "",
            "",
            false,
            Some("expired"),
        ),
        Err(error) if error.code() == "invalid_password" => again("weak"),
        Err(error) => limited(error, |status| {
            reset_page(
                lang,
                status,
                request_id,
                &form.user,
                &form.mac,
                false,
                Some("busy"),
            )
        }),
    }
}
