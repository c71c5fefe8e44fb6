//! Signing in to the customer panel and out of it: the form, the session cookie, and the sign-in
//! through the API's own limits (the same login, throttle and argon2 workers as `/v1/auth/login`).

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use eventstore::metadata::{Actor, CommandContext};
use serde::Deserialize;

use super::{SESSION_COOKIE, failed, forbidden_form, session};
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::{Layout, refused_sign_in, render};
use crate::http::state::AppState;

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The sign-in form.
#[derive(Template)]
#[template(path = "my/login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
}

pub(super) async fn login_form(headers: HeaderMap) -> Response {
    login_page(super::language(&headers), StatusCode::OK, None)
}

/// The form in `lang`, with the text of catalogue key `error` above it.
fn login_page(lang: Lang, status: StatusCode, error: Option<&str>) -> Response {
    render(
        status,
        &LoginPage {
            layout: Layout::anonymous(lang.t("my-login-title"), "/my").in_lang(lang),
            error: error.map(|key| lang.t(key)),
        },
    )
}

/// Signs a client's user in: a session cookie and the home page, or the form again with what
/// went wrong. A staff member's login is refused here (the staff panel is at `/dashboard`), with
/// the same answer as a wrong password, after its token is revoked.
pub(super) async fn login(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = super::language(&headers);
    match sign_in(&state, &source, &form.email, &form.password).await {
        Ok(token) => (
            [(header::SET_COOKIE, cookie(&token, &source))],
            Redirect::to("/my"),
        )
            .into_response(),
        Err(error) => {
            match refused_sign_in(error, |status, key| login_page(lang, status, Some(key))) {
                Ok(form) => form,
                Err(error) => failed(None, error),
            }
        }
    }
}

/// The session token of a client user's sign-in, through the API's limits.
async fn sign_in(
    state: &AppState,
    source: &Source,
    email: &str,
    password: &str,
) -> Result<String, ApiError> {
    let issued = crate::http::auth::sign_in(state, source, email.trim(), password).await?;
    if issued.kind != "user" {
        // A staff member signed in at the wrong door: the token just issued is not kept.
        let context = CommandContext::new(Actor::System("customer-panel".to_owned()));
        crate::usecases::access::revoke_token(state, &context, issued.token_id).await?;
        return Err(ApiError::unauthorized("the customer panel is for clients"));
    }
    Ok(issued.token)
}

/// The session cookie for `token`: only for the customer panel's paths, out of scripts' reach,
/// never sent from another site, `Secure` when the request came over TLS (as a trusted proxy
/// says), and gone when the token expires.
pub(crate) fn cookie(token: &str, source: &Source) -> String {
    let secure = if source.https { "; Secure" } else { "" };
    let max_age = crate::usecases::access::LOGIN_TOKEN_HOURS * 3600;
    format!(
        "{SESSION_COOKIE}={token}; Path=/my; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

/// The sign-out form.
#[derive(Deserialize)]
pub(super) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Signs out: revokes the session's token, so that a copy of the cookie is worth nothing, and
/// clears the cookie. Like every form, it needs the session's CSRF token.
pub(super) async fn logout(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(session) = session(&state, &headers).await {
        if !session.verify(&form.csrf) {
            return forbidden_form(&session);
        }
        if let Some(token) = session.token {
            let revoked =
                crate::usecases::access::revoke_token(&state, &session.principal.context(), token)
                    .await;
            if let Err(error) = revoked {
                return failed(Some(&session), error.into());
            }
        }
    }
    let secure = if source.https { "; Secure" } else { "" };
    (
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/my; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
        )],
        Redirect::to("/my/login"),
    )
        .into_response()
}
