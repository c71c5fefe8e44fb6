//! A user of a client's account: a login with a password and roles inside that one client.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AccessError, ClientRole, DisplayName, Login, PasswordHash, Permissions};
use crate::ids::{ClientId, UserId};
use crate::import::ImportSource;
use crate::notice::Language;

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
    /// Bring over a user from the billing system a provider moves from. Its password hash is
    /// kept (in the credential table, as ever) only when it is an argon2 PHC string; without one
    /// the user must set a password through the reset link before it can sign in.
    ImportClientUser {
        /// Its id, derived from the login ([`UserId::for_login`]).
        user_id: UserId,
        /// The client it belongs to, for good.
        client_id: ClientId,
        /// Its name.
        name: DisplayName,
        /// The e-mail address it logs in with.
        login: Login,
        /// Its argon2 hash, or `None`: a forced reset.
        password_hash: Option<PasswordHash>,
        /// Its roles inside the client.
        roles: BTreeSet<ClientRole>,
        /// Where it came from.
        source: ImportSource,
    },
    /// Replace the user's roles.
    SetRoles {
        /// The roles, whole.
        roles: BTreeSet<ClientRole>,
    },
    /// Stop the user from logging in or using its tokens. Whether the client keeps an enabled
    /// owner is the [`UserDirectory`](super::UserDirectory)'s rule, decided before this follows.
    DisableClientUser,
    /// Let a disabled user log in again. The tokens it had before stay void: enabling raises its
    /// generation.
    EnableClientUser,
    /// Replace the user's password (the caller checked the current one): its tokens stop
    /// working.
    ChangePassword {
        /// The argon2 hash of the new password.
        password_hash: PasswordHash,
    },
    /// Record a request for a password reset link; a newer request replaces an older one.
    RequestPasswordReset {
        /// The request's id, which the link names.
        request_id: uuid::Uuid,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
    /// Set a new password through the link of the request `request_id` (whose MAC the caller
    /// checked): only the latest request, unused and unexpired at `at`. Its tokens stop working.
    ResetPassword {
        /// The request the link names.
        request_id: uuid::Uuid,
        /// The argon2 hash of the new password.
        password_hash: PasswordHash,
        /// Now.
        at: DateTime<Utc>,
    },
    /// Set the user's own preferences.
    SetPreferences {
        /// The language of its pages and e-mail.
        language: Language,
        /// The IANA time zone its pages show times in.
        time_zone: String,
    },
}

