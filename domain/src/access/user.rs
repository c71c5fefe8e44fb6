//! A user of a client's account: a login with a password and roles inside that one client.

use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AccessError, ClientRole, DisplayName, Login, PasswordHash, Permissions};
use crate::ids::{ClientId, UserId};

/// What may be asked of a client's user.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// Create the user.
    CreateClientUser {
        /// Its id, derived from the login ([`UserId::for_login`]).
        user_id: UserId,
        /// The client it belongs to, for good.
        client_id: ClientId,
        /// Its name.
        name: DisplayName,
        /// The e-mail address it logs in with.
        login: Login,
        /// The argon2 hash of its password.
        password_hash: PasswordHash,
        /// Its roles inside the client.
        roles: BTreeSet<ClientRole>,
    },
    /// Replace the user's roles.
    SetRoles {
        /// The roles, whole.
        roles: BTreeSet<ClientRole>,
    },
    /// Stop the user from logging in or using its tokens.
    DisableClientUser,
}

impl UserCommand {
    /// The password hash the command sets, if it sets one. The store keeps it in its credential
    /// table, beside the event and never inside it.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        match self {
            UserCommand::CreateClientUser { password_hash, .. } => Some(password_hash),
            _ => None,
        }
    }
}

/// What has happened to a client's user. Stored forever: variants and fields are never renamed.
///
/// No event carries the password or its hash (ADR 11): the hash goes to the store's credential
/// table, written in the same transaction as the event. `ClientUserCreated` is at version 2.0;
/// its version 1.0 also held `password_hash`, which reading ignores and the log reader removes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    /// The user was created.
    ClientUserCreated {
        /// Its id.
        user_id: UserId,
        /// Its client.
        client_id: ClientId,
        /// Its name.
        name: DisplayName,
        /// Its login.
        login: Login,
        /// Its roles.
        roles: BTreeSet<ClientRole>,
    },
    /// The user's roles were replaced.
    ClientUserRolesSet {
        /// The roles, whole.
        roles: BTreeSet<ClientRole>,
    },
    /// The user was disabled.
    ClientUserDisabled,
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ClientUserCreated { .. } => "ClientUserCreated".to_string(),
            Self::ClientUserRolesSet { .. } => "ClientUserRolesSet".to_string(),
            Self::ClientUserDisabled => "ClientUserDisabled".to_string(),
        }
    }

    fn event_version(&self) -> String {
        match self {
            // 2.0: without `password_hash` (ADR 11).
            Self::ClientUserCreated { .. } => "2.0".to_string(),
            _ => "1.0".to_string(),
        }
    }
}

/// The state of one client user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientUser {
    id: Option<UserId>,
    client_id: Option<ClientId>,
    name: Option<DisplayName>,
    login: Option<Login>,
    roles: BTreeSet<ClientRole>,
    disabled: bool,
}

impl ClientUser {
    /// Whether the user exists.
    pub fn is_created(&self) -> bool {
        self.id.is_some()
    }

    /// Whether it exists and is not disabled.
    pub fn is_active(&self) -> bool {
        self.is_created() && !self.disabled
    }

    /// Its client, once created.
    pub fn client_id(&self) -> Option<ClientId> {
        self.client_id
    }

    /// Its name, once created.
    pub fn name(&self) -> Option<&DisplayName> {
        self.name.as_ref()
    }

    /// Its roles.
    pub fn roles(&self) -> &BTreeSet<ClientRole> {
        &self.roles
    }

    /// What its roles allow inside its client.
    pub fn permissions(&self) -> Permissions {
        self.roles.iter().fold(Permissions::default(), |all, role| {
            all.union(&role.permissions())
        })
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, AccessError> {
        match command {
            UserCommand::CreateClientUser {
                user_id,
                client_id,
                name,
                login,
                password_hash: _,
                roles,
            } => {
                if self.is_created() {
                    return Err(AccessError::LoginTaken);
                }
                if roles.is_empty() {
                    return Err(AccessError::NoRoles);
                }
                Ok(vec![UserEvent::ClientUserCreated {
                    user_id,
                    client_id,
                    name,
                    login,
                    roles,
                }])
            }
            UserCommand::SetRoles { roles } => {
                if !self.is_created() {
                    return Err(AccessError::UserNotFound);
                }
                if roles.is_empty() {
                    return Err(AccessError::NoRoles);
                }
                if roles == self.roles {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::ClientUserRolesSet { roles }])
            }
            UserCommand::DisableClientUser => {
                if !self.is_created() {
                    return Err(AccessError::UserNotFound);
                }
                Ok(if self.disabled {
                    vec![]
                } else {
                    vec![UserEvent::ClientUserDisabled]
                })
            }
        }
    }
}

impl Aggregate for ClientUser {
    const TYPE: &'static str = "ClientUser";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = AccessError;
    type Services = ();

    async fn handle(
        &mut self,
        command: UserCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccessError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::ClientUserCreated {
                user_id,
                client_id,
                name,
                login,
                roles,
            } => {
                self.id = Some(user_id);
                self.client_id = Some(client_id);
                self.name = Some(name);
                self.login = Some(login);
                self.roles = roles;
            }
            UserEvent::ClientUserRolesSet { roles } => self.roles = roles,
            UserEvent::ClientUserDisabled => self.disabled = true,
        }
    }
}
