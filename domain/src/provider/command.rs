use serde::{Deserialize, Serialize};

use crate::ids::ProviderId;
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
    },
}
