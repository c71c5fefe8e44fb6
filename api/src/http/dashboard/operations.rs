//! Provisioning operations and the billing day: the operations by status with their clients' and
//! services' names, keyset pages, a retry of a failed one, and running the billing day for staff
//! who may (`POST /v1/billing/runs`), with its report.

use std::collections::HashMap;

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use projections::ReadModel;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, request};
use super::clients::FormError;
use super::{Layout, Session, failed, may_open, render};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pages::forms::new_key;
use crate::http::routes::{billing, operations};
use crate::http::state::AppState;
use crate::usecases::billing::BillingDayReport;

/// Operations per page.
const PAGE: i64 = 100;

/// The statuses an operation may have, the list's tabs.
const STATUSES: [&str; 4] = ["failed", "pending", "retried", "done"];

#[derive(Deserialize, Default)]
pub(super) struct OperationsParams {
    status: Option<String>,
    after: Option<Uuid>,
    done: Option<String>,
    /// The position of an action's last event, which the page's read models must have applied.
    at: Option<i64>,
}

/// The operations page.
#[derive(Template)]
#[template(path = "operations.html")]
struct OperationsPage {
    layout: Layout,
    status: &'static str,
    statuses: [&'static str; 4],
    pending: i64,
    failed: i64,
    rows: Vec<OperationRow>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
    csrf: String,
    /// The billing day form: its key and the day it suggests, for staff who may run it.
    billing: Option<(String, String)>,
    /// What the billing day just run did: (label's catalogue key, figure).
    report: Option<Vec<(&'static str, String)>>,
    error: Option<FormError>,
    /// The catalogue key of what was just done.
    done: Option<&'static str>,
}

struct OperationRow {
    id: String,
    kind: String,
    status: String,
    attempt: i32,
    reason: String,
    requested_on: String,
    created: String,
    client_id: String,
    client: String,
    service: String,
    /// The retry form's key, for a failed operation and staff who may retry.
    retry_key: Option<String>,
}

/// The operations page.
pub(super) async fn operations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<OperationsParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/operations").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let reads = [ReadModel::Services, ReadModel::Clients];
    if let Err(error) = state.consistent(&reads, params.at).await {
        return failed(error);
    }
    let done = params.done.as_deref().map(|_| "operations-done-retry");
    page(&state, &session, &params, None, None, done).await
}

async fn page(
    state: &AppState,
    session: &Session,
    params: &OperationsParams,
    report: Option<BillingDayReport>,
    error: Option<FormError>,
    done: Option<&'static str>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    match body(state, session, params, report, error, done).await {
        Ok(page) => render(status, &page),
        Err(error) => failed(error),
    }
}

async fn body(
    state: &AppState,
    session: &Session,
    params: &OperationsParams,
    report: Option<BillingDayReport>,
    error: Option<FormError>,
    done: Option<&'static str>,
) -> Result<OperationsPage, ApiError> {
    let pool = &state.pool;
    let status = STATUSES
        .into_iter()
        .find(|s| Some(*s) == params.status.as_deref())
        .unwrap_or("failed");
    let mut found =
        projections::services::operations(pool, Some(status), None, params.after, PAGE + 1).await?;
    let limit = usize::try_from(PAGE).unwrap_or(100);
    let next = if found.len() > limit {
        found.truncate(limit);
        found
            .last()
            .map(|last| format!("status={status}&after={}", last.id))
    } else {
        None
    };
    let (pending, failed_count) = projections::services::operations_waiting_count(pool).await?;
    let clients: Vec<Uuid> = found.iter().map(|o| o.client_id).collect();
    let services: Vec<Uuid> = found.iter().map(|o| o.service_id).collect();
    let clients: HashMap<Uuid, String> = projections::clients::names(pool, &clients)
        .await?
        .into_iter()
        .collect();
    let services: HashMap<Uuid, String> = projections::services::names(pool, &services)
        .await?
        .into_iter()
        .collect();
    let retry = session.may("POST", "/v1/operations/{id}/retry");
    let rows = found
        .into_iter()
        .map(|op| OperationRow {
            id: op.id.to_string(),
            retry_key: (retry && op.status == "failed").then(new_key),
            kind: session.lang.named(&op.kind),
            status: session.lang.named_in("operation-status", &op.status),
            attempt: op.attempt,
            reason: op.reason.unwrap_or_default(),
            requested_on: session.lang.date(op.requested_on),
            created: session.zone.time(op.created_at),
            client_id: op.client_id.to_string(),
            client: clients.get(&op.client_id).cloned().unwrap_or_default(),
            service: services.get(&op.service_id).cloned().unwrap_or_default(),
        })
        .collect();
    let billing = session
        .may("POST", "/v1/billing/runs")
        .then(|| (new_key(), session.zone.today().to_string()));
    let report = report.map(|r| {
        vec![
            ("billing-day", session.lang.date(r.as_of)),
            ("billing-services", r.services.to_string()),
            ("billing-charged", r.charged.to_string()),
            ("billing-refused", r.refused.to_string()),
            ("billing-suspensions", r.suspensions.to_string()),
            ("billing-deletions", r.deletions.to_string()),
            ("billing-closed", r.closed.to_string()),
            ("billing-notices", r.notices.to_string()),
            ("billing-took", r.elapsed_ms.to_string()),
        ]
    });
    Ok(OperationsPage {
        layout: session.layout(session.lang.t("title-operations")),
        status,
        statuses: STATUSES,
        pending,
        failed: failed_count,
        rows,
        next,
        csrf: session.csrf(),
        billing,
        report,
        error,
        done,
    })
}

/// Retries a failed operation: `POST /v1/operations/{id}/retry`.
pub(super) async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/operations/{id}/retry";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, format!("POST /v1/operations/{id}/retry"))?;
        operations::run_retry_operation(&state, &command, id).await
    }
    .await;
    match outcome {
        Ok((_, committed)) => Redirect::to(&format!(
            "/dashboard/operations?status=failed&done=retry&at={}",
            committed.position
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let params = OperationsParams::default();
            let refused = Some(FormError::said(session.lang, "retry", &error));
            page(&state, &session, &params, None, refused, None).await
        }
    }
}

/// Runs the billing day: `POST /v1/billing/runs`; the page shows its report. Running it again
/// for the same day changes nothing (the billing day's own rule).
pub(super) async fn run_billing_day(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", "/v1/billing/runs").await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, "POST /v1/billing/runs".to_owned())?;
        let request: billing::BillingRunRequest =
            request(json!({ "as_of": field(&fields, "as_of") }))?;
        billing::run_billing_day(&state, &command, &request).await
    }
    .await;
    let params = OperationsParams::default();
    match outcome {
        Ok(report) => page(&state, &session, &params, Some(report), None, None).await,
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let refused = Some(FormError::said(session.lang, "billing", &error));
            page(&state, &session, &params, None, refused, None).await
        }
    }
}
