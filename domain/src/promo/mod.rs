//! The promo code aggregate: a provider's code that takes a percent or a fixed amount off the
//! price of a service, within limits (tariffs, item types, periods, dates, number of uses).
//!
//! Its id is derived from what it names ([`PromoCodeId::of`]), so a code typed by a client is
//! found without a lookup and a provider cannot create the same code twice.
//!
//! A code is redeemed once per service: the redemption records the discount of the service's
//! first charge, and `recurring` tells the caller whether the service keeps the discount for
//! its later charges (computed with [`Discount::of`]). Uses count services. The redeemed
//! service ids are kept so that a repeated redemption records nothing; `max_uses` bounds that
//! list in practice, and a code without `max_uses` should be disabled when its campaign ends.

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{PromoCodeId, ProviderId, ServiceId, TariffId};
use crate::money::Money;
use crate::period::BillingPeriod;
use crate::tariff::ItemType;

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The most tariffs a promo code may be limited to.
pub const PROMO_TARIFFS_MAX: usize = 200;

/// The state of one promo code, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromoCode {
    /// `None` until `PromoCodeCreated`.
    created: Option<CreatedPromoCode>,
}

/// The state of a promo code that has been created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedPromoCode {
    promo_code_id: PromoCodeId,
    provider_id: ProviderId,
    code: PromoCodeText,
    discount: Discount,
    limits: PromoLimits,
    max_uses: Option<u32>,
    recurring: bool,
    /// The number of services that redeemed the code.
    uses: u32,
    disabled: bool,
    /// Every service that redeemed the code, so that a repeat is recognised.
    redeemed: Vec<ServiceId>,
}

impl PromoCode {
    /// Whether `PromoCodeCreated` has happened.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// The code's id, once created.
    pub fn promo_code_id(&self) -> Option<PromoCodeId> {
        self.created.as_ref().map(|promo| promo.promo_code_id)
    }

