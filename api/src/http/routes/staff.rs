//! Departments and staff members: created and changed by administrators, listed for staff with
//! `settings:read`.

use projections::ReadModel;
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::access::{
    Department, DepartmentCommand, DisplayName, Login, Permission, Permissions, StaffCommand,
    StaffMember,
};
use domain::ids::{DepartmentId, StaffId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with};
use crate::http::auth::secret;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// Parses `resource:action` strings.
pub fn permissions(texts: &[String]) -> Result<Permissions, ApiError> {
    let parsed: Result<Vec<Permission>, _> = texts.iter().map(|t| t.parse()).collect();
    Ok(Permissions::of(parsed?))
}

fn permission_strings(permissions: &Permissions) -> Vec<String> {
    permissions.iter().map(|p| p.to_string()).collect()
}

/// `POST /v1/departments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRequest {
    /// Its name.
    pub name: String,
    /// Whether tickets may be assigned to it.
    #[serde(default)]
    pub accepts_tickets: bool,
    /// What its members may do, as `resource:action` (resources: clients, services, payments,
    /// expenses, invoices, tariffs, reports, settings, tickets; actions: read, write).
    #[schema(example = json!(["payments:write", "invoices:write", "clients:read"]))]
    pub permissions: Vec<String>,
}

/// Creates a department; the first department or staff member created also creates the default
/// departments, Sales and Technical support.
#[utoipa::path(post, path = "/v1/departments", tag = "staff",
    request_body = DepartmentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 422, description = "an invalid name or permission", body = Problem)))]
pub async fn create_department(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<DepartmentRequest>,
) -> Result<Response, ApiError> {
    crate::http::auth::ensure_default_departments(&state.store).await?;
    let name = DisplayName::parse(&request.name)?;
    let permissions = permissions(&request.permissions)?;
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let committed = state
        .store
        .execute::<Department>(
            &id.to_string(),
            DepartmentCommand::CreateDepartment {
                department_id: DepartmentId::from_uuid(id),
                name,
                accepts_tickets: request.accepts_tickets,
                permissions,
            },
            &command.context,
            key.as_slice(),
        )
        .await?;
    Ok(accepted(id, &committed))
}

/// `PUT /v1/departments/{id}/permissions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionsRequest {
    /// The whole new set, as `resource:action`.
    pub permissions: Vec<String>,
}

/// Replaces a department's permissions; its members' next requests use them.
#[utoipa::path(put, path = "/v1/departments/{id}/permissions", tag = "staff",
    request_body = PermissionsRequest,
    params(("id" = Uuid, Path, description = "the department")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such department", body = Problem)))]
pub async fn set_department_permissions(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<PermissionsRequest>,
) -> Result<Response, ApiError> {
    let permissions = permissions(&request.permissions)?;
    let committed = state
        .store
        .execute::<Department>(
            &id.to_string(),
            DepartmentCommand::SetPermissions { permissions },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// A department as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Whether tickets may be assigned to it.
    pub accepts_tickets: bool,
    /// What its members may do.
    pub permissions: Vec<String>,
}

/// Read-your-writes for the staff lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The departments, by name.
#[utoipa::path(get, path = "/v1/departments", tag = "staff",
    params(ListParams),
    responses((status = 200, description = "the departments", body = Page<DepartmentView>)))]
pub async fn list_departments(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<DepartmentView>>, ApiError> {
    state
        .consistent(&[ReadModel::Access], params.min_position)
        .await?;
    let rows: Vec<(Uuid, String, bool, sqlx::types::Json<Permissions>)> = sqlx::query_as(
        "SELECT id, name, accepts_tickets, permissions FROM departments ORDER BY name, id",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|(id, name, accepts_tickets, permissions)| DepartmentView {
                id,
                name,
                accepts_tickets,
                permissions: permission_strings(&permissions.0),
            })
            .collect(),
        next: None,
    }))
}

/// `POST /v1/staff`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRequest {
    /// Its name.
    pub name: String,
    /// The e-mail address it logs in with; one staff member or user per address.
    pub email: String,
    /// Its password, 8 to 1024 bytes; only its argon2 hash is kept.
    pub password: String,
    /// The departments whose permissions it inherits.
    #[serde(default)]
    pub departments: Vec<Uuid>,
    /// Permissions beyond its departments', as `resource:action`.
    #[serde(default)]
    pub grants: Vec<String>,
    /// Full access.
    #[serde(default)]
    pub administrator: bool,
}

async fn departments(state: &AppState, ids: &[Uuid]) -> Result<BTreeSet<DepartmentId>, ApiError> {
    let mut departments = BTreeSet::new();
    for id in ids {
        let department = state
            .store
            .load::<Department>(&id.to_string())
            .await?
            .aggregate;
        if !department.is_created() {
            return Err(ApiError::unprocessable(
                "department_not_found",
                format!("departments: no department {id}"),
            ));
        }
        departments.insert(DepartmentId::from_uuid(*id));
    }
    Ok(departments)
}

