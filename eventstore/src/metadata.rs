//! Who did what, when and why: the metadata stored beside every event (DESIGN.md lists it).
//! Envelopes of cqrs-es carry no id or time, so they live here.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The party on whose authority a command runs, written `kind:id` in the log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A staff member (an administrator, support, an accountant).
    Staff(String),
    /// A user of a client's account.
    User(String),
    /// A machine: a shop front, a payment gateway, a provisioning robot.
    Service(String),
    /// A scheduled job of the billing core itself (the billing day, a process manager).
    System(String),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, id) = match self {
            Self::Staff(id) => ("staff", id),
            Self::User(id) => ("user", id),
            Self::Service(id) => ("service", id),
            Self::System(id) => ("system", id),
        };
        write!(f, "{kind}:{id}")
    }
}

/// An actor string that is not `kind:id` with a known kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("actor must be staff:<id>, user:<id>, service:<id> or system:<job>, not {0:?}")]
pub struct InvalidActor(String);

impl FromStr for Actor {
    type Err = InvalidActor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidActor(s.to_owned());
        let (kind, id) = s.split_once(':').ok_or_else(invalid)?;
        if id.is_empty() {
            return Err(invalid());
        }
        let id = id.to_owned();
        match kind {
            "staff" => Ok(Self::Staff(id)),
            "user" => Ok(Self::User(id)),
            "service" => Ok(Self::Service(id)),
            "system" => Ok(Self::System(id)),
            _ => Err(invalid()),
        }
    }
}

/// What the caller of a command tells the store about it, besides the command itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandContext {
    /// Who runs the command.
    pub actor: Actor,
    /// The client a staff member acts for ("switch to the customer panel"), as `client:<id>`.
    pub on_behalf_of: Option<String>,
    /// The HTTP request (or job run) that carried the command.
    pub request_id: Option<String>,
    /// The caller's Idempotency-Key or command id, where one was given.
    pub idempotency_key: Option<String>,
    /// The business time of the command when it is not the real time: a sandbox provider's
    /// clock (ADR 20). Its events' `occurred_at` is this time, and `recorded_at` the real one.
    pub business_time: Option<DateTime<Utc>>,
}

impl CommandContext {
    /// A context for `actor` with nothing else set.
    pub fn new(actor: Actor) -> Self {
        Self {
            actor,
            on_behalf_of: None,
            request_id: None,
            idempotency_key: None,
            business_time: None,
        }
    }

    /// This context dated `business_time` (a sandbox provider's clock), or as it is for `None`.
    pub fn dated(&self, business_time: Option<DateTime<Utc>>) -> Self {
        Self {
            business_time,
            ..self.clone()
        }
    }
}

/// The metadata stored with each event. **API Boundary**: auditors read it forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// A UUID v7 naming this one event.
    pub event_id: Uuid,
    /// When the command ran in business time: the injected clock's time, or a sandbox
    /// provider's clock for its events (ADR 20).
    pub occurred_at: DateTime<Utc>,
    /// The real time (the injected clock) at which an event dated by a sandbox provider's clock
    /// was recorded; absent when `occurred_at` is the real time, as in every live event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
    /// `staff:<id>`, `user:<id>`, `service:<id>` or `system:<job>`.
    pub actor: String,
    /// The client a staff member acted for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// The request that carried the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The caller's idempotency key or command id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The command's name, such as `PostPayment`.
    pub command: String,
}
