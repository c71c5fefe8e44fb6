//! The staff dashboard: server-rendered pages over the same read models as the API, behind the
//! same sign-in. No front-end build step: each page is one HTML document with a little CSS and an
//! inline SVG chart.
//!
//! A session is a bearer token of the API's own kept in an `HttpOnly`, `SameSite=Strict` cookie
//! (`Secure` behind TLS), revoked at sign-out; the bootstrap administrator token is never put in
//! a cookie: signing in with it issues a session token. Each page and each block on it asks the
//! API's rule table (`auth::rules`) whether the signed-in staff member may read what it shows, so
//! the dashboard shows exactly what the person could read over the API, no more: a block it may
//! not read is left out, a page it may not open answers 403.

//!
//! `login` signs in and out; `pages` are the pages, each reading the read models through the
//! projections' queries.

mod login;
mod pages;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::http::auth::Principal;
use crate::http::document::escape;
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "billing_session";

/// The dashboard's routes, under `/dashboard`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(pages::overview))
        .route(
            "/dashboard/login",
            get(login::login_form).post(login::login),
        )
        .route("/dashboard/logout", axum::routing::post(login::logout))
        .route("/dashboard/clients", get(pages::clients))
        .route("/dashboard/clients/{id}", get(pages::client))
        .route("/dashboard/action-log", get(pages::action_log))
}

/// Who is signed in: the principal of the session's token, a member of staff (or the bootstrap
/// administrator).
struct Session {
    state: AppState,
    principal: Principal,
    token: Option<domain::ids::TokenId>,
}

impl Session {
    /// Whether the API would let this staff member call `method` on the route `path`: the one
    /// rule table (`auth::rules`) decides every page and every block.
    fn may(&self, method: &str, path: &str) -> bool {
        crate::http::auth::may(self.state.rules, &self.principal, method, path)
    }
}

/// The token of the request's session cookie.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The session of the request's cookie, if it holds a session token the API accepts for a member
/// of staff (a client's own users have the API, narrowed to their client). The bootstrap
/// administrator token itself is never accepted from a cookie: signing in with it issues a
/// session token.
async fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let token = session_token(headers)?;
    if state.tokens.actor(&token).is_some() {
        return None;
    }
    let principal = crate::http::auth::authenticate(state, &token)
        .await
        .ok()??;
    let staff = matches!(
        principal,
        Principal::Administrator { .. } | Principal::Staff { .. }
    );
    staff.then(|| Session {
        state: state.clone(),
        token: principal.token(),
        principal,
    })
}

/// The page, or a redirect to the sign-in form.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, Redirect> {
    session(state, headers)
        .await
        .ok_or_else(|| Redirect::to("/dashboard/login"))
}

/// The page a staff member may not open: what the API would answer 403 for.
fn forbidden(session: &Session) -> Response {
    (
        StatusCode::FORBIDDEN,
        page(
            "Not allowed",
            Some(session),
            "<p class=\"neg\">Your permissions do not include this page.</p>",
        ),
    )
        .into_response()
}

/// A whole page around `body`.
fn page(title: &str, session: Option<&Session>, body: &str) -> Html<String> {
    let nav = match session {
        Some(session) => {
            let mut links = String::from("<a href=\"/dashboard\">Overview</a>");
            if session.may("GET", "/v1/clients") {
                links.push_str("<a href=\"/dashboard/clients\">Clients</a>");
            }
            if session.may("GET", "/v1/action-log") {
                links.push_str("<a href=\"/dashboard/action-log\">Action log</a>");
            }
            format!(
                "<nav>{links}<span class=\"who\">{}</span>\
                 <form method=\"post\" action=\"/dashboard/logout\"><button>Sign out</button></form></nav>",
                escape(&session.principal.actor().to_string())
            )
        }
        None => String::new(),
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Billing</title><style>{STYLE}</style></head>\
         <body>{nav}<main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
    ))
}

const STYLE: &str = "body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:0;color:#1d2430}\
nav{display:flex;gap:1.2em;align-items:center;padding:.7em 1.5em;background:#1d2430}\
nav a{color:#fff;text-decoration:none}nav .who{margin-left:auto;color:#aab}\
nav form{margin:0}main{padding:1em 1.5em;max-width:75em}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}\
td,th{padding:.35em .6em;border-bottom:1px solid #dde;text-align:left;font-size:.92em}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #dde;border-radius:6px;\
padding:.8em 1.2em;min-width:12em}.card b{display:block;font-size:1.6em}\
.neg{color:#b3261e}form.search input{padding:.4em;width:20em}\
label{display:block;margin:.6em 0 .2em}input{padding:.4em}button{padding:.4em .9em}";

fn cell(text: &str) -> String {
    format!("<td>{}</td>", escape(text))
}

fn number(text: &str) -> String {
    let class = if text.starts_with('-') { "n neg" } else { "n" };
    format!("<td class=\"{class}\">{}</td>", escape(text))
}

fn table(headings: &[&str], rows: &[String]) -> String {
    let mut html = String::from("<table><thead><tr>");
    for heading in headings {
        let numeric = matches!(
            *heading,
            "Balance" | "Credit limit" | "Amount" | "Price" | "Total"
        );
        let class = if numeric { " class=\"n\"" } else { "" };
        html.push_str(&format!("<th{class}>{}</th>", escape(heading)));
    }
    html.push_str("</tr></thead><tbody>");
    if rows.is_empty() {
        html.push_str(&format!(
            "<tr><td colspan=\"{}\">Nothing yet.</td></tr>",
            headings.len()
        ));
    }
    for row in rows {
        html.push_str(&format!("<tr>{row}</tr>"));
    }
    html.push_str("</tbody></table>");
    html
}

/// An error page for a failed query.
fn failed(error: ApiError) -> Response {
    let status = error.status();
    let detail = format!(
        "<p>{} ({})</p>",
        status.canonical_reason().unwrap_or(""),
        error.code()
    );
    (status, page("Something went wrong", None, &detail)).into_response()
}
