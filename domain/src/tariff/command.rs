use serde::{Deserialize, Serialize};

use super::{AddonSpec, ItemType, PeriodPrice};
use crate::ids::{ProviderId, TariffId};
use crate::import::ImportSource;
use crate::money::Money;

/// What can be asked of a tariff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TariffCommand {
    /// Creates the tariff with its prices and add-ons.
    CreateTariff {
        /// The caller-chosen tariff id.
        tariff_id: TariffId,
        /// The provider selling the tariff.
        provider_id: ProviderId,
        /// The display name; trimmed, 1 to 200 characters without control characters.
        name: String,
        /// What kind of thing the tariff sells.
        item_type: ItemType,
        /// The base prices: at least one, none negative, at most one per (period, currency).
        prices: Vec<PeriodPrice>,
        /// One-off fees charged with the first period: none negative, at most one per currency.
        setup_fees: Vec<Money>,
        /// The add-ons; their codes are unique.
        addons: Vec<AddonSpec>,
    },
    /// Records a tariff brought over from another billing system (`TariffCreated` with its
    /// source), by the rules of [`TariffCommand::CreateTariff`].
    ImportTariff {
        /// Its id, derived from its source.
        tariff_id: TariffId,
        /// The provider selling it.
        provider_id: ProviderId,
        /// The display name, as the source system has it.
        name: String,
        /// What kind of thing it sells.
        item_type: ItemType,
        /// Its prices there.
        prices: Vec<PeriodPrice>,
        /// Its set-up fees there.
        setup_fees: Vec<Money>,
        /// The system it comes from and its id there.
        source: ImportSource,
    },
    /// Adds the base price for a (period, currency), or replaces the one there is.
    SetPrice {
        /// The new price; not negative.
        price: PeriodPrice,
    },
    /// Changes the base price for a (period, currency) the tariff offers, announced on
    /// `announced_on` and reaching the services sold from it with their first period starting
    /// on or after `effective_on`, at least [`super::PRICE_CHANGE_NOTICE_DAYS`] later. New orders
    /// pay the new price at once.
    ChangePrice {
        /// The new price; not negative, not the current one.
        price: PeriodPrice,
        /// The first day a period of an existing service may start at the new price.
        effective_on: chrono::NaiveDate,
        /// The day staff announce it (the day of the command).
        announced_on: chrono::NaiveDate,
    },
    /// Sets the setup fee in the fee's currency, replacing the one there is.
    SetSetupFee {
        /// The new fee; not negative. Zero means no fee.
        fee: Money,
    },
    /// Adds an add-on with a new code.
    AddAddon {
        /// The add-on.
        addon: AddonSpec,
    },
    /// Sets the free first period an order of the tariff starts with (once per client and
    /// tariff, the `Client`'s rule), or switches it off with `None`. Setting what is already
    /// set records nothing.
    SetTrial {
        /// The trial's length; `None` for no trial.
        trial: Option<super::Trial>,
    },
    /// Withdraws the tariff from sale. Services sold from it keep their frozen terms.
    ArchiveTariff,
    /// Sets the metered parameters (usage-based charging, issue 20.3), replacing the ones there
    /// are: each period of a service sold from the tariff is charged the overage of each
    /// metric. Empty removes them.
    SetMeteredParameters {
        /// The parameters: at most 20, codes unique, nothing negative, one currency.
        parameters: Vec<crate::usage::MeteredParameter>,
    },
    /// Sets the prices per hour (hourly billing of VDS, issue 20.3, ADR 37), at most one per
    /// currency the tariff has a period price in, replacing the ones there were; an empty list
    /// switches hourly billing off for new orders. A service ordered from the tariff is charged
    /// its period price (zero for a tariff sold by the hour only) and, each day, the hours it ran.
    SetHourlyPrices {
        /// The prices per hour.
        prices: Vec<crate::hourly::HourlyPrice>,
    },
}
