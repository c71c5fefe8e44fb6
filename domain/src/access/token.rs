//! A bearer token: issued to a staff member or a client's user at login, to a machine as a
//! service token with scopes, or to a staff member acting as a client; revocable.
//!
//! The token's secret is never stored: the command carries the SHA-256 of the secret, which the
//! store keeps in its credential table (never in an event, ADR 11), and the API compares the
//! digest of what a caller presents with it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::AccessError;
use crate::ids::{ClientId, StaffId, TokenId, UserId};

/// The longest scope name, in characters.
pub const SCOPE_CHARS_MAX: usize = 64;

/// A service token's scope: lowercase letters, digits, `_`, `.` and `:`, such as
/// `payments.confirm` or `payments:write`. Which scopes exist is the API's rule table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(String);

impl Scope {
    /// Checks the scope's shape.
    pub fn parse(scope: &str) -> Result<Scope, AccessError> {
        let valid = !scope.is_empty()
            && scope.len() <= SCOPE_CHARS_MAX
            && scope
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.:".contains(c));
        if valid {
            Ok(Scope(scope.to_owned()))
        } else {
            Err(AccessError::InvalidScope(scope.to_owned()))
        }
    }

    /// The scope's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whom a token stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TokenSubject {
    /// A staff member who logged in.
    Staff {
        /// The staff member.
        staff_id: StaffId,
        /// The staff member's generation at issue ([`super::StaffMember::honours`]); absent
        /// (0) in tokens issued before generations existed.
        #[serde(default)]
        generation: u32,
    },
    /// A client's user who logged in.
    User {
        /// The user.
        user_id: UserId,
        /// Its client.
        client_id: ClientId,
        /// The user's generation at issue ([`super::ClientUser::honours`]); absent (0) in
        /// tokens issued before password changes existed.
        #[serde(default)]
        generation: u32,
    },
    /// A machine, with the scopes it may use.
    Service {
        /// What the machine is, for people reading the log.
        name: String,
        /// What it may do.
        scopes: BTreeSet<Scope>,
    },
    /// The bootstrap administrator (whoever holds the configured administrator token) signed in
    /// to the dashboard: the session stands for the token without being it, so the token never
    /// sits in a browser's cookie.
    Administrator {},
    /// A staff member acting as a client ("switch to the customer panel").
    ActingAs {
        /// The staff member, the actor of everything done with the token.
        staff_id: StaffId,
        /// The client acted for.
        client_id: ClientId,
        /// The staff member's generation at issue, as for a login.
        #[serde(default)]
        generation: u32,
        /// What the token allows inside the client ([`super::acting_permissions`] at issue);
        /// absent in tokens issued before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        permissions: Option<super::Permissions>,
    },
}

/// What may be asked of a token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenCommand {
    /// Issue the token.
    IssueToken {
        /// Its id, the public part of the bearer string.
        token_id: TokenId,
        /// Whom it stands for.
        subject: TokenSubject,
        /// The SHA-256 of the secret, hex-encoded.
        secret_sha256: String,
        /// When it was issued.
        issued_at: DateTime<Utc>,
        /// When it stops working; never for service tokens.
        expires_at: Option<DateTime<Utc>>,
    },
    /// Revoke the token; revoking a revoked token changes nothing.
    RevokeToken {
        /// When.
        revoked_at: DateTime<Utc>,
    },
}

impl TokenCommand {
    /// The SHA-256 of the secret (hex) the command issues, if it issues one. The store keeps it
    /// in its credential table, beside the event and never inside it.
    pub fn secret_sha256(&self) -> Option<&str> {
        match self {
            TokenCommand::IssueToken { secret_sha256, .. } => Some(secret_sha256),
            TokenCommand::RevokeToken { .. } => None,
        }
    }
}

/// What has happened to a token. Stored forever: variants and fields are never renamed.
///
/// `TokenIssued` is at version 2.0, without the secret's digest (ADR 11); its version 1.0 also
/// held `secret_sha256`, which reading ignores and the log reader removes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TokenEvent {
    /// The token was issued.
    TokenIssued {
        /// Its id.
        token_id: TokenId,
        /// Whom it stands for.
        subject: TokenSubject,
        /// When it was issued.
        issued_at: DateTime<Utc>,
        /// When it stops working.
        expires_at: Option<DateTime<Utc>>,
    },
    /// The token was revoked.
    TokenRevoked {
        /// When.
        revoked_at: DateTime<Utc>,
    },
}

impl DomainEvent for TokenEvent {
    fn event_type(&self) -> String {
        match self {
            Self::TokenIssued { .. } => "TokenIssued".to_string(),
            Self::TokenRevoked { .. } => "TokenRevoked".to_string(),
        }
    }

    fn event_version(&self) -> String {
        match self {
            // 2.0: without `secret_sha256` (ADR 11).
            Self::TokenIssued { .. } => "2.0".to_string(),
            Self::TokenRevoked { .. } => "1.0".to_string(),
        }
    }
}

/// The state of one token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    id: Option<TokenId>,
    subject: Option<TokenSubject>,
    expires_at: Option<DateTime<Utc>>,
    revoked: bool,
}

impl AccessToken {
    /// Whether the token was issued.
    pub fn is_issued(&self) -> bool {
        self.id.is_some()
    }

    /// Whom it stands for, once issued.
    pub fn subject(&self) -> Option<&TokenSubject> {
        self.subject.as_ref()
    }

    /// Whether it was revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked
    }

    /// Whether it works at `now`: issued, not revoked, not expired.
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.is_issued() && !self.revoked && self.expires_at.is_none_or(|at| now < at)
    }

    /// When it stops working, if ever.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: TokenCommand) -> Result<Vec<TokenEvent>, AccessError> {
        match command {
            TokenCommand::IssueToken {
                token_id,
                subject,
                secret_sha256: _,
                issued_at,
                expires_at,
            } => {
                if self.is_issued() {
                    return Err(AccessError::AlreadyExists);
                }
                if expires_at.is_some_and(|at| at <= issued_at) {
                    return Err(AccessError::InvalidExpiry);
                }
                if let TokenSubject::Service { scopes, .. } = &subject
                    && scopes.is_empty()
                {
                    return Err(AccessError::NoScopes);
                }
                Ok(vec![TokenEvent::TokenIssued {
                    token_id,
                    subject,
                    issued_at,
                    expires_at,
                }])
            }
            TokenCommand::RevokeToken { revoked_at } => {
                if !self.is_issued() {
                    return Err(AccessError::TokenNotFound);
                }
                Ok(if self.revoked {
                    vec![]
                } else {
                    vec![TokenEvent::TokenRevoked { revoked_at }]
                })
            }
        }
    }
}

impl Aggregate for AccessToken {
    const TYPE: &'static str = "AccessToken";
    type Command = TokenCommand;
    type Event = TokenEvent;
    type Error = AccessError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TokenCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccessError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: TokenEvent) {
        match event {
            TokenEvent::TokenIssued {
                token_id,
                subject,
                expires_at,
                ..
            } => {
                self.id = Some(token_id);
                self.subject = Some(subject);
                self.expires_at = expires_at;
            }
            TokenEvent::TokenRevoked { .. } => self.revoked = true,
        }
    }
}
