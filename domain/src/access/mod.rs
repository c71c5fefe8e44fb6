//! Who may do what: the provider's departments and staff, the users of a client's account, and
//! bearer tokens (logins, service tokens, act-as tokens).
//!
//! Five small aggregates share this module's values and its error: [`Department`],
//! [`StaffMember`], [`ClientUser`], [`AccessToken`] and [`UserDirectory`] (a client's users
//! together, the keeper of the rule that a client keeps an enabled owner). Passwords never reach the domain: a
//! command carries the password's argon2 hash (a PHC string made by the API), and a token command
//! carries only the SHA-256 of the token's secret. Neither the hash nor the digest is in any
//! event or aggregate state (ADR 11): the store keeps them in its credential table, written in
//! the same transaction as the event that sets them, and only authentication reads them there.

mod department;
mod directory;
mod staff;
mod token;
mod user;

#[cfg(test)]
mod directory_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client::Email;
use crate::text;

pub use department::*;
pub use directory::*;
pub use staff::*;
pub use token::*;
pub use user::*;

/// The longest display name of a department, staff member or user, in characters.
pub const NAME_CHARS_MAX: usize = 200;

/// What a permission is about: one module of the billing core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Clients, their profiles, users and balances.
    Clients,
    /// Services and their provisioning operations.
    Services,
    /// Payments, refunds and exchange rates.
    Payments,
    /// Expenses (charges) and their corrections.
    Expenses,
    /// Invoices and credit notes.
    Invoices,
    /// Tariffs and promo codes.
    Tariffs,
    /// Reports and the action log.
    Reports,
    /// Providers, companies, staff, departments and tokens.
    Settings,
    /// Support tickets, their categories and answer templates, announcements, messages to
    /// clients and notification templates.
    Tickets,
}

impl Resource {
    /// Every resource, in a stable order.
    pub const ALL: [Resource; 9] = [
        Resource::Clients,
        Resource::Services,
        Resource::Payments,
        Resource::Expenses,
        Resource::Invoices,
        Resource::Tariffs,
        Resource::Reports,
        Resource::Settings,
        Resource::Tickets,
    ];

    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Clients => "clients",
            Resource::Services => "services",
            Resource::Payments => "payments",
            Resource::Expenses => "expenses",
            Resource::Invoices => "invoices",
            Resource::Tariffs => "tariffs",
            Resource::Reports => "reports",
            Resource::Settings => "settings",
            Resource::Tickets => "tickets",
        }
    }
}

/// What a permission allows on its resource. `Write` includes `Read` (and orders after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See.
    Read,
    /// Change (and see).
    Write,
}

impl Action {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }
}

/// One right: an action on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Permission {
    /// The module.
    pub resource: Resource,
    /// What may be done with it.
    pub action: Action,
}

impl Permission {
    /// `action` on `resource`.
    pub const fn new(resource: Resource, action: Action) -> Self {
        Self { resource, action }
    }

    /// Whether holding `self` allows `wanted` (a write permission allows reading too).
    pub fn covers(self, wanted: Permission) -> bool {
        self.resource == wanted.resource
            && (self.action == wanted.action || self.action == Action::Write)
    }
}

impl std::str::FromStr for Permission {
    type Err = AccessError;

    /// Parses `resource:action`, such as `clients:read`.
    fn from_str(text: &str) -> Result<Permission, AccessError> {
        let invalid = || AccessError::InvalidPermission(text.to_owned());
        let (resource, action) = text.split_once(':').ok_or_else(invalid)?;
        let resource = Resource::ALL
            .into_iter()
            .find(|r| r.as_str() == resource)
            .ok_or_else(invalid)?;
        let action = match action {
            "read" => Action::Read,
            "write" => Action::Write,
            _ => return Err(invalid()),
        };
        Ok(Permission::new(resource, action))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource.as_str(), self.action.as_str())
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    /// The set of `permissions`.
    pub fn of(permissions: impl IntoIterator<Item = Permission>) -> Self {
        Self(permissions.into_iter().collect())
    }

