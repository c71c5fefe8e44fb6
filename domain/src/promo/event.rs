use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{Discount, PromoCodeText};
use crate::ids::{PromoCodeId, ProviderId, ServiceId, TariffId};
use crate::money::Money;
use crate::period::BillingPeriod;
use crate::tariff::ItemType;

/// What has happened to a promo code. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PromoEvent {
    /// The promo code was created.
    PromoCodeCreated {
        /// `PromoCodeId::of(provider_id, code)`.
        promo_code_id: PromoCodeId,
        /// The provider offering the code.
        provider_id: ProviderId,
        /// What clients type.
        code: PromoCodeText,
        /// What the code takes off a price.
        discount: Discount,
        /// The tariffs the code applies to; empty means any.
        tariffs: Vec<TariffId>,
        /// The kinds of item the code applies to; empty means any.
        item_types: Vec<ItemType>,
        /// The billing periods the code applies to; empty means any.
        periods: Vec<BillingPeriod>,
        /// The first day the code may be redeemed, if limited.
        valid_from: Option<NaiveDate>,
        /// The last day the code may be redeemed (inclusive), if limited.
        valid_until: Option<NaiveDate>,
        /// How many services may redeem the code, if limited.
        max_uses: Option<u32>,
        /// Whether every charge of a service is discounted, not only the first.
        recurring: bool,
    },
    /// The code was redeemed for a service.
    PromoCodeRedeemed {
        /// The service the code was redeemed for.
        service_id: ServiceId,
        /// What was taken off the price, in its currency.
        discount: Money,
        /// How many services have redeemed the code, this one included.
        uses: u32,
    },
    /// The code was disabled.
    PromoCodeDisabled,
}

impl DomainEvent for PromoEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::PromoCodeCreated { .. } => "PromoCodeCreated".to_string(),
            Self::PromoCodeRedeemed { .. } => "PromoCodeRedeemed".to_string(),
            Self::PromoCodeDisabled => "PromoCodeDisabled".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
