use serde::{Deserialize, Serialize};

use super::{AddonSpec, ItemType, PeriodPrice};
use crate::ids::{ProviderId, TariffId};
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
    /// Adds the base price for a (period, currency), or replaces the one there is.
    SetPrice {
        /// The new price; not negative.
        price: PeriodPrice,
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
    /// Withdraws the tariff from sale. Services sold from it keep their frozen terms.
    ArchiveTariff,
}