    /// Whether some permission of the set allows `wanted`.
    pub fn allows(&self, wanted: Permission) -> bool {
        self.0.iter().any(|held| held.covers(wanted))
    }

    /// The union of both sets.
    #[must_use]
    pub fn union(&self, other: &Permissions) -> Permissions {
        Permissions(self.0.union(&other.0).copied().collect())
    }

    /// What both sets allow: for each resource in both, the lesser of the two actions (a write
    /// on one side and a read on the other give a read).
    #[must_use]
    pub fn intersection(&self, other: &Permissions) -> Permissions {
        Permissions(
            self.0
                .iter()
                .flat_map(|mine| {
                    other
                        .0
                        .iter()
                        .filter(move |theirs| theirs.resource == mine.resource)
                        .map(move |theirs| {
                            Permission::new(mine.resource, mine.action.min(theirs.action))
                        })
                })
                .collect(),
        )
    }

    /// Every permission: what an administrator holds.
    pub fn all() -> Permissions {
        Permissions::of(
            Resource::ALL
                .into_iter()
                .map(|resource| Permission::new(resource, Action::Write)),
        )
    }

    /// The permissions, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }
}

/// What a staff member holding `staff` may do while acting as a client: what the client's owner
/// may, but never more than the staff member itself may. Acting is a way to see and do what
/// the client sees, not a way around one's own permissions.
pub fn acting_permissions(staff: &Permissions) -> Permissions {
    ClientRole::Owner.permissions().intersection(staff)
}

/// A user's role inside its client's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientRole {
    /// Everything a client may do: manage users, order and change services, pay, see documents.
    Owner,
    /// Pay and see the balance, expenses, payments and invoices.
    Billing,
    /// See and manage services.
    Technical,
}

impl ClientRole {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientRole::Owner => "owner",
            ClientRole::Billing => "billing",
            ClientRole::Technical => "technical",
        }
    }

    /// What the role allows inside the client's own account, as permissions on resources. Which
    /// routes a client's user may call at all is the API's rule table; this only says which of
    /// them the role opens.
    pub fn permissions(self) -> Permissions {
        use Action::{Read, Write};
        use Resource::{Clients, Expenses, Invoices, Payments, Services, Tariffs, Tickets};
        let p = Permission::new;
        // Every role may write to support: a billing contact asks about an invoice, a technical
        // one about a server. Which tickets it sees is still only its own client's.
        match self {
            ClientRole::Owner => Permissions::of([
                p(Clients, Write),
                p(Services, Write),
                p(Payments, Write),
                p(Expenses, Read),
                p(Invoices, Read),
                p(Tariffs, Read),
                p(Tickets, Write),
            ]),
            ClientRole::Billing => Permissions::of([
                p(Clients, Read),
                p(Payments, Write),
                p(Expenses, Read),
                p(Invoices, Read),
                p(Tariffs, Read),
                p(Tickets, Write),
            ]),
            ClientRole::Technical => Permissions::of([
                p(Clients, Read),
                p(Services, Write),
                p(Tariffs, Read),
                p(Tickets, Write),
            ]),
        }
    }
}

/// A login: an e-mail address, trimmed and lowercased whole, so that one address has one login
/// however it is typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Login(String);

impl Login {
    /// Checks the shape like a client's e-mail address and lowercases it.
    pub fn parse(email: &str) -> Result<Login, AccessError> {
        let email = Email::parse(email).map_err(|_| AccessError::InvalidLogin(email.to_owned()))?;
        Ok(Login(email.as_str().to_lowercase()))
    }

