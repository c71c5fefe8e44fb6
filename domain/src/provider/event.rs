use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
use crate::import::ImportSource;
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
        /// A sandbox provider (absent, so false, in live providers' events and in every event
        /// older than sandboxes).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        sandbox: bool,
        /// Where a sandbox provider's clock starts; absent for a live provider.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<DateTime<Utc>>,
        /// Where an imported provider came from (the system and its id there); absent for one
        /// created here, and in every event older than imports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<ImportSource>,
    },
    /// A sandbox provider's clock was moved forward.
    ProviderClockAdvanced {
        /// The time it showed.
        from: DateTime<Utc>,
        /// The time it shows now.
        to: DateTime<Utc>,
    },
}

impl DomainEvent for ProviderEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::ProviderCreated { .. } => "ProviderCreated".to_string(),
            Self::ProviderClockAdvanced { .. } => "ProviderClockAdvanced".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