/// Creates a staff member. Its id is derived from its login, so an address is taken once.
#[utoipa::path(post, path = "/v1/staff", tag = "staff",
    request_body = StaffRequest,
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 409, description = "the login is taken", body = Problem),
        (status = 422, description = "an invalid name, login, password, department or grant", body = Problem)))]
pub async fn create_staff_member(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<StaffRequest>,
) -> Result<Response, ApiError> {
    crate::http::auth::ensure_default_departments(&state.store).await?;
    let name = DisplayName::parse(&request.name)?;
    let login = Login::parse(&request.email)?;
    let grants = permissions(&request.grants)?;
    let departments = departments(&state, &request.departments).await?;
    crate::http::routes::users::ensure_login_free(&state, &login).await?;
    let password_hash = secret::hash_password(&request.password).await?;
    let staff_id = StaffId::for_login(&login);
    let committed = state
        .store
        .execute::<StaffMember>(
            &staff_id.to_string(),
            StaffCommand::CreateStaffMember {
                staff_id,
                name,
                login,
                password_hash,
                departments,
                grants,
                administrator: request.administrator,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted(staff_id.as_uuid(), &committed))
}

/// `PUT /v1/staff/{id}/access`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    /// The departments, whole.
    pub departments: Vec<Uuid>,
    /// The individual grants, whole, as `resource:action`.
    pub grants: Vec<String>,
    /// Full access.
    pub administrator: bool,
}

/// Replaces a staff member's departments, grants and administrator flag; its next request uses
/// them.
#[utoipa::path(put, path = "/v1/staff/{id}/access", tag = "staff",
    request_body = AccessRequest,
    params(("id" = Uuid, Path, description = "the staff member")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such staff member", body = Problem)))]
pub async fn set_staff_access(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<AccessRequest>,
) -> Result<Response, ApiError> {
    let grants = permissions(&request.grants)?;
    let departments = departments(&state, &request.departments).await?;
    run(
        &state,
        &command,
        id,
        StaffCommand::SetAccess {
            departments,
            grants,
            administrator: request.administrator,
        },
    )
    .await
}

async fn run(
    state: &AppState,
    command: &Command,
    id: Uuid,
    cmd: StaffCommand,
) -> Result<Response, ApiError> {
    let committed = state
        .store
        .execute::<StaffMember>(&id.to_string(), cmd, &command.context, &[])
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Disables a staff member: it cannot log in, and its tokens stop working at once.
#[utoipa::path(post, path = "/v1/staff/{id}/disable", tag = "staff",
    params(("id" = Uuid, Path, description = "the staff member")),
    responses(
        (status = 200, description = "disabled (or already so)", body = Accepted),
        (status = 404, description = "no such staff member", body = Problem)))]
pub async fn disable_staff_member(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    run(&state, &command, id, StaffCommand::DisableStaffMember).await
}

/// Enables a disabled staff member again.
#[utoipa::path(post, path = "/v1/staff/{id}/enable", tag = "staff",
    params(("id" = Uuid, Path, description = "the staff member")),
    responses(
        (status = 200, description = "enabled (or already so)", body = Accepted),
        (status = 404, description = "no such staff member", body = Problem)))]
pub async fn enable_staff_member(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    run(&state, &command, id, StaffCommand::EnableStaffMember).await
}

/// A staff member as listed (never its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its login.
    pub email: String,
    /// Its departments.
    pub departments: Vec<Uuid>,
    /// Its individual grants.
    pub grants: Vec<String>,
    /// Full access.
    pub administrator: bool,
    /// `active` or `disabled`.
    pub status: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

type StaffRow = (
    Uuid,
    String,
    String,
    sqlx::types::Json<Vec<Uuid>>,
    sqlx::types::Json<Permissions>,
    bool,
    String,
    DateTime<Utc>,
);

/// The staff, by name.
#[utoipa::path(get, path = "/v1/staff", tag = "staff",
    params(ListParams),
    responses((status = 200, description = "the staff", body = Page<StaffView>)))]
pub async fn list_staff(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<StaffView>>, ApiError> {
    state
        .consistent(&[ReadModel::Access], params.min_position)
        .await?;
    let rows: Vec<StaffRow> = sqlx::query_as(
        "SELECT id, name, login, departments, grants, administrator, status, created_at
           FROM staff_members ORDER BY name, id",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(
                |(id, name, email, departments, grants, administrator, status, created_at)| {
                    StaffView {
                        id,
                        name,
                        email,
                        departments: departments.0,
                        grants: permission_strings(&grants.0),
                        administrator,
                        status,
                        created_at,
                    }
                },
            )
            .collect(),
        next: None,
    }))
}
