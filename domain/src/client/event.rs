use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{ClientKind, ClientName, Country, Email};
use std::collections::BTreeSet;

use crate::discount::PersonalDiscount;
use crate::ids::{ClientGroupId, ClientId, MergeId, ProviderId};
use crate::import::ImportSource;
use crate::money::Currency;
use crate::tax::VatNumber;

/// What has happened to a client. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientEvent {
    /// The client was registered with a provider.
    ClientRegistered {
        /// The client's id.
        client_id: ClientId,
        /// The provider the client belongs to.
        provider_id: ProviderId,
        /// The provider's currency at registration.
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
    /// The client was brought over from another billing system, as it was there: what
    /// `ClientRegistered` says, whether it was active, and where it came from.
    ClientImported {
        /// The client's id, derived from its source.
        client_id: ClientId,
        /// The provider the client belongs to.
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
        /// Whether the client was active there; an inactive one takes no orders or payments.
        active: bool,
        /// The system and id it came from.
        source: ImportSource,
    },
    /// Some of the client's profile changed; exactly the changed fields are `Some`.
    ClientUpdated {
        /// The new name, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<ClientName>,
        /// The new e-mail address, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<Email>,
        /// The new kind, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<ClientKind>,
        /// The new country, if it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        country: Option<Country>,
    },
    /// The client's billing details were set (both fields, as they now are).
    BillingDetailsSet {
        /// The VAT number, or `None` when the client has none.
        vat_number: Option<VatNumber>,
        /// The trimmed postal address, or `None`.
        address: Option<String>,
    },
    /// The client was marked active or not active.
    ClientStatusSet {
        /// Whether it is active now.
        active: bool,
    },
    /// The client's groups were set (the whole set, as it now is).
    ClientGroupsSet {
        /// The groups.
        groups: BTreeSet<ClientGroupId>,
    },
    /// The client's personal discount was set or, `discount` absent, removed.
    PersonalDiscountSet {
        /// The discount as it now is.
        discount: Option<PersonalDiscount>,
    },
    /// The client was merged into another one; it takes no more commands.
    ClientMerged {
        /// The merge.
        merge_id: MergeId,
        /// The client it was merged into.
        into: ClientId,
    },
    /// The client was deleted.
    ClientDeleted {
        /// The trimmed reason.
        reason: String,
    },
    /// The client used the trial of a tariff for a service; later orders of that tariff are
    /// charged from their first period.
    TrialClaimed {
        /// The tariff.
        tariff_id: crate::ids::TariffId,
        /// The service that starts with the trial.
        service_id: crate::ids::ServiceId,
    },
}

impl DomainEvent for ClientEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::ClientRegistered { .. } => "ClientRegistered".to_string(),
            Self::ClientImported { .. } => "ClientImported".to_string(),
            Self::ClientUpdated { .. } => "ClientUpdated".to_string(),
            Self::BillingDetailsSet { .. } => "BillingDetailsSet".to_string(),
            Self::ClientStatusSet { .. } => "ClientStatusSet".to_string(),
            Self::ClientGroupsSet { .. } => "ClientGroupsSet".to_string(),
            Self::PersonalDiscountSet { .. } => "PersonalDiscountSet".to_string(),
            Self::ClientMerged { .. } => "ClientMerged".to_string(),
            Self::ClientDeleted { .. } => "ClientDeleted".to_string(),
            Self::TrialClaimed { .. } => "TrialClaimed".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
