//! The staff panel: server-rendered pages over the same read models as the API, behind the same
//! sign-in, and forms that run the same use cases as the API's routes. No front-end build step:
//! each page is one HTML document from an askama template under `api/templates/` (escaped by
//! the template engine, never assembled with `format!`), around one layout, `base.html`, which
//! the customer panel is to share.
//!
//! A session is a bearer token of the API's own kept in an `HttpOnly`, `SameSite=Strict` cookie
//! (`Secure` behind TLS), revoked at sign-out; the bootstrap administrator token is never put in
//! a cookie: signing in with it issues a session token. Each page and each block on it asks the
//! API's rule table (`auth::rules`) whether the signed-in staff member may read what it shows, so
//! the panel shows exactly what the person could read over the API, no more: a block it may
//! not read is left out, a page it may not open answers 403.
//!
//! Every form posts a CSRF token bound to the session ([`forms`]) and an idempotency key, and
//! each action asks the rule table for its API route before it calls what that route calls
//! (`actions`).
//!
//! `login` signs in and out; `overview`, `clients` (with an invoice's printable document),
//! `lists` (invoices, payments, the ticket queue), `catalog` (services, tariffs, promo codes),
//! `settings` (currencies, companies, staff, notifications), `reports` (with CSV) and
//! `action_log` are the pages (`affiliates` the affiliate programs and the client page's
//! affiliate block) (`report_tables` builds the reports' tables), `tables` the plain
//! tables page several of them share;
//! `pages` (shared with the customer panel) holds the layout and `format`, which shows amounts
//! and times.
//! `client_actions` with `client_forms` (the client page's edit, adjustment, credit limit,
//! credit note, transfer, merge and acting as), `tickets` (one ticket) and `operations` (with
//! the billing day) are the flows' pages and actions.
//!
//! Every text a page shows is a catalogue key in the session's language (`http::i18n`), amounts
//! and dates are written by `Lang`, and a status or kind code becomes a word in one place,
//! `Lang::named` (or `Lang::named_in` for a family that reads otherwise).

mod action_log;
mod actions;
mod affiliates;
mod catalog;
mod client_actions;
mod client_affiliate;
mod client_forms;
mod clients;
mod hourly;
// Contracts with clients (helper "contracts", issue 20.2).
mod contracts;
mod document_template;
pub mod forms;
// "Send to client" on the invoice page and the client page (helper "send").
mod invoice_page;
mod invoice_send;
mod item_types;
mod lists;
mod login;
mod operations;
mod overview;
mod report_tables;
mod reports;
mod sandbox;
mod settings;
mod tables;
mod tickets;
// The client groups' discounts (helper "imports", issue 20.6).
mod group_discounts;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::format::{self, Zone};
use crate::http::pages::{Layout, MessagePage, NavLink, cookie, render};
use crate::http::state::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "billing_session";

/// The name of the cookie holding the time zone the panel shows times in.
const ZONE_COOKIE: &str = "billing_tz";

