//! A change of the tariff's price reaching the service: kept until the first period starting on
//! or after its day (see [`super::OrderedService::terms_from`]), announced by a notice.

use chrono::NaiveDate;

use super::{Notice, ScheduledPrice, Service, ServiceError, ServiceEvent};
use crate::money::Money;

impl Service {
    /// Decides [`ServiceCommand::SchedulePriceChange`]: a service sold from `tariff_id` for
    /// `period` in the price's currency, not closed, keeps its price until its first period
    /// starting on or after `effective_on` and is told so by a notice. Anything else, and a
    /// repeat, records nothing.
    pub(super) fn schedule_price_change(
        &self,
        tariff_id: crate::ids::TariffId,
        period: crate::period::BillingPeriod,
        base_price: Money,
        effective_on: NaiveDate,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        let terms = &service.terms;
        let concerned = terms.tariff_id == tariff_id
            && terms.period == period
            && terms.currency() == base_price.currency()
            && !service.is_closed();
        if !concerned {
            return Ok(vec![]);
        }
        let price_per_period = terms
            .price_per_period
            .checked_sub(terms.base_price)?
            .checked_add(base_price)?;
        let scheduled = ScheduledPrice {
            base_price,
            price_per_period,
            effective_on,
        };
        let unchanged = service.price_change.is_none() && terms.base_price == base_price;
        if unchanged || service.price_change == Some(scheduled) {
            return Ok(vec![]);
        }
        Ok(vec![
            ServiceEvent::PriceChangeScheduled {
                base_price,
                price_per_period,
                effective_on,
            },
            ServiceEvent::NoticeDue {
                notice: Notice::PriceChange {
                    effective_on,
                    old_price: terms.price_per_period,
                    new_price: price_per_period,
                },
            },
        ])
    }

    /// The price change scheduled and not yet in effect, as (new price per period, effective
    /// day).
    pub fn scheduled_price(&self) -> Option<(Money, NaiveDate)> {
        self.ordered
            .as_ref()
            .and_then(|service| service.price_change)
            .map(|change| (change.price_per_period, change.effective_on))
    }
}
