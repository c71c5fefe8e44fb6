//! The tariff aggregate: a provider's price list for one kind of service, with its add-ons.
//!
//! A tariff only prices orders ([`Tariff::quote`]); it never learns about the services sold from
//! it. The quote is frozen into the service as [`ServiceTerms`], so changing or archiving a
//! tariff never changes what an existing client pays.

mod command;
mod error;
mod event;
mod trial;
mod value;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{ProviderId, TariffId};
use crate::money::{Currency, Money};
use crate::period::BillingPeriod;
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use trial::*;
pub use value::*;

/// The longest tariff, add-on or option name, in characters.
pub const TARIFF_NAME_CHARS_MAX: usize = 200;

/// The fewest days between the announcement of a price change and the day it takes effect:
/// a month's notice, what hosting terms of service commonly promise, so that every client is
/// told before the billing day that charges the new price.
pub const PRICE_CHANGE_NOTICE_DAYS: u32 = 30;

/// The longest unit of a quantity add-on, in characters.
pub const ADDON_UNIT_CHARS_MAX: usize = 32;

/// The largest `max` a quantity add-on may have.
pub const ADDON_QUANTITY_MAX: u32 = 100_000;

/// The state of one tariff, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tariff {
    /// `None` until `TariffCreated`, so that "created but without a provider" is
    /// unrepresentable.
    created: Option<CreatedTariff>,
}

/// The state of a tariff that has been created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedTariff {
    tariff_id: TariffId,
    provider_id: ProviderId,
    name: String,
    item_type: ItemType,
    /// At most one per (period, currency).
    prices: Vec<PeriodPrice>,
    /// At most one per currency.
    setup_fees: Vec<Money>,
    /// Codes are unique.
    addons: Vec<AddonSpec>,
    archived: bool,
    /// The free first period an order starts with, if the tariff has one.
    #[serde(default)]
    trial: Option<Trial>,
    /// The metered parameters; absent from states saved before usage charging.
    #[serde(default)]
    metered: Vec<crate::usage::MeteredParameter>,
    /// The prices per hour, at most one per currency; absent from states saved before hourly
    /// billing.
    #[serde(default)]
    hourly: Vec<crate::hourly::HourlyPrice>,
}

impl Tariff {
    /// Whether `TariffCreated` has happened.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// Whether the tariff has been archived.
    pub fn is_archived(&self) -> bool {
        self.created.as_ref().is_some_and(|tariff| tariff.archived)
    }

    /// The tariff's id, once created.
    pub fn tariff_id(&self) -> Option<TariffId> {
        self.created.as_ref().map(|tariff| tariff.tariff_id)
    }