/// The panel's routes: `/dashboard` and below, and `/` and `/favicon.ico` for browsers.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/favicon.ico", get(favicon))
        .route("/dashboard", get(overview::overview))
        .route(
            "/dashboard/login",
            get(login::login_form).post(login::login),
        )
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/time-zone", post(actions::set_time_zone))
        .route("/dashboard/language", post(actions::set_language))
        .route(
            "/dashboard/clients",
            get(clients::clients).post(actions::register_client),
        )
        .route("/dashboard/clients/{id}", get(clients::client))
        .route(
            "/dashboard/clients/{id}/payments",
            post(actions::post_payment),
        )
        .route(
            "/dashboard/clients/{id}/services",
            post(actions::order_service),
        )
        .route(
            "/dashboard/clients/{id}/invoices",
            post(actions::issue_invoice),
        )
        .route("/dashboard/clients/{id}/clock", post(actions::move_clock))
        .route(
            "/dashboard/services/{id}/{action}",
            post(actions::service_action),
        )
        .route("/dashboard/invoices", get(lists::invoices))
        .route("/dashboard/invoices/{id}", get(clients::invoice))
        .route("/dashboard/payments", get(lists::payments))
        .route(
            "/dashboard/payments/{id}/refund",
            post(actions::refund_payment),
        )
        .route("/dashboard/tickets", get(lists::ticket_queue))
        .route(
            "/dashboard/tickets/{id}/messages",
            post(actions::answer_ticket),
        )
        .route("/dashboard/action-log", get(action_log::action_log))
        // The catalog, settings and reports pages.
        .route("/dashboard/services", get(catalog::services))
        .route("/dashboard/tariffs", get(catalog::tariffs))
        .route("/dashboard/tariffs/{id}", get(catalog::tariff))
        .route(
            "/dashboard/tariffs/{id}/price-changes",
            post(catalog::change_price),
        )
        .route(
            "/dashboard/tariffs/{id}/hourly-prices",
            post(hourly::set_hourly_prices),
        )
        .route("/dashboard/promo-codes", get(catalog::promo_codes))
        .route("/dashboard/currencies", get(settings::currencies))
        .route(
            "/dashboard/item-types",
            get(item_types::page).post(item_types::save),
        )
        .route("/dashboard/companies", get(settings::companies))
        .route(
            "/dashboard/companies/{id}/document-template",
            get(document_template::page).post(document_template::save).layer(
                axum::extract::DefaultBodyLimit::max(document_template::FORM_BODY_LIMIT),
            ),
        )
        .route("/dashboard/staff", get(settings::staff))
        .route("/dashboard/notifications", get(settings::notifications))
        .route("/dashboard/reports", get(reports::reports))
        .route("/dashboard/reports/{report}/csv", get(reports::report_csv))
        // The client page's actions, the ticket page and the operations page.
        .route(
            "/dashboard/clients/{id}/edit",
            post(client_actions::edit_client),
        )
        .route(
            "/dashboard/clients/{id}/adjustments",
            post(client_actions::adjust_balance),
        )
        .route(
            "/dashboard/clients/{id}/credit-limit",
            post(client_actions::set_credit_limit),
        )
        .route(
            "/dashboard/clients/{id}/personal-discount",
            post(client_actions::set_personal_discount),
        )
        .route(
            "/dashboard/clients/{id}/credit-notes",
            post(client_actions::credit_note),
        )
        .route(
            "/dashboard/clients/{id}/act-as",
            post(client_actions::act_as),
        )
        .route(
            "/dashboard/clients/{id}/merge",
            get(client_actions::merge_page).post(client_actions::merge),
        )
        .route(
            "/dashboard/services/{id}/transfer",
            get(client_actions::transfer_page).post(client_actions::transfer),
        )
        .route("/dashboard/tickets/{id}", get(tickets::ticket))
        .route("/dashboard/tickets/{id}/answer", post(tickets::answer))
        .route("/dashboard/tickets/{id}/assign", post(tickets::assign))
        .route("/dashboard/tickets/{id}/close", post(tickets::close))
        .route("/dashboard/operations", get(operations::operations))
        .route(
            "/dashboard/operations/{id}/retry",
            post(operations::retry),
        )
        .route("/dashboard/billing-day", post(operations::run_billing_day))
        // Affiliate programs and the client page's payout form (issue 20.1).
        .route(
            "/dashboard/affiliate-programs",
            get(affiliates::page).post(affiliates::create),
        )
        .route(
            "/dashboard/affiliate-programs/{id}/close",
            post(affiliates::close),
        )
        .route(
            "/dashboard/clients/{id}/affiliate-payouts",
            post(affiliates::pay_out),
        )
        // "Send to client" (helper "send").
        .route(
            "/dashboard/invoices/{id}/send",
            post(invoice_send::send_from_invoice),
        )
        .route(
            "/dashboard/clients/{client_id}/invoices/{id}/send",
            post(invoice_send::send_from_client),
        )
        // The client groups' discounts (helper "imports", issue 20.6).
        .route("/dashboard/contracts", get(contracts::page))
        .route(
            "/dashboard/client-groups",
            get(group_discounts::page).post(group_discounts::save),
        )
}

/// The panel's icon: a small SVG, so that browsers asking for `/favicon.ico` get an icon rather
/// than a problem document.
async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

const FAVICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1d2430\"/>\
<path d=\"M5 3h4a3 3 0 0 1 0 6H5zM5 9h5a3 3 0 0 1 0 6H5z\" fill=\"none\" stroke=\"#fff\" stroke-width=\"1.6\"/></svg>";

/// Who is signed in: the principal of the session's token, a member of staff (or the bootstrap
/// administrator).
struct Session {
    state: AppState,
    principal: Principal,
    token: Option<domain::ids::TokenId>,
    /// The session's bearer string, which the CSRF tokens of its forms are bound to.
    bearer: String,
    /// The time zone times are shown in.
    zone: Zone,
    /// The language of the pages: the browser's choice (`i18n::Lang::of_request`).
    lang: Lang,
}

