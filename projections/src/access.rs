//! Departments, staff members, client users and tokens as staff list them. Password hashes and
//! token digests are not copied: they stay in the events, read only by authentication.

use async_trait::async_trait;
use domain::access::{DepartmentEvent, StaffEvent, TokenEvent, TokenSubject, UserEvent};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::{Projection, ProjectionError};

/// The `departments`, `staff_members`, `client_users` and `access_tokens` tables.
pub struct Access;

#[async_trait]
impl Projection for Access {
    fn name(&self) -> &'static str {
        crate::ReadModel::Access.name()
    }

    fn version(&self) -> i32 {
        // 2: `client_users.language`, filled from `ClientUserPreferencesSet`.
        2
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "departments",
            "staff_members",
            "client_users",
            "access_tokens",
        ]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match event.aggregate_type.as_str() {
                "Department" => apply_department(tx, event).await,
                "StaffMember" => apply_staff(tx, event).await,
                "ClientUser" => apply_user(tx, event).await,
                "AccessToken" => apply_token(tx, event).await,
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

async fn apply_department(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let occurred_at = event.metadata()?.occurred_at;
    match event.decode::<DepartmentEvent>()? {
        DepartmentEvent::DepartmentCreated {
            department_id,
            name,
            accepts_tickets,
            permissions,
        } => {
            sqlx::query(
                "INSERT INTO departments (id, name, accepts_tickets, permissions, created_at,
                                          position)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(department_id.as_uuid())
            .bind(name.as_str())
            .bind(accepts_tickets)
            .bind(Json(&permissions))
            .bind(occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        DepartmentEvent::DepartmentPermissionsSet { permissions } => {
            sqlx::query(
                "UPDATE departments SET permissions = $2, position = $3 WHERE id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(Json(&permissions))
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        DepartmentEvent::DepartmentBusinessHoursSet { hours } => {
            sqlx::query(
                "UPDATE departments SET business_hours = $2, position = $3 WHERE id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(hours.as_ref().map(Json))
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_staff(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let occurred_at = event.metadata()?.occurred_at;
    match event.decode::<StaffEvent>()? {
        StaffEvent::StaffMemberCreated {
            staff_id,
            name,
            login,
            departments,
            grants,
            administrator,
        } => {
            sqlx::query(
                "INSERT INTO staff_members (id, name, login, departments, grants, administrator,
                                            status, created_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8)",
            )
            .bind(staff_id.as_uuid())
            .bind(name.as_str())
            .bind(login.as_str())
            .bind(Json(&departments))
            .bind(Json(&grants))
            .bind(administrator)
            .bind(occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        StaffEvent::StaffAccessSet {
            departments,
            grants,
            administrator,
        } => {
            sqlx::query(
                "UPDATE staff_members
                    SET departments = $2, grants = $3, administrator = $4, position = $5
                  WHERE id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(Json(&departments))
            .bind(Json(&grants))
            .bind(administrator)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        StaffEvent::StaffPasswordSet { .. } => {}
        StaffEvent::StaffMemberDisabled => set_staff_status(tx, event, "disabled").await?,
        StaffEvent::StaffMemberEnabled => set_staff_status(tx, event, "active").await?,
    }
    Ok(())
}

async fn set_staff_status(
    tx: &mut PgConnection,
    event: &StoredEvent,
    status: &str,
) -> Result<(), ProjectionError> {
    sqlx::query("UPDATE staff_members SET status = $2, position = $3 WHERE id = $1::uuid")
        .bind(&event.aggregate_id)
        .bind(status)
        .bind(event.position)
        .execute(tx)
        .await?;
    Ok(())
}

async fn apply_user(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let occurred_at = event.metadata()?.occurred_at;
    match event.decode::<UserEvent>()? {
        UserEvent::ClientUserCreated {
            user_id,
            client_id,
            name,
            login,
            roles,
        }
        | UserEvent::ClientUserImported {
            user_id,
            client_id,
            name,
            login,
            roles,
            ..
        } => {
            sqlx::query(
                "INSERT INTO client_users (id, client_id, name, login, roles, status, created_at,
                                           position)
                 VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)",
            )
            .bind(user_id.as_uuid())
            .bind(client_id.as_uuid())
            .bind(name.as_str())
            .bind(login.as_str())
            .bind(Json(&roles))
            .bind(occurred_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        UserEvent::ClientUserRolesSet { roles } => {
            sqlx::query("UPDATE client_users SET roles = $2, position = $3 WHERE id = $1::uuid")
                .bind(&event.aggregate_id)
                .bind(Json(&roles))
                .bind(event.position)
                .execute(tx)
                .await?;
        }
        UserEvent::ClientUserDisabled => {
            sqlx::query(
                "UPDATE client_users SET status = 'disabled', position = $2 WHERE id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        UserEvent::ClientUserEnabled => {
            sqlx::query(
                "UPDATE client_users SET status = 'active', position = $2 WHERE id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        // The language, which the notifier writes the user's own e-mail in.
        UserEvent::ClientUserPreferencesSet { language, .. } => {
            sqlx::query("UPDATE client_users SET language = $2, position = $3 WHERE id = $1::uuid")
                .bind(&event.aggregate_id)
                .bind(language.as_str())
                .bind(event.position)
                .execute(tx)
                .await?;
        }
        // Passwords and reset requests live on the aggregate only.
        UserEvent::ClientUserPasswordChanged {}
        | UserEvent::ClientUserPasswordResetRequested { .. }
        | UserEvent::ClientUserPasswordReset { .. } => {}
    }
    Ok(())
}

async fn apply_token(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    match event.decode::<TokenEvent>()? {
        TokenEvent::TokenIssued {
            token_id,
            subject,
            issued_at,
            expires_at,
        } => {
            let (kind, client_id) = match &subject {
                TokenSubject::Staff { .. } => ("staff", None),
                TokenSubject::User { client_id, .. } => ("user", Some(client_id.as_uuid())),
                TokenSubject::Service { .. } => ("service", None),
                TokenSubject::Administrator {} => ("administrator", None),
                TokenSubject::ActingAs { client_id, .. } => {
                    ("acting_as", Some(client_id.as_uuid()))
                }
            };
            sqlx::query(
                "INSERT INTO access_tokens (id, kind, subject, client_id, issued_at, expires_at,
                                            position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token_id.as_uuid())
            .bind(kind)
            .bind(Json(&subject))
            .bind(client_id)
            .bind(issued_at)
            .bind(expires_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TokenEvent::TokenRevoked { revoked_at } => {
            sqlx::query(
                "UPDATE access_tokens SET revoked_at = $2, position = $3 WHERE id = $1::uuid",
            )
            .bind(&event.aggregate_id)
            .bind(revoked_at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// A department as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Whether tickets may be assigned to it.
    pub accepts_tickets: bool,
    /// What its members may do.
    pub permissions: Json<domain::access::Permissions>,
}

/// The departments by name, after the department `after` (keyset), at most `limit`.
pub async fn departments(
    pool: &sqlx::PgPool,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, accepts_tickets, permissions FROM departments
          WHERE $1::uuid IS NULL
             OR (name, id) > (SELECT name, id FROM departments WHERE id = $1)
          ORDER BY name, id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A staff member as listed (never its password hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Its login.
    pub login: String,
    /// Its departments.
    pub departments: Json<Vec<uuid::Uuid>>,
    /// Its individual grants.
    pub grants: Json<domain::access::Permissions>,
    /// Full access.
    pub administrator: bool,
    /// `active` or `disabled`.
    pub status: String,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The staff by name, after the staff member `after` (keyset), at most `limit`.
pub async fn staff(
    pool: &sqlx::PgPool,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> Result<Vec<StaffRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, login, departments, grants, administrator, status, created_at
           FROM staff_members
          WHERE $1::uuid IS NULL
             OR (name, id) > (SELECT name, id FROM staff_members WHERE id = $1)
          ORDER BY name, id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The names of the departments `ids` (those that exist).
pub async fn department_names(
    pool: &sqlx::PgPool,
    ids: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM departments WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// A client's user as listed (never its password hash).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// Its id.
    pub id: uuid::Uuid,
    /// Its name.
    pub name: String,
    /// Its login.
    pub login: String,
    /// Its roles.
    pub roles: Json<Vec<String>>,
    /// `active` or `disabled`.
    pub status: String,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A client's users, oldest first, after `after` (created at, id), at most `limit`.
pub async fn users_of_client(
    pool: &sqlx::PgPool,
    client_id: uuid::Uuid,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
    limit: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, login, roles, status, created_at FROM client_users
          WHERE client_id = $1
            AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
          ORDER BY created_at, id LIMIT $4",
    )
    .bind(client_id)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A token as listed (never its digest).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    /// Its id.
    pub id: uuid::Uuid,
    /// Whom it stands for.
    pub subject: serde_json::Value,
    /// When it was issued.
    pub issued_at: chrono::DateTime<chrono::Utc>,
    /// When it was revoked.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The service tokens, oldest first, after `after` (issued at, id), at most `limit`.
pub async fn service_tokens(
    pool: &sqlx::PgPool,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
    limit: i64,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, subject, issued_at, revoked_at FROM access_tokens
          WHERE kind = 'service'
            AND ($1::timestamptz IS NULL OR (issued_at, id) > ($1, $2))
          ORDER BY issued_at, id LIMIT $3",
    )
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(pool)
    .await
}
