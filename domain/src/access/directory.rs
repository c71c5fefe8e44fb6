//! A client's user directory: the one aggregate that sees the roles and the status of all of a
//! client's users at once, and so the keeper of the rule that **a client always keeps at least
//! one enabled owner**. Its stream has the client's id.
//!
//! Each user's own `ClientUser` stream stays what authentication reads (its roles give its
//! permissions, its status whether its tokens work); a change of roles or status is decided here
//! first and then followed on the user's stream. The directory learns a user the first time it
//! changes one: for the others it counts what their own streams say now, which the caller loads
//! and passes in the command (`users`). A user counts as an enabled owner only when its stream
//! says so and, if the directory recorded it, the directory says so too: between the directory's
//! decision and the user stream following it, a user is counted the less privileged way, so a
//! crash or a race between the two writes can make the rule stricter, never looser.

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{AccessError, ClientRole};
use crate::ids::UserId;

/// One user as the directory counts it: its roles and whether it is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its roles.
    pub roles: BTreeSet<ClientRole>,
    /// Whether it may sign in and use its tokens.
    pub enabled: bool,
}

impl Member {
    /// Whether it is an owner that is enabled: what the client must always keep one of.
    pub fn is_enabled_owner(&self) -> bool {
        self.enabled && self.roles.contains(&ClientRole::Owner)
    }
}

/// The client's users as their own `ClientUser` streams say now, by id: the facts a directory
/// command carries. A user missing from it is not counted (and, as a command's target, is not
/// found).
pub type Members = BTreeMap<UserId, Member>;

/// What may be asked of a client's user directory.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryCommand {
    /// Replace a user's roles.
    SetUserRoles {
        /// The user.
        user_id: UserId,
        /// Its roles, whole; at least one.
        roles: BTreeSet<ClientRole>,
        /// The client's users as their streams say now.
        users: Members,
    },
    /// Disable a user: it can no longer sign in and its tokens stop working.
    DisableUser {
        /// The user.
        user_id: UserId,
        /// The client's users as their streams say now.
        users: Members,
    },
    /// Enable a disabled user again.
    EnableUser {
        /// The user.
        user_id: UserId,
        /// The client's users as their streams say now.
        users: Members,
    },
}

/// What has happened in a client's user directory. Stored forever: variants and fields are never
/// renamed. Each event carries the user as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DirectoryEvent {
    /// A user's roles were replaced.
    DirectoryUserRolesSet {
        /// The user.
        user_id: UserId,
        /// The user now.
        member: Member,
    },
    /// A user was disabled.
    DirectoryUserDisabled {
        /// The user.
        user_id: UserId,
        /// The user now.
        member: Member,
    },
    /// A user was enabled again.
    DirectoryUserEnabled {
        /// The user.
        user_id: UserId,
        /// The user now.
        member: Member,
    },
}

impl DirectoryEvent {
    /// The user the event is about and how it now is.
    pub fn member(&self) -> (UserId, &Member) {
        match self {
            Self::DirectoryUserRolesSet { user_id, member }
            | Self::DirectoryUserDisabled { user_id, member }
            | Self::DirectoryUserEnabled { user_id, member } => (*user_id, member),
        }
    }
}

impl DomainEvent for DirectoryEvent {
    fn event_type(&self) -> String {
        match self {
            Self::DirectoryUserRolesSet { .. } => "DirectoryUserRolesSet".to_string(),
            Self::DirectoryUserDisabled { .. } => "DirectoryUserDisabled".to_string(),
            Self::DirectoryUserEnabled { .. } => "DirectoryUserEnabled".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// The state of one client's user directory: the users it changed, as it left them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserDirectory {
    members: Members,
}

impl UserDirectory {
    /// The users the directory changed, as it left them.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: DirectoryCommand) -> Result<Vec<DirectoryEvent>, AccessError> {
        match command {
            DirectoryCommand::SetUserRoles {
                user_id,
                roles,
                users,
            } => {
                if roles.is_empty() {
                    return Err(AccessError::NoRoles);
                }
                self.change(user_id, &users, |member| member.roles = roles)
                    .map(|member| {
                        member
                            .map(|member| DirectoryEvent::DirectoryUserRolesSet { user_id, member })
                    })
            }
            DirectoryCommand::DisableUser { user_id, users } => self
                .change(user_id, &users, |member| member.enabled = false)
                .map(|member| {
                    member.map(|member| DirectoryEvent::DirectoryUserDisabled { user_id, member })
                }),
            DirectoryCommand::EnableUser { user_id, users } => self
                .change(user_id, &users, |member| member.enabled = true)
                .map(|member| {
                    member.map(|member| DirectoryEvent::DirectoryUserEnabled { user_id, member })
                }),
        }
        .map(|event| event.into_iter().collect())
    }

    /// The user `user_id` after `edit`, or `None` when `edit` changes nothing; refused when the
    /// user is not one of `users` or when the change would leave the client without an enabled
    /// owner.
    fn change(
        &self,
        user_id: UserId,
        users: &Members,
        edit: impl FnOnce(&mut Member),
    ) -> Result<Option<Member>, AccessError> {
        let Some(fact) = users.get(&user_id) else {
            return Err(AccessError::UserNotFound);
        };
        let before = self.members.get(&user_id).unwrap_or(fact).clone();
        let mut after = before.clone();
        edit(&mut after);
        if after == before {
            return Ok(None);
        }
        if before.is_enabled_owner() && !after.is_enabled_owner() {
            let others = self
                .enabled_owners(users)
                .filter(|owner| *owner != user_id)
                .count();
            if others == 0 {
                return Err(AccessError::LastOwner);
            }
        }
        Ok(Some(after))
    }

    /// The users that count as enabled owners: their own streams say so and, where the directory
    /// recorded them, the directory says so too.
    fn enabled_owners<'a>(&'a self, users: &'a Members) -> impl Iterator<Item = UserId> + 'a {
        users
            .iter()
            .filter(|(user_id, fact)| {
                fact.is_enabled_owner()
                    && self
                        .members
                        .get(user_id)
                        .is_none_or(Member::is_enabled_owner)
            })
            .map(|(user_id, _)| *user_id)
    }
}

impl Aggregate for UserDirectory {
    const TYPE: &'static str = "UserDirectory";
    type Command = DirectoryCommand;
    type Event = DirectoryEvent;
    type Error = AccessError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DirectoryCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccessError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: DirectoryEvent) {
        let (user_id, member) = event.member();
        self.members.insert(user_id, member.clone());
    }
}
