//! The customer panel: what a client's own users see and do, under `/my`, served by the same
//! binary as the API and the staff panel (`dashboard`) and built the same way: server-rendered
//! askama pages around the shared layout (`pages`), forms that carry a CSRF token bound to the
//! session and call the API routes' own use cases.
//!
//! A session is a client user's API token in an `HttpOnly`, `SameSite=Strict` cookie scoped to
//! `/my` (`Secure` behind TLS), issued by the API's own sign-in and its limits and revoked at
//! sign-out. Its principal is a [`Principal::Client`]: every page shows the session's own client
//! only, and asks the API's rule table (`auth::rules`) whether the user's roles allow what it
//! shows, so a user sees exactly what it could read over the API. An id of another client's
//! service, invoice or ticket in a `/my` URL answers 404, as the API does.
//!
//! `login` signs in and out; `password` resets a forgotten password; `home` is the first page
//! (balances, credit limits, what is due next, announcements, answered tickets); `shop` orders
//! and `services` manages services; `payments` tops up and `money` shows expenses, the statement
//! and invoices; `support` holds the client's tickets; `account` the user's preferences, password,
//! payers, users and subscriptions; `domain_contacts` the people and organisations the client's
//! domains are registered to; `contracts` the client's contracts with the provider; `affiliate` the client's affiliate programs.

mod account;
mod affiliate;
mod agreement;
mod contracts;
mod domain_contacts;
mod home;
mod login;
mod money;
mod pager;
mod password;
mod payments;
mod problems;
mod services;
mod shop;
mod support;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::access::ClientUser;
use domain::ids::{ClientId, TokenId};
use serde::Deserialize;

use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::i18n::{self, Lang};
use crate::http::pages::format::Zone;
use crate::http::pages::{Layout, MessagePage, NavLink, cookie, render};
use crate::http::state::AppState;

pub(crate) use login::cookie as session_cookie;

/// The name of the customer panel's session cookie (scoped to `/my`).
pub const SESSION_COOKIE: &str = "billing_my_session";

/// The name of the cookie holding the time zone the customer panel shows times in.
const ZONE_COOKIE: &str = "billing_my_tz";

/// The customer panel's routes: `/my` and below.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my", get(home::home))
        .route("/my/promised-payments", post(home::promise))
        .route("/my/login", get(login::login_form).post(login::login))
        .route("/my/logout", post(login::logout))
        .route("/my/time-zone", post(set_time_zone))
        // Support.
        .route(
            "/my/tickets",
            get(support::tickets).post(support::open).layer(
                axum::extract::DefaultBodyLimit::max(support::UPLOAD_BODY_LIMIT),
            ),
        )
        .route("/my/tickets/{id}", get(support::ticket))
        .route(
            "/my/tickets/{id}/messages",
            post(support::reply).layer(axum::extract::DefaultBodyLimit::max(
                support::UPLOAD_BODY_LIMIT,
            )),
        )
        .route(
            "/my/tickets/{id}/attachments/{sha256}",
            get(support::attachment),
        )
        .route("/my/tickets/{id}/{action}", post(support::close_or_reopen))
        .route(
            "/my/payments",
            get(payments::payments).post(payments::top_up),
        )
        .route("/my/payments/{id}", get(payments::payment))
        .route("/my/payments/{id}/return", get(payments::returned))
        .route("/my/expenses", get(money::expenses))
        .route("/my/statement", get(money::statement))
        .route("/my/invoices", get(money::invoices))
        .route("/my/invoices/{id}", get(money::invoice_html))
        .route("/my/invoices/{id}/pdf", get(money::invoice_pdf))
        .route("/my/contracts", get(contracts::list))
        .route("/my/contracts/{id}/pdf", get(contracts::pdf))
        .route("/my/order", get(shop::catalog).post(shop::order))
        .route("/my/order/quote", get(shop::quote))
        .route("/my/services", get(services::list))
        .route("/my/services/{id}", get(services::show))
        .route("/my/services/{id}/change", get(services::change_quote))
        .route(
            "/my/services/{id}/domain-contacts",
            post(domain_contacts::set_service_contacts),
        )
        .route(
            "/my/domain-contacts",
            get(domain_contacts::list).post(domain_contacts::add),
        )
        .route(
            "/my/domain-contacts/{id}",
            get(domain_contacts::show).post(domain_contacts::edit),
        )
        .route(
            "/my/domain-contacts/{id}/delete",
            post(domain_contacts::delete),
        )
        .route("/my/services/{id}/{action}", post(services::act))
        .route(
            "/my/password-reset",
            get(password::request_form).post(password::request),
        )
        .route(
            "/my/password-reset/{id}",
            get(password::reset_form).post(password::reset),
        )
        .route("/my/account", get(account::account))
        .route("/my/account/password", post(account::change_password))
        .route("/my/account/preferences", post(account::set_preferences))
        .route(
            "/my/account/subscriptions",
            post(account::set_subscriptions),
        )
        .route("/my/account/users", post(account::add_user))
        // Account: a user's roles and status (the owner's), payers.
        .route("/my/account/users/{id}", get(account::users::user_form))
        .route("/my/account/users/{id}/{action}", post(account::users::act))
        .route("/my/account/payers", post(account::payers::add_payer))
        .route(
            "/my/account/payers/{id}",
            get(account::payers::payer_form).post(account::payers::update_payer),
        )
        .route("/my/language", post(set_language))
        // The client's affiliate programs (issue 20.1).
        .route("/my/affiliate", get(affiliate::page))
        .route("/my/affiliate/join", post(affiliate::join))
        .route("/my/affiliate/links", post(affiliate::add_link))
        .route("/my/affiliate/payouts", post(affiliate::pay_out))
}

