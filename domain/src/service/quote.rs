//! What a service would be charged: its next period and the price of a tariff change.

use chrono::{Datelike, NaiveDate};

use super::{
    DuePeriod, ORDER_LAPSE_DAYS, Service, ServiceError, ServiceStatus, SuspendReason,
    TariffChangeQuote,
};
use crate::discount::StandingDiscount;
use crate::ids::ExpenseId;
use crate::money::Money;
use crate::period::days_between;
use crate::promo::PromoError;
use crate::tariff::ServiceTerms;

/// How the expense of a trial names its discount.
pub const TRIAL_LABEL: &str = "trial";

impl Service {
    /// The period to charge next, if the service should be charged on `on`.
    ///
    /// - An order (from the day it was placed until it lapses, [`ORDER_LAPSE_DAYS`] after): the
    ///   first period `[on, end_of(on, on.day()))` for the setup fee plus the price per period.
    ///   No period starts before the order.
    /// - An active service, or one still being provisioned, with `auto_prolong`, no closure
    ///   scheduled and its paid time ended (`paid_until <= on`): the next period
    ///   `[paid_until, end_of(paid_until, anchor_day))`.
    /// - A service suspended for non-payment, with `auto_prolong`, that is still unpaid and has
    ///   no operation in progress: a new period `[on, end_of(on, on.day()))`, because a resumed service starts
    ///   afresh on the day it is paid and keeps to that day from then on.
    ///
    /// The service's promo code discount, if any, is taken off the price per period of the first
    /// charge, and of every later one when the code is recurring; the charge never goes below
    /// zero (`DuePeriod::list_amount` and `DuePeriod::discount` show the parts).
    ///
    /// Otherwise `None`, also when the calendar or the amount would overflow. The expense id is
    /// `ExpenseId::for_period(service_id, period_start)` for a renewal, and for the two periods
    /// that start on the day they are paid it names what they pay for, not that day: an order's
    /// first period `ExpenseId::for_period(service_id, ordered_on)`, a resumption
    /// `ExpenseId::for_resumption(service_id, suspended_since)`. Charging twice, even on two
    /// days, names one expense.
    ///
    /// No standing discount is considered: see [`Service::due_period_with`].
    pub fn due_period(&self, on: NaiveDate) -> Option<DuePeriod> {
        self.due_period_with(on, &[])
    }

    /// [`Service::due_period`] with the client's standing discounts in effect (its personal
    /// discount first, then its groups'), read by the caller from the client and its groups:
    /// the charge takes the best single discount of those and the promo code's (see
    /// `crate::discount`), so a discount that has ended (`until` before the period's start) or
    /// is for another item type takes nothing.
    pub fn due_period_with(
        &self,
        on: NaiveDate,
        standing: &[StandingDiscount],
    ) -> Option<DuePeriod> {
        let service = self.ordered.as_ref()?;
        match service.status {
            ServiceStatus::Ordered => {
                // No period starts before the order: the service did not exist then (a billing
                // day run for an earlier date finds nothing due).
                if on < service.ordered_on
                    || days_between(service.ordered_on, on) >= ORDER_LAPSE_DAYS
                {
                    return None;
                }
                let due = match service.trial {
                    Some(trial) => service.trial_period(trial, on),
                    None => service.period_from(on, on.day(), true, standing),
                };
                // The first charge's id names the order, not the day it is paid: a charge cut
                // off by a crash before the service recorded it, run again on a later day, is
                // recognised by its key and recorded as it was made, not made again.
                due.map(|due| DuePeriod {
                    expense_id: ExpenseId::for_period(service.service_id, service.ordered_on),
                    ..due
                })
            }
            ServiceStatus::Active | ServiceStatus::Provisioning => {
                let due =
                    service.auto_prolong && !service.close_at_period_end && service.unpaid_on(on);
                if due {
                    service.next_period(standing)
                } else {
                    None
                }
            }
            ServiceStatus::Suspended => {
                let due = service.suspend_reason() == Some(SuspendReason::NonPayment)
                    && service.auto_prolong
                    && service.unpaid_on(on)
                    && !service.operation_in_progress();
                let since = service.suspension.map(|(_, since)| since)?;
                if due {
                    // Named by the suspension, as an order's first charge is by the order.
                    service
                        .period_from(on, on.day(), false, standing)
                        .map(|due| DuePeriod {
                            expense_id: ExpenseId::for_resumption(service.service_id, since),
                            ..due
                        })
                } else {
                    None
                }
            }
            ServiceStatus::Closed | ServiceStatus::Deleted => None,
        }
    }

