//! Departments and staff members: created and changed by administrators, listed for staff with
//! `settings:read`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::access::{DisplayName, Login, Permission, Permissions};
use domain::ids::{DepartmentId, StaffId};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with, id_cursor, limit, page};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::access::{self, StaffChange, StaffInput};

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
    let name = DisplayName::parse(&request.name)?;
    let permissions = permissions(&request.permissions)?;
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let committed = access::create_department(
        &state,
        &command.context,
        key,
        DepartmentId::from_uuid(id),
        name,
        request.accepts_tickets,
        permissions,
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
    let committed = access::set_department_permissions(
        &state,
        &command.context,
        DepartmentId::from_uuid(id),
        permissions,
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
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
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
    let limit = limit(params.limit)?;
    let rows = projections::access::departments(
        &state.pool,
        id_cursor(params.after.as_deref())?,
        limit + 1,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| DepartmentView {
            id: row.id,
            name: row.name,
            accepts_tickets: row.accepts_tickets,
            permissions: permission_strings(&row.permissions.0),
        })
        .collect();
    Ok(Json(page(items, limit, |d: &DepartmentView| {
        d.id.to_string()
    })))
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
    let input = StaffInput {
        name: DisplayName::parse(&request.name)?,
        login: Login::parse(&request.email)?,
        password: request.password,
        departments: request.departments,
        grants: permissions(&request.grants)?,
        administrator: request.administrator,
    };
    let (staff_id, committed) =
        access::create_staff_member(&state, &command.context, input).await?;
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
    run(
        &state,
        &command,
        id,
        StaffChange::SetAccess {
            departments: request.departments,
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
    change: StaffChange,
) -> Result<Response, ApiError> {
    let committed =
        access::change_staff_member(state, &command.context, StaffId::from_uuid(id), change)
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
    run(&state, &command, id, StaffChange::Disable).await
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
    run(&state, &command, id, StaffChange::Enable).await
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
    let limit = limit(params.limit)?;
    let rows =
        projections::access::staff(&state.pool, id_cursor(params.after.as_deref())?, limit + 1)
            .await?;
    let items = rows
        .into_iter()
        .map(|row| StaffView {
            id: row.id,
            name: row.name,
            email: row.login,
            departments: row.departments.0,
            grants: permission_strings(&row.grants.0),
            administrator: row.administrator,
            status: row.status,
            created_at: row.created_at,
        })
        .collect();
    Ok(Json(page(items, limit, |s: &StaffView| s.id.to_string())))
}
