use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::PayerProfile;
use crate::ids::{ClientId, MergeId, PayerId, ProviderId};
use crate::import::ImportSource;

/// What has happened to a payer. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PayerEvent {
    /// The payer was created.
    PayerCreated {
        /// Its id.
        payer_id: PayerId,
        /// The client it belongs to.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// Its legal details.
        profile: PayerProfile,
        /// Where an imported payer came from; absent for one created here, and in every event
        /// older than imports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<ImportSource>,
    },
    /// The payer's details changed (all of them, as they now are).
    PayerUpdated {
        /// The details.
        profile: PayerProfile,
    },
    /// The payer moved to another client in a merge.
    PayerTransferred {
        /// The old client.
        from_client: ClientId,
        /// The new client.
        to_client: ClientId,
        /// The merge.
        merge_id: MergeId,
    },
}

impl DomainEvent for PayerEvent {
    fn event_type(&self) -> String {
        // Literal names, so that a rename in code cannot orphan stored rows.
        match self {
            Self::PayerCreated { .. } => "PayerCreated".to_string(),
            Self::PayerUpdated { .. } => "PayerUpdated".to_string(),
            Self::PayerTransferred { .. } => "PayerTransferred".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
