//! Signing in to the dashboard and out of it: the form, the session cookie, and the sign-in
//! through the API's own limits.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::TokenSubject;
use eventstore::metadata::{Actor, CommandContext};
use serde::Deserialize;

use super::{Layout, SESSION_COOKIE, failed, forbidden_form, render, session};
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::refused_sign_in;
use crate::http::state::AppState;

#[derive(Deserialize)]
pub(super) struct LoginForm {
    email: String,
    password: String,
}

/// The sign-in form.
#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
}

pub(super) async fn login_form(headers: HeaderMap) -> Response {
    login_page(Lang::of_request(&headers), StatusCode::OK, None)
}

/// The form in `lang`, with the text of catalogue key `error` above it.
fn login_page(lang: Lang, status: StatusCode, error: Option<&str>) -> Response {
    render(
        status,
        &LoginPage {
            layout: Layout::anonymous(lang.t("login-title"), "/dashboard").in_lang(lang),
            error: error.map(|key| lang.t(key)),
        },
    )
}

pub(super) async fn login(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::of_request(&headers);
    match sign_in(&state, &source, &form.email, &form.password).await {
        Ok(token) => (
            [(header::SET_COOKIE, cookie(&token, &source))],
            Redirect::to("/dashboard"),
        )
            .into_response(),
        Err(error) => {
            match refused_sign_in(error, |status, key| login_page(lang, status, Some(key))) {
                Ok(form) => form,
                Err(error) => failed(error),
            }
        }
    }
}

/// The session cookie for `token`: only for the dashboard's paths, out of scripts' reach, never
/// sent from another site, `Secure` when the request came over TLS (as a trusted proxy says), and
/// gone when the token expires.
fn cookie(token: &str, source: &Source) -> String {
    let secure = if source.https { "; Secure" } else { "" };
    let max_age = crate::usecases::access::LOGIN_TOKEN_HOURS * 3600;
    format!(
        "{SESSION_COOKIE}={token}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

/// The session token of a sign-in, through the API's limits: a staff login as over the API, or
/// the bootstrap administrator as `admin` with the administrator token as the password, for whom
/// a session token is issued (the administrator token itself never goes into a cookie).
async fn sign_in(
    state: &AppState,
    source: &Source,
    email: &str,
    password: &str,
) -> Result<String, ApiError> {
    if email.trim() == "admin" {
        let attempt = state.sign_in.begin(&source.address, "admin")?;
        if state.tokens.actor(password.trim()).is_none() {
            attempt.failed();
            return Err(ApiError::unauthorized("wrong administrator token"));
        }
        let issued = crate::usecases::access::issue_token(
            state,
            &CommandContext::new(Actor::Staff("admin".to_owned())),
            TokenSubject::Administrator {},
            Some(chrono::Duration::hours(
                crate::usecases::access::LOGIN_TOKEN_HOURS,
            )),
        )
        .await?;
        return Ok(issued.token);
    }
    let issued = crate::http::auth::sign_in(state, source, email.trim(), password).await?;
    if issued.kind != "staff" {
        return Err(ApiError::unauthorized("the dashboard is for staff"));
    }
    Ok(issued.token)
}

/// The sign-out form.
#[derive(Deserialize)]
pub(super) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Signs out: revokes the session's token, so that a copy of the cookie is worth nothing, and
/// clears the cookie. Like every form, it needs the session's CSRF token: another site cannot
/// sign a staff member out.
pub(super) async fn logout(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(session) = session(&state, &headers).await {
        if !state.forms.verify(&session.bearer, &form.csrf) {
            return forbidden_form(&session);
        }
        if let Some(token) = session.token {
            let revoked =
                crate::usecases::access::revoke_token(&state, &session.principal.context(), token)
                    .await;
            if let Err(error) = revoked {
                return failed(error.into());
            }
        }
    }
    let secure = if source.https { "; Secure" } else { "" };
    (
        [(
            header::SET_COOKIE,
            format!(
                "{SESSION_COOKIE}=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
            ),
        )],
        Redirect::to("/dashboard/login"),
    )
        .into_response()
}
