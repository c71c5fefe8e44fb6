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
        1
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
