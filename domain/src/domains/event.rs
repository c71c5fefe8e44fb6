use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DomainOperation, DomainStatus};
use crate::contact::DomainName;
use crate::ids::{AccountId, ClientId, DomainId, ExpenseId, MergeId, OperationId, ProviderId};
use crate::tld::{RegistrarOperationKind, TldName};

/// What has happened to a domain. Stored forever: variants and fields are never renamed. The
/// contact snapshots are personal data, kept as the log keeps the contacts themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DomainEvent {
    /// The domain was ordered and its registration or transfer asked.
    DomainOrdered {
        /// Its id.
        domain_id: DomainId,
        /// The client.
        client_id: ClientId,
        /// The provider.
        provider_id: ProviderId,
        /// The account charged.
        account_id: AccountId,
        /// The name.
        name: DomainName,
        /// The TLD.
        tld: TldName,
        /// Whether the billing day renews it.
        auto_renew: bool,
        /// The operation asked.
        operation: DomainOperation,
    },
    /// A renewal was asked.
    DomainRenewalRequested {
        /// The operation asked.
        operation: DomainOperation,
        /// Whether the billing day asked it.
        automatic: bool,
    },
    /// The registrar did the operation; the domain expires at its date.
    RegistrarOperationDone {
        /// The operation.
        operation_id: OperationId,
        /// Register, transfer or renew.
        kind: RegistrarOperationKind,
        /// The expiry the registrar answered.
        expires_at: DateTime<Utc>,
    },
    /// The registrar refused the operation; its charge is to be given back.
    RegistrarOperationFailed {
        /// The operation.
        operation_id: OperationId,
        /// Register, transfer or renew.
        kind: RegistrarOperationKind,
        /// The registrar's reason.
        reason: String,
        /// The charge to give back.
        expense_id: ExpenseId,
        /// The id of the correction that gives it back.
        refund_id: Uuid,
    },
    /// The domain expired unrenewed. Terminal.
    DomainExpired {
        /// Its expiry.
        expires_at: DateTime<Utc>,
    },
    /// A merge moved the domain to the client it merged its client into: from now on it is
    /// charged to that client's account, and its contacts, which the merge moved first, are that
    /// client's.
    DomainTransferred {
        /// The client it belonged to.
        from_client: ClientId,
        /// The client it belongs to now.
        to_client: ClientId,
        /// The account its operations are charged to from now on.
        to_account: AccountId,
        /// The merge that moved it.
        merge_id: MergeId,
    },
    /// The client is to be told that the domain expires soon.
    DomainExpiryNoticed {
        /// The expiry the notice is about.
        expires_at: DateTime<Utc>,
        /// The notice's step: one of [`EXPIRY_NOTICE_DAYS`](super::EXPIRY_NOTICE_DAYS).
        within_days: u32,
        /// Whole days from the billing day to the expiry's day.
        days_left: u32,
    },
}

impl cqrs_es::DomainEvent for DomainEvent {
    fn event_type(&self) -> String {
        // Literal names, so that a rename in code cannot orphan stored rows.
        match self {
            Self::DomainOrdered { .. } => "DomainOrdered".to_string(),
            Self::DomainRenewalRequested { .. } => "DomainRenewalRequested".to_string(),
            Self::RegistrarOperationDone { .. } => "RegistrarOperationDone".to_string(),
            Self::RegistrarOperationFailed { .. } => "RegistrarOperationFailed".to_string(),
            Self::DomainExpired { .. } => "DomainExpired".to_string(),
            Self::DomainExpiryNoticed { .. } => "DomainExpiryNoticed".to_string(),
            Self::DomainTransferred { .. } => "DomainTransferred".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

impl DomainEvent {
    /// The status the event leaves the domain in, `None` where it leaves the status as it was:
    /// the one place that says it, for the domain's own state and for its read model. A failed
    /// registration or transfer ends the domain; a failed renewal leaves it as it was.
    pub fn status_after(&self) -> Option<DomainStatus> {
        match self {
            Self::DomainOrdered { .. } => Some(DomainStatus::Pending),
            Self::RegistrarOperationDone { .. } => Some(DomainStatus::Active),
            Self::RegistrarOperationFailed { kind, .. } => {
                (*kind != RegistrarOperationKind::Renew).then_some(DomainStatus::Failed)
            }
            Self::DomainExpired { .. } => Some(DomainStatus::Expired),
            Self::DomainRenewalRequested { .. }
            | Self::DomainExpiryNoticed { .. }
            | Self::DomainTransferred { .. } => None,
        }
    }
}