    /// The provider selling the tariff, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|tariff| tariff.provider_id)
    }

    /// The trimmed display name, once created.
    pub fn name(&self) -> Option<&str> {
        self.created.as_ref().map(|tariff| tariff.name.as_str())
    }

    /// What the tariff sells, once created.
    pub fn item_type(&self) -> Option<ItemType> {
        self.created.as_ref().map(|tariff| tariff.item_type)
    }

    /// The base prices, one per (period, currency); empty until created.
    pub fn prices(&self) -> &[PeriodPrice] {
        self.created
            .as_ref()
            .map_or(&[], |tariff| tariff.prices.as_slice())
    }

    /// The setup fees, at most one per currency; empty until created.
    pub fn setup_fees(&self) -> &[Money] {
        self.created
            .as_ref()
            .map_or(&[], |tariff| tariff.setup_fees.as_slice())
    }

    /// The free first period an order starts with, if the tariff has one.
    pub fn trial(&self) -> Option<Trial> {
        self.created.as_ref().and_then(|tariff| tariff.trial)
    }

    /// The add-ons, in the order they were added; empty until created.
    pub fn addons(&self) -> &[AddonSpec] {
        self.created
            .as_ref()
            .map_or(&[], |tariff| tariff.addons.as_slice())
    }

    /// The price per hour of new orders in `currency`, if the tariff is billed by the hour.
    pub fn hourly_price(&self, currency: Currency) -> Option<crate::hourly::HourlyPrice> {
        self.created
            .as_ref()?
            .hourly
            .iter()
            .find(|price| price.currency == currency)
            .copied()
    }

    /// The metered parameters (usage-based charging); empty for a tariff without.
    pub fn metered(&self) -> &[crate::usage::MeteredParameter] {
        self.created
            .as_ref()
            .map_or(&[], |tariff| tariff.metered.as_slice())
    }

    /// Prices `selection` into the terms a service would be sold at.
    ///
    /// The base price for the selected (period, currency) must exist. Each selected add-on must
    /// exist, be selected once and get a value of its kind: a quantity within `min..=max`, a
    /// toggle `true` or `false`, a choice naming one of its options. Whatever ends up on a line
    /// must be priced for the period and currency. A quantity line costs the unit price × the
    /// quantity; a quantity of zero and a toggle that is off make no line; a quantity add-on
    /// that is not selected is added at its `min` when that is above zero. Lines follow the
    /// tariff's add-on order, and `price_per_period` is the base price plus every line.
    pub fn quote(&self, selection: &OrderSelection) -> Result<ServiceTerms, TariffError> {
        let tariff = self.on_sale()?;
        let (period, currency) = (selection.period, selection.currency);
        let base_price = price_of(&tariff.prices, period, currency)
            .ok_or(TariffError::PeriodNotOffered { period, currency })?;

        let mut selected: BTreeMap<&str, &AddonValue> = BTreeMap::new();
        for choice in &selection.addons {
            if !tariff
                .addons
                .iter()
                .any(|addon| addon.code.as_str() == choice.code)
            {
                return Err(TariffError::UnknownAddon(choice.code.clone()));
            }
            if selected.insert(&choice.code, &choice.value).is_some() {
                return Err(TariffError::DuplicateAddon(choice.code.clone()));
            }
        }

        let mut addons = Vec::new();
        let mut price_per_period = base_price;
        for addon in &tariff.addons {
            let value = selected.get(addon.code.as_str()).copied();
            if let Some(line) = addon_line(addon, value, period, currency)? {
                price_per_period = price_per_period.checked_add(line.price)?;
                addons.push(line);
            }
        }

        let setup_fee = tariff
            .setup_fees
            .iter()
            .find(|fee| fee.currency() == currency)
            .copied()
            .unwrap_or_else(|| Money::zero(currency));
        Ok(ServiceTerms {
            tariff_id: tariff.tariff_id,
            tariff_name: tariff.name.clone(),
            item_type: tariff.item_type,
            period,
            base_price,
            setup_fee,
            addons,
            price_per_period,
            deletion_delay_days: tariff.item_type.deletion_delay_days(),
            hourly: tariff
                .hourly
                .iter()
                .find(|price| price.currency == currency)
                .copied(),
        })
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: TariffCommand) -> Result<Vec<TariffEvent>, TariffError> {
        match command {
            TariffCommand::CreateTariff {
                tariff_id,
                provider_id,
                name,
                item_type,
                prices,
                setup_fees,
                addons,
            } => {
                if self.is_created() {
                    return Err(TariffError::AlreadyCreated);
                }
                let name = text::display_name(&name, TARIFF_NAME_CHARS_MAX)
                    .ok_or(TariffError::InvalidName)?;
                if prices.is_empty() {
                    return Err(TariffError::NoPrices);
                }
                check_prices(&prices)?;
                check_setup_fees(&setup_fees)?;
                let mut checked_addons: Vec<AddonSpec> = Vec::with_capacity(addons.len());
                for addon in addons {
                    if checked_addons.iter().any(|other| other.code == addon.code) {
                        return Err(TariffError::DuplicateAddon(addon.code.to_string()));
                    }
                    checked_addons.push(checked_addon(addon)?);
                }
                Ok(vec![TariffEvent::TariffCreated {
                    tariff_id,
                    provider_id,
                    name: name.to_string(),
                    item_type,
                    prices,
                    setup_fees,
                    addons: checked_addons,
                    source: None,
                }])
            }
            TariffCommand::ImportTariff {
                tariff_id,
                provider_id,
                name,
                item_type,
                prices,
                setup_fees,
                source,
            } => {
                let mut events = self.decide(TariffCommand::CreateTariff {
                    tariff_id,
                    provider_id,
                    name,
                    item_type,
                    prices,
                    setup_fees,
                    addons: Vec::new(),
                })?;
                for event in &mut events {
                    if let TariffEvent::TariffCreated { source: from, .. } = event {
                        *from = Some(source.clone());
                    }
                }
                Ok(events)
            }
            TariffCommand::SetPrice { price } => {
                self.on_sale()?;
                if price.price.is_negative() {
                    return Err(TariffError::NegativePrice);
                }
                Ok(vec![TariffEvent::PriceSet { price }])
            }
            TariffCommand::ChangePrice {
                price,
                effective_on,
                announced_on,
            } => {
                let tariff = self.on_sale()?;
                let (period, currency) = (price.period, price.price.currency());
                let previous = price_of(&tariff.prices, period, currency)
                    .ok_or(TariffError::PeriodNotOffered { period, currency })?;
                if price.price.is_negative() {
                    return Err(TariffError::NegativePrice);
                }
                if previous == price.price {
                    return Err(TariffError::PriceUnchanged { period, currency });
                }
                let earliest = announced_on
                    .checked_add_days(chrono::Days::new(u64::from(PRICE_CHANGE_NOTICE_DAYS)))
                    .unwrap_or(chrono::NaiveDate::MAX);
                if effective_on < earliest {
                    return Err(TariffError::PriceChangeTooSoon {
                        effective_on,
                        earliest,
                    });
                }
                Ok(vec![TariffEvent::PriceChangeAnnounced {
                    price,
                    previous,
                    effective_on,
                    announced_on,
                }])
            }
            TariffCommand::SetSetupFee { fee } => {
                self.on_sale()?;
                if fee.is_negative() {
                    return Err(TariffError::NegativePrice);
                }
                Ok(vec![TariffEvent::SetupFeeSet { fee }])
            }
            TariffCommand::AddAddon { addon } => {
                let tariff = self.on_sale()?;
                if tariff.addons.iter().any(|other| other.code == addon.code) {
                    return Err(TariffError::DuplicateAddon(addon.code.to_string()));
                }
                Ok(vec![TariffEvent::AddonAdded {
                    addon: checked_addon(addon)?,
                }])
            }
            TariffCommand::SetTrial { trial } => {
                let tariff = self.on_sale()?;
                let trial = trial.map(Trial::checked).transpose()?;
                if trial.is_some() && !tariff.hourly.is_empty() {
                    return Err(TariffError::TrialOfHourlyTariff);
                }
                if tariff.trial == trial {
                    return Ok(vec![]);
                }
                Ok(vec![TariffEvent::TrialSet { trial }])
            }
            TariffCommand::ArchiveTariff => {
                self.on_sale()?;
                Ok(vec![TariffEvent::TariffArchived])
            }
            TariffCommand::SetMeteredParameters { parameters } => {
                let tariff = self.on_sale()?;
                crate::usage::MeteredParameter::check_all(&parameters)?;
                if tariff.metered == parameters {
                    return Ok(vec![]);
                }
                Ok(vec![TariffEvent::MeteredParametersSet { parameters }])
            }
            TariffCommand::SetHourlyPrices { prices } => {
                let tariff = self.on_sale()?;
                let prices = checked_hourly(tariff, prices)?;
                if !prices.is_empty() && tariff.trial.is_some() {
                    return Err(TariffError::TrialOfHourlyTariff);
                }
                if tariff.hourly == prices {
                    return Ok(vec![]);
                }
                Ok(vec![TariffEvent::HourlyPricesSet { prices }])
            }
        }
    }

    /// The created tariff if it is still on sale: `NotCreated` or `Archived` otherwise.
    fn on_sale(&self) -> Result<&CreatedTariff, TariffError> {
        let tariff = self.created.as_ref().ok_or(TariffError::NotCreated)?;
        if tariff.archived {
            Err(TariffError::Archived)
        } else {
            Ok(tariff)
        }
    }
}

