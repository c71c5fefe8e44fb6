//! The customer panel's first page: the balance and credit limit of each personal account, what
//! is due next (the renewals of auto-prolonged services, soonest first), the announcements
//! showing now, and the tickets with an answer waiting to be read.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use projections::support::TicketFilter;

use super::{Session, failed, signed_in};
use crate::http::error::ApiError;
use crate::http::pages::format::negative;
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;

/// How many renewals the page lists.
const NEXT_CHARGES: usize = 10;

#[derive(Template)]
#[template(path = "my/home.html")]
struct HomePage {
    layout: Layout,
    /// `None` when the user's roles do not show balances.
    accounts: Option<Vec<AccountLine>>,
    /// `None` when the user's roles do not show services.
    due: Option<Vec<DueLine>>,
    announcements: Vec<AnnouncementLine>,
    answered: Vec<TicketLine>,
}

struct AccountLine {
    currency: String,
    balance: String,
    negative: bool,
    credit_limit: String,
    /// What may still be spent: the balance and the credit limit.
    available: String,
}

struct DueLine {
    service_id: String,
    name: String,
    on: String,
    price: String,
    period: String,
}

struct AnnouncementLine {
    title: String,
    body: String,
}

struct TicketLine {
    ticket_id: String,
    subject: String,
    updated: String,
}

pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    match home_page(&state, &session).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(Some(&session), error),
    }
}

async fn home_page(state: &AppState, session: &Session) -> Result<HomePage, ApiError> {
    let pool = &state.pool;
    let client = session.client_id.as_uuid();
    let accounts = if session.may("GET", "/v1/clients/{id}/balance") {
        let rows = projections::balances::accounts_of_client(pool, client).await?;
        Some(
            rows.into_iter()
                .map(|row| AccountLine {
                    balance: session.lang.money(row.balance, &row.currency),
                    negative: negative(row.balance),
                    credit_limit: session.lang.money(row.credit_limit, &row.currency),
                    available: session
                        .lang
                        .money(row.balance + row.credit_limit, &row.currency),
                    currency: row.currency,
                })
                .collect(),
        )
    } else {
        None
    };
    let due = if session.may("GET", "/v1/clients/{id}/services") {
        let mut services =
            projections::services::of_client(pool, client, Some("active"), None, 500).await?;
        services.retain(|s| s.auto_prolong && !s.close_at_period_end && s.paid_until.is_some());
        services.sort_by_key(|s| (s.paid_until, s.created_at));
        Some(
            services
                .into_iter()
                .take(NEXT_CHARGES)
                .map(|s| DueLine {
                    service_id: s.id.to_string(),
                    name: s.tariff_name,
                    on: s
                        .paid_until
                        .map(|d| session.lang.date(d))
                        .unwrap_or_default(),
                    price: session.lang.money(s.price_per_period, &s.currency),
                    period: s.period,
                })
                .collect(),
        )
    } else {
        None
    };
    let now = state.now();
    let announcements =
        projections::support::announcements(pool, true, Some(client), now, None, 10)
            .await?
            .into_iter()
            .map(|a| AnnouncementLine {
                title: a.title,
                body: a.body,
            })
            .collect();
    let answered = if session.may("GET", "/v1/clients/{id}/tickets") {
        projections::support::tickets_of_client(pool, client, TicketFilter::Open, None, 100)
            .await?
            .into_iter()
            .filter(|t| t.status == "answered")
            .map(|t| TicketLine {
                ticket_id: t.ticket_id.to_string(),
                subject: t.subject,
                updated: session.zone.time(t.updated_at),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(HomePage {
        layout: session.layout(session.lang.t("my-home-title")),
        accounts,
        due,
        announcements,
        answered,
    })
}
