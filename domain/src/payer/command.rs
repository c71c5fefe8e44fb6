use serde::{Deserialize, Serialize};

use super::PayerProfile;
use crate::client::RequestedBy;
use crate::ids::{ClientId, MergeId, PayerId, ProviderId};
use crate::import::ImportSource;

/// What can be asked of a payer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PayerCommand {
    /// Creates a payer of a client. A VAT number decides the payer's invoices' taxes (reverse
    /// charge): a client's own user creates payers without one, and staff add it.
    CreatePayer {
        /// The caller-chosen id.
        payer_id: PayerId,
        /// The client the payer belongs to.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// The payer's legal details.
        profile: PayerProfile,
        /// Who asks: a client's own user may not give the payer a VAT number.
        #[serde(default)]
        requested_by: RequestedBy,
    },
    /// Brings over a payer (a client's legal details for its documents) from the billing system
    /// a provider moves from, as staff would create it; its `PayerCreated` names its source.
    ImportPayer {
        /// Its id, derived from its source.
        payer_id: PayerId,
        /// The client the payer belongs to.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// The payer's legal details.
        profile: PayerProfile,
        /// Where it came from.
        source: ImportSource,
    },
    /// Replaces the payer's details with `profile` (the caller merges a partial change into
    /// the current details). The same details record nothing. A client's own user may not
    /// change the VAT number, nor the country or kind of a payer that has one: staff do.
    UpdatePayer {
        /// The details as they are to be.
        profile: PayerProfile,
        /// Who asks.
        #[serde(default)]
        requested_by: RequestedBy,
    },
    /// Moves the payer to another client of the same provider, as a merge does. Moving it to
    /// its own client records nothing.
    TransferPayer {
        /// The new client.
        to_client: ClientId,
        /// The merge moving it.
        merge_id: MergeId,
    },
}