/// The price in `prices` for `period` in `currency`, if there is one.
fn price_of(prices: &[PeriodPrice], period: BillingPeriod, currency: Currency) -> Option<Money> {
    prices
        .iter()
        .find(|entry| entry.period == period && entry.price.currency() == currency)
        .map(|entry| entry.price)
}

/// Rejects a negative price and a repeated (period, currency).
fn check_prices(prices: &[PeriodPrice]) -> Result<(), TariffError> {
    for (index, entry) in prices.iter().enumerate() {
        if entry.price.is_negative() {
            return Err(TariffError::NegativePrice);
        }
        let currency = entry.price.currency();
        if price_of(&prices[..index], entry.period, currency).is_some() {
            return Err(TariffError::DuplicatePrice {
                period: entry.period,
                currency,
            });
        }
    }
    Ok(())
}

/// Rejects a negative fee and a second fee in one currency.
fn check_setup_fees(fees: &[Money]) -> Result<(), TariffError> {
    for (index, fee) in fees.iter().enumerate() {
        if fee.is_negative() {
            return Err(TariffError::NegativePrice);
        }
        if fees[..index]
            .iter()
            .any(|other| other.currency() == fee.currency())
        {
            return Err(TariffError::DuplicateSetupFee(fee.currency()));
        }
    }
    Ok(())
}