/// The customer panel's navigation: each page's link, its label, and the API route (method
/// `GET`) whose rule decides whether the user's roles may open it. A page adds its line here.
/// The label is a catalogue key (`api/locales/*/panel.ftl`), shown in the user's language.
const NAV: &[(&str, &str, &str)] = &[
    ("/my", "nav-home", "/v1/clients/{id}"),
    ("/my/order", "nav-order", "/v1/clients/{id}/services"),
    ("/my/services", "nav-services", "/v1/clients/{id}/services"),
    ("/my/payments", "nav-payments", payments::LIST_ROUTE),
    ("/my/expenses", "nav-expenses", money::EXPENSES_ROUTE),
    ("/my/statement", "nav-statement", money::STATEMENT_ROUTE),
    ("/my/invoices", "nav-invoices", money::INVOICES_ROUTE),
    ("/my/contracts", "nav-contracts", contracts::LIST_ROUTE),
    ("/my/tickets", "nav-support", "/v1/clients/{id}/tickets"),
    (
        "/my/domain-contacts",
        "nav-domain-contacts",
        domain_contacts::LIST,
    ),
    ("/my/affiliate", "nav-affiliate", affiliate::VIEW),
    ("/my/account", "nav-account", "/v1/auth/me"),
];

/// Who is signed in: a client's user (or a member of staff acting as the client), with the
/// permissions of its roles inside its one client.
pub(crate) struct Session {
    state: AppState,
    principal: Principal,
    /// The one client the session sees.
    client_id: ClientId,
    token: Option<TokenId>,
    /// The session's bearer string, which the CSRF tokens of its forms are bound to.
    bearer: String,
    /// The time zone times are shown in: the user's preference.
    zone: Zone,
    /// Whose account it is, as the layout names it: the client's name (and, for staff acting as
    /// the client, that they are).
    who: String,
    /// The language of the pages ([`language`]): texts are `session.lang.t("key")`, amounts
    /// `session.lang.money(..)`, dates `session.lang.date(..)`, times `session.zone.time(..)`.
    pub(crate) lang: Lang,
}

impl Session {
    /// Whether the API would let this user call `method` on the route `path` (a route template
    /// such as `/v1/clients/{id}/balance`): the one rule table decides every page, block and
    /// action.
    fn may(&self, method: &str, path: &str) -> bool {
        crate::http::auth::may(self.state.rules, &self.principal, method, path)
    }

    /// The CSRF token every form of this session carries.
    fn csrf(&self) -> String {
        self.state.forms.token_for(&self.bearer)
    }