    /// The provider offering the code, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|promo| promo.provider_id)
    }

    /// What clients type, once created.
    pub fn code(&self) -> Option<&PromoCodeText> {
        self.created.as_ref().map(|promo| &promo.code)
    }

    /// What the code takes off a price, once created.
    pub fn discount(&self) -> Option<&Discount> {
        self.created.as_ref().map(|promo| &promo.discount)
    }

    /// Whether every charge of a service is discounted, once created.
    pub fn recurring(&self) -> Option<bool> {
        self.created.as_ref().map(|promo| promo.recurring)
    }

    /// How many services have redeemed the code; zero until created.
    pub fn uses(&self) -> u32 {
        self.created.as_ref().map_or(0, |promo| promo.uses)
    }

    /// How many services may redeem the code; `None` when unlimited or not created.
    pub fn max_uses(&self) -> Option<u32> {
        self.created.as_ref().and_then(|promo| promo.max_uses)
    }

    /// Whether the code has been disabled.
    pub fn is_disabled(&self) -> bool {
        self.created.as_ref().is_some_and(|promo| promo.disabled)
    }

    /// What the code is limited to, once created.
    pub fn limits(&self) -> Option<&PromoLimits> {
        self.created.as_ref().map(|promo| &promo.limits)
    }

    /// Whether `service_id` has redeemed the code.
    pub fn is_redeemed_by(&self, service_id: ServiceId) -> bool {
        self.created
            .as_ref()
            .is_some_and(|promo| promo.redeemed.contains(&service_id))
    }

    /// The discount a redemption with these details would get, without recording anything (a
    /// price preview). Checks, in order: created, not disabled, valid on `on`, applicable to the
    /// tariff, item type and period, uses left, and then computes [`Discount::of`] `price`.
    pub fn quote(
        &self,
        tariff_id: TariffId,
        item_type: ItemType,
        period: BillingPeriod,
        on: NaiveDate,
        price: Money,
    ) -> Result<Money, PromoError> {
        let promo = self.created.as_ref().ok_or(PromoError::NotFound)?;
        if promo.disabled {
            return Err(PromoError::Disabled);
        }
        let limits = &promo.limits;
        if let Some(valid_from) = limits.valid_from
            && on < valid_from
        {
            return Err(PromoError::NotYetValid { valid_from });
        }
        if let Some(valid_until) = limits.valid_until
            && on > valid_until
        {
            return Err(PromoError::Expired { valid_until });
        }
        let not_applicable = |field| Err(PromoError::NotApplicable { field });
        if !allows(&limits.tariffs, &tariff_id) {
            return not_applicable("tariff_id");
        }
        if !allows(&limits.item_types, &item_type) {
            return not_applicable("item_type");
        }
        if !allows(&limits.periods, &period) {
            return not_applicable("period");
        }
        if promo
            .max_uses
            .is_some_and(|max_uses| promo.uses >= max_uses)
        {
            return Err(PromoError::Exhausted);
        }
        promo.discount.of(price)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: PromoCommand) -> Result<Vec<PromoEvent>, PromoError> {
        match command {
            PromoCommand::CreatePromoCode {
                provider_id,
                code,
                discount,
                tariffs,
                item_types,
                periods,
                valid_from,
                valid_until,
                max_uses,
                recurring,
            } => {
                if self.is_created() {
                    return Err(PromoError::AlreadyCreated);
                }
                discount.check()?;
                if tariffs.len() > PROMO_TARIFFS_MAX {
                    return Err(PromoError::TooManyLimits {
                        field: "tariffs",
                        max: PROMO_TARIFFS_MAX,
                    });
                }
                once_each("tariffs", &tariffs)?;
                once_each("item_types", &item_types)?;
                once_each("periods", &periods)?;
                if let (Some(from), Some(until)) = (valid_from, valid_until)
                    && until < from
                {
                    return Err(PromoError::InvalidValidity);
                }
                if max_uses == Some(0) {
                    return Err(PromoError::InvalidMaxUses);
                }
                Ok(vec![PromoEvent::PromoCodeCreated {
                    promo_code_id: PromoCodeId::of(provider_id, code.as_str()),
                    provider_id,
                    code,
                    discount,
                    tariffs,
                    item_types,
                    periods,
                    valid_from,
                    valid_until,
                    max_uses,
                    recurring,
                }])
            }
            PromoCommand::RedeemPromoCode {
                service_id,
                tariff_id,
                item_type,
                period,
                on,
                price,
            } => {
                let promo = self.created.as_ref().ok_or(PromoError::NotFound)?;
                // Checked first, so that a repeat is recognised even once the code has since
                // been disabled, expired or used up.
                if promo.redeemed.contains(&service_id) {
                    return Ok(vec![]);
                }
                let discount = self.quote(tariff_id, item_type, period, on, price)?;
                let uses = promo.uses.checked_add(1).ok_or(PromoError::Exhausted)?;
                Ok(vec![PromoEvent::PromoCodeRedeemed {
                    service_id,
                    discount,
                    uses,
                }])
            }
            PromoCommand::DisablePromoCode => {
                let promo = self.created.as_ref().ok_or(PromoError::NotFound)?;
                if promo.disabled {
                    return Ok(vec![]);
                }
                Ok(vec![PromoEvent::PromoCodeDisabled])
            }
        }
    }
}

/// Whether a limit list lets `value` through: an empty list lets everything through.
fn allows<T: PartialEq>(limit: &[T], value: &T) -> bool {
    limit.is_empty() || limit.contains(value)
}

/// Refuses a limit list (the command field `field`) that names an entry twice.
fn once_each<T: PartialEq>(field: &'static str, entries: &[T]) -> Result<(), PromoError> {
    for (index, entry) in entries.iter().enumerate() {
        if entries[..index].contains(entry) {
            return Err(PromoError::DuplicateLimit { field });
        }
    }
    Ok(())
}

impl Aggregate for PromoCode {
    const TYPE: &'static str = "PromoCode";
    type Command = PromoCommand;
    type Event = PromoEvent;
    type Error = PromoError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PromoCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PromoError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: PromoEvent) {
        match event {
            PromoEvent::PromoCodeCreated {
                promo_code_id,
                provider_id,
                code,
                discount,
                tariffs,
                item_types,
                periods,
                valid_from,
                valid_until,
                max_uses,
                recurring,
            } => {
                self.created = Some(CreatedPromoCode {
                    promo_code_id,
                    provider_id,
                    code,
                    discount,
                    limits: PromoLimits {
                        tariffs,
                        item_types,
                        periods,
                        valid_from,
                        valid_until,
                    },
                    max_uses,
                    recurring,
                    uses: 0,
                    disabled: false,
                    redeemed: Vec::new(),
                });
            }
            PromoEvent::PromoCodeRedeemed {
                service_id, uses, ..
            } => {
                if let Some(promo) = &mut self.created {
                    // The event carries the count, so applying it is an assignment.
                    promo.uses = uses;
                    promo.redeemed.push(service_id);
                }
            }
            PromoEvent::PromoCodeDisabled => {
                if let Some(promo) = &mut self.created {
                    promo.disabled = true;
                }
            }
        }
    }
}
