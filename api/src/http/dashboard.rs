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

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::auth::Principal;
use crate::http::auth::throttle::Source;
use crate::http::document::escape;
use crate::http::error::ApiError;
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`), which PostgreSQL cannot
// compare, with a 400 problem instead of letting the query fail with a 500.
use crate::http::answer::format_amount;
use crate::http::extract::Query;
use domain::access::{AccessToken, TokenCommand, TokenSubject};
use eventstore::metadata::{Actor, CommandContext};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "billing_session";

/// The dashboard's routes, under `/dashboard`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(overview))
        .route("/dashboard/login", get(login_form).post(login))
        .route("/dashboard/logout", axum::routing::post(logout))
        .route("/dashboard/clients", get(clients))
        .route("/dashboard/clients/{id}", get(client))
        .route("/dashboard/action-log", get(action_log))
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
        crate::http::auth::may(&self.state.rules, &self.principal, method, path)
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

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login_form() -> Html<String> {
    login_page(None)
}

fn login_page(error: Option<&str>) -> Html<String> {
    let error = error.map_or_else(String::new, |e| {
        format!("<p class=\"neg\">{}</p>", escape(e))
    });
    page(
        "Sign in",
        None,
        &format!(
            "{error}<form method=\"post\" action=\"/dashboard/login\">\
             <label for=\"email\">E-mail</label><input id=\"email\" name=\"email\" type=\"text\" autocomplete=\"username\" required>\
             <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" required>\
             <p><button id=\"sign-in\" type=\"submit\">Sign in</button></p></form>"
        ),
    )
}

async fn login(
    State(state): State<AppState>,
    source: Source,
    Form(form): Form<LoginForm>,
) -> Response {
    match sign_in(&state, &source, &form.email, &form.password).await {
        Ok(token) => (
            [(header::SET_COOKIE, cookie(&token, &source))],
            Redirect::to("/dashboard"),
        )
            .into_response(),
        Err(error) if error.status() == StatusCode::UNAUTHORIZED => (
            StatusCode::UNAUTHORIZED,
            login_page(Some("The e-mail address or the password is not right.")),
        )
            .into_response(),
        Err(error)
            if error.status() == StatusCode::TOO_MANY_REQUESTS
                || error.code() == "sign_in_busy" =>
        {
            // 429 or 503 from the sign-in limits: the same status and Retry-After as the API's.
            let status = error.status();
            let retry_after = error
                .into_response()
                .headers()
                .get(header::RETRY_AFTER)
                .cloned();
            let mut response = (
                status,
                login_page(Some("Too many sign-ins; wait a little and try again.")),
            )
                .into_response();
            if let Some(retry_after) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, retry_after);
            }
            response
        }
        Err(error) => failed(error),
    }
}

/// The session cookie for `token`: only for the dashboard's paths, out of scripts' reach, never
/// sent from another site, `Secure` when the request came over TLS (as a trusted proxy says), and
/// gone when the token expires.
fn cookie(token: &str, source: &Source) -> String {
    let secure = if source.https { "; Secure" } else { "" };
    let max_age = crate::http::routes::auth::LOGIN_TOKEN_HOURS * 3600;
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
        let issued = crate::http::routes::auth::issue(
            state,
            &CommandContext::new(Actor::Staff("admin".to_owned())),
            TokenSubject::Administrator {},
            Some(chrono::Duration::hours(
                crate::http::routes::auth::LOGIN_TOKEN_HOURS,
            )),
        )
        .await?;
        return Ok(issued.token);
    }
    let issued = crate::http::routes::auth::sign_in(state, source, email.trim(), password).await?;
    if issued.kind != "staff" {
        return Err(ApiError::unauthorized("the dashboard is for staff"));
    }
    Ok(issued.token)
}

/// Signs out: revokes the session's token, so that a copy of the cookie is worth nothing, and
/// clears the cookie.
async fn logout(State(state): State<AppState>, source: Source, headers: HeaderMap) -> Response {
    if let Some(session) = session(&state, &headers).await
        && let Some(token) = session.token
    {
        let revoked = state
            .store
            .execute::<AccessToken>(
                &token.to_string(),
                TokenCommand::RevokeToken {
                    revoked_at: state.store.clock().now(),
                },
                &session.principal.context(),
                &[],
            )
            .await;
        if let Err(error) = revoked {
            return failed(error.into());
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

async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect.into_response(),
    };
    match overview_body(&state, &session).await {
        Ok(body) => page("Overview", Some(&session), &body).into_response(),
        Err(error) => failed(error),
    }
}

/// The overview's blocks, each only for a staff member who may read it over the API: services
/// by status (the services report), debtors (the debtors report), operations waiting (the
/// operations list) and revenue (the revenue report).
async fn overview_body(state: &AppState, session: &Session) -> Result<String, ApiError> {
    let today = state.today();
    let since = today.checked_sub_days(Days::new(29)).unwrap_or(today);
    let services = session.may("GET", "/v1/reports/services");
    let debtors_shown = session.may("GET", "/v1/reports/debtors");
    let operations = session.may("GET", "/v1/operations");
    let revenue_shown = session.may("GET", "/v1/reports/revenue");
    let mut body = String::from("<div class=\"cards\">");
    if services {
        let active: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, count(*) FROM services GROUP BY status ORDER BY status")
                .fetch_all(&state.pool)
                .await?;
        for (status, count) in &active {
            body.push_str(&format!(
                "<div class=\"card\"><b>{count}</b>{} services</div>",
                escape(status)
            ));
        }
    }
    let debtors: Vec<(Uuid, String, String, Decimal)> = if debtors_shown {
        sqlx::query_as(
            "SELECT c.id, c.name, b.currency, b.balance
               FROM balances b JOIN clients c ON c.id = b.client_id
              WHERE b.balance < 0 ORDER BY b.balance LIMIT 10",
        )
        .fetch_all(&state.pool)
        .await?
    } else {
        Vec::new()
    };
    let pending: Vec<(Uuid, String, Uuid, String, DateTime<Utc>)> = if operations {
        sqlx::query_as(
            "SELECT o.service_id, o.kind, o.client_id, o.status, o.created_at
               FROM operations o WHERE o.status IN ('pending', 'failed')
              ORDER BY o.created_at LIMIT 10",
        )
        .fetch_all(&state.pool)
        .await?
    } else {
        Vec::new()
    };
    if debtors_shown {
        body.push_str(&format!(
            "<div class=\"card\"><b>{}</b>debtors</div>",
            debtors.len()
        ));
    }
    if operations {
        body.push_str(&format!(
            "<div class=\"card\"><b>{}</b>operations waiting</div>",
            pending.len()
        ));
    }
    body.push_str("</div>");
    if revenue_shown {
        // Revenue per day and currency over the last 30 days, from the projected revenue report.
        let revenue: Vec<(NaiveDate, String, Decimal)> = sqlx::query_as(
            "SELECT day, currency, sum(charged - credited - corrected) AS revenue
               FROM report_revenue_daily WHERE day >= $1
              GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(since)
        .fetch_all(&state.pool)
        .await?;
        body.push_str("<h2>Revenue, last 30 days</h2>");
        body.push_str(&format!(
            "<div id=\"revenue-chart\">{}</div>",
            revenue_chart(&revenue, since, today)
        ));
    }
    if debtors_shown {
        body.push_str("<h2 id=\"debtors\">Debtors</h2>");
        let rows: Vec<String> = debtors
            .iter()
            .map(|(id, name, currency, balance)| {
                format!(
                    "<td><a href=\"/dashboard/clients/{id}\">{}</a></td>{}{}",
                    escape(name),
                    cell(currency),
                    number(&format_amount(*balance, currency))
                )
            })
            .collect();
        body.push_str(&table(&["Client", "Currency", "Balance"], &rows));
    }
    if operations {
        body.push_str("<h2 id=\"operations\">Operations waiting</h2>");
        let rows: Vec<String> = pending
            .iter()
            .map(|(service, kind, client, status, at)| {
                format!(
                    "{}{}<td><a href=\"/dashboard/clients/{client}\">{client}</a></td>{}{}",
                    cell(kind),
                    cell(status),
                    cell(&service.to_string()),
                    cell(&at.format("%Y-%m-%d %H:%M").to_string())
                )
            })
            .collect();
        body.push_str(&table(
            &["Operation", "Status", "Client", "Service", "Since"],
            &rows,
        ));
    }
    if !(services || debtors_shown || operations || revenue_shown) {
        body.push_str("<p>Your permissions show nothing on this page.</p>");
    }
    Ok(body)
}

/// Bars per day, one colour per currency's first series; heights relative to the largest day.
fn revenue_chart(
    revenue: &[(NaiveDate, String, Decimal)],
    since: NaiveDate,
    today: NaiveDate,
) -> String {
    let days = usize::try_from((today - since).num_days() + 1)
        .unwrap_or(30)
        .max(1);
    let mut currencies: Vec<&str> = revenue.iter().map(|(_, c, _)| c.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let Some(currency) = currencies.first().copied() else {
        return "<p>No revenue in the last 30 days.</p>".to_owned();
    };
    let mut per_day = vec![Decimal::ZERO; days];
    for (day, c, amount) in revenue {
        if c == currency
            && let Ok(index) = usize::try_from((*day - since).num_days())
            && let Some(slot) = per_day.get_mut(index)
        {
            *slot += *amount;
        }
    }
    let max = per_day.iter().copied().fold(Decimal::ZERO, Decimal::max);
    let (width, height) = (720u32, 160u32);
    let bar = width / u32::try_from(days).unwrap_or(30);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Revenue per day in {currency}\" \
         width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\">",
        height + 20,
        height + 20
    );
    for (index, amount) in per_day.iter().enumerate() {
        let h = if max > Decimal::ZERO {
            (*amount * Decimal::from(height) / max)
                .round()
                .try_into()
                .unwrap_or(0u32)
        } else {
            0
        };
        let x = u32::try_from(index).unwrap_or(0) * bar;
        let day = since.checked_add_days(Days::new(u64::try_from(index).unwrap_or(0)));
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" fill=\"#3b6fd4\"><title>{}: {} {currency}</title></rect>",
            height - h,
            bar.saturating_sub(2).max(1),
            day.map(|d| d.to_string()).unwrap_or_default(),
            amount.round_dp(2)
        ));
    }
    svg.push_str(&format!(
        "<text x=\"0\" y=\"{}\" font-size=\"11\">{since}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{today} · max {} {currency}</text></svg>",
        height + 15,
        width,
        height + 15,
        max.round_dp(2)
    ));
    svg
}

/// id, name, e-mail, country, status.
type ClientRow = (Uuid, String, String, String, String);

/// id, number, kind, status, issued on, gross, currency.
type InvoiceRow = (
    Uuid,
    Option<String>,
    String,
    String,
    NaiveDate,
    Decimal,
    String,
);

/// occurred at, actor, on behalf of, event type, aggregate type, client.
type LogRow = (
    DateTime<Utc>,
    String,
    Option<String>,
    String,
    String,
    Option<Uuid>,
);

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
}

async fn clients(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<SearchParams>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect.into_response(),
    };
    if !session.may("GET", "/v1/clients") {
        return forbidden(&session);
    }
    let q = params.q.unwrap_or_default();
    let pattern = crate::http::answer::like_pattern(q.trim());
    let found: Result<Vec<ClientRow>, sqlx::Error> = sqlx::query_as(
        "SELECT id, name, email, country, status FROM clients
          WHERE name ILIKE $1 OR email ILIKE $1 ORDER BY name, id LIMIT 100",
    )
    .bind(&pattern)
    .fetch_all(&state.pool)
    .await;
    let found = match found {
        Ok(found) => found,
        Err(error) => return failed(error.into()),
    };
    let rows: Vec<String> = found
        .iter()
        .map(|(id, name, email, country, status)| {
            format!(
                "<td><a class=\"client\" href=\"/dashboard/clients/{id}\">{}</a></td>{}{}{}",
                escape(name),
                cell(email),
                cell(country),
                cell(status)
            )
        })
        .collect();
    let body = format!(
        "<form class=\"search\" method=\"get\" action=\"/dashboard/clients\">\
         <input id=\"q\" name=\"q\" value=\"{}\" placeholder=\"Name or e-mail\">\
         <button id=\"search\" type=\"submit\">Search</button></form>{}",
        escape(&q),
        table(&["Name", "E-mail", "Country", "Status"], &rows)
    );
    page("Clients", Some(&session), &body).into_response()
}

async fn client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect.into_response(),
    };
    if !session.may("GET", "/v1/clients/{id}") {
        return forbidden(&session);
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return (
            StatusCode::NOT_FOUND,
            page("No such client", Some(&session), ""),
        )
            .into_response();
    };
    match client_body(&state, &session, id).await {
        Ok(Some((name, body))) => page(&name, Some(&session), &body).into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            page("No such client", Some(&session), ""),
        )
            .into_response(),
        Err(error) => failed(error),
    }
}

/// A client's page: its profile, and each block only for a staff member who may read it over
/// the API: balance, services, statement and invoices.
async fn client_body(
    state: &AppState,
    session: &Session,
    id: Uuid,
) -> Result<Option<(String, String)>, ApiError> {
    let profile: Option<(String, String, String, String, String)> =
        sqlx::query_as("SELECT name, email, kind, country, status FROM clients WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.pool)
            .await?;
    let Some((name, email, kind, country, status)) = profile else {
        return Ok(None);
    };
    let mut body = format!(
        "<p>{} · {} · {} · {}</p>",
        escape(&email),
        escape(&kind),
        escape(&country),
        escape(&status)
    );
    let balance_shown = session.may("GET", "/v1/clients/{id}/balance");
    let statement_shown = session.may("GET", "/v1/clients/{id}/statement");
    let balances: Vec<(Uuid, String, Decimal, Decimal)> = if balance_shown || statement_shown {
        sqlx::query_as(
            "SELECT account_id, currency, balance, credit_limit FROM balances
          WHERE client_id = $1 ORDER BY currency",
        )
        .bind(id)
        .fetch_all(&state.pool)
        .await?
    } else {
        Vec::new()
    };
    if balance_shown {
        body.push_str("<h2 id=\"balance\">Balance</h2>");
        let rows: Vec<String> = balances
            .iter()
            .map(|(_, currency, balance, limit)| {
                format!(
                    "{}<td class=\"n balance\">{}</td>{}",
                    cell(currency),
                    escape(&format_amount(*balance, currency)),
                    number(&format_amount(*limit, currency))
                )
            })
            .collect();
        body.push_str(&table(&["Currency", "Balance", "Credit limit"], &rows));
    }
    if session.may("GET", "/v1/clients/{id}/services") {
        let services: Vec<(String, String, String, Option<NaiveDate>, Decimal, String)> =
            sqlx::query_as(
                "SELECT tariff_name, item_type, status, paid_until, price_per_period, currency
                   FROM services WHERE client_id = $1 ORDER BY created_at",
            )
            .bind(id)
            .fetch_all(&state.pool)
            .await?;
        body.push_str("<h2 id=\"services\">Services</h2>");
        let rows: Vec<String> = services
            .iter()
            .map(|(tariff, item, status, paid_until, price, currency)| {
                format!(
                    "{}{}{}{}{}",
                    cell(tariff),
                    cell(item),
                    cell(status),
                    cell(&paid_until.map(|d| d.to_string()).unwrap_or_default()),
                    number(&format!("{} {currency}", format_amount(*price, currency)))
                )
            })
            .collect();
        body.push_str(&table(
            &["Tariff", "Type", "Status", "Paid until", "Price"],
            &rows,
        ));
    }
    if statement_shown {
        body.push_str("<h2 id=\"statement\">Statement</h2>");
        for (account_id, currency, _, _) in &balances {
            let movements: Vec<(DateTime<Utc>, String, Decimal, Decimal, String)> = sqlx::query_as(
                "SELECT occurred_at, kind, amount, balance_after, description FROM (
                     SELECT * FROM account_movements WHERE account_id = $1
                      ORDER BY position DESC LIMIT 100) m
                  ORDER BY position",
            )
            .bind(account_id)
            .fetch_all(&state.pool)
            .await?;
            let rows: Vec<String> = movements
                .iter()
                .map(|(at, kind, amount, after, description)| {
                    format!(
                        "{}{}{}{}{}",
                        cell(&at.format("%Y-%m-%d %H:%M").to_string()),
                        cell(kind),
                        cell(description),
                        number(&format_amount(*amount, currency)),
                        number(&format_amount(*after, currency))
                    )
                })
                .collect();
            body.push_str(&format!("<h3>{}</h3>", escape(currency)));
            body.push_str(
                &table(&["When", "Kind", "What", "Amount", "Balance"], &rows).replacen(
                    "<table>",
                    "<table class=\"statement\">",
                    1,
                ),
            );
        }
    }
    if session.may("GET", "/v1/invoices") {
        let invoices: Vec<InvoiceRow> = sqlx::query_as(
            "SELECT invoice_id, number, kind, status, issued_on, gross, currency FROM invoices
                  WHERE client_id = $1 ORDER BY issued_on DESC, created_at DESC LIMIT 50",
        )
        .bind(id)
        .fetch_all(&state.pool)
        .await?;
        body.push_str("<h2 id=\"invoices\">Invoices</h2>");
        let rows: Vec<String> = invoices
            .iter()
            .map(
                |(invoice, number_, kind, status, issued, gross, currency)| {
                    format!(
                        "<td><a href=\"/v1/invoices/{invoice}?format=html\">{}</a></td>{}{}{}{}",
                        escape(number_.as_deref().unwrap_or("draft")),
                        cell(kind),
                        cell(status),
                        cell(&issued.to_string()),
                        number(&format!("{} {currency}", format_amount(*gross, currency)))
                    )
                },
            )
            .collect();
        body.push_str(&table(
            &["Number", "Kind", "Status", "Issued", "Total"],
            &rows,
        ));
    }
    Ok(Some((name, body)))
}

#[derive(Deserialize)]
struct ActionLogParams {
    actor: Option<String>,
    client: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
}

async fn action_log(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ActionLogParams>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect.into_response(),
    };
    if !session.may("GET", "/v1/action-log") {
        return forbidden(&session);
    }
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let actor = filled(&params.actor);
    let event_type = filled(&params.event_type);
    let client = filled(&params.client);
    let client_id = match client.as_deref().map(Uuid::parse_str).transpose() {
        Ok(id) => id,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                page(
                    "Action log",
                    Some(&session),
                    "<p class=\"neg\">client: not an id</p>",
                ),
            )
                .into_response();
        }
    };
    let rows: Result<Vec<LogRow>, sqlx::Error> = sqlx::query_as(
        "SELECT occurred_at, actor, on_behalf_of, event_type, aggregate_type, client_id
               FROM action_log
              WHERE ($1::text IS NULL OR actor = $1)
                AND ($2::uuid IS NULL OR client_id = $2)
                AND ($3::text IS NULL OR event_type = $3)
              ORDER BY position DESC LIMIT 200",
    )
    .bind(&actor)
    .bind(client_id)
    .bind(&event_type)
    .fetch_all(&state.pool)
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return failed(error.into()),
    };
    let rows: Vec<String> = rows
        .iter()
        .map(|(at, actor, behalf, event, aggregate, client)| {
            format!(
                "{}{}{}{}{}{}",
                cell(&at.format("%Y-%m-%d %H:%M:%S").to_string()),
                cell(actor),
                cell(behalf.as_deref().unwrap_or("")),
                cell(event),
                cell(aggregate),
                client.map_or_else(
                    || "<td></td>".to_owned(),
                    |c| format!("<td><a href=\"/dashboard/clients/{c}\">{c}</a></td>")
                )
            )
        })
        .collect();
    let value = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    let body = format!(
        "<form class=\"search\" method=\"get\" action=\"/dashboard/action-log\">\
         <input name=\"actor\" placeholder=\"Actor, e.g. staff:admin\" value=\"{}\">\
         <input name=\"client\" placeholder=\"Client id\" value=\"{}\">\
         <input name=\"type\" placeholder=\"Event type\" value=\"{}\">\
         <button type=\"submit\">Filter</button></form>{}",
        value(&actor),
        value(&client),
        value(&event_type),
        table(
            &[
                "When",
                "Actor",
                "On behalf of",
                "Event",
                "Aggregate",
                "Client"
            ],
            &rows
        )
    );
    page("Action log", Some(&session), &body).into_response()
}
