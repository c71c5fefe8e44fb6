//! The customer panel's first page: the balance and credit limit of each personal account, what
//! is due next (the renewals of auto-prolonged services, soonest first), the announcements
//! showing now, and the tickets with an answer waiting to be read. A client in debt or with a
//! service suspended for non-payment is offered a promised payment (`POST
//! /v1/clients/{id}/promised-payments`' own use case): the page shows the promise holding and
//! its end, or the API's reason for refusing one; the rule itself is the `Account`'s.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::account::{PROMISE_INTERVAL_DAYS, PROMISED_PAYMENT_DAYS};
use projections::support::TicketFilter;

use super::shop::{Fields, field, form_command, key_of};
use super::{Session, failed, posted_permitted, signed_in};
use crate::http::error::ApiError;
use crate::http::pages::format::negative;
use crate::http::pages::forms::new_key;
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;

/// The API route of the promise button.
const PROMISE_ROUTE: &str = "/v1/clients/{id}/promised-payments";

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
    /// `None` when the user's roles may not promise, or there is nothing to promise.
    promise: Option<PromisePart>,
}

/// The promised payment: the promise holding, else the button with its terms, and the reason a
/// press was refused.
struct PromisePart {
    /// (made on, ends on), in the page's language.
    holding: Option<(String, String)>,
    /// Whether the button shows: the client is behind and no promise holds.
    offer: bool,
    /// The button's terms, from the `Account`'s constants.
    terms: String,
    /// The API's problem when a press was refused, in the page's language.
    refused: Option<String>,
    csrf: String,
    key: String,
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
    match home_page(&state, &session, None).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(Some(&session), error),
    }
}

/// `POST /my/promised-payments`: the client promises to pay, through the API route's use case;
/// the page then shows the promise, or the API's reason for refusing it (with its status), and
/// nothing is written.
pub(super) async fn promise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match posted_permitted(
        &state,
        &headers,
        field(&fields, "csrf"),
        "POST",
        PROMISE_ROUTE,
    )
    .await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let outcome = async {
        let key = key_of(&fields)?;
        let client = session.client_id.as_uuid();
        let route = format!("POST /v1/clients/{client}/promised-payments");
        let command = form_command(&session, key, route);
        let key = command.key(&(), client)?;
        crate::usecases::promises::promise_payment(&state, &command.context, key, client).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match outcome {
        Ok(()) => Redirect::to("/my?promised=1").into_response(),
        Err(error) if error.status().is_server_error() => failed(Some(&session), error),
        Err(error) => {
            let reason = super::problems::text(session.lang, &error);
            match home_page(&state, &session, Some(reason)).await {
                Ok(page) => render(error.status(), &page),
                Err(error) => failed(Some(&session), error),
            }
        }
    }
}

/// The promised payment's part of the page, for a user who may promise: `None` when the client
/// is not behind and no promise holds.
async fn promise_part(
    state: &AppState,
    session: &Session,
    in_debt: bool,
    refused: Option<String>,
) -> Result<Option<PromisePart>, ApiError> {
    let client = session.client_id.as_uuid();
    let suspended =
        projections::services::of_client(&state.pool, client, Some("suspended"), None, 500)
            .await?
            .iter()
            .any(|s| s.suspend_reason.as_deref() == Some("non_payment"));
    let holding = match crate::usecases::promises::holding(state, client)
        .await
        .map_err(ApiError::from)
    {
        Ok(holding) => holding,
        // A client that may not trade (inactive) has nothing to promise.
        Err(error) if !error.status().is_server_error() => None,
        Err(error) => return Err(error),
    };
    let behind = in_debt || suspended;
    if !behind && holding.is_none() && refused.is_none() {
        return Ok(None);
    }
    let lang = session.lang;
    let terms = lang.t_with(
        "my-promise-terms",
        &[
            ("days", PROMISED_PAYMENT_DAYS.into()),
            ("interval", PROMISE_INTERVAL_DAYS.into()),
        ],
    );
    Ok(Some(PromisePart {
        offer: behind && holding.is_none(),
        holding: holding.map(|(on, until)| (lang.date(on), lang.date(until))),
        terms,
        refused,
        csrf: session.csrf(),
        key: new_key(),
    }))
}

async fn home_page(
    state: &AppState,
    session: &Session,
    refused: Option<String>,
) -> Result<HomePage, ApiError> {
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
                    period: session.lang.period(&s.period),
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
    let promise = if session.may("POST", PROMISE_ROUTE) {
        let in_debt = projections::balances::accounts_of_client(pool, client)
            .await?
            .iter()
            .any(|row| negative(row.balance));
        promise_part(state, session, in_debt, refused).await?
    } else {
        None
    };
    Ok(HomePage {
        layout: session.layout(session.lang.t("my-home-title")),
        accounts,
        due,
        announcements,
        answered,
        promise,
    })
}