    /// The period a manual prolongation charges: the next period after the paid time,
    /// `[paid_until, end_of(paid_until, anchor_day))`, for an active service or one being
    /// provisioned, whatever `auto_prolong` and the date.
    pub fn prolong_period(&self) -> Option<DuePeriod> {
        self.prolong_period_with(&[])
    }

    /// [`Service::prolong_period`] with the client's standing discounts in effect, as
    /// [`Service::due_period_with`] takes them.
    pub fn prolong_period_with(&self, standing: &[StandingDiscount]) -> Option<DuePeriod> {
        let service = self.ordered.as_ref()?;
        match service.status {
            ServiceStatus::Active | ServiceStatus::Provisioning => service.next_period(standing),
            _ => None,
        }
    }

    /// What moving to `new_terms` on `on` credits and charges.
    ///
    /// The rule, for the current period `[current_start, paid_until)` and the remaining days
    /// `[on, paid_until)`:
    ///
    /// - **Credit**: at most what was actually paid for the remaining days. The expense that pays
    ///   for the rest of the period (the period's charge, or the charge of the last tariff change
    ///   in it) paid `paid` for the days `[from, paid_until)`: net of its promo code discount and
    ///   without the setup fee, which is never given back. The credit is `paid` × remaining days /
    ///   days in `[from, paid_until)`, and never more than what corrections (`returned`, what the
    ///   account already gave back of that expense) left of it.
    /// - **Charge**: the new price per period less the service's promo code discount, recomputed
    ///   on the new price (a fixed amount never takes it below zero) where it applies: a recurring
    ///   code always, a one-time code only within the period of the first charge, and only while
    ///   the new terms are within the code's limits; × remaining days / days in the period.
    ///
    /// Each amount is rounded once to the minor unit, half away from zero. So a change on the
    /// day of the last change gives back exactly that change's charge, and any number of changes
    /// in a period leave the client having paid the used days of each tariff plus the final
    /// tariff's net price for the remaining days: repeated changes never create money.
    ///
    /// Allowed only for an active service (or one being provisioned) out of its free trial, to
    /// other terms with the same billing period and currency, on a day within the current
    /// period and not before the last change; a service paid more than one period ahead cannot
    /// change mid-period.
    pub fn quote_tariff_change(
        &self,
        new_terms: &ServiceTerms,
        on: NaiveDate,
        returned: Money,
    ) -> Result<TariffChangeQuote, ServiceError> {
        let service = self.existing()?;
        let refuse = |reason: &str| Err(ServiceError::TariffChangeNotAllowed(reason.to_string()));
        if service.is_closed() {
            return Err(ServiceError::ServiceClosed);
        }
        if !matches!(
            service.status,
            ServiceStatus::Active | ServiceStatus::Provisioning
        ) {
            return refuse("the service is not active");
        }
        // A trial's period is free and as long as the trial: a change prorated over it would
        // sell months of another tariff for the price of one. The tariff changes once it ends.
        if service.in_trial {
            return refuse("the service is in its free trial; change the tariff once it has ended");
        }
        if new_terms.period != service.terms.period {
            return refuse("the new terms have another billing period");
        }
        if new_terms.currency() != service.terms.currency() {
            return refuse("the new terms are in another currency");
        }
        if *new_terms == service.terms {
            return refuse("the service is already on these terms");
        }
        let (Some(current_start), Some(paid_until)) = (service.period_start, service.paid_until)
        else {
            return refuse("the service has not been paid");
        };
        if on >= paid_until {
            return refuse("the paid period has ended");
        }
        if on < current_start {
            return refuse("the service is paid more than one period ahead");
        }
        let rest = service.paid_rest(current_start)?;
        if on < rest.from {
            return refuse("a later tariff change was already made");
        }
        // What was paid for the rest of the period is another account's money (the service
        // moved to another client since): a credit here could not be weighed against that
        // account's corrections of the charge, so the change waits for the next period.
        if rest
            .account_id
            .is_some_and(|paid_by| paid_by != service.account_id)
        {
            return refuse(
                "the current period was paid by another account; change from the next period",
            );
        }
        let remaining = days_between(on, paid_until);
        let total = days_between(current_start, paid_until);
        let unused = rest
            .paid
            .prorate(remaining, days_between(rest.from, paid_until))?;
        let left = rest.paid.checked_sub(returned)?;
        let credit = if left.is_negative() {
            Money::zero(left.currency())
        } else if left.amount() < unused.amount() {
            left
        } else {
            unused
        };
        let list_price = new_terms.price_per_period;
        let discount = service.discount_of(new_terms, service.first_period)?;
        let net_price = match discount {
            Some(discount) => list_price.checked_sub(discount)?,
            None => list_price,
        };
        let charge = net_price.prorate(remaining, total)?;
        let charge_list = list_price.prorate(remaining, total)?;
        let number = service.tariff_changes.saturating_add(1);
        Ok(TariffChangeQuote {
            current_start,
            period_end: paid_until,
            credit,
            charge,
            charge_list,
            charge_discount: discount
                .map(|_| charge_list.checked_sub(charge))
                .transpose()?,
            credited_expense_id: rest.expense_id,
            credited_paid: rest.paid,
            credit_expense_id: ExpenseId::for_change(service.service_id, number, "credit"),
            charge_expense_id: ExpenseId::for_change(service.service_id, number, "charge"),
        })
    }

