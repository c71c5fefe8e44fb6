use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::ContactDetails;
use crate::ids::{ClientId, ContactId, MergeId, ProviderId, ServiceId};

/// What has happened to a domain contact. Stored forever: variants and fields are never renamed.
/// The details are personal data, kept as the log keeps client names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContactEvent {
    /// The contact was created.
    ContactCreated {
        /// Its id.
        contact_id: ContactId,
        /// The client it belongs to.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// Its checked details.
        details: ContactDetails,
    },
    /// The contact's details changed (all of them, as they now are).
    ContactUpdated {
        /// The details.
        details: ContactDetails,
    },
    /// The contact was deleted. Terminal.
    ContactDeleted {},
    /// A domain service uses the contact.
    ContactAttached {
        /// The service.
        service_id: ServiceId,
        /// When it was attached, before the service's order was recorded (absent on none of this
        /// version's events; kept optional so that a stream without it still folds).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    /// A domain service no longer uses the contact.
    ContactDetached {
        /// The service.
        service_id: ServiceId,
    },
    /// A merge moved the contact to the client it merged its client into.
    ContactTransferred {
        /// The client it belonged to.
        from_client: ClientId,
        /// The client it belongs to now.
        to_client: ClientId,
        /// The merge.
        merge_id: MergeId,
    },
}

impl DomainEvent for ContactEvent {
    fn event_type(&self) -> String {
        // Literal names, so that a rename in code cannot orphan stored rows.
        match self {
            Self::ContactCreated { .. } => "ContactCreated".to_string(),
            Self::ContactUpdated { .. } => "ContactUpdated".to_string(),
            Self::ContactDeleted { .. } => "ContactDeleted".to_string(),
            Self::ContactAttached { .. } => "ContactAttached".to_string(),
            Self::ContactDetached { .. } => "ContactDetached".to_string(),
            Self::ContactTransferred { .. } => "ContactTransferred".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
