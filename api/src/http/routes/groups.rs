//! Client groups ("resellers", "VIP") and the groups of a client, which staff filter clients by.

use projections::ReadModel;
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::client::{Client, ClientCommand, ClientName};
use domain::group::{ClientGroup, ClientGroupCommand};
use domain::ids::{ClientGroupId, ProviderId};
use domain::provider::Provider;
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
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
}

/// `GET /v1/client-groups` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListGroupsParams {
    /// Only this provider's groups.
    pub provider_id: Option<Uuid>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
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
    let provider = state
        .store
        .load::<Provider>(&request.provider_id.to_string())
        .await?
        .aggregate;
    if !provider.is_created() {
        return Err(ApiError::unprocessable(
            "provider_not_found",
            format!("provider_id: no provider {}", request.provider_id),
        ));
    }
    let key = eventstore::CommandKey::new(
        "client-group",
        request.group_id.to_string(),
        &request,
        serde_json::json!({ "id": request.group_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let committed = state
        .store
        .execute::<ClientGroup>(
            &request.group_id.to_string(),
            ClientGroupCommand::CreateClientGroup {
                group_id: ClientGroupId::from_uuid(request.group_id),
                provider_id: ProviderId::from_uuid(request.provider_id),
                name,
            },
            &command.context,
            &[key],
        )
        .await?;
    Ok(accepted(request.group_id, &committed))
}

/// Client groups, by name.
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
    let items: Vec<GroupView> = sqlx::query_as(
        "SELECT g.group_id, g.provider_id, g.name,
                (SELECT count(*) FROM client_group_members m WHERE m.group_id = g.group_id)
                    AS clients,
                g.created_at
           FROM client_groups g
          WHERE $1::uuid IS NULL OR g.provider_id = $1
          ORDER BY g.name, g.group_id LIMIT 1000",
    )
    .bind(params.provider_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page { items, next: None }))
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
    let (provider_id, _) = crate::usecases::clients::active(&state, id).await?;
    let mut groups = BTreeSet::new();
    for group_id in &request.group_ids {
        let group = state
            .store
            .load::<ClientGroup>(&group_id.to_string())
            .await?
            .aggregate;
        if group.provider_id() != Some(provider_id) {
            return Err(ApiError::unprocessable(
                "client_group_not_found",
                format!("group_ids: the client's provider has no group {group_id}"),
            ));
        }
        groups.insert(ClientGroupId::from_uuid(*group_id));
    }
    let committed = state
        .store
        .execute::<Client>(
            &id.to_string(),
            ClientCommand::SetClientGroups { groups },
            &command.context,
            &[],
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
    let committed = state
        .store
        .execute::<Client>(
            &id.to_string(),
            ClientCommand::SetClientStatus {
                active: request.status == ClientStatus::Active,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}