/// Checks an add-on's rules and returns it with trimmed names.
fn checked_addon(addon: AddonSpec) -> Result<AddonSpec, TariffError> {
    let invalid = || TariffError::InvalidAddon(addon.code.to_string());
    let name = text::display_name(&addon.name, TARIFF_NAME_CHARS_MAX).ok_or_else(invalid)?;
    let check_addon_prices = |prices: &[PeriodPrice]| {
        let well_formed = !prices.is_empty() && check_prices(prices).is_ok();
        if well_formed { Ok(()) } else { Err(invalid()) }
    };
    let kind = match &addon.kind {
        AddonKind::Quantity {
            unit,
            min,
            max,
            prices,
        } => {
            let unit = text::display_name(unit, ADDON_UNIT_CHARS_MAX).ok_or_else(invalid)?;
            if min > max || *max > ADDON_QUANTITY_MAX {
                return Err(invalid());
            }
            check_addon_prices(prices)?;
            AddonKind::Quantity {
                unit: unit.to_string(),
                min: *min,
                max: *max,
                prices: prices.clone(),
            }
        }
        AddonKind::Toggle { prices } => {
            check_addon_prices(prices)?;
            AddonKind::Toggle {
                prices: prices.clone(),
            }
        }
        AddonKind::Choice { options } => {
            if options.is_empty() {
                return Err(invalid());
            }
            let mut checked_options: Vec<ChoiceOption> = Vec::with_capacity(options.len());
            for option in options {
                if checked_options
                    .iter()
                    .any(|other| other.code == option.code)
                {
                    return Err(invalid());
                }
                let option_name =
                    text::display_name(&option.name, TARIFF_NAME_CHARS_MAX).ok_or_else(invalid)?;
                check_addon_prices(&option.prices)?;
                checked_options.push(ChoiceOption {
                    code: option.code.clone(),
                    name: option_name.to_string(),
                    prices: option.prices.clone(),
                });
            }
            AddonKind::Choice {
                options: checked_options,
            }
        }
    };
    Ok(AddonSpec {
        code: addon.code.clone(),
        name: name.to_string(),
        kind,
    })
}

/// The priced line for `addon` given the order's `value` for it, or `None` when the order buys
/// nothing of it.
fn addon_line(
    addon: &AddonSpec,
    value: Option<&AddonValue>,
    period: BillingPeriod,
    currency: Currency,
) -> Result<Option<AddonLine>, TariffError> {
    let code = addon.code.as_str();
    let not_priced = || TariffError::AddonNotPriced {
        code: code.to_string(),
        period,
        currency,
    };
    let mismatch = || TariffError::AddonValueMismatch(code.to_string());
    let line = |name: String, value: AddonValue, price: Money| AddonLine {
        code: code.to_string(),
        name,
        value,
        price,
    };
    match &addon.kind {
        AddonKind::Quantity {
            min, max, prices, ..
        } => {
            let quantity = match value {
                None => *min,
                Some(AddonValue::Quantity(quantity)) => *quantity,
                Some(_) => return Err(mismatch()),
            };
            if !(*min..=*max).contains(&quantity) {
                return Err(TariffError::AddonOutOfRange {
                    code: code.to_string(),
                    min: *min,
                    max: *max,
                    value: quantity,
                });
            }
            if quantity == 0 {
                return Ok(None);
            }
            let unit_price = price_of(prices, period, currency).ok_or_else(not_priced)?;
            let price = unit_price.checked_mul(quantity)?;
            Ok(Some(line(
                addon.name.clone(),
                AddonValue::Quantity(quantity),
                price,
            )))
        }
        AddonKind::Toggle { prices } => match value {
            None | Some(AddonValue::Toggle(false)) => Ok(None),
            Some(AddonValue::Toggle(true)) => {
                let price = price_of(prices, period, currency).ok_or_else(not_priced)?;
                Ok(Some(line(
                    addon.name.clone(),
                    AddonValue::Toggle(true),
                    price,
                )))
            }
            Some(_) => Err(mismatch()),
        },
        AddonKind::Choice { options } => match value {
            None => Ok(None),
            Some(AddonValue::Choice(picked)) => {
                let option = options
                    .iter()
                    .find(|option| option.code.as_str() == picked)
                    .ok_or_else(|| TariffError::UnknownChoice {
                        code: code.to_string(),
                        option: picked.clone(),
                    })?;
                let price = price_of(&option.prices, period, currency).ok_or_else(not_priced)?;
                Ok(Some(line(
                    format!("{}: {}", addon.name, option.name),
                    AddonValue::Choice(picked.clone()),
                    price,
                )))
            }
            Some(_) => Err(mismatch()),
        },
    }
}

