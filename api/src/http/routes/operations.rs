//! Provisioning operations: what an external provisioning service lists and reports on.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::ids::OperationId;
use domain::service::{Service, ServiceCommand};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::routes::services::{
    OPERATION_COLUMNS, OperationRow, OperationView, operation_view,
};
use crate::http::state::AppState;

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
    let rows: Vec<OperationRow> = sqlx::query_as(&format!(
        "SELECT {OPERATION_COLUMNS} FROM operations
          WHERE ($1::text IS NULL OR status = $1)
            AND ($2::text IS NULL OR kind = $2)
            AND ($3::uuid IS NULL OR id > $3)
          ORDER BY id
          LIMIT $4"
    ))
    .bind(params.status)
    .bind(params.kind)
    .bind(after)
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let items = rows.into_iter().map(operation_view).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |o: &OperationView| o.id.to_string(),
    )))
}

async fn service_of(state: &AppState, operation: Uuid) -> Result<Uuid, ApiError> {
    sqlx::query_scalar("SELECT service_id FROM operations WHERE id = $1")
        .bind(operation)
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("operation_not_found", format!("no operation {operation}"))
        })
}

async fn run(
    state: &AppState,
    command: &Command,
    operation: Uuid,
    request: &impl Serialize,
    cmd: ServiceCommand,
) -> Result<Response, ApiError> {
    let service = service_of(state, operation).await?;
    let key = command.key(request, operation)?;
    let committed = state
        .store
        .execute::<Service>(&service.to_string(), cmd, &command.context, key.as_slice())
        .await?;
    Ok(accepted_with(StatusCode::OK, operation, &committed))
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
    let cmd = ServiceCommand::CompleteOperation {
        operation_id: OperationId::from_uuid(id),
    };
    run(&state, &command, id, &"complete", cmd).await
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
    let cmd = ServiceCommand::FailOperation {
        operation_id: OperationId::from_uuid(id),
        reason: request.reason.clone(),
    };
    run(&state, &command, id, &("fail", &request), cmd).await
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
    let new = Uuid::now_v7();
    let service = service_of(&state, id).await?;
    let key = command.key(&(), new)?;
    let committed = state
        .store
        .execute::<Service>(
            &service.to_string(),
            ServiceCommand::RetryOperation {
                operation_id: OperationId::from_uuid(id),
                new_operation_id: OperationId::from_uuid(new),
            },
            &command.context,
            key.as_slice(),
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, new, &committed))
}
