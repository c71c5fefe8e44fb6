//! Affiliate programs on the staff panel (issue 20.1): `/dashboard/affiliate-programs` lists the
//! programs with their statistics per currency (affiliates, clicks, sign-ups, earning referred
//! clients, accrued, paid, available), creates one and closes one through the same code as
//! `POST /v1/affiliate-programs` and `…/{id}/close`; the client page's affiliate block shows a
//! client's memberships, links, accruals and payouts, with a payout form that runs what
//! `POST /v1/clients/{id}/affiliate-programs/{program}/payouts` runs (the block itself is
//! `client_affiliate`, apart so that the client page does not import the actions). A refusal is
//! shown on the page with its status and writes nothing.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::affiliate::CommissionBasis;
use projections::ReadModel;
use serde_json::json;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, finish, request};
use super::{Session, failed, may_open};
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::forms::new_key;
use crate::http::pages::{Layout, render};
use crate::http::routes::affiliates::{
    CreateProgramRequest, PayoutRequest, run_create_program, run_pay_out,
};
use crate::http::state::AppState;

/// The API route the page is checked against.
pub(super) const LIST_ROUTE: &str = "/v1/affiliate-programs";
/// The API route of the close buttons.
const CLOSE_ROUTE: &str = "/v1/affiliate-programs/{id}/close";
use super::client_affiliate::PAYOUT_ROUTE;
/// The most programs the page lists.
const LISTED: i64 = 500;

/// One program's line.
struct ProgramLine {
    id: String,
    name: String,
    provider: String,
    rule: String,
    closed: bool,
    affiliates: i64,
    clicks: i64,
    sign_ups: i64,
    earning: i64,
    /// Per currency: currency, accrued, paid, available.
    totals: Vec<[String; 4]>,
}

#[derive(Template)]
#[template(path = "affiliate_programs.html")]
struct ProgramsPage {
    layout: Layout,
    programs: Vec<ProgramLine>,
    /// The providers of the creation form (id, label), for staff who may create.
    create: Option<Vec<(String, String)>>,
    may_close: bool,
    csrf: String,
    key: String,
    done: Option<String>,
    error: Option<String>,
}

/// Whether the page follows a change.
#[derive(serde::Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    at: Option<i64>,
}

/// The rule as words: "10 % of payments, for 12 months (vds)".
fn rule_text(lang: Lang, rule: &domain::affiliate::CommissionRule) -> String {
    let basis = match rule.basis {
        CommissionBasis::Payments => lang.t("affiliate-basis-payments"),
        CommissionBasis::Charges => lang.t("affiliate-basis-charges"),
    };
    let mut text = lang.t1(
        "affiliate-rule-percent",
        "percent",
        &rule.percent.normalize().to_string(),
    );
    text.push(' ');
    text.push_str(&basis);
    text.push_str(", ");
    text.push_str(&match rule.months {
        Some(months) => lang.t1("affiliate-rule-months", "months", &months.to_string()),
        None => lang.t("affiliate-rule-forever"),
    });
    if !rule.item_types.is_empty() {
        let types: Vec<String> = rule.item_types.iter().map(ToString::to_string).collect();
        text.push_str(&format!(" ({})", types.join(", ")));
    }
    text
}

