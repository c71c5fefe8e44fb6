//! The client's affiliate programs (`/my/affiliate`, issue 20.1): the open programs of its
//! provider it may join, its memberships with their links (clicks and sign-ups), referred
//! clients, what it accrued, was paid and may still be paid per currency, the latest accruals and
//! payouts, and a payout request to its own balance. Every form runs what the API route runs
//! (`routes::affiliates`, the affiliate aggregate refusing more than is available); a refusal is
//! the problem in the page's language and writes nothing.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use projections::ReadModel;
use serde_json::json;
use uuid::Uuid;

use super::shop::{Fields, field, form_command, key_of, refusal};
use super::{Session, failed, may_open, posted_permitted};
use crate::http::error::ApiError;
use crate::http::pages::{Layout, render};
use crate::http::routes::affiliates::{PayoutRequest, SeenBy, affiliate_view, run_pay_out};
use crate::http::state::AppState;

/// The API route whose rule opens the page.
pub(super) const VIEW: &str = "/v1/clients/{id}/affiliate";
/// The API route of the join buttons.
const JOIN: &str = "/v1/clients/{id}/affiliate-programs/{program}/join";
/// The API route of the new-link buttons.
const LINKS: &str = "/v1/clients/{id}/affiliate-programs/{program}/links";
/// The API route of the payout request.
const PAYOUT: &str = "/v1/clients/{id}/affiliate-programs/{program}/payouts";

/// One membership as the page shows it.
struct Membership {
    program_id: String,
    program: String,
    clicks: i64,
    referred: i64,
    /// (code, clicks, sign-ups).
    links: Vec<(String, i64, i64)>,
    /// Per currency: currency, accrued, paid, available (shown), available (plain).
    totals: Vec<[String; 5]>,
}

#[derive(Template)]
#[template(path = "my/affiliate.html")]
struct AffiliatePage {
    layout: Layout,
    /// Open programs of the provider the client has not joined: (id, name).
    joinable: Vec<(String, String)>,
    memberships: Vec<Membership>,
    /// (when, program, base, commission).
    accruals: Vec<[String; 4]>,
    /// (when, program, amount, destination).
    payouts: Vec<[String; 4]>,
    may_join: bool,
    may_link: bool,
    may_pay_out: bool,
    key: String,
    csrf: String,
    done: bool,
}

/// `GET /my/affiliate`.
pub(super) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(fields): Query<Fields>,
) -> Response {
    let session = match may_open(&state, &headers, VIEW).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let seen = field(&fields, "min_position").parse::<i64>().ok();
    if let Err(error) = state.consistent(&[ReadModel::Affiliates], seen).await {
        return failed(Some(&session), error);
    }
    match build(&state, &session, !field(&fields, "done").is_empty()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(Some(&session), error),
    }
}

async fn build(state: &AppState, session: &Session, done: bool) -> Result<AffiliatePage, ApiError> {
    let lang = session.lang;
    let client = session.client_id.as_uuid();
    let view = affiliate_view(state, client, SeenBy::Affiliate).await?;
    let provider = projections::clients::client(&state.pool, client)
        .await?
        .map(|c| c.provider_id);
    let joinable = match provider {
        Some(provider) => projections::affiliates::programs(&state.pool, Some(provider), None, 100)
            .await?
            .into_iter()
            .filter(|p| !p.closed)
            .filter(|p| !view.programs.iter().any(|m| m.program_id == p.program_id))
            .map(|p| (p.program_id.to_string(), p.name))
            .collect(),
        None => Vec::new(),
    };
    let money = |amount: &str, currency: &str| {
        amount
            .parse()
            .map_or_else(|_| amount.to_owned(), |a| lang.money(a, currency))
    };
    let program_of = |affiliate: Uuid| {
        view.programs
            .iter()
            .find(|m| m.affiliate_id == affiliate)
            .map(|m| m.program_name.clone())
            .unwrap_or_default()
    };
    Ok(AffiliatePage {
        layout: session.layout(lang.t("my-affiliate-title")),
        joinable,
        memberships: view
            .programs
            .iter()
            .map(|m| Membership {
                program_id: m.program_id.to_string(),
                program: m.program_name.clone(),
                clicks: m.clicks,
                referred: m.referred_clients,
                links: m
                    .links
                    .iter()
                    .map(|l| (l.code.clone(), l.clicks, l.sign_ups))
                    .collect(),
                totals: m
                    .totals
                    .iter()
                    .map(|t| {
                        [
                            t.currency.clone(),
                            money(&t.accrued, &t.currency),
                            money(&t.paid, &t.currency),
                            money(&t.available, &t.currency),
                            t.available.clone(),
                        ]
                    })
                    .collect(),
            })
            .collect(),
        accruals: view
            .accruals
            .iter()
            .map(|a| {
                [
                    session.zone.time(a.accrued_at),
                    program_of(a.affiliate_id),
                    money(&a.base, &a.currency),
                    money(&a.amount, &a.currency),
                ]
            })
            .collect(),
        payouts: view
            .payouts
            .iter()
            .map(|p| {
                [
                    session.zone.time(p.paid_at),
                    program_of(p.affiliate_id),
                    money(&p.amount, &p.currency),
                    lang.t(&format!("affiliate-destination-{}", p.destination)),
                ]
            })
            .collect(),
        may_join: session.may("POST", JOIN),
        may_link: session.may("POST", LINKS),
        may_pay_out: session.may("POST", PAYOUT),
        key: Uuid::now_v7().to_string(),
        csrf: session.csrf(),
        done,
    })
}

