//! The dashboard's pages: the overview, the clients (search and one client's page) and the
//! action log. Each block reads its read model through the projections' queries, and only for a
//! staff member who may read the same over the API.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

use super::{Session, cell, failed, forbidden, number, page, signed_in, table};
use crate::http::answer::format_amount;
use crate::http::document::escape;
use crate::http::error::ApiError;
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`), which PostgreSQL cannot
// compare, with a 400 problem instead of letting the query fail with a 500.
use crate::http::extract::Query;

pub(super) async fn overview(State(state): State<AppState>, headers: HeaderMap) -> Response {
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
        let active = projections::services::count_by_status(&state.pool).await?;
        for line in &active {
            body.push_str(&format!(
                "<div class=\"card\"><b>{}</b>{} services</div>",
                line.services,
                escape(&line.status)
            ));
        }
    }
    let debtors = if debtors_shown {
        projections::balances::lowest_below_zero(&state.pool, 10).await?
    } else {
        Vec::new()
    };
    let pending = if operations {
        projections::services::operations_waiting(&state.pool, 10).await?
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
        let revenue = projections::reports::daily_revenue_since(&state.pool, since).await?;
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
            .map(|debtor| {
                format!(
                    "<td><a href=\"/dashboard/clients/{}\">{}</a></td>{}{}",
                    debtor.client_id,
                    escape(&debtor.name),
                    cell(&debtor.currency),
                    number(&format_amount(debtor.balance, &debtor.currency))
                )
            })
            .collect();
        body.push_str(&table(&["Client", "Currency", "Balance"], &rows));
    }
    if operations {
        body.push_str("<h2 id=\"operations\">Operations waiting</h2>");
        let rows: Vec<String> = pending
            .iter()
            .map(|operation| {
                format!(
                    "{}{}<td><a href=\"/dashboard/clients/{client}\">{client}</a></td>{}{}",
                    cell(&operation.kind),
                    cell(&operation.status),
                    cell(&operation.service_id.to_string()),
                    cell(&operation.created_at.format("%Y-%m-%d %H:%M").to_string()),
                    client = operation.client_id,
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
    revenue: &[projections::reports::DailyRevenue],
    since: NaiveDate,
    today: NaiveDate,
) -> String {
    let days = usize::try_from((today - since).num_days() + 1)
        .unwrap_or(30)
        .max(1);
    let mut currencies: Vec<&str> = revenue.iter().map(|r| r.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    let Some(currency) = currencies.first().copied() else {
        return "<p>No revenue in the last 30 days.</p>".to_owned();
    };
    let mut per_day = vec![Decimal::ZERO; days];
    for r in revenue {
        if r.currency == currency
            && let Ok(index) = usize::try_from((r.day - since).num_days())
            && let Some(slot) = per_day.get_mut(index)
        {
            *slot += r.revenue;
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

#[derive(Deserialize)]
pub(super) struct SearchParams {
    q: Option<String>,
}

pub(super) async fn clients(
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
    let found = projections::clients::search_by_name_or_email(&state.pool, &pattern, 100).await;
    let found = match found {
        Ok(found) => found,
        Err(error) => return failed(error.into()),
    };
    let rows: Vec<String> = found
        .iter()
        .map(|client| {
            format!(
                "<td><a class=\"client\" href=\"/dashboard/clients/{}\">{}</a></td>{}{}{}",
                client.id,
                escape(&client.name),
                cell(&client.email),
                cell(&client.country),
                cell(&client.status)
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

pub(super) async fn client(
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
    let profile = projections::clients::profile(&state.pool, id).await?;
    let Some(projections::clients::ClientProfile {
        name,
        email,
        kind,
        country,
        status,
    }) = profile
    else {
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
    let balances = if balance_shown || statement_shown {
        projections::balances::accounts_of_client(&state.pool, id).await?
    } else {
        Vec::new()
    };
    if balance_shown {
        body.push_str("<h2 id=\"balance\">Balance</h2>");
        let rows: Vec<String> = balances
            .iter()
            .map(|account| {
                format!(
                    "{}<td class=\"n balance\">{}</td>{}",
                    cell(&account.currency),
                    escape(&format_amount(account.balance, &account.currency)),
                    number(&format_amount(account.credit_limit, &account.currency))
                )
            })
            .collect();
        body.push_str(&table(&["Currency", "Balance", "Credit limit"], &rows));
    }
    if session.may("GET", "/v1/clients/{id}/services") {
        let services = projections::services::lines_of_client(&state.pool, id).await?;
        body.push_str("<h2 id=\"services\">Services</h2>");
        let rows: Vec<String> = services
            .iter()
            .map(|service| {
                format!(
                    "{}{}{}{}{}",
                    cell(&service.tariff_name),
                    cell(&service.item_type),
                    cell(&service.status),
                    cell(
                        &service
                            .paid_until
                            .map(|d| d.to_string())
                            .unwrap_or_default()
                    ),
                    number(&format!(
                        "{} {}",
                        format_amount(service.price_per_period, &service.currency),
                        service.currency
                    ))
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
        for account in &balances {
            let currency = &account.currency;
            let movements =
                projections::statement::latest_movements(&state.pool, account.account_id, 100)
                    .await?;
            let rows: Vec<String> = movements
                .iter()
                .map(|movement| {
                    format!(
                        "{}{}{}{}{}",
                        cell(&movement.occurred_at.format("%Y-%m-%d %H:%M").to_string()),
                        cell(&movement.kind),
                        cell(&movement.description),
                        number(&format_amount(movement.amount, currency)),
                        number(&format_amount(movement.balance_after, currency))
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
        let invoices = projections::invoices::latest_of_client(&state.pool, id, 50).await?;
        body.push_str("<h2 id=\"invoices\">Invoices</h2>");
        let rows: Vec<String> = invoices
            .iter()
            .map(|invoice| {
                format!(
                    "<td><a href=\"/v1/invoices/{}?format=html\">{}</a></td>{}{}{}{}",
                    invoice.invoice_id,
                    escape(invoice.number.as_deref().unwrap_or("draft")),
                    cell(&invoice.kind),
                    cell(&invoice.status),
                    cell(&invoice.issued_on.to_string()),
                    number(&format!(
                        "{} {}",
                        format_amount(invoice.gross, &invoice.currency),
                        invoice.currency
                    ))
                )
            })
            .collect();
        body.push_str(&table(
            &["Number", "Kind", "Status", "Issued", "Total"],
            &rows,
        ));
    }
    Ok(Some((name, body)))
}

#[derive(Deserialize)]
pub(super) struct ActionLogParams {
    actor: Option<String>,
    client: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// The global position the page ends before: the last line of the page before it.
    before: Option<i64>,
}

pub(super) async fn action_log(
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
    /// Lines per page; an "Older" link pages on.
    const PAGE: usize = 200;
    let filter = projections::action_log::Filter {
        client_id,
        actor: actor.as_deref(),
        event_type: event_type.as_deref(),
    };
    let page_size = i64::try_from(PAGE).unwrap_or(i64::MAX);
    let found =
        projections::action_log::recent(&state.pool, filter, params.before, page_size + 1).await;
    let mut found = match found {
        Ok(found) => found,
        Err(error) => return failed(error.into()),
    };
    let older = if found.len() > PAGE {
        found.truncate(PAGE);
        found.last().map(|entry| entry.position)
    } else {
        None
    };
    let rows: Vec<String> = found
        .iter()
        .map(|entry| {
            format!(
                "{}{}{}{}{}{}",
                cell(&entry.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string()),
                cell(&entry.actor),
                cell(entry.on_behalf_of.as_deref().unwrap_or("")),
                cell(&entry.event_type),
                cell(&entry.aggregate_type),
                entry.client_id.map_or_else(
                    || "<td></td>".to_owned(),
                    |c| format!("<td><a href=\"/dashboard/clients/{c}\">{c}</a></td>")
                )
            )
        })
        .collect();
    let older = older.map_or_else(String::new, |before| {
        let mut query = String::new();
        for (name, value) in [
            ("actor", &actor),
            ("client", &client),
            ("type", &event_type),
        ] {
            if let Some(value) = value {
                query.push_str(&format!("{name}={}&", query_value(value)));
            }
        }
        format!(
            "<p><a id=\"older\" href=\"/dashboard/action-log?{query}before={before}\">Older</a></p>"
        )
    });
    let value = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    let body = format!(
        "<form class=\"search\" method=\"get\" action=\"/dashboard/action-log\">\
         <input name=\"actor\" placeholder=\"Actor, e.g. staff:admin\" value=\"{}\">\
         <input name=\"client\" placeholder=\"Client id\" value=\"{}\">\
         <input name=\"type\" placeholder=\"Event type\" value=\"{}\">\
         <button type=\"submit\">Filter</button></form>{}{older}",
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

/// `value` percent-encoded for a URL's query: letters, digits and `-._~` as they are.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}