/// `GET /dashboard/affiliate-programs`.
pub(super) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Response {
    let session = match may_open(&state, &headers, LIST_ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    if let Err(error) = state.consistent(&[ReadModel::Affiliates], done.at).await {
        return failed(error);
    }
    show(&state, &session, done.done, None, StatusCode::OK).await
}

async fn show(
    state: &AppState,
    session: &Session,
    done: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    match lines(state, session).await {
        Ok((programs, create)) => render(
            status,
            &ProgramsPage {
                layout: session.layout(session.lang.t("affiliate-programs-title")),
                programs,
                create,
                may_close: session.may("POST", CLOSE_ROUTE),
                csrf: session.csrf(),
                key: new_key(),
                done,
                error,
            },
        ),
        Err(error) => failed(error),
    }
}

type Lines = (Vec<ProgramLine>, Option<Vec<(String, String)>>);

async fn lines(state: &AppState, session: &Session) -> Result<Lines, ApiError> {
    let pool = &state.pool;
    let lang = session.lang;
    let rows = projections::affiliates::programs(pool, None, None, LISTED).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.program_id).collect();
    let stats = projections::affiliates::program_stats(pool, &ids).await?;
    let totals = projections::affiliates::program_totals(pool, &ids).await?;
    let providers = projections::clients::providers(pool).await?;
    let programs = rows
        .into_iter()
        .map(|row| {
            let stat = stats.iter().find(|s| s.program_id == row.program_id);
            ProgramLine {
                id: row.program_id.to_string(),
                provider: providers
                    .iter()
                    .find(|p| p.id == row.provider_id)
                    .map_or_else(|| row.provider_id.to_string(), |p| p.name.clone()),
                rule: rule_text(lang, &row.rule.0),
                name: row.name,
                closed: row.closed,
                affiliates: stat.map_or(0, |s| s.affiliates),
                clicks: stat.map_or(0, |s| s.clicks),
                sign_ups: stat.map_or(0, |s| s.sign_ups),
                earning: stat.map_or(0, |s| s.earning_clients),
                totals: totals
                    .iter()
                    .filter(|t| t.program_id == row.program_id)
                    .map(|t| {
                        [
                            t.currency.clone(),
                            lang.money(t.accrued, &t.currency),
                            lang.money(t.paid, &t.currency),
                            lang.money(t.accrued - t.paid, &t.currency),
                        ]
                    })
                    .collect(),
            }
        })
        .collect();
    let create = session.may("POST", LIST_ROUTE).then(|| {
        providers
            .iter()
            .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.currency)))
            .collect()
    });
    Ok((programs, create))
}

/// The answer to a form of the programs page.
async fn answered(
    state: &AppState,
    session: &Session,
    done: &str,
    outcome: Result<i64, ApiError>,
) -> Response {
    match outcome {
        Ok(position) => Redirect::to(&format!(
            "/dashboard/affiliate-programs?done={done}&at={position}"
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let status = error.status();
            let detail = format!("{} ({})", error.detail(), error.code());
            show(state, session, None, Some(detail), status).await
        }
    }
}

/// Creates a program: `POST /v1/affiliate-programs`, the form's key as the program's id.
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", LIST_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, "POST /v1/affiliate-programs".to_owned())?;
        let months = field(&fields, "months");
        let months = if months.is_empty() {
            json!(null)
        } else {
            json!(months.parse::<u32>().map_err(|_| {
                ApiError::unprocessable(
                    "invalid_field",
                    format!("months: a whole number of months, not {months:?}"),
                )
            })?)
        };
        let item_types: Vec<&str> = field(&fields, "item_types")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let request: CreateProgramRequest = request(json!({
            "program_id": fields.key.trim(),
            "provider_id": field(&fields, "provider_id"),
            "name": field(&fields, "name"),
            "rule": {
                "basis": field(&fields, "basis"),
                "percent": field(&fields, "percent"),
                "months": months,
                "item_types": item_types,
            },
        }))?;
        Ok(run_create_program(&state, &command, &request)
            .await?
            .position)
    }
    .await;
    answered(&state, &session, "created", outcome).await
}

/// Closes a program: `POST /v1/affiliate-programs/{id}/close`.
pub(super) async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", CLOSE_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("POST /v1/affiliate-programs/{id}/close");
        let command = command(&session, &fields, route)?;
        let key = command.key(&(), id)?;
        let committed =
            crate::usecases::affiliates::close_program(&state, &command.context, key, id).await?;
        Ok(committed.position)
    }
    .await;
    answered(&state, &session, "closed", outcome).await
}

/// Pays out a client's commission from the client page:
/// `POST /v1/clients/{id}/affiliate-programs/{program}/payouts`, the form's key as the payout's
/// id (a second submit pays nothing more).
pub(super) async fn pay_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", PAYOUT_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let program = Uuid::parse_str(field(&fields, "program_id")).map_err(|_| {
            ApiError::unprocessable("invalid_field", "program_id: choose a program")
        })?;
        let route = format!("POST /v1/clients/{client_id}/affiliate-programs/{program}/payouts");
        let command = command(&session, &fields, route)?;
        let reference = field(&fields, "reference");
        let request: PayoutRequest = request(json!({
            "payout_id": fields.key.trim(),
            "amount": field(&fields, "amount"),
            "currency": field(&fields, "currency"),
            "destination": field(&fields, "destination"),
            "reference": (!reference.is_empty()).then_some(reference),
        }))?;
        Ok(run_pay_out(&state, &command, client_id, program, &request)
            .await?
            .position)
    }
    .await;
    finish(&state, &session, client_id, "affiliate-payout", outcome).await
}