impl UserCommand {
    /// The password hash the command sets, if it sets one. The store keeps it in its credential
    /// table, beside the event and never inside it.
    pub fn password_hash(&self) -> Option<&PasswordHash> {
        match self {
            UserCommand::CreateClientUser { password_hash, .. }
            | UserCommand::ChangePassword { password_hash }
            | UserCommand::ResetPassword { password_hash, .. } => Some(password_hash),
            UserCommand::ImportClientUser { password_hash, .. } => password_hash.as_ref(),
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
    /// The user was brought over from another billing system (its hash, if kept, is in the
    /// credential table, never here).
    ClientUserImported {
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
        /// True when its password hash was not an argon2 one and was not kept: it cannot sign
        /// in until it sets a password through the reset link.
        password_reset_required: bool,
        /// Where it came from.
        source: ImportSource,
    },
    /// The user's roles were replaced.
    ClientUserRolesSet {
        /// The roles, whole.
        roles: BTreeSet<ClientRole>,
    },
    /// The user was disabled.
    ClientUserDisabled,
    /// The user was enabled again; the tokens issued before are void (its generation rises).
    ClientUserEnabled,
    /// The user's password was changed (the hash is in the credential table, not here).
    ClientUserPasswordChanged {},
    /// A password reset link was asked for. The link's MAC is computed from these fields with a
    /// key kept outside the log; neither the key nor the MAC is here.
    ClientUserPasswordResetRequested {
        /// The request's id.
        request_id: uuid::Uuid,
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
    /// The password was set through the link of `request_id`, which cannot be used again.
    ClientUserPasswordReset {
        /// The request used.
        request_id: uuid::Uuid,
    },
    /// The user's preferences were set.
    ClientUserPreferencesSet {
        /// Its language.
        language: Language,
        /// Its IANA time zone.
        time_zone: String,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ClientUserCreated { .. } => "ClientUserCreated".to_string(),
            Self::ClientUserImported { .. } => "ClientUserImported".to_string(),
            Self::ClientUserRolesSet { .. } => "ClientUserRolesSet".to_string(),
            Self::ClientUserDisabled => "ClientUserDisabled".to_string(),
            Self::ClientUserEnabled => "ClientUserEnabled".to_string(),
            Self::ClientUserPasswordChanged {} => "ClientUserPasswordChanged".to_string(),
            Self::ClientUserPasswordResetRequested { .. } => {
                "ClientUserPasswordResetRequested".to_string()
            }
            Self::ClientUserPasswordReset { .. } => "ClientUserPasswordReset".to_string(),
            Self::ClientUserPreferencesSet { .. } => "ClientUserPreferencesSet".to_string(),
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
    /// Counts password changes, resets and re-enablings: a token issued in an older generation is
    /// refused.
    #[serde(default)]
    generation: u32,
    /// The latest password reset request: its id, its expiry, whether it was used.
    #[serde(default)]
    reset: Option<ResetRequest>,
    /// Its language, once chosen.
    #[serde(default)]
    language: Option<Language>,
    /// Its IANA time zone, once chosen.
    #[serde(default)]
    time_zone: Option<String>,
}

/// A password reset request as the aggregate remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResetRequest {
    /// Its id.
    pub request_id: uuid::Uuid,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
    /// Whether its link was used.
    pub used: bool,
}

impl ClientUser {
    /// Whether the user exists.
    pub fn is_created(&self) -> bool {
        self.id.is_some()
    }

    /// Whether it was disabled (and not enabled since).
    pub fn is_disabled(&self) -> bool {
        self.disabled
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

    /// Its login, once created.
    pub fn login(&self) -> Option<&Login> {
        self.login.as_ref()
    }

    /// Its current generation, which the tokens issued to it now carry.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether a token issued to it in `generation` works: only while it is active and its
    /// password has not changed since.
    pub fn honours(&self, generation: u32) -> bool {
        self.is_active() && generation == self.generation
    }

    /// Its latest password reset request.
    pub fn reset_request(&self) -> Option<ResetRequest> {
        self.reset
    }

    /// Its language, once chosen.
    pub fn language(&self) -> Option<Language> {
        self.language
    }

    /// Its IANA time zone, once chosen.
    pub fn time_zone(&self) -> Option<&str> {
        self.time_zone.as_deref()
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
            UserCommand::ImportClientUser {
                user_id,
                client_id,
                name,
                login,
                password_hash,
                roles,
                source,
            } => {
                if self.is_created() {
                    return Err(AccessError::LoginTaken);
                }
                if roles.is_empty() {
                    return Err(AccessError::NoRoles);
                }
                Ok(vec![UserEvent::ClientUserImported {
                    user_id,
                    client_id,
                    name,
                    login,
                    roles,
                    password_reset_required: password_hash.is_none(),
                    source,
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
            UserCommand::EnableClientUser => {
                if !self.is_created() {
                    return Err(AccessError::UserNotFound);
                }
                Ok(if self.disabled {
                    vec![UserEvent::ClientUserEnabled]
                } else {
                    vec![]
                })
            }
            UserCommand::ChangePassword { password_hash: _ } => {
                self.ensure_active()?;
                Ok(vec![UserEvent::ClientUserPasswordChanged {}])
            }
            UserCommand::RequestPasswordReset {
                request_id,
                expires_at,
            } => {
                self.ensure_active()?;
                Ok(vec![UserEvent::ClientUserPasswordResetRequested {
                    request_id,
                    expires_at,
                }])
            }
            UserCommand::ResetPassword {
                request_id,
                password_hash: _,
                at,
            } => {
                self.ensure_active()?;
                match self.reset {
                    Some(reset)
                        if reset.request_id == request_id
                            && !reset.used
                            && at < reset.expires_at =>
                    {
                        Ok(vec![UserEvent::ClientUserPasswordReset { request_id }])
                    }
                    _ => Err(AccessError::ResetLinkInvalid),
                }
            }
            UserCommand::SetPreferences {
                language,
                time_zone,
            } => {
                if !self.is_created() {
                    return Err(AccessError::UserNotFound);
                }
                let time_zone = time_zone
                    .trim()
                    .parse::<chrono_tz::Tz>()
                    .map_err(|_| AccessError::InvalidTimeZone(time_zone.clone()))?
                    .name()
                    .to_owned();
                if self.language == Some(language) && self.time_zone.as_ref() == Some(&time_zone) {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::ClientUserPreferencesSet {
                    language,
                    time_zone,
                }])
            }
        }
    }

    fn ensure_active(&self) -> Result<(), AccessError> {
        if !self.is_created() {
            return Err(AccessError::UserNotFound);
        }
        if self.disabled {
            return Err(AccessError::UserDisabled);
        }
        Ok(())
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
            }
            | UserEvent::ClientUserImported {
                user_id,
                client_id,
                name,
                login,
                roles,
                ..
            } => {
                self.id = Some(user_id);
                self.client_id = Some(client_id);
                self.name = Some(name);
                self.login = Some(login);
                self.roles = roles;
            }
            UserEvent::ClientUserRolesSet { roles } => self.roles = roles,
            UserEvent::ClientUserDisabled => self.disabled = true,
            UserEvent::ClientUserEnabled => {
                self.disabled = false;
                self.generation = self.generation.saturating_add(1);
            }
            UserEvent::ClientUserPasswordChanged {} => {
                self.generation = self.generation.saturating_add(1);
            }
            UserEvent::ClientUserPasswordResetRequested {
                request_id,
                expires_at,
            } => {
                self.reset = Some(ResetRequest {
                    request_id,
                    expires_at,
                    used: false,
                });
            }
            UserEvent::ClientUserPasswordReset { request_id } => {
                if let Some(reset) = self.reset.as_mut().filter(|r| r.request_id == request_id) {
                    reset.used = true;
                }
                self.generation = self.generation.saturating_add(1);
            }
            UserEvent::ClientUserPreferencesSet {
                language,
                time_zone,
            } => {
                self.language = Some(language);
                self.time_zone = Some(time_zone);
            }
        }
    }
}
