//! Client groups ("resellers", "VIP") and the groups of a client, which staff filter clients by.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::client::ClientName;
use projections::ReadModel;
use projections::clients::GroupRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/client-groups`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// The caller's id for the group: sending it again creates nothing more.
    pub group_id: Uuid,
    /// The provider whose clients it groups.
    pub provider_id: Uuid,
    /// Its name; 1 to 200 characters.
    #[schema(example = "Resellers")]
    pub name: String,
}

/// `PUT /v1/clients/{id}/groups`: the client's groups as they are to be.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetGroupsRequest {
    /// The groups, of the client's provider; `[]` takes the client out of every group.
    pub group_ids: Vec<Uuid>,
}

/// A client group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    /// Its id.
    pub group_id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// Its name.
    pub name: String,
    /// How many clients are in it.
    pub clients: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its discounts, percent by item type: `{"vds": "10"}`.
    #[schema(value_type = Object)]
    pub discounts: serde_json::Value,
}

/// `GET /v1/client-groups` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListGroupsParams {
    /// Only this provider's groups.
    pub provider_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

impl From<GroupRow> for GroupView {
    fn from(row: GroupRow) -> Self {
        GroupView {
            group_id: row.group_id,
            provider_id: row.provider_id,
            name: row.name,
            clients: row.clients,
            created_at: row.created_at,
            discounts: row.discounts,
        }
    }
}

/// Creates a client group of a provider.
#[utoipa::path(post, path = "/v1/client-groups", tag = "clients",
    request_body = CreateGroupRequest,
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 409, description = "a group with this id exists", body = Problem),
        (status = 422, description = "invalid name, or no such provider", body = Problem)))]
pub async fn create_group(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreateGroupRequest>,
) -> Result<Response, ApiError> {
    let name = ClientName::parse(&request.name)?;
    let committed = crate::usecases::groups::create_group(
        &state,
        &command.context,
        request.group_id,
        request.provider_id,
        name,
        &request,
    )
    .await?;
    Ok(accepted(request.group_id, &committed))
}

/// Client groups, by name, a page at a time.
#[utoipa::path(get, path = "/v1/client-groups", tag = "clients",
    params(ListGroupsParams),
    responses((status = 200, description = "the groups", body = Page<GroupView>)))]
pub async fn list_groups(
    State(state): State<AppState>,
    Query(params): Query<ListGroupsParams>,
) -> Result<Json<Page<GroupView>>, ApiError> {
    state
        .consistent(&[ReadModel::Clients], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows =
        projections::clients::groups(&state.pool, params.provider_id, after, limit + 1).await?;
    let items = rows.into_iter().map(GroupView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &GroupView| last.group_id.to_string(),
    )))
}

/// Puts a client in exactly these groups.
#[utoipa::path(put, path = "/v1/clients/{id}/groups", tag = "clients",
    request_body = SetGroupsRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "a group of another provider or none, or the client is merged or deleted", body = Problem)))]
pub async fn set_client_groups(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetGroupsRequest>,
) -> Result<Response, ApiError> {
    let committed = crate::usecases::groups::set_client_groups(
        &state,
        &command.context,
        id,
        &request.group_ids,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `PUT /v1/clients/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatusRequest {
    /// `active` or `inactive`; a client that is not active takes no new orders or payments.
    #[schema(pattern = "^(active|inactive)$", example = "inactive")]
    pub status: ClientStatus,
}

/// A client's status as staff set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientStatus {
    /// Takes orders and payments.
    Active,
    /// Keeps its services and history, takes no new orders or payments.
    Inactive,
}

/// Marks a client active or not active.
#[utoipa::path(put, path = "/v1/clients/{id}/status", tag = "clients",
    request_body = SetStatusRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "the client is merged or deleted", body = Problem)))]
pub async fn set_client_status(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetStatusRequest>,
) -> Result<Response, ApiError> {
    let committed = crate::usecases::clients::set_client_status(
        &state,
        &command.context,
        id,
        request.status == ClientStatus::Active,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}
