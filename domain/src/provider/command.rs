use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
use crate::import::ImportSource;
use crate::money::Currency;

/// What can be asked of a provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProviderCommand {
    /// Creates the provider with its billing currency. The name is trimmed and must hold 1 to
    /// 200 characters.
    CreateProvider {
        /// The caller-chosen id of the new provider.
        provider_id: ProviderId,
        /// The display name, as typed; the domain trims it.
        name: String,
        /// The currency all of the provider's clients are billed in.
        currency: Currency,
        /// A sandbox provider lives on its own clock (a test clock) that staff advance; a live
        /// one on real time.
        sandbox: bool,
        /// The real time of the creation: where a sandbox provider's clock starts.
        created_at: DateTime<Utc>,
    },
    /// Records a provider brought over from another billing system (`ProviderCreated` with its
    /// source): live, by the rules of [`ProviderCommand::CreateProvider`].
    ImportProvider {
        /// Its id, derived from its source.
        provider_id: ProviderId,
        /// The display name, as the source system has it; the domain trims it.
        name: String,
        /// Its billing currency.
        currency: Currency,
        /// The system it comes from and its id there.
        source: ImportSource,
    },
    /// Moves a sandbox provider's clock forward to `to`. Moving it to the time it already shows
    /// records nothing (a retry after the billing days it runs were interrupted).
    AdvanceClock {
        /// The new time of the provider's clock.
        to: DateTime<Utc>,
    },
}
