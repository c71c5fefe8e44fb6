//! A client's users, and staff acting as a client ("switch to the customer panel").

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use domain::access::ClientRole;
use domain::ids::ClientId;
use eventstore::Committed;
use eventstore::metadata::CommandContext;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{
    Accepted, Page, accepted, accepted_with, limit, page, time_cursor, time_cursor_of,
};
use crate::http::auth::Principal;
use crate::http::auth::throttle::Source;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::http::views::{TokenIssued, UserRequest};
use crate::usecases::access;

/// Adds a user to a client.
#[utoipa::path(post, path = "/v1/clients/{id}/users", tag = "clients",
    request_body = UserRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 409, description = "the login is taken", body = Problem),
        (status = 422, description = "an invalid login, name, role or password", body = Problem),
        (status = 429, description = "too many logins found taken; see Retry-After", body = Problem)))]
pub async fn create_client_user(
    State(state): State<AppState>,
    source: Source,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<UserRequest>,
) -> Result<Response, ApiError> {
    let request = access::UserRequest::from(&request);
    let (user_id, committed) =
        create_within_limits(&state, &source, &command.context, id, &request).await?;
    Ok(accepted(user_id.as_uuid(), &committed))
}

/// Creates a user of `client` within the sign-in limits (the API's route and the customer
/// panel's form share it). A `login_taken` answer says that an address is someone's login (a
/// staff member's, or any client's user's): each counts as a failed sign-in of the caller and of
/// its address, so that the route cannot be used to find out, address after address, who has
/// an account here (`429` with `Retry-After` after too many, as for sign-ins).
pub(crate) async fn create_within_limits(
    state: &AppState,
    source: &Source,
    context: &CommandContext,
    client: Uuid,
    request: &access::UserRequest,
) -> Result<(domain::ids::UserId, Committed<domain::access::ClientUser>), ApiError> {
    access::secret::check_length(&request.password)?;
    let attempt = state
        .sign_in
        .begin(&source.address, &format!("user-create:{}", context.actor))?;
    let created = access::create_client_user(state, context, client, request).await;
    if let Err(error) = &created
        && error.code == "login_taken"
    {
        attempt.failed();
    }
    Ok(created?)
}

/// `PUT /v1/clients/{id}/users/{user}/roles`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// The user's roles, whole: `owner`, `billing`, `technical`; at least one.
    #[schema(value_type = Vec<String>, example = json!(["billing", "technical"]))]
    pub roles: BTreeSet<ClientRole>,
}

/// Replaces a user's roles. The client always keeps at least one enabled owner: taking the
/// owner role from the last one is refused (`last_owner`). The user's permissions change at
/// its next request.
#[utoipa::path(put, path = "/v1/clients/{id}/users/{user}/roles", tag = "clients",
    request_body = RolesRequest,
    params(("id" = Uuid, Path, description = "the client"),
        ("user" = Uuid, Path, description = "the user")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such client, or no such user of it", body = Problem),
        (status = 422, description = "no roles, or the last enabled owner (`last_owner`)", body = Problem)))]
pub async fn set_client_user_roles(
    State(state): State<AppState>,
    command: Command,
    Path((id, user)): Path<(Uuid, Uuid)>,
    Body(request): Body<RolesRequest>,
) -> Result<Response, ApiError> {
    change(
        &state,
        &command,
        id,
        user,
        access::UserChange::Roles(request.roles),
    )
    .await
}

/// Disables a user: it cannot sign in, and its tokens stop working at once. The last enabled
/// owner cannot be disabled (`last_owner`).
#[utoipa::path(post, path = "/v1/clients/{id}/users/{user}/disable", tag = "clients",
    params(("id" = Uuid, Path, description = "the client"),
        ("user" = Uuid, Path, description = "the user")),
    responses(
        (status = 200, description = "disabled (or already so)", body = Accepted),
        (status = 404, description = "no such client, or no such user of it", body = Problem),
        (status = 422, description = "the last enabled owner (`last_owner`)", body = Problem)))]
pub async fn disable_client_user(
    State(state): State<AppState>,
    command: Command,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    change(&state, &command, id, user, access::UserChange::Disable).await
}

/// Enables a disabled user again: it signs in anew; the tokens it had stay void.
#[utoipa::path(post, path = "/v1/clients/{id}/users/{user}/enable", tag = "clients",
    params(("id" = Uuid, Path, description = "the client"),
        ("user" = Uuid, Path, description = "the user")),
    responses(
        (status = 200, description = "enabled (or already so)", body = Accepted),
        (status = 404, description = "no such client, or no such user of it", body = Problem)))]
pub async fn enable_client_user(
    State(state): State<AppState>,
    command: Command,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    change(&state, &command, id, user, access::UserChange::Enable).await
}

async fn change(
    state: &AppState,
    command: &Command,
    client: Uuid,
    user: Uuid,
    change: access::UserChange,
) -> Result<Response, ApiError> {
    let committed =
        access::change_client_user(state, &command.context, client, user, change).await?;
    Ok(accepted_with(StatusCode::OK, user, &committed))
}

/// A client's user as listed (never its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its login.
    pub email: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/clients/{id}/users` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A client's users, oldest first.
#[utoipa::path(get, path = "/v1/clients/{id}/users", tag = "clients",
    params(("id" = Uuid, Path, description = "the client"), ListUsersParams),
    responses((status = 200, description = "the users", body = Page<UserView>)))]
pub async fn list_client_users(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(params): Query<ListUsersParams>,
) -> Result<Json<Page<UserView>>, ApiError> {
    state
        .consistent(&[ReadModel::Access], params.min_position)
        .await?;
    let limit = limit(params.limit)?;
    let rows = projections::access::users_of_client(
        &state.pool,
        id,
        time_cursor(params.after.as_deref())?,
        limit + 1,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| UserView {
            id: row.id,
            name: row.name,
            email: row.login,
            roles: row.roles.0,
            status: row.status,
            created_at: row.created_at,
        })
        .collect();
    Ok(Json(page(items, limit, |u: &UserView| {
        time_cursor_of(u.created_at, u.id)
    })))
}

/// Gives a staff member a short-lived token acting as the client: it sees and may do what the
/// client's owner may, but never more than the staff member itself may, and every event written with it has the staff member as actor
/// and the client in `on_behalf_of`. The bootstrap administrator token cannot act as a client:
/// log in as a staff member.
#[utoipa::path(post, path = "/v1/clients/{id}/act-as", tag = "clients",
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "a token acting as the client, shown only now", body = TokenIssued),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "the client is deleted, or the caller is no staff member", body = Problem)))]
pub async fn act_as_client(
    State(state): State<AppState>,
    command: Command,
    Extension(principal): Extension<Principal>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let issued = run_act_as_client(&state, &command, &principal, id).await?;
    Ok((StatusCode::CREATED, Json(TokenIssued::from(issued))).into_response())
}

/// What `POST /v1/clients/{id}/act-as` does, and the staff panel's "act as this client" with it:
/// issues the short-lived token acting as the client.
pub async fn run_act_as_client(
    state: &AppState,
    command: &Command,
    principal: &Principal,
    id: Uuid,
) -> Result<access::IssuedToken, ApiError> {
    Ok(access::act_as_client(state, &command.context, principal, ClientId::from_uuid(id)).await?)
}
