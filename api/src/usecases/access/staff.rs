//! Departments and staff members, created and changed by administrators.

use std::collections::BTreeSet;

use domain::access::{
    Department, DepartmentCommand, DisplayName, Login, Permissions, StaffCommand, StaffMember,
};
use domain::ids::{DepartmentId, StaffId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use super::{ensure_default_departments, ensure_login_free, secret};
use crate::usecases::{Core, Error};

/// Creates a department (and, the first time, the default ones).
pub async fn create_department(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: DepartmentId,
    name: DisplayName,
    accepts_tickets: bool,
    permissions: Permissions,
) -> Result<Committed<Department>, Error> {
    ensure_default_departments(&core.store).await?;
    Ok(core
        .store
        .execute::<Department>(
            &id.to_string(),
            DepartmentCommand::CreateDepartment {
                department_id: id,
                name,
                accepts_tickets,
                permissions,
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// Replaces a department's permissions.
pub async fn set_department_permissions(
    core: &Core,
    context: &CommandContext,
    id: DepartmentId,
    permissions: Permissions,
) -> Result<Committed<Department>, Error> {
    Ok(core
        .store
        .execute::<Department>(
            &id.to_string(),
            DepartmentCommand::SetPermissions { permissions },
            context,
            &[],
        )
        .await?)
}

/// The departments `ids` name, each of which must exist.
async fn departments(core: &Core, ids: &[Uuid]) -> Result<BTreeSet<DepartmentId>, Error> {
    let mut departments = BTreeSet::new();
    for id in ids {
        let department = core
            .store
            .load::<Department>(&id.to_string())
            .await?
            .aggregate;
        if !department.is_created() {
            return Err(Error::refused(
                "department_not_found",
                format!("departments: no department {id}"),
            ));
        }
        departments.insert(DepartmentId::from_uuid(*id));
    }
    Ok(departments)
}

/// A new staff member, parsed.
pub struct StaffInput {
    /// Its name.
    pub name: DisplayName,
    /// Its login.
    pub login: Login,
    /// Its password, hashed here and dropped.
    pub password: String,
    /// Its departments.
    pub departments: Vec<Uuid>,
    /// Its grants.
    pub grants: Permissions,
    /// Full access.
    pub administrator: bool,
}

/// Creates a staff member (and, the first time, the default departments). Its id is derived
/// from its login, so an address is taken once.
pub async fn create_staff_member(
    core: &Core,
    context: &CommandContext,
    input: StaffInput,
) -> Result<(StaffId, Committed<StaffMember>), Error> {
    ensure_default_departments(&core.store).await?;
    let departments = departments(core, &input.departments).await?;
    ensure_login_free(core, &input.login).await?;
    let password_hash = secret::hash_password(&input.password).await?;
    let staff_id = StaffId::for_login(&input.login);
    let committed = core
        .store
        .execute::<StaffMember>(
            &staff_id.to_string(),
            StaffCommand::CreateStaffMember {
                staff_id,
                name: input.name,
                login: input.login,
                password_hash,
                departments,
                grants: input.grants,
                administrator: input.administrator,
            },
            context,
            &[],
        )
        .await?;
    Ok((staff_id, committed))
}

/// What to change of a staff member.
pub enum StaffChange {
    /// Replace its departments (each must exist), grants and administrator flag.
    SetAccess {
        /// The departments, whole.
        departments: Vec<Uuid>,
        /// The grants, whole.
        grants: Permissions,
        /// Full access.
        administrator: bool,
    },
    /// It cannot log in, and its tokens stop working at once.
    Disable,
    /// Enabled again.
    Enable,
}

/// Changes a staff member.
pub async fn change_staff_member(
    core: &Core,
    context: &CommandContext,
    id: StaffId,
    change: StaffChange,
) -> Result<Committed<StaffMember>, Error> {
    let command = match change {
        StaffChange::SetAccess {
            departments: ids,
            grants,
            administrator,
        } => StaffCommand::SetAccess {
            departments: departments(core, &ids).await?,
            grants,
            administrator,
        },
        StaffChange::Disable => StaffCommand::DisableStaffMember,
        StaffChange::Enable => StaffCommand::EnableStaffMember,
    };
    Ok(core
        .store
        .execute::<StaffMember>(&id.to_string(), command, context, &[])
        .await?)
}