    /// Whether the form's CSRF token is this session's.
    fn verify(&self, csrf: &str) -> bool {
        self.state.forms.verify(&self.bearer, csrf)
    }

    /// The layout of a page titled `title`: the pages this user's roles may open, who is signed
    /// in, the sign-out and time-zone forms.
    fn layout(&self, title: impl Into<String>) -> Layout {
        let nav = NAV
            .iter()
            .filter(|(_, _, route)| self.may("GET", route))
            .map(|(href, label, _)| NavLink { href, label })
            .collect();
        Layout {
            title: title.into(),
            nav,
            who: Some(self.who.clone()),
            csrf: self.csrf(),
            zone: self.zone.name(),
            root: "/my",
            lang: self.lang,
        }
    }
}

/// The session of the request's cookie, if it holds a token the API accepts for a client's user
/// (or for staff acting as a client). A staff member's token opens no `/my` page.
async fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let bearer = cookie(headers, SESSION_COOKIE)?;
    if state.tokens.actor(&bearer).is_some() {
        return None;
    }
    let principal = crate::http::auth::authenticate(state, &bearer)
        .await
        .ok()??;
    let client_id = principal.client()?;
    // A user's own preferences, kept on its aggregate so that they follow it to any browser; a
    // staff member acting as the client keeps its zone in a cookie.
    let user = crate::usecases::access::own_user(state, &principal)
        .await
        .ok()
        .flatten();
    let zone = match user.as_ref().and_then(ClientUser::time_zone) {
        Some(zone) => Zone::of_cookie(Some(zone)),
        None => Zone::of_cookie(cookie(headers, ZONE_COOKIE).as_deref()),
    };
    // The user's language preference, else what the browser chose or asks for.
    let lang = user
        .as_ref()
        .and_then(ClientUser::language)
        .map_or_else(|| language(headers), |l| Lang::of_tag(l.as_str()));
    // The name is for the eye only: a read model behind or failing does not end the session.
    let name = projections::clients::client(&state.pool, client_id.as_uuid())
        .await
        .ok()
        .flatten()
        .map_or_else(|| lang.t("my-who-unknown"), |client| client.name);
    let who = if principal.on_behalf_of().is_some() {
        lang.t1("my-who-acting", "name", &name)
    } else {
        name
    };
    Some(Session {
        who,
        state: state.clone(),
        token: principal.token(),
        principal,
        client_id,
        bearer,
        zone: zone.in_lang(lang),
        lang,
    })
}

/// The language of the customer panel's pages for a request without a user's preference (signed
/// out, a user who never chose, staff acting as the client): the browser's choice (`billing_lang`
/// cookie, else `Accept-Language`, else English). A signed-in user's preference comes first.
pub(crate) fn language(headers: &HeaderMap) -> Lang {
    Lang::of_request(headers)
}

/// The session, or a redirect to the sign-in form.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    session(state, headers)
        .await
        .ok_or_else(|| Redirect::to("/my/login").into_response())
}

