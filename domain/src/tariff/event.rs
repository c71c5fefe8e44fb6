use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{AddonSpec, ItemType, PeriodPrice};
use crate::ids::{ProviderId, TariffId};
use crate::import::ImportSource;
use crate::money::Money;

/// What has happened to a tariff. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TariffEvent {
    /// The tariff was created.
    TariffCreated {
        /// The tariff's id.
        tariff_id: TariffId,
        /// The provider selling the tariff.
        provider_id: ProviderId,
        /// The trimmed display name.
        name: String,
        /// What kind of thing the tariff sells.
        item_type: ItemType,
        /// The base prices, one per (period, currency).
        prices: Vec<PeriodPrice>,
        /// The setup fees, at most one per currency.
        setup_fees: Vec<Money>,
        /// The add-ons, with trimmed names.
        addons: Vec<AddonSpec>,
        /// Where an imported tariff came from (the system and its id there); absent for one
        /// created here, and in every event older than imports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<ImportSource>,
    },
    /// The base price for a (period, currency) was added or replaced.
    PriceSet {
        /// The new price.
        price: PeriodPrice,
    },
    /// The base price for a (period, currency) changes: at once for new orders, and for the
    /// services sold from the tariff from their first period starting on or after
    /// `effective_on` (announced to their clients by a notice).
    PriceChangeAnnounced {
        /// The new price.
        price: PeriodPrice,
        /// The price it replaces.
        previous: Money,
        /// The first day a period of an existing service may start at the new price.
        effective_on: chrono::NaiveDate,
        /// The day it was announced.
        announced_on: chrono::NaiveDate,
    },
    /// The setup fee in a currency was set or replaced.
    SetupFeeSet {
        /// The new fee.
        fee: Money,
    },
    /// An add-on was added.
    AddonAdded {
        /// The add-on, with trimmed names.
        addon: AddonSpec,
    },
    /// The tariff was withdrawn from sale.
    TariffArchived,
    /// The trial of new orders was set, or switched off (`None`). Services already ordered
    /// keep the trial they started with.
    TrialSet {
        /// The trial's length; `None` for no trial.
        trial: Option<super::Trial>,
    },
    /// The metered parameters were set, replacing the ones there were.
    MeteredParametersSet {
        /// The parameters.
        parameters: Vec<crate::usage::MeteredParameter>,
    },
    /// The prices per hour of new orders were set, replacing the ones there were (ADR 37).
    HourlyPricesSet {
        /// The prices, at most one per currency; empty when hourly billing was switched off.
        prices: Vec<crate::hourly::HourlyPrice>,
    },
}

impl DomainEvent for TariffEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::TariffCreated { .. } => "TariffCreated".to_string(),
            Self::TrialSet { .. } => "TrialSet".to_string(),
            Self::PriceSet { .. } => "PriceSet".to_string(),
            Self::SetupFeeSet { .. } => "SetupFeeSet".to_string(),
            Self::PriceChangeAnnounced { .. } => "PriceChangeAnnounced".to_string(),
            Self::AddonAdded { .. } => "AddonAdded".to_string(),
            Self::TariffArchived => "TariffArchived".to_string(),
            Self::MeteredParametersSet { .. } => "MeteredParametersSet".to_string(),
            Self::HourlyPricesSet { .. } => "HourlyPricesSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