    /// The lowercased address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The display name of a department, staff member or user: trimmed, 1 to 200 characters, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims `name` and checks it.
    pub fn parse(name: &str) -> Result<DisplayName, AccessError> {
        text::display_name(name, NAME_CHARS_MAX)
            .map(|name| DisplayName(name.to_owned()))
            .ok_or_else(|| AccessError::InvalidName(name.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password's hash as a PHC string (`$argon2id$v=19$...`), made by the API. The password itself
/// never reaches the domain; its `Debug` shows nothing of the hash either.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string; anything that does not look like one is refused.
    pub fn from_phc(phc: String) -> Result<PasswordHash, AccessError> {
        if phc.starts_with('$') && phc.len() <= 512 && !phc.chars().any(char::is_whitespace) {
            Ok(PasswordHash(phc))
        } else {
            Err(AccessError::InvalidPasswordHash)
        }
    }

    /// The PHC string, for verifying a password against it.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Why an access command was refused, or why a value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The department, staff member, user or token exists already.
    #[error("already exists")]
    AlreadyExists,
    /// The department does not exist.
    #[error("department not found")]
    DepartmentNotFound,
    /// The staff member does not exist.
    #[error("staff member not found")]
    StaffNotFound,
    /// The user does not exist.
    #[error("user not found")]
    UserNotFound,
    /// The token does not exist.
    #[error("token not found")]
    TokenNotFound,
    /// The login is taken by another staff member or user.
    #[error("login already taken")]
    LoginTaken,
    /// The name is empty after trimming, longer than 200 characters or holds control characters.
    #[error("invalid name {0:?}: it must be 1 to 200 characters without control characters")]
    InvalidName(String),
    /// The login is not a plausible e-mail address.
    #[error("invalid login {0:?}: expected an e-mail address")]
    InvalidLogin(String),
    /// The password hash is not a PHC string.
    #[error("invalid password hash")]
    InvalidPasswordHash,
    /// A permission is not `resource:action` with a known resource and action.
    #[error("invalid permission {0:?}: expected resource:action, such as clients:read")]
    InvalidPermission(String),
    /// A user needs at least one role.
    #[error("a user needs at least one role")]
    NoRoles,
    /// A service token scope is not a lowercase name.
    #[error("invalid scope {0:?}")]
    InvalidScope(String),
    /// A service token needs at least one scope.
    #[error("a service token needs at least one scope")]
    NoScopes,
    /// A token expires before it is issued.
    #[error("a token must expire after it is issued")]
    InvalidExpiry,
    /// Business hours that do not make sense.
    #[error("{0}")]
    InvalidBusinessHours(String),
    /// The user is disabled: it can neither change its password nor ask for a reset.
    #[error("the user is disabled")]
    UserDisabled,
    /// A password reset link that is not the user's latest request, was used, or expired.
    #[error("this password reset link is not valid (used, expired or replaced); ask for a new one")]
    ResetLinkInvalid,
    /// Not an IANA time zone name.
    #[error("invalid time zone {0:?}: give an IANA name such as Europe/Berlin, or UTC")]
    InvalidTimeZone(String),
    /// The change would leave the client without an enabled owner: the last one can be neither
    /// disabled nor lose the owner role.
    #[error("the client must keep at least one enabled owner: make another user an owner first")]
    LastOwner,
}

impl AccessError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            AccessError::AlreadyExists => "already_exists",
            AccessError::DepartmentNotFound => "department_not_found",
            AccessError::StaffNotFound => "staff_not_found",
            AccessError::UserNotFound => "user_not_found",
            AccessError::TokenNotFound => "token_not_found",
            AccessError::LoginTaken => "login_taken",
            AccessError::InvalidName(_) => "invalid_name",
            AccessError::InvalidLogin(_) => "invalid_login",
            AccessError::InvalidPasswordHash => "invalid_password_hash",
            AccessError::InvalidPermission(_) => "invalid_permission",
            AccessError::NoRoles => "no_roles",
            AccessError::InvalidScope(_) => "invalid_scope",
            AccessError::NoScopes => "no_scopes",
            AccessError::InvalidExpiry => "invalid_expiry",
            AccessError::InvalidBusinessHours(_) => "invalid_business_hours",
            AccessError::UserDisabled => "user_disabled",
            AccessError::ResetLinkInvalid => "reset_link_invalid",
            AccessError::InvalidTimeZone(_) => "invalid_time_zone",
            AccessError::LastOwner => "last_owner",
        }
    }
}
