//! Provisioning operations: what an external provisioning service lists and reports on.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::http::views::OperationView;
use crate::usecases::operations as usecase;

/// `GET /v1/operations` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOperationsParams {
    /// `pending`, `failed`, `retried` or `done`.
    pub status: Option<String>,
    /// `activate`, `suspend`, `resume` or `delete`.
    pub kind: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// `POST /v1/operations/{id}/fail`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailRequest {
    /// What went wrong, for staff.
    pub reason: String,
}

/// Lists operations, oldest first.
#[utoipa::path(get, path = "/v1/operations", tag = "operations",
    params(ListOperationsParams),
    responses((status = 200, description = "a page of operations", body = Page<OperationView>)))]
pub async fn list_operations(
    State(state): State<AppState>,
    Query(params): Query<ListOperationsParams>,
) -> Result<Json<Page<OperationView>>, ApiError> {
    state
        .consistent(&[ReadModel::Services], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows = projections::services::operations(
        &state.pool,
        params.status.as_deref(),
        params.kind.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let items = rows.into_iter().map(OperationView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |o: &OperationView| o.id.to_string(),
    )))
}

/// The provisioning service reports an operation done.
#[utoipa::path(post, path = "/v1/operations/{id}/complete", tag = "operations",
    params(("id" = Uuid, Path, description = "the operation")),
    responses(
        (status = 200, description = "recorded", body = Accepted),
        (status = 404, description = "no such operation", body = Problem),
        (status = 422, description = "not the service's current operation", body = Problem)))]
pub async fn complete_operation(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = command.key(&"complete", id)?;
    let committed = usecase::complete_operation(&state, &command.context, key, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The provisioning service reports an operation failed; staff see it and may retry it.
#[utoipa::path(post, path = "/v1/operations/{id}/fail", tag = "operations",
    request_body = FailRequest,
    params(("id" = Uuid, Path, description = "the operation")),
    responses(
        (status = 200, description = "recorded", body = Accepted),
        (status = 404, description = "no such operation", body = Problem),
        (status = 422, description = "not pending", body = Problem)))]
pub async fn fail_operation(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<FailRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&("fail", &request), id)?;
    let committed =
        usecase::fail_operation(&state, &command.context, key, id, request.reason).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Staff retry a failed operation; it is requested again under a new id.
#[utoipa::path(post, path = "/v1/operations/{id}/retry", tag = "operations",
    params(("id" = Uuid, Path, description = "the failed operation")),
    responses(
        (status = 200, description = "requested again; `id` is the new operation", body = Accepted),
        (status = 404, description = "no such operation", body = Problem),
        (status = 422, description = "not failed", body = Problem)))]
pub async fn retry_operation(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let (new, committed) = run_retry_operation(&state, &command, id).await?;
    Ok(accepted_with(StatusCode::OK, new, &committed))
}

/// What `POST /v1/operations/{id}/retry` does, and the staff panel's retry button with it:
/// requests the failed operation again under a new id; answers that id.
pub async fn run_retry_operation(
    state: &AppState,
    command: &Command,
    id: Uuid,
) -> Result<(Uuid, eventstore::Committed<domain::service::Service>), ApiError> {
    let new = Uuid::now_v7();
    let key = command.key(&(), new)?;
    let committed = usecase::retry_operation(state, &command.context, key, id, new).await?;
    Ok((new, committed))
}
