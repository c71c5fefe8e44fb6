//! A member of the provider's staff: a login with a password, the departments whose permissions
//! it inherits, individual extra grants, and the administrator flag (full access).

use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AccessError, DisplayName, Login, PasswordHash, Permissions};
use crate::ids::{DepartmentId, StaffId};

/// What may be asked of a staff member.
#[derive(Debug, Clone, PartialEq)]
pub enum StaffCommand {
    /// Create the staff member.
    CreateStaffMember {
        /// Its id, derived from the login ([`StaffId::for_login`]).
        staff_id: StaffId,
        /// Its name.
        name: DisplayName,
        /// The e-mail address it logs in with.
        login: Login,
        /// The argon2 hash of its password.
        password_hash: PasswordHash,
        /// The departments it belongs to (the API checks that they exist).
        departments: BTreeSet<DepartmentId>,
        /// Permissions beyond its departments'.
        grants: Permissions,
        /// Full access.
        administrator: bool,
    },
    /// Replace what the staff member may do.
    SetAccess {
        /// The departments, whole.
        departments: BTreeSet<DepartmentId>,
        /// The individual grants, whole.
        grants: Permissions,
        /// Full access.
        administrator: bool,
    },
    /// Replace the password.
    SetPassword {
        /// The new password's hash.
        password_hash: PasswordHash,
    },
    /// Stop the staff member from logging in or using its tokens.
    DisableStaffMember,
    /// Let a disabled staff member in again.
    EnableStaffMember,
}

impl StaffCommand {
    /// The password hash the command sets, if it sets one. The store keeps it in its credential
    /// table, beside the event and never inside it.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        match self {
            StaffCommand::CreateStaffMember { password_hash, .. }
            | StaffCommand::SetPassword { password_hash } => Some(password_hash),
            _ => None,
        }
    }
}

/// What has happened to a staff member. Stored forever: variants and fields are never renamed.
///
/// No event carries the password or its hash (ADR 11): the hash goes to the store's credential
/// table, written in the same transaction as the event that says the password was set.
/// `StaffMemberCreated` and `StaffPasswordSet` are at version 2.0; their version 1.0 also held
/// `password_hash`, which reading ignores and the log reader removes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StaffEvent {
    /// The staff member was created.
    StaffMemberCreated {
        /// Its id.
        staff_id: StaffId,
        /// Its name.
        name: DisplayName,
        /// Its login.
        login: Login,
        /// Its departments.
        departments: BTreeSet<DepartmentId>,
        /// Its individual grants.
        grants: Permissions,
        /// Full access.
        administrator: bool,
    },
    /// What the staff member may do was replaced.
    StaffAccessSet {
        /// Its departments.
        departments: BTreeSet<DepartmentId>,
        /// Its individual grants.
        grants: Permissions,
        /// Full access.
        administrator: bool,
    },
    /// The password was replaced; its hash is in the credential table, not here.
    StaffPasswordSet {},
    /// The staff member was disabled.
    StaffMemberDisabled,
    /// The staff member was enabled again.
    StaffMemberEnabled,
}

impl DomainEvent for StaffEvent {
    fn event_type(&self) -> String {
        match self {
            Self::StaffMemberCreated { .. } => "StaffMemberCreated".to_string(),
            Self::StaffAccessSet { .. } => "StaffAccessSet".to_string(),
            Self::StaffPasswordSet { .. } => "StaffPasswordSet".to_string(),
            Self::StaffMemberDisabled => "StaffMemberDisabled".to_string(),
            Self::StaffMemberEnabled => "StaffMemberEnabled".to_string(),
        }
    }

    fn event_version(&self) -> String {
        match self {
            // 2.0: without `password_hash` (ADR 11).
            Self::StaffMemberCreated { .. } | Self::StaffPasswordSet {} => "2.0".to_string(),
            _ => "1.0".to_string(),
        }
    }
}

