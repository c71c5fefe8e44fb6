use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Discount, PromoCodeText};
use crate::ids::{ProviderId, ServiceId, TariffId};
use crate::money::Money;
use crate::period::BillingPeriod;
use crate::tariff::ItemType;

/// What can be asked of a promo code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PromoCommand {
    /// Creates the promo code `code` of `provider_id`; the aggregate's id must be
    /// `PromoCodeId::of(provider_id, code)`.
    CreatePromoCode {
        /// The provider offering the code.
        provider_id: ProviderId,
        /// What clients type.
        code: PromoCodeText,
        /// What the code takes off a price.
        discount: Discount,
        /// The tariffs the code applies to, at most 200 and each once; empty means any.
        tariffs: Vec<TariffId>,
        /// The kinds of item the code applies to, each once; empty means any.
        item_types: Vec<ItemType>,
        /// The billing periods the code applies to, each once; empty means any.
        periods: Vec<BillingPeriod>,
        /// The first day the code may be redeemed; none means from the start.
        valid_from: Option<NaiveDate>,
        /// The last day the code may be redeemed (inclusive); not before `valid_from`.
        valid_until: Option<NaiveDate>,
        /// How many services may redeem the code, at least 1; none means no limit.
        max_uses: Option<u32>,
        /// `false`: only the first charge of a service is discounted; `true`: every charge.
        recurring: bool,
    },
    /// Redeems the code for a service's charge and records the discount.
    ///
    /// A service redeems a code once: redeeming it again for the same service records nothing,
    /// whether or not the code is recurring (the service keeps the discount for later charges).
    RedeemPromoCode {
        /// The service the code is redeemed for.
        service_id: ServiceId,
        /// The service's tariff.
        tariff_id: TariffId,
        /// What the tariff sells.
        item_type: ItemType,
        /// The service's billing period.
        period: BillingPeriod,
        /// The day of the redemption, checked against the validity.
        on: NaiveDate,
        /// The price to discount; not negative.
        price: Money,
    },
    /// Stops the code from being redeemed. Disabling a disabled code records nothing.
    DisablePromoCode,
}