/// The program a form names.
fn program_of(fields: &Fields) -> Result<Uuid, ApiError> {
    Uuid::parse_str(field(fields, "program_id"))
        .map_err(|_| ApiError::unprocessable("invalid_field", "program_id: choose a program"))
}

/// Back to the page at the position of what was written, or the refusal.
fn answered(session: &Session, outcome: Result<i64, ApiError>) -> Response {
    match outcome {
        Ok(position) => {
            Redirect::to(&format!("/my/affiliate?done=1&min_position={position}")).into_response()
        }
        Err(error) => refusal(session, error),
    }
}

/// `POST /my/affiliate/join`: joins an open program of the client's provider.
pub(super) async fn join(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session =
        match posted_permitted(&state, &headers, field(&fields, "csrf"), "POST", JOIN).await {
            Ok(session) => session,
            Err(answer) => return answer,
        };
    let outcome = async {
        let program = program_of(&fields)?;
        let key = key_of(&fields)?;
        let client = session.client_id.as_uuid();
        let route = format!("POST /v1/clients/{client}/affiliate-programs/{program}/join");
        let command = form_command(&session, key, route);
        let key = command.key(&(), program)?;
        let (_, committed) =
            crate::usecases::affiliates::join(&state, &command.context, key, client, program)
                .await?;
        Ok(committed.position)
    }
    .await;
    answered(&session, outcome)
}

/// `POST /my/affiliate/links`: another referral link in a program the client joined.
pub(super) async fn add_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session =
        match posted_permitted(&state, &headers, field(&fields, "csrf"), "POST", LINKS).await {
            Ok(session) => session,
            Err(answer) => return answer,
        };
    let outcome = async {
        let program = program_of(&fields)?;
        let client = session.client_id.as_uuid();
        let context = session.principal.context();
        let (_, committed) =
            crate::usecases::affiliates::add_link(&state, &context, None, client, program).await?;
        Ok(committed.position)
    }
    .await;
    answered(&session, outcome)
}

/// `POST /my/affiliate/payouts`: pays out commission to the client's own balance, the form's
/// key as the payout's id (a second submit pays nothing more); never more than is available.
pub(super) async fn pay_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session =
        match posted_permitted(&state, &headers, field(&fields, "csrf"), "POST", PAYOUT).await {
            Ok(session) => session,
            Err(answer) => return answer,
        };
    let outcome = async {
        let program = program_of(&fields)?;
        let key = key_of(&fields)?;
        let client = session.client_id.as_uuid();
        let route = format!("POST /v1/clients/{client}/affiliate-programs/{program}/payouts");
        let command = form_command(&session, key, route);
        let request: PayoutRequest = crate::http::pages::forms::request(json!({
            "payout_id": key,
            "amount": field(&fields, "amount"),
            "currency": field(&fields, "currency"),
            "destination": "account",
        }))?;
        let committed = run_pay_out(&state, &command, client, program, &request).await?;
        Ok(committed.position)
    }
    .await;
    answered(&session, outcome)
}
