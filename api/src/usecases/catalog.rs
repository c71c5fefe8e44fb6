//! The catalog: tariffs with their prices, promo codes, and the pricing of an order.

use domain::ids::{PromoCodeId, ProviderId, TariffId};
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::promo::{Discount, PromoCode, PromoCodeText, PromoCommand};
use domain::tariff::{
    AddonSelection, AddonSpec, ItemType, OrderSelection, PeriodPrice, ServiceTerms, Tariff,
    TariffCommand,
};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// A tariff to create.
#[derive(Debug, Clone)]
pub struct NewTariff {
    /// Its id.
    pub tariff_id: TariffId,
    /// The provider selling it (must exist).
    pub provider_id: Uuid,
    /// Its name.
    pub name: String,
    /// The kind of item.
    pub item_type: ItemType,
    /// Prices per period and currency.
    pub prices: Vec<PeriodPrice>,
    /// One-time set-up fees.
    pub setup_fees: Vec<Money>,
    /// Add-ons.
    pub addons: Vec<AddonSpec>,
}

/// Creates a tariff of an existing provider.
pub async fn create_tariff(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff: NewTariff,
) -> Result<Committed<Tariff>, Error> {
    crate::usecases::providers::named(core, tariff.provider_id).await?;
    // A tariff sells only a type the directory knows (built in or defined by staff).
    crate::usecases::item_types::settings_of(core, tariff.item_type).await?;
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff.tariff_id.to_string(),
            TariffCommand::CreateTariff {
                tariff_id: tariff.tariff_id,
                provider_id: ProviderId::from_uuid(tariff.provider_id),
                name: tariff.name,
                item_type: tariff.item_type,
                prices: tariff.prices,
                setup_fees: tariff.setup_fees,
                addons: tariff.addons,
            },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// Sets a price of a tariff.
pub async fn set_price(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff_id: Uuid,
    price: PeriodPrice,
) -> Result<Committed<Tariff>, Error> {
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::SetPrice { price },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// Changes a tariff's price for a (period, currency) from `effective_on`, announced today: new
/// orders pay it at once, existing services from their first period starting on or after
/// `effective_on` (`process::price_changes` tells each of them).
pub async fn change_price(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff_id: Uuid,
    price: PeriodPrice,
    effective_on: chrono::NaiveDate,
) -> Result<Committed<Tariff>, Error> {
    let tariff = core.store.load::<Tariff>(&tariff_id.to_string()).await?;
    let when = crate::usecases::clocks::of(&core.store, tariff.aggregate.provider_id()).await?;
    let context = &when.stamp(context);
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::ChangePrice {
                price,
                effective_on,
                announced_on: when.today(),
            },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// Archives a tariff.
pub async fn archive_tariff(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    tariff_id: Uuid,
) -> Result<Committed<Tariff>, Error> {
    Ok(core
        .store
        .execute::<Tariff>(
            &tariff_id.to_string(),
            TariffCommand::ArchiveTariff,
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// The tariff `id` as it is now (an empty one when it was never created).
pub async fn tariff(core: &Core, id: Uuid) -> Result<Tariff, Error> {
    Ok(core.store.load::<Tariff>(&id.to_string()).await?.aggregate)
}

/// Prices an order or a change on `tariff_id`, which must be a tariff of `provider`.
pub async fn quote(
    core: &Core,
    tariff_id: Uuid,
    provider: ProviderId,
    period: BillingPeriod,
    currency: Currency,
    addons: Vec<AddonSelection>,
) -> Result<ServiceTerms, Error> {
    let tariff = core
        .store
        .load::<Tariff>(&tariff_id.to_string())
        .await?
        .aggregate;
    if tariff.provider_id() != Some(provider) {
        return Err(Error::refused(
            "tariff_not_found",
            format!("tariff_id: the client's provider has no tariff {tariff_id}"),
        ));
    }
    Ok(tariff.quote(&OrderSelection {
        period,
        currency,
        addons,
    })?)
}

/// A promo code to create.
#[derive(Debug, Clone)]
pub struct NewPromoCode {
    /// The provider offering it (must exist).
    pub provider_id: Uuid,
    /// What clients type.
    pub code: PromoCodeText,
    /// What it takes off.
    pub discount: Discount,
    /// The tariffs it applies to; empty means any.
    pub tariffs: Vec<TariffId>,
    /// The kinds of item it applies to; empty means any.
    pub item_types: Vec<ItemType>,
    /// The billing periods it applies to; empty means any.
    pub periods: Vec<BillingPeriod>,
    /// The first day it may be redeemed.
    pub valid_from: Option<chrono::NaiveDate>,
    /// The last day it may be redeemed (inclusive).
    pub valid_until: Option<chrono::NaiveDate>,
    /// How many services may redeem it.
    pub max_uses: Option<u32>,
    /// Whether every charge is discounted.
    pub recurring: bool,
}

/// Creates a promo code of an existing provider, under the id derived from the provider and the
/// code.
pub async fn create_promo_code(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    promo: NewPromoCode,
) -> Result<Committed<PromoCode>, Error> {
    crate::usecases::providers::named(core, promo.provider_id).await?;
    let provider_id = ProviderId::from_uuid(promo.provider_id);
    let id = PromoCodeId::of(provider_id, promo.code.as_str());
    Ok(core
        .store
        .execute::<PromoCode>(
            &id.to_string(),
            PromoCommand::CreatePromoCode {
                provider_id,
                code: promo.code,
                discount: promo.discount,
                tariffs: promo.tariffs,
                item_types: promo.item_types,
                periods: promo.periods,
                valid_from: promo.valid_from,
                valid_until: promo.valid_until,
                max_uses: promo.max_uses,
                recurring: promo.recurring,
            },
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// Disables a promo code.
pub async fn disable_promo_code(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    promo_code_id: Uuid,
) -> Result<Committed<PromoCode>, Error> {
    Ok(core
        .store
        .execute::<PromoCode>(
            &promo_code_id.to_string(),
            PromoCommand::DisablePromoCode,
            context,
            idempotency.as_slice(),
        )
        .await?)
}
