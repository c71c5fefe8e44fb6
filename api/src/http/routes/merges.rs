//! Merging clients: one or more source clients merged into a target client of the same provider
//! (docs/adr/0006-merging-accounts.md). The request only starts the merge; the merging process
//! moves the services, payers and balances step by step, and `GET /v1/merges/{id}` shows them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use projections::ReadModel;
use projections::merges::{MergeRow, MergeStepRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/clients/{id}/merge`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The caller's id for the merge: sending the same request again starts nothing more.
    pub merge_id: Uuid,
    /// The clients merged into this one: 1 to 100, distinct, of the same provider, not merged.
    pub sources: Vec<Uuid>,
}

/// A merge and its steps so far.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MergeView {
    /// Its id.
    pub merge_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The client everything moves to.
    pub target_id: Uuid,
    /// The sources with their accounts.
    #[schema(value_type = Vec<Object>)]
    pub sources: serde_json::Value,
    /// `running` or `completed`.
    pub status: String,
    /// The day it started.
    #[schema(value_type = String, format = Date)]
    pub started_on: NaiveDate,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When its last step was done.
    pub completed_at: Option<DateTime<Utc>>,
    /// The steps done, in log order.
    pub steps: Vec<MergeStepView>,
}

/// One step of a merge.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MergeStepView {
    /// The global position of its event.
    pub position: i64,
    /// `source_merged`, `service_moved`, `payer_moved`, `contact_moved`, `domain_moved`,
    /// `balance_out` or `balance_in`; after the merge, `forwarded_out` and `forwarded_in` for
    /// what reached a merged account and moved on.
    pub step: String,
    /// The source client, for a source marked merged or a service, payer, domain contact or
    /// domain moved.
    pub client_id: Option<Uuid>,
    /// The service, payer, domain contact, domain or account.
    pub subject_id: Option<Uuid>,
    /// The balance moved, signed (negative for a debt), for a balance step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Its currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// When it was done.
    pub occurred_at: DateTime<Utc>,
}

impl From<MergeStepRow> for MergeStepView {
    fn from(row: MergeStepRow) -> Self {
        MergeStepView {
            position: row.position,
            step: row.step,
            client_id: row.client_id,
            subject_id: row.subject_id,
            amount: row
                .amount
                .zip(row.currency.as_deref())
                .map(|(amount, currency)| crate::http::answer::format_amount(amount, currency)),
            currency: row.currency,
            occurred_at: row.occurred_at,
        }
    }
}

/// Starts merging the sources into the client `id`: their services, payers and balances (per
/// provider and currency; positive balances and debts alike) move to it, and the sources are
/// marked merged and refuse every command from then on. Answers at once with the merge id;
/// the steps follow (`GET /v1/merges/{id}`). Idempotent by `merge_id`.
#[utoipa::path(post, path = "/v1/clients/{id}/merge", tag = "clients",
    request_body = MergeRequest,
    params(("id" = Uuid, Path, description = "the target client")),
    responses(
        (status = 202, description = "started (or already started by this request)", body = Accepted),
        (status = 404, description = "no such target client", body = Problem),
        (status = 422, description = "no sources or too many, a source unknown, of another provider, merged, deleted or named twice, or the target among them", body = Problem)))]
pub async fn merge_clients(
    State(state): State<AppState>,
    command: Command,
    Path(target_id): Path<Uuid>,
    Body(request): Body<MergeRequest>,
) -> Result<Response, ApiError> {
    let committed = run_merge_clients(&state, &command, target_id, &request).await?;
    Ok(accepted_with(
        StatusCode::ACCEPTED,
        request.merge_id,
        &committed,
    ))
}

/// What `POST /v1/clients/{id}/merge` does, and the staff panel's merge form with it: keys the
/// request by its `merge_id` and starts the merge.
pub async fn run_merge_clients(
    state: &AppState,
    command: &Command,
    target_id: Uuid,
    request: &MergeRequest,
) -> Result<eventstore::Committed<domain::merge::Merge>, ApiError> {
    let key = command.key(request, request.merge_id)?;
    let input = crate::usecases::merges::MergeInput {
        merge_id: request.merge_id,
        target_id,
        sources: request.sources.clone(),
    };
    Ok(crate::usecases::merges::merge_clients(state, &command.context, key, input).await?)
}

/// A merge with the steps done so far.
#[utoipa::path(get, path = "/v1/merges/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "the merge"), Consistency),
    responses(
        (status = 200, description = "the merge", body = MergeView),
        (status = 404, description = "no such merge", body = Problem)))]
pub async fn get_merge(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<MergeView>, ApiError> {
    state
        .consistent(&[ReadModel::Merges], consistency.min_position)
        .await?;
    let Some((
        MergeRow {
            merge_id,
            provider_id,
            target_id,
            sources,
            status,
            started_on,
            started_at,
            completed_at,
        },
        steps,
    )) = projections::merges::merge_with_steps(&state.pool, id).await?
    else {
        return Err(ApiError::not_found(
            "merge_not_found",
            format!("no merge {id}"),
        ));
    };
    let steps = steps.into_iter().map(MergeStepView::from).collect();
    Ok(Json(MergeView {
        merge_id,
        provider_id,
        target_id,
        sources,
        status,
        started_on,
        started_at,
        completed_at,
        steps,
    }))
}