impl Session {
    /// Whether the API would let this staff member call `method` on the route `path`: the one
    /// rule table (`auth::rules`) decides every page, every block and every action.
    fn may(&self, method: &str, path: &str) -> bool {
        crate::http::auth::may(self.state.rules, &self.principal, method, path)
    }

    /// The CSRF token every form of this session carries.
    fn csrf(&self) -> String {
        self.state.forms.token_for(&self.bearer)
    }

    /// The layout of a page titled `title`: the navigation this staff member may follow, who is
    /// signed in, the sign-out and time-zone forms.
    fn layout(&self, title: impl Into<String>) -> Layout {
        let mut nav = vec![NavLink {
            href: "/dashboard",
            label: "nav-overview",
        }];
        if self.may("GET", "/v1/clients") {
            nav.push(NavLink {
                href: "/dashboard/clients",
                label: "nav-clients",
            });
        }
        if self.may("GET", "/v1/invoices") {
            nav.push(NavLink {
                href: "/dashboard/invoices",
                label: "nav-invoices",
            });
        }
        if self.may("GET", "/v1/payments") {
            nav.push(NavLink {
                href: "/dashboard/payments",
                label: "nav-payments",
            });
        }
        if self.may("GET", "/v1/ticket-queue") {
            nav.push(NavLink {
                href: "/dashboard/tickets",
                label: "nav-tickets",
            });
        }
        // The operations and ticket pages.
        if self.may("GET", "/v1/operations") {
            nav.push(NavLink {
                href: "/dashboard/operations",
                label: "nav-operations",
            });
        }
        if self.may("GET", "/v1/action-log") {
            nav.push(NavLink {
                href: "/dashboard/action-log",
                label: "nav-action-log",
            });
        }
        // The catalog, settings and reports pages.
        tables::nav(self, &mut nav);
        Layout {
            title: title.into(),
            nav,
            who: Some(self.principal.actor().to_string()),
            csrf: self.csrf(),
            zone: self.zone.name(),
            root: "/dashboard",
            lang: self.lang,
        }
    }
}

/// The token of the request's session cookie.
fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
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
    let lang = Lang::of_request(headers);
    staff.then(|| Session {
        state: state.clone(),
        token: principal.token(),
        principal,
        bearer: token,
        zone: Zone::of_cookie(cookie(headers, ZONE_COOKIE).as_deref()).in_lang(lang),
        lang,
    })
}

/// The page, or a redirect to the sign-in form.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    session(state, headers)
        .await
        .ok_or_else(|| Redirect::to("/dashboard/login").into_response())
}

/// The session of a staff member who may `GET` the API route `route` (its template), or the
/// answer instead: the sign-in form's redirect, or the page the API would answer 403 for.
async fn may_open(state: &AppState, headers: &HeaderMap, route: &str) -> Result<Session, Response> {
    let session = signed_in(state, headers).await?;
    if session.may("GET", route) {
        Ok(session)
    } else {
        Err(forbidden(&session))
    }
}

/// A page that says `message`, with `status`.
fn message(session: Option<&Session>, status: StatusCode, title: &str, text: &str) -> Response {
    let layout = session.map_or_else(
        || Layout::anonymous(title, "/dashboard"),
        |s| s.layout(title),
    );
    render(
        status,
        &MessagePage {
            layout,
            message: text.to_owned(),
        },
    )
}

/// The page a staff member may not open: what the API would answer 403 for.
fn forbidden(session: &Session) -> Response {
    let lang = session.lang;
    message(
        Some(session),
        StatusCode::FORBIDDEN,
        &lang.t("msg-not-allowed"),
        &lang.t("msg-not-allowed-text"),
    )
}

/// The answer to a form whose CSRF token is missing or is not this session's: nothing was done.
fn forbidden_form(session: &Session) -> Response {
    let lang = session.lang;
    message(
        Some(session),
        StatusCode::FORBIDDEN,
        &lang.t("msg-not-sent"),
        &lang.t("msg-not-sent-text"),
    )
}

/// An error page for a failed query: its status and code, never its cause.
fn failed(error: ApiError) -> Response {
    let status = error.status();
    let text = format!(
        "{} ({})",
        status.canonical_reason().unwrap_or(""),
        error.code()
    );
    message(None, status, "Something went wrong", &text)
}