impl Aggregate for Tariff {
    const TYPE: &'static str = "Tariff";
    type Command = TariffCommand;
    type Event = TariffEvent;
    type Error = TariffError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TariffCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TariffError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: TariffEvent) {
        match event {
            TariffEvent::TariffCreated {
                tariff_id,
                provider_id,
                name,
                item_type,
                prices,
                setup_fees,
                addons,
                source: _,
            } => {
                self.created = Some(CreatedTariff {
                    trial: None,
                    tariff_id,
                    provider_id,
                    name,
                    item_type,
                    prices,
                    setup_fees,
                    addons,
                    archived: false,
                    metered: Vec::new(),
                    hourly: Vec::new(),
                });
            }
            TariffEvent::PriceSet { price } | TariffEvent::PriceChangeAnnounced { price, .. } => {
                if let Some(tariff) = &mut self.created {
                    // The entry for the same (period, currency) is replaced in place.
                    let currency = price.price.currency();
                    let same = |entry: &PeriodPrice| {
                        entry.period == price.period && entry.price.currency() == currency
                    };
                    match tariff.prices.iter_mut().find(|entry| same(entry)) {
                        Some(entry) => *entry = price,
                        None => tariff.prices.push(price),
                    }
                }
            }
            TariffEvent::SetupFeeSet { fee } => {
                if let Some(tariff) = &mut self.created {
                    let existing = tariff
                        .setup_fees
                        .iter_mut()
                        .find(|other| other.currency() == fee.currency());
                    match existing {
                        Some(entry) => *entry = fee,
                        None => tariff.setup_fees.push(fee),
                    }
                }
            }
            TariffEvent::AddonAdded { addon } => {
                if let Some(tariff) = &mut self.created {
                    tariff.addons.push(addon);
                }
            }
            TariffEvent::TariffArchived => {
                if let Some(tariff) = &mut self.created {
                    tariff.archived = true;
                }
            }
            TariffEvent::MeteredParametersSet { parameters } => {
                if let Some(tariff) = &mut self.created {
                    tariff.metered = parameters;
                }
            }
            TariffEvent::TrialSet { trial } => {
                if let Some(tariff) = &mut self.created {
                    tariff.trial = trial;
                }
            }
            TariffEvent::HourlyPricesSet { prices } => {
                if let Some(tariff) = &mut self.created {
                    tariff.hourly = prices;
                }
            }
        }
    }
}

/// `prices` checked for `tariff` (ADR 37): each a valid price per hour, one per currency, in a
/// currency the tariff has a period price in, for an item type run by the hour.
fn checked_hourly(
    tariff: &CreatedTariff,
    prices: Vec<crate::hourly::HourlyPrice>,
) -> Result<Vec<crate::hourly::HourlyPrice>, TariffError> {
    if !prices.is_empty() && tariff.item_type == ItemType::Domain {
        return Err(TariffError::NotHourly(tariff.item_type));
    }
    let mut checked: Vec<crate::hourly::HourlyPrice> = Vec::with_capacity(prices.len());
    for price in prices {
        let price =
            crate::hourly::HourlyPrice::new(price.per_hour, price.currency, price.monthly_cap)?;
        if checked.iter().any(|other| other.currency == price.currency) {
            return Err(TariffError::DuplicateHourlyPrice(price.currency));
        }
        if !tariff
            .prices
            .iter()
            .any(|entry| entry.price.currency() == price.currency)
        {
            return Err(TariffError::HourlyCurrencyNotPriced(price.currency));
        }
        checked.push(price);
    }
    Ok(checked)
}
