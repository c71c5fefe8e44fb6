use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
use crate::money::Currency;

/// What has happened to a provider. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProviderEvent {
    /// The provider was created.
    ProviderCreated {
        /// The provider's id.
        provider_id: ProviderId,
        /// The trimmed display name.
        name: String,
        /// The provider's billing currency.
        currency: Currency,
    },
}

impl DomainEvent for ProviderEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::ProviderCreated { .. } => "ProviderCreated".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
