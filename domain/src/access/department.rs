//! A department of the provider's staff: a name and the permissions its members inherit.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AccessError, DisplayName, Permissions};
use crate::ids::DepartmentId;
use crate::ticket::BusinessHours;

/// What may be asked of a department.
#[derive(Debug, Clone, PartialEq)]
pub enum DepartmentCommand {
    /// Create the department. Creating it again exactly as it is changes nothing (the default
    /// departments are created at every start).
    CreateDepartment {
        /// Its id.
        department_id: DepartmentId,
        /// Its name.
        name: DisplayName,
        /// Whether tickets may be assigned to it (for the ticket system to come).
        accepts_tickets: bool,
        /// What its members may do.
        permissions: Permissions,
    },
    /// Replace the department's permissions.
    SetPermissions {
        /// The new set, whole.
        permissions: Permissions,
    },
    /// Set when the department answers tickets (checked with `BusinessHours::checked`), or
    /// `None` for every hour of every day.
    SetBusinessHours {
        /// The hours, whole.
        hours: Option<BusinessHours>,
    },
}

/// What has happened to a department. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DepartmentEvent {
    /// The department was created.
    DepartmentCreated {
        /// Its id.
        department_id: DepartmentId,
        /// Its name.
        name: DisplayName,
        /// Whether tickets may be assigned to it.
        accepts_tickets: bool,
        /// What its members may do.
        permissions: Permissions,
    },
    /// The department's permissions were replaced.
    DepartmentPermissionsSet {
        /// The new set, whole.
        permissions: Permissions,
    },
    /// The department's business hours were set (`None`: every hour of every day).
    DepartmentBusinessHoursSet {
        /// The hours, whole.
        hours: Option<BusinessHours>,
    },
}

impl DomainEvent for DepartmentEvent {
    fn event_type(&self) -> String {
        match self {
            Self::DepartmentCreated { .. } => "DepartmentCreated".to_string(),
            Self::DepartmentPermissionsSet { .. } => "DepartmentPermissionsSet".to_string(),
            Self::DepartmentBusinessHoursSet { .. } => "DepartmentBusinessHoursSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// The state of one department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Department {
    id: Option<DepartmentId>,
    name: Option<DisplayName>,
    accepts_tickets: bool,
    permissions: Permissions,
    /// Absent in snapshots taken before departments had hours.
    #[serde(default)]
    business_hours: Option<BusinessHours>,
}

impl Department {
    /// When it answers tickets; `None` is every hour of every day.
    pub fn business_hours(&self) -> Option<&BusinessHours> {
        self.business_hours.as_ref()
    }

    /// Whether the department exists.
    pub fn is_created(&self) -> bool {
        self.id.is_some()
    }

    /// Its name, once created.
    pub fn name(&self) -> Option<&DisplayName> {
        self.name.as_ref()
    }

    /// Whether tickets may be assigned to it.
    pub fn accepts_tickets(&self) -> bool {
        self.accepts_tickets
    }

    /// What its members may do (nothing before it is created).
    pub fn permissions(&self) -> &Permissions {
        &self.permissions
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: DepartmentCommand) -> Result<Vec<DepartmentEvent>, AccessError> {
        match command {
            DepartmentCommand::CreateDepartment {
                department_id,
                name,
                accepts_tickets,
                permissions,
            } => {
                if self.is_created() {
                    // The default departments are created at every start: meeting one that
                    // exists is the normal case, whatever its permissions became since.
                    return if self.name.as_ref() == Some(&name) {
                        Ok(vec![])
                    } else {
                        Err(AccessError::AlreadyExists)
                    };
                }
                Ok(vec![DepartmentEvent::DepartmentCreated {
                    department_id,
                    name,
                    accepts_tickets,
                    permissions,
                }])
            }
            DepartmentCommand::SetPermissions { permissions } => {
                if !self.is_created() {
                    return Err(AccessError::DepartmentNotFound);
                }
                if permissions == self.permissions {
                    return Ok(vec![]);
                }
                Ok(vec![DepartmentEvent::DepartmentPermissionsSet {
                    permissions,
                }])
            }
            DepartmentCommand::SetBusinessHours { hours } => {
                if !self.is_created() {
                    return Err(AccessError::DepartmentNotFound);
                }
                let hours = hours
                    .map(BusinessHours::checked)
                    .transpose()
                    .map_err(|e| AccessError::InvalidBusinessHours(e.to_string()))?;
                if hours == self.business_hours {
                    return Ok(vec![]);
                }
                Ok(vec![DepartmentEvent::DepartmentBusinessHoursSet { hours }])
            }
        }
    }
}

impl Aggregate for Department {
    const TYPE: &'static str = "Department";
    type Command = DepartmentCommand;
    type Event = DepartmentEvent;
    type Error = AccessError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DepartmentCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccessError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: DepartmentEvent) {
        match event {
            DepartmentEvent::DepartmentCreated {
                department_id,
                name,
                accepts_tickets,
                permissions,
            } => {
                self.id = Some(department_id);
                self.name = Some(name);
                self.accepts_tickets = accepts_tickets;
                self.permissions = permissions;
            }
            DepartmentEvent::DepartmentPermissionsSet { permissions } => {
                self.permissions = permissions;
            }
            DepartmentEvent::DepartmentBusinessHoursSet { hours } => {
                self.business_hours = hours;
            }
        }
    }
}