/// The session of a form's POST: signed in (else the sign-in form's redirect) and carrying the
/// session's CSRF token (else the 403 page, and nothing runs).
async fn posted(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<Session, Response> {
    let session = signed_in(state, headers).await?;
    if session.verify(csrf) {
        Ok(session)
    } else {
        Err(forbidden_form(&session))
    }
}

/// A page that says `text`, with `status`, inside the session's layout (or the anonymous one).
fn message(session: Option<&Session>, status: StatusCode, title: &str, text: &str) -> Response {
    let layout = session.map_or_else(|| Layout::anonymous(title, "/my"), |s| s.layout(title));
    render(
        status,
        &MessagePage {
            layout,
            message: text.to_owned(),
        },
    )
}

/// What the user may not see, whether it is another client's or does not exist: 404, as the API
/// answers, so that nobody learns which ids exist.
fn not_found(session: &Session) -> Response {
    message(
        Some(session),
        StatusCode::NOT_FOUND,
        &session.lang.t("msg-not-found"),
        &session.lang.t("my-not-found-text"),
    )
}

/// A page the user's roles do not open: what the API would answer 403 for.
fn forbidden(session: &Session) -> Response {
    message(
        Some(session),
        StatusCode::FORBIDDEN,
        &session.lang.t("msg-not-allowed"),
        &session.lang.t("my-not-allowed-text"),
    )
}

/// The answer to a form whose CSRF token is missing or is not this session's: nothing was done.
fn forbidden_form(session: &Session) -> Response {
    message(
        Some(session),
        StatusCode::FORBIDDEN,
        &session.lang.t("msg-not-sent"),
        &session.lang.t("msg-not-sent-text"),
    )
}

/// An error page for a failed query: its status and code, never its cause.
fn failed(session: Option<&Session>, error: ApiError) -> Response {
    let status = error.status();
    let text = format!(
        "{} ({})",
        status.canonical_reason().unwrap_or(""),
        error.code()
    );
    let title = session.map_or(Lang::En, |s| s.lang).t("msg-failed");
    message(session, status, &title, &text)
}

/// The session of a user whose roles let it `GET` the API route `route`, or the answer instead:
/// the sign-in form's redirect, or the page the API would answer 403 for.
async fn may_open(state: &AppState, headers: &HeaderMap, route: &str) -> Result<Session, Response> {
    permitted(state, headers, "GET", route).await
}

/// The session of a user whose roles let it call `method` on the API route `route` (a page that
/// shows a form for it), or the sign-in form's redirect, or the 403 page.
pub(super) async fn permitted(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    route: &str,
) -> Result<Session, Response> {
    let session = signed_in(state, headers).await?;
    if session.may(method, route) {
        Ok(session)
    } else {
        Err(forbidden(&session))
    }
}

/// The session of a form's POST ([`posted`]: signed in, the session's CSRF token) whose user's
/// roles let it call `method` on the API route `route` the form stands for, or the answer
/// instead; nothing runs before both hold.
pub(super) async fn posted_permitted(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    method: &str,
    route: &str,
) -> Result<Session, Response> {
    let session = posted(state, headers, csrf).await?;
    if session.may(method, route) {
        Ok(session)
    } else {
        Err(forbidden(&session))
    }
}

/// The time-zone form of the layout.
#[derive(Deserialize)]
struct ZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    zone: String,
}

/// Sets the time zone the panel shows times in: the user's preference (its language kept), or
/// for a staff member acting as the client a cookie of the browser.
async fn set_time_zone(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::http::pages::forms::Form(form): crate::http::pages::forms::Form<ZoneForm>,
) -> Response {
    let session = match posted(&state, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Some(zone) = Zone::parse(&form.zone) else {
        return message(
            Some(&session),
            StatusCode::UNPROCESSABLE_ENTITY,
            &session.lang.t("msg-time-zone"),
            &session.lang.t("msg-time-zone-text"),
        );
    };
    if matches!(session.principal, Principal::Client { acting: false, .. }) {
        let saved = crate::usecases::access::set_preferences(
            &state,
            &session.principal,
            session.lang.code(),
            zone.name(),
        )
        .await;
        return match saved {
            Ok(_) => Redirect::to("/my").into_response(),
            Err(error) => failed(Some(&session), error.into()),
        };
    }
    (
        [(
            header::SET_COOKIE,
            format!(
                "{ZONE_COOKIE}={}; Path=/my; SameSite=Strict; Max-Age=31536000",
                zone.name()
            ),
        )],
        Redirect::to("/my"),
    )
        .into_response()
}

/// The language form of the layout.
#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
}

/// Sets the language of the pages: a user's preference (its time zone kept), and for this
/// browser the `billing_lang` cookie (the sign-in page's language); a language the panel does not
/// speak is English.
async fn set_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::http::pages::forms::Form(form): crate::http::pages::forms::Form<LanguageForm>,
) -> Response {
    let session = match posted(&state, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let lang = Lang::of_tag(&form.language);
    if matches!(session.principal, Principal::Client { acting: false, .. }) {
        let saved = crate::usecases::access::set_preferences(
            &state,
            &session.principal,
            lang.code(),
            &session.zone.name(),
        )
        .await;
        if let Err(error) = saved {
            return failed(Some(&session), error.into());
        }
    }
    i18n::chosen(lang, "/my")
}
