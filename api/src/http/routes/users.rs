//! A client's users, and staff acting as a client ("switch to the customer panel").

use projections::ReadModel;
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use domain::access::{
    ClientRole, ClientUser, DisplayName, Login, Permissions, StaffMember, TokenSubject,
    UserCommand, acting_permissions,
};
use domain::client::Client;
use domain::ids::{ClientId, StaffId, UserId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted};
use crate::http::auth::{Principal, secret};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::routes::auth::TokenIssued;
use crate::http::state::AppState;

/// How long an act-as token works.
pub const ACT_AS_MINUTES: i64 = 60;

/// A new user of a client.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    /// The e-mail address the user logs in with; one staff member or user per address.
    pub email: String,
    /// The password, 8 to 1024 bytes; only its argon2 hash is kept.
    pub password: String,
    /// The user's name; the e-mail address when absent.
    pub name: Option<String>,
    /// `owner`, `billing`, `technical`; `owner` when absent.
    #[schema(value_type = Option<Vec<String>>, example = json!(["billing"]))]
    pub roles: Option<BTreeSet<ClientRole>>,
}

/// Refuses a login a staff member or a user already has.
pub async fn ensure_login_free(state: &AppState, login: &Login) -> Result<(), ApiError> {
    let staff = state
        .store
        .load::<StaffMember>(&StaffId::for_login(login).to_string())
        .await?
        .aggregate;
    let user = state
        .store
        .load::<ClientUser>(&UserId::for_login(login).to_string())
        .await?
        .aggregate;
    if staff.is_created() || user.is_created() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "login_taken",
            "email: this login is taken",
        ));
    }
    Ok(())
}

/// A user checked and ready to be created: the password is hashed and dropped here.
pub struct NewUser {
    login: Login,
    name: DisplayName,
    roles: BTreeSet<ClientRole>,
    password_hash: domain::access::PasswordHash,
}

impl NewUser {
    /// Checks the request (login free, password long enough) and hashes the password.
    pub async fn prepare(state: &AppState, request: &UserRequest) -> Result<NewUser, ApiError> {
        let login = Login::parse(&request.email)?;
        let name = DisplayName::parse(request.name.as_deref().unwrap_or(login.as_str()))?;
        let roles = request
            .roles
            .clone()
            .unwrap_or_else(|| BTreeSet::from([ClientRole::Owner]));
        ensure_login_free(state, &login).await?;
        let password_hash = secret::hash_password(&request.password).await?;
        Ok(NewUser {
            login,
            name,
            roles,
            password_hash,
        })
    }

    /// Creates the user of `client`, keyed by (client, login) so that a retried request creates
    /// it once.
    pub async fn create(
        self,
        state: &AppState,
        context: &CommandContext,
        client: Uuid,
    ) -> Result<(UserId, Committed<ClientUser>), ApiError> {
        let user_id = UserId::for_login(&self.login);
        let key = CommandKey::new(
            "client-user",
            format!("{client}/{}", self.login.as_str()),
            &(client, self.login.as_str()),
            serde_json::json!({ "id": user_id.as_uuid() }),
        )
        .map_err(|e| ApiError::internal(&e))?;
        let committed = state
            .store
            .execute::<ClientUser>(
                &user_id.to_string(),
                UserCommand::CreateClientUser {
                    user_id,
                    client_id: ClientId::from_uuid(client),
                    name: self.name,
                    login: self.login,
                    password_hash: self.password_hash,
                    roles: self.roles,
                },
                context,
                &[key],
            )
            .await?;
        Ok((user_id, committed))
    }
}

async fn active_client(state: &AppState, id: Uuid) -> Result<Client, ApiError> {
    let client = state.store.load::<Client>(&id.to_string()).await?.aggregate;
    if !client.is_registered() {
        return Err(ApiError::not_found(
            "client_not_found",
            format!("no client {id}"),
        ));
    }
    if client.is_deleted() {
        return Err(ApiError::unprocessable(
            "client_deleted",
            format!("client {id} is deleted"),
        ));
    }
    Ok(client)
}

/// Adds a user to a client.
#[utoipa::path(post, path = "/v1/clients/{id}/users", tag = "clients",
    request_body = UserRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 409, description = "the login is taken", body = Problem),
        (status = 422, description = "an invalid login, name, role or password", body = Problem)))]
pub async fn create_client_user(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<UserRequest>,
) -> Result<Response, ApiError> {
    active_client(&state, id).await?;
    let user = NewUser::prepare(&state, &request).await?;
    let (user_id, committed) = user.create(&state, &command.context, id).await?;
    Ok(accepted(user_id.as_uuid(), &committed))
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
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

type UserRow = (
    Uuid,
    String,
    String,
    sqlx::types::Json<Vec<String>>,
    String,
    DateTime<Utc>,
);

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
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT id, name, login, roles, status, created_at FROM client_users
              WHERE client_id = $1 ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|(id, name, email, roles, status, created_at)| UserView {
                id,
                name,
                email,
                roles: roles.0,
                status,
                created_at,
            })
            .collect(),
        next: None,
    }))
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
    active_client(&state, id).await?;
    let staff_login_needed = || {
        ApiError::unprocessable(
            "staff_login_needed",
            "only a staff member who logged in can act as a client",
        )
    };
    let (staff_id, held) = match &principal {
        Principal::Staff {
            staff_id,
            permissions,
            ..
        } => (*staff_id, permissions.clone()),
        // The bootstrap administrator's dashboard session (`staff:admin`) is no staff member.
        Principal::Administrator {
            actor: eventstore::metadata::Actor::Staff(staff),
            token: Some(_),
        } => (
            staff.parse::<StaffId>().map_err(|_| staff_login_needed())?,
            Permissions::all(),
        ),
        _ => return Err(staff_login_needed()),
    };
    let issued = crate::http::routes::auth::issue(
        &state,
        &command.context,
        TokenSubject::ActingAs {
            staff_id,
            client_id: ClientId::from_uuid(id),
            generation: state
                .store
                .load::<StaffMember>(&staff_id.to_string())
                .await?
                .aggregate
                .generation(),
            permissions: Some(acting_permissions(&held)),
        },
        Some(Duration::minutes(ACT_AS_MINUTES)),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}
