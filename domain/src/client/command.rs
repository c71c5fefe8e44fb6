use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ClientKind, ClientName, Country, Email};
use std::collections::BTreeSet;

use crate::discount::PersonalDiscount;
use crate::ids::{ClientGroupId, ClientId, MergeId, ProviderId};
use crate::import::ImportSource;
use crate::money::Currency;
use crate::tax::VatNumber;

/// Who asks for a change of a client's profile. The client's tax identity (its country, its
/// kind and its VAT number) decides its invoices' VAT, reverse charge included, so it is the
/// provider's staff who answer for it: a client's own user may change its name, e-mail and
/// address, not its tax identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestedBy {
    /// The provider's staff, a service token or the billing core itself.
    #[default]
    Staff,
    /// A user of the client's own account.
    ClientUser,
}

/// What can be asked of a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientCommand {
    /// Brings over a client from another billing system as it is there. A client already
    /// imported (the same id, derived from its source) records nothing.
    ImportClient {
        /// The client's id, derived from its source.
        client_id: ClientId,
        /// The provider the client buys from.
        provider_id: ProviderId,
        /// The provider's currency.
        currency: Currency,
        /// The client's name.
        name: ClientName,
        /// The client's e-mail address.
        email: Email,
        /// What kind of legal person the client is.
        kind: ClientKind,
        /// The client's country.
        country: Country,
        /// The day the client signed up there, if the bundle says; the reports count the client
        /// as new on that day rather than on the day of the import.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registered_on: Option<NaiveDate>,
        /// Whether the client was active there.
        active: bool,
        /// The system and id it came from.
        source: ImportSource,
    },
    /// Registers a new client with a provider.
    RegisterClient {
        /// The caller-chosen id of the new client.
        client_id: ClientId,
        /// The provider the client buys from.
        provider_id: ProviderId,
        /// The provider's currency, looked up by the caller, which the client is billed in.
        currency: Currency,
        /// The client's name.
        name: ClientName,
        /// The client's e-mail address.
        email: Email,
        /// What kind of legal person the client is.
        kind: ClientKind,
        /// The client's country.
        country: Country,
    },
    /// Changes some of a client's profile; `None` leaves a field as it is. The country and the
    /// kind are part of the client's tax identity: only staff change them.
    UpdateClient {
        /// The new name, if it changes.
        name: Option<ClientName>,
        /// The new e-mail address, if it changes.
        email: Option<Email>,
        /// The new kind, if it changes.
        kind: Option<ClientKind>,
        /// The new country, if it changes.
        country: Option<Country>,
        /// Who asks: a client's own user may not change the tax identity.
        #[serde(default)]
        requested_by: RequestedBy,
    },
    /// Sets the details printed on the client's invoices and used for taxes; `None` clears a
    /// field. Unchanged details record nothing. The VAT number is part of the client's tax
    /// identity: only staff change it.
    SetBillingDetails {
        /// The client's VAT identification number, if it is a registered business.
        vat_number: Option<VatNumber>,
        /// The postal address as printed; trimmed, 1 to 500 characters, newlines allowed.
        address: Option<String>,
        /// Who asks: a client's own user may not change the tax identity.
        #[serde(default)]
        requested_by: RequestedBy,
    },
    /// Marks the client active (it takes orders and payments) or not active (it keeps its
    /// services and history but takes no new orders or payments). The same status records
    /// nothing.
    SetClientStatus {
        /// Whether the client is active.
        active: bool,
    },
    /// Puts the client in exactly these groups (of its provider, checked by the caller). The
    /// same set records nothing.
    SetClientGroups {
        /// The groups, possibly none.
        groups: BTreeSet<ClientGroupId>,
    },
    /// Sets (or, with `discount` absent, removes) the client's personal discount. The same
    /// discount records nothing.
    SetPersonalDiscount {
        /// The discount; `None` removes it.
        discount: Option<PersonalDiscount>,
    },
    /// Marks the client as merged into another client by a merge: from then on it refuses every
    /// command. Marking it again for the same merge records nothing; for another merge it is
    /// refused.
    MarkMerged {
        /// The merge.
        merge_id: MergeId,
        /// The client it is merged into.
        into: ClientId,
        /// The clients `into` was itself merged into since, in order: what is merged into it
        /// ends there. A client on that path would be merged into itself.
        then: Vec<ClientId>,
    },
    /// Deletes a client. Its history is kept; it just accepts no more changes.
    DeleteClient {
        /// Why the client is deleted; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Claims the trial of a tariff for a service being ordered: once per client and tariff.
    ClaimTrial {
        /// The tariff whose trial is claimed.
        tariff_id: crate::ids::TariffId,
        /// The service ordered with it.
        service_id: crate::ids::ServiceId,
    },
}