    /// The ids of the credit and the charge lines of the service's next tariff change (the ones
    /// [`Service::quote_tariff_change`] names), whatever its day: where to look for the money of
    /// a change that moved it but was never recorded here. `None` before the order.
    pub fn next_tariff_change_ids(&self) -> Option<(ExpenseId, ExpenseId)> {
        let service = self.ordered.as_ref()?;
        let number = service.tariff_changes.saturating_add(1);
        Some((
            ExpenseId::for_change(service.service_id, number, "credit"),
            ExpenseId::for_change(service.service_id, number, "charge"),
        ))
    }
}

impl super::OrderedService {
    /// The period `[start, end_of(start, anchor_day))` at the price per period, less the best
    /// single discount in effect for it (see [`OrderedService::best_discount`]).
    pub(super) fn period_from(
        &self,
        start: NaiveDate,
        anchor_day: u32,
        first: bool,
        standing: &[StandingDiscount],
    ) -> Option<DuePeriod> {
        let terms = self.terms_from(start);
        let period_end = terms.period.end_of(start, anchor_day)?;
        let list_amount = if first {
            terms.setup_fee.checked_add(terms.price_per_period).ok()?
        } else {
            terms.price_per_period
        };
        // A one-time promo code discounts the first charged period, or the first paid one after
        // a free trial (ADR 29); the setup fee belongs to the first charge only.
        let best = self
            .best_discount(&terms, start, first || self.in_trial, standing)
            .ok()?;
        let amount = match &best {
            Some((discount, _)) => list_amount.checked_sub(*discount).ok()?,
            None => list_amount,
        };
        let (discount, discount_label) = best.unzip();
        Some(DuePeriod {
            period_start: start,
            period_end,
            amount,
            list_amount,
            discount,
            discount_label,
            expense_id: ExpenseId::for_period(self.service_id, start),
            first,
            trial: false,
        })
    }

    /// The free first period of a service ordered with a trial, starting on `start`: charged
    /// zero, nothing listed (no price and no setup fee), its discount labelled `trial` so that
    /// the account records the free charge and the statement shows it.
    fn trial_period(&self, trial: crate::tariff::Trial, start: NaiveDate) -> Option<DuePeriod> {
        let zero = Money::zero(self.terms.currency());
        Some(DuePeriod {
            period_start: start,
            period_end: trial.end_of(start)?,
            amount: zero,
            list_amount: zero,
            discount: Some(zero),
            discount_label: Some(TRIAL_LABEL.to_string()),
            expense_id: ExpenseId::for_period(self.service_id, start),
            first: true,
            trial: true,
        })
    }

    /// The discount a period of `terms` starting on `start` gets, with the label the expense
    /// shows: **the best single discount**. The candidates are the service's promo code discount
    /// (where it applies, [`OrderedService::discount_of`]) and each standing discount that
    /// applies to the item type and the period's start ([`StandingDiscount::applies_to`]), each
    /// computed on the price per period (never on the setup fee); the one that takes the most
    /// wins, and none is added to another, so the charge is never below zero. On a tie the
    /// earlier candidate wins: the promo code, then the standing discounts in the order given
    /// (the caller gives the personal discount before the groups'). A standing discount that
    /// takes nothing (a zero price) is no candidate.
    pub(super) fn best_discount(
        &self,
        terms: &ServiceTerms,
        start: NaiveDate,
        first: bool,
        standing: &[StandingDiscount],
    ) -> Result<Option<(Money, String)>, PromoError> {
        let mut best = self
            .discount_of(terms, first)?
            .zip(self.discount.as_ref())
            .map(|(amount, discount)| (amount, discount.code.clone()));
        for candidate in standing {
            if !candidate.applies_to(terms.item_type, start) {
                continue;
            }
            let amount = candidate.percent.of(terms.price_per_period);
            let better = amount.is_positive()
                && best
                    .as_ref()
                    .is_none_or(|(best, _)| amount.amount() > best.amount());
            if better {
                best = Some((amount, candidate.label()));
            }
        }
        Ok(best)
    }
}