/// The state of one staff member.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    id: Option<StaffId>,
    name: Option<DisplayName>,
    login: Option<Login>,
    departments: BTreeSet<DepartmentId>,
    grants: Permissions,
    administrator: bool,
    disabled: bool,
    /// How many times it was disabled: a token issued before the last disabling names an older
    /// generation and stays refused after the staff member is enabled again.
    #[serde(default)]
    generation: u32,
}

impl StaffMember {
    /// Whether the staff member exists.
    pub fn is_created(&self) -> bool {
        self.id.is_some()
    }

    /// Whether it exists and is not disabled.
    pub fn is_active(&self) -> bool {
        self.is_created() && !self.disabled
    }

    /// Its name, once created.
    pub fn name(&self) -> Option<&DisplayName> {
        self.name.as_ref()
    }

    /// Its login, once created.
    pub fn login(&self) -> Option<&Login> {
        self.login.as_ref()
    }

    /// Its departments.
    pub fn departments(&self) -> &BTreeSet<DepartmentId> {
        &self.departments
    }

    /// Its individual grants.
    pub fn grants(&self) -> &Permissions {
        &self.grants
    }

    /// Whether it has full access.
    pub fn is_administrator(&self) -> bool {
        self.administrator
    }

    /// Its current generation, which the tokens issued to it now carry.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether a token issued to it in `generation` works: only while it is active, and only
    /// if it was not disabled since the token was issued (enabling it again does not bring
    /// its old tokens back).
    pub fn honours(&self, generation: u32) -> bool {
        self.is_active() && generation == self.generation
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: StaffCommand) -> Result<Vec<StaffEvent>, AccessError> {
        if !matches!(command, StaffCommand::CreateStaffMember { .. }) && !self.is_created() {
            return Err(AccessError::StaffNotFound);
        }
        match command {
            StaffCommand::CreateStaffMember {
                staff_id,
                name,
                login,
                password_hash: _,
                departments,
                grants,
                administrator,
            } => {
                if self.is_created() {
                    return Err(AccessError::LoginTaken);
                }
                Ok(vec![StaffEvent::StaffMemberCreated {
                    staff_id,
                    name,
                    login,
                    departments,
                    grants,
                    administrator,
                }])
            }
            StaffCommand::SetAccess {
                departments,
                grants,
                administrator,
            } => {
                if departments == self.departments
                    && grants == self.grants
                    && administrator == self.administrator
                {
                    return Ok(vec![]);
                }
                Ok(vec![StaffEvent::StaffAccessSet {
                    departments,
                    grants,
                    administrator,
                }])
            }
            StaffCommand::SetPassword { password_hash: _ } => {
                Ok(vec![StaffEvent::StaffPasswordSet {}])
            }
            StaffCommand::DisableStaffMember => Ok(if self.disabled {
                vec![]
            } else {
                vec![StaffEvent::StaffMemberDisabled]
            }),
            StaffCommand::EnableStaffMember => Ok(if self.disabled {
                vec![StaffEvent::StaffMemberEnabled]
            } else {
                vec![]
            }),
        }
    }
}

impl Aggregate for StaffMember {
    const TYPE: &'static str = "StaffMember";
    type Command = StaffCommand;
    type Event = StaffEvent;
    type Error = AccessError;
    type Services = ();

    async fn handle(
        &mut self,
        command: StaffCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccessError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: StaffEvent) {
        match event {
            StaffEvent::StaffMemberCreated {
                staff_id,
                name,
                login,
                departments,
                grants,
                administrator,
            } => {
                self.id = Some(staff_id);
                self.name = Some(name);
                self.login = Some(login);
                self.departments = departments;
                self.grants = grants;
                self.administrator = administrator;
            }
            StaffEvent::StaffAccessSet {
                departments,
                grants,
                administrator,
            } => {
                self.departments = departments;
                self.grants = grants;
                self.administrator = administrator;
            }
            StaffEvent::StaffPasswordSet {} => {}
            StaffEvent::StaffMemberDisabled => {
                self.disabled = true;
                self.generation = self.generation.saturating_add(1);
            }
            StaffEvent::StaffMemberEnabled => self.disabled = false,
        }
    }
}
