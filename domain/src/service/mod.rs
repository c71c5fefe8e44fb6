//! The service aggregate: one thing a client ordered (a domain, a VDS, a hosting plan), its paid
//! time and its life on the provider's systems.
//!
//! A service never touches money itself. Its terms are frozen from a tariff's quote at the
//! order; the caller charges the account for the period [`Service::due_period`] names and then
//! tells the service with `RecordCharge`. Work on the provider's systems (activate, suspend,
//! resume, delete) is requested as an operation and reported back by the provisioning workers;
//! a service waits for at most one operation at a time, so the two sides can never disagree
//! about the order in which things happened.
//!
//! Paid time is a half-open range ending at `paid_until`, the first day that is not paid.
//! Periods keep to an anchor day of the month (see [`crate::period::BillingPeriod::end_of`]).

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ClientId, ExpenseId, MergeId, OperationId, ProviderId, ServiceId};
use crate::money::{Money, MoneyError};
use crate::period::days_between;
use crate::promo::PromoError;
use crate::tariff::ServiceTerms;
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The longest operation failure reason, in characters.
pub const FAILURE_REASON_CHARS_MAX: usize = 500;

/// Days an order waits for its first charge before it lapses.
pub const ORDER_LAPSE_DAYS: u32 = 30;

/// Days before the end of the paid time at which the client is told it expires, smallest first.
pub const EXPIRY_NOTICE_DAYS: [u32; 3] = [1, 5, 10];

/// The state of one service, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// `None` until `ServiceOrdered`, so that "ordered but without terms" is unrepresentable.
    ordered: Option<OrderedService>,
}

/// The state of a service that has been ordered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OrderedService {
    service_id: ServiceId,
    client_id: ClientId,
    provider_id: ProviderId,
    account_id: AccountId,
    terms: ServiceTerms,
    auto_prolong: bool,
    status: ServiceStatus,
    ordered_on: NaiveDate,
    /// The promo code discount the service was sold with, if any.
    discount: Option<ServiceDiscount>,
    /// The day of month periods end on; the day of the first period's start, moved when a
    /// service suspended for non-payment starts a new period on the day it is paid.
    anchor_day: u32,
    /// The exclusive end of the paid time; `None` until the first charge.
    paid_until: Option<NaiveDate>,
    /// The start of the last charged period, `[period_start, paid_until)`.
    period_start: Option<NaiveDate>,
    /// The operation pending or failed, if any.
    operation: Option<CurrentOperation>,
    /// The last operation that completed, so that a repeated completion is recognised.
    last_completed_operation: Option<OperationId>,
    suspension: Option<(SuspendReason, NaiveDate)>,
    close_at_period_end: bool,
    /// The expiry notices recorded for the current `paid_until`, as (paid_until, days); cleared
    /// when `paid_until` moves.
    noticed: Vec<(NaiveDate, u32)>,
    /// The expense that pays for the rest of the current period; `None` before the first charge
    /// (and in states saved before it was kept, see [`OrderedService::paid_rest`]).
    #[serde(default)]
    paid_rest: Option<PaidRest>,
    /// Whether the current period is the one of the first charge, the only one a one-time promo
    /// code discounts.
    #[serde(default)]
    first_period: bool,
    /// How many tariff changes the service has had; numbers the next change's expense ids.
    #[serde(default)]
    tariff_changes: u32,
    /// The day the service closed, once it has; its deletion counts from it.
    #[serde(default)]
    closed_on: Option<NaiveDate>,
}

/// The expense that paid for the days `[from, paid_until)` of the current period, and how much of
/// it did: the charge's amount net of its discount and without the setup fee (which is never
/// given back). A tariff change gives back at most this money, for the days it leaves unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct PaidRest {
    expense_id: ExpenseId,
    from: NaiveDate,
    paid: Money,
    /// The account the charge was made on: the service's account then, which a transfer to
    /// another client does not change. Absent from states saved before it was kept: the
    /// service's account.
    #[serde(default)]
    account_id: Option<AccountId>,
}

/// The current operation with what its completion and its retries need to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CurrentOperation {
    operation: Operation,
    suspend_reason: Option<SuspendReason>,
    requested_on: NaiveDate,
}

impl OrderedService {
    fn is_closed(&self) -> bool {
        matches!(self.status, ServiceStatus::Closed | ServiceStatus::Deleted)
    }

    fn operation_in_progress(&self) -> bool {
        self.operation.is_some()
    }

    /// Whether the paid time has ended by `on` (or never started).
    fn unpaid_on(&self, on: NaiveDate) -> bool {
        self.paid_until.is_none_or(|paid_until| paid_until <= on)
    }

    fn suspend_reason(&self) -> Option<SuspendReason> {
        self.suspension.map(|(reason, _)| reason)
    }

    /// The period `[start, end_of(start, anchor_day))` at the price per period, less the
    /// service's discount where it applies (see [`OrderedService::discount_on`]).
    fn period_from(&self, start: NaiveDate, anchor_day: u32, first: bool) -> Option<DuePeriod> {
        let period_end = self.terms.period.end_of(start, anchor_day)?;
        let list_amount = if first {
            self.terms
                .setup_fee
                .checked_add(self.terms.price_per_period)
                .ok()?
        } else {
            self.terms.price_per_period
        };
        let discount = self.discount_on(first).ok()?;
        let amount = match discount {
            Some(discount) => list_amount.checked_sub(discount).ok()?,
            None => list_amount,
        };
        Some(DuePeriod {
            period_start: start,
            period_end,
            amount,
            list_amount,
            discount,
            expense_id: ExpenseId::for_period(self.service_id, start),
            first,
        })
    }

    /// What the service's promo code takes off a charge: `Discount::of` the price per period
    /// (never the setup fee, so the charge never goes below zero), on the first charge, and on
    /// every later one when the code is recurring; `None` when no code applies.
    fn discount_on(&self, first: bool) -> Result<Option<Money>, PromoError> {
        self.discount_of(&self.terms, first)
    }

    /// What the service's promo code takes off the price per period of `terms`: on the period of
    /// the first charge (`first`), and on every period when the code is recurring, as long as
    /// `terms` are within the code's limits (a tariff change rechecks them); `None` otherwise.
    fn discount_of(&self, terms: &ServiceTerms, first: bool) -> Result<Option<Money>, PromoError> {
        self.discount
            .as_ref()
            .filter(|discount| (first || discount.recurring) && discount.applies_to(terms))
            .map(|discount| discount.discount.of(terms.price_per_period))
            .transpose()
    }

    /// The expense that pays for the rest of the current period `[current_start, paid_until)`.
    ///
    /// A state saved before the service kept it (a snapshot) knows only the period: it is taken
    /// as paid at the price per period less the discount of a later period, which is what the
    /// billing day charges for it.
    fn paid_rest(&self, current_start: NaiveDate) -> Result<PaidRest, ServiceError> {
        if let Some(rest) = self.paid_rest {
            return Ok(rest);
        }
        let price = self.terms.price_per_period;
        let paid = match self.discount_of(&self.terms, false)? {
            Some(discount) => price.checked_sub(discount)?,
            None => price,
        };
        Ok(PaidRest {
            expense_id: ExpenseId::for_period(self.service_id, current_start),
            from: current_start,
            paid,
            account_id: Some(self.account_id),
        })
    }

    /// The next period after the paid time, keeping to the anchor day.
    fn next_period(&self) -> Option<DuePeriod> {
        let paid_until = self.paid_until?;
        self.period_from(paid_until, self.anchor_day, false)
    }

    fn request(
        &self,
        operation_id: OperationId,
        kind: OperationKind,
        suspend_reason: Option<SuspendReason>,
        requested_on: NaiveDate,
    ) -> ServiceEvent {
        ServiceEvent::OperationRequested {
            operation_id,
            kind,
            attempt: 1,
            suspend_reason,
            requested_on,
        }
    }

    /// Closes the service now and requests its deletion.
    fn close_now(&self, operation_id: OperationId, on: NaiveDate) -> Vec<ServiceEvent> {
        vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on,
            },
            self.request(operation_id, OperationKind::Delete, None, on),
        ]
    }

    /// The expiry notice due on `on`, if any: the smallest of 10, 5 and 1 days that `on` is
    /// within, unless that one or a smaller one was already sent for this `paid_until`.
    fn expiry_notice(&self, on: NaiveDate) -> Option<ServiceEvent> {
        let paid_until = self.paid_until?;
        let days_left = days_between(on, paid_until);
        if days_left == 0 {
            return None;
        }
        let days = EXPIRY_NOTICE_DAYS
            .into_iter()
            .find(|days| days_left <= *days)?;
        let already = self
            .noticed
            .iter()
            .any(|(noticed_for, noticed)| *noticed_for == paid_until && *noticed <= days);
        (!already).then_some(ServiceEvent::NoticeDue {
            notice: Notice::ExpiresIn { days, paid_until },
        })
    }
}

impl Service {
    /// Whether `ServiceOrdered` has happened.
    pub fn is_ordered(&self) -> bool {
        self.ordered.is_some()
    }

    /// The service's id, once ordered.
    pub fn service_id(&self) -> Option<ServiceId> {
        self.ordered.as_ref().map(|service| service.service_id)
    }

    /// The status, once ordered.
    pub fn status(&self) -> Option<ServiceStatus> {
        self.ordered.as_ref().map(|service| service.status)
    }

    /// The client who ordered, once ordered.
    pub fn client_id(&self) -> Option<ClientId> {
        self.ordered.as_ref().map(|service| service.client_id)
    }

    /// The provider selling the service, once ordered.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.ordered.as_ref().map(|service| service.provider_id)
    }

    /// The account the service is charged to, once ordered.
    pub fn account_id(&self) -> Option<AccountId> {
        self.ordered.as_ref().map(|service| service.account_id)
    }

    /// The terms the service is billed at, once ordered.
    pub fn terms(&self) -> Option<&ServiceTerms> {
        self.ordered.as_ref().map(|service| &service.terms)
    }

    /// The promo code discount the service was sold with, if any.
    pub fn discount(&self) -> Option<&ServiceDiscount> {
        self.ordered
            .as_ref()
            .and_then(|service| service.discount.as_ref())
    }

    /// Whether the service is charged for each next period by itself; false until ordered.
    pub fn auto_prolong(&self) -> bool {
        self.ordered
            .as_ref()
            .is_some_and(|service| service.auto_prolong)
    }

    /// The day of the order, once ordered.
    pub fn ordered_on(&self) -> Option<NaiveDate> {
        self.ordered.as_ref().map(|service| service.ordered_on)
    }

    /// The day of month the paid periods keep to, once ordered.
    pub fn anchor_day(&self) -> Option<u32> {
        self.ordered.as_ref().map(|service| service.anchor_day)
    }

    /// The exclusive end of the paid time; `None` until the first charge.
    pub fn paid_until(&self) -> Option<NaiveDate> {
        self.ordered.as_ref().and_then(|service| service.paid_until)
    }

    /// The start of the last charged period, `[current_period_start, paid_until)`.
    pub fn current_period_start(&self) -> Option<NaiveDate> {
        self.ordered
            .as_ref()
            .and_then(|service| service.period_start)
    }

    /// The operation pending or failed, if any.
    pub fn operation(&self) -> Option<&Operation> {
        self.ordered
            .as_ref()
            .and_then(|service| service.operation.as_ref())
            .map(|current| &current.operation)
    }

    /// The last operation that completed, if any.
    pub fn last_completed_operation(&self) -> Option<OperationId> {
        self.ordered
            .as_ref()
            .and_then(|service| service.last_completed_operation)
    }

    /// Why and since when the service is suspended, while it is.
    pub fn suspension(&self) -> Option<(SuspendReason, NaiveDate)> {
        self.ordered.as_ref().and_then(|service| service.suspension)
    }

    /// Whether the service closes at the end of its paid time.
    pub fn close_at_period_end(&self) -> bool {
        self.ordered
            .as_ref()
            .is_some_and(|service| service.close_at_period_end)
    }

    /// The ordered service, or `NotOrdered`.
    fn existing(&self) -> Result<&OrderedService, ServiceError> {
        self.ordered.as_ref().ok_or(ServiceError::NotOrdered)
    }

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
    /// `ExpenseId::for_period(service_id, period_start)`, so charging twice names one expense.
    pub fn due_period(&self, on: NaiveDate) -> Option<DuePeriod> {
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
                service.period_from(on, on.day(), true)
            }
            ServiceStatus::Active | ServiceStatus::Provisioning => {
                let due =
                    service.auto_prolong && !service.close_at_period_end && service.unpaid_on(on);
                if due { service.next_period() } else { None }
            }
            ServiceStatus::Suspended => {
                let due = service.suspend_reason() == Some(SuspendReason::NonPayment)
                    && service.auto_prolong
                    && service.unpaid_on(on)
                    && !service.operation_in_progress();
                if due {
                    service.period_from(on, on.day(), false)
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
        let service = self.ordered.as_ref()?;
        match service.status {
            ServiceStatus::Active | ServiceStatus::Provisioning => service.next_period(),
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
    /// Allowed only for an active service (or one being provisioned), to other terms with the
    /// same billing period and currency, on a day within the current period and not before the
    /// last change; a service paid more than one period ahead cannot change mid-period.
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
            credit_expense_id: ExpenseId::for_change(
                service.service_id,
                on,
                &format!("credit-{number}"),
            ),
            charge_expense_id: ExpenseId::for_change(
                service.service_id,
                on,
                &format!("charge-{number}"),
            ),
        })
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ServiceCommand) -> Result<Vec<ServiceEvent>, ServiceError> {
        match command {
            ServiceCommand::OrderService {
                service_id,
                client_id,
                provider_id,
                account_id,
                terms,
                auto_prolong,
                ordered_on,
                discount,
            } => self.order_service(
                service_id,
                client_id,
                provider_id,
                account_id,
                terms,
                auto_prolong,
                ordered_on,
                discount,
            ),
            ServiceCommand::RecordCharge {
                expense_id,
                period_start,
                period_end,
                amount,
                operation_id,
                on,
            } => record_charge(
                self.existing()?,
                Charge {
                    expense_id,
                    period_start,
                    period_end,
                    amount,
                },
                operation_id,
                on,
            ),
            ServiceCommand::CompleteOperation { operation_id } => {
                complete_operation(self.existing()?, operation_id)
            }
            ServiceCommand::FailOperation {
                operation_id,
                reason,
            } => self.fail_operation(operation_id, reason),
            ServiceCommand::RetryOperation {
                operation_id,
                new_operation_id,
            } => self.retry_operation(operation_id, new_operation_id),
            ServiceCommand::SuspendService {
                reason,
                operation_id,
                on,
            } => self.suspend_service(reason, operation_id, on),
            ServiceCommand::ResumeService { operation_id, on } => {
                self.resume_service(operation_id, on)
            }
            ServiceCommand::CloseService {
                at_period_end,
                operation_id,
                on,
            } => close_service(self.existing()?, at_period_end, operation_id, on),
            ServiceCommand::ChangeTariff {
                new_terms,
                on,
                returned,
                credit_expense_id,
                charge_expense_id,
            } => self.change_tariff(
                new_terms,
                on,
                returned,
                credit_expense_id,
                charge_expense_id,
            ),
            ServiceCommand::RunBillingDay { on, operation_id } => {
                Ok(run_billing_day(self.existing()?, on, operation_id))
            }
            ServiceCommand::SetAutoProlong { auto_prolong } => self.set_auto_prolong(auto_prolong),
            ServiceCommand::TransferService {
                to_client,
                provider_id,
                to_account,
                merge_id,
                on,
            } => self.transfer_service(to_client, provider_id, to_account, merge_id, on),
        }
    }

    /// Decides [`ServiceCommand::OrderService`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn order_service(
        &self,
        service_id: ServiceId,
        client_id: ClientId,
        provider_id: ProviderId,
        account_id: AccountId,
        terms: ServiceTerms,
        auto_prolong: bool,
        ordered_on: NaiveDate,
        discount: Option<ServiceDiscount>,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        if self.is_ordered() {
            return Err(ServiceError::AlreadyOrdered);
        }
        // A discount that cannot be computed on the terms (a fixed amount in another
        // currency) would leave every charge uncomputable: refuse it now.
        if let Some(discount) = &discount {
            discount.discount.of(terms.price_per_period)?;
        }
        Ok(vec![ServiceEvent::ServiceOrdered {
            status: ServiceStatus::Ordered,
            service_id,
            client_id,
            provider_id,
            account_id,
            terms,
            auto_prolong,
            ordered_on,
            discount,
        }])
    }

    /// Decides [`ServiceCommand::FailOperation`].
    fn fail_operation(
        &self,
        operation_id: OperationId,
        reason: String,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let current = current_operation(self.existing()?, operation_id)?;
        if current.operation.status != OperationStatus::Pending {
            return Err(ServiceError::OperationNotPending);
        }
        let reason = text::trimmed_within(&reason, FAILURE_REASON_CHARS_MAX)
            .ok_or(ServiceError::InvalidReason)?;
        Ok(vec![ServiceEvent::OperationFailed {
            operation_id,
            kind: current.operation.kind,
            reason: reason.to_string(),
            attempt: current.operation.attempt,
        }])
    }

    /// Decides [`ServiceCommand::RetryOperation`].
    fn retry_operation(
        &self,
        operation_id: OperationId,
        new_operation_id: OperationId,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let current = current_operation(self.existing()?, operation_id)?;
        if current.operation.status == OperationStatus::Pending {
            return Err(ServiceError::OperationNotFailed);
        }
        Ok(vec![ServiceEvent::OperationRequested {
            operation_id: new_operation_id,
            kind: current.operation.kind,
            attempt: current.operation.attempt.saturating_add(1),
            suspend_reason: current.suspend_reason,
            requested_on: current.requested_on,
        }])
    }

    /// Decides [`ServiceCommand::SuspendService`].
    fn suspend_service(
        &self,
        reason: SuspendReason,
        operation_id: OperationId,
        on: NaiveDate,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        if service.is_closed() {
            return Err(ServiceError::ServiceClosed);
        }
        if service.status != ServiceStatus::Active {
            return Err(ServiceError::NotActive);
        }
        if service.operation_in_progress() {
            return Err(ServiceError::OperationInProgress);
        }
        Ok(vec![service.request(
            operation_id,
            OperationKind::Suspend,
            Some(reason),
            on,
        )])
    }

    /// Decides [`ServiceCommand::ResumeService`].
    fn resume_service(
        &self,
        operation_id: OperationId,
        on: NaiveDate,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        if service.is_closed() {
            return Err(ServiceError::ServiceClosed);
        }
        if service.status != ServiceStatus::Suspended {
            return Err(ServiceError::NotSuspended);
        }
        if service.suspend_reason() == Some(SuspendReason::NonPayment) && service.unpaid_on(on) {
            return Err(ServiceError::Unpaid);
        }
        if service.operation_in_progress() {
            return Err(ServiceError::OperationInProgress);
        }
        Ok(vec![service.request(
            operation_id,
            OperationKind::Resume,
            None,
            on,
        )])
    }

    /// Decides [`ServiceCommand::ChangeTariff`].
    fn change_tariff(
        &self,
        new_terms: ServiceTerms,
        on: NaiveDate,
        returned: Money,
        credit_expense_id: ExpenseId,
        charge_expense_id: ExpenseId,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let quote = self.quote_tariff_change(&new_terms, on, returned)?;
        // The ids name the change the caller quoted and credited on the account; other
        // ids mean another change came first, and this one would be priced on stale state.
        if (credit_expense_id, charge_expense_id)
            != (quote.credit_expense_id, quote.charge_expense_id)
        {
            return Err(ServiceError::TariffChangeNotAllowed(
                "another tariff change was made meanwhile".to_string(),
            ));
        }
        Ok(vec![ServiceEvent::TariffChanged {
            new_terms,
            on,
            credit: quote.credit,
            charge: quote.charge,
            credit_expense_id,
            charge_expense_id,
        }])
    }

    /// Decides [`ServiceCommand::SetAutoProlong`].
    fn set_auto_prolong(&self, auto_prolong: bool) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        if service.is_closed() {
            return Err(ServiceError::ServiceClosed);
        }
        if service.auto_prolong == auto_prolong {
            return Ok(vec![]);
        }
        Ok(vec![ServiceEvent::AutoProlongSet { auto_prolong }])
    }

    /// Decides [`ServiceCommand::TransferService`].
    fn transfer_service(
        &self,
        to_client: ClientId,
        provider_id: ProviderId,
        to_account: AccountId,
        merge_id: Option<MergeId>,
        on: NaiveDate,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        if service.provider_id != provider_id {
            return Err(ServiceError::OtherProvider);
        }
        if service.client_id == to_client {
            return Ok(vec![]);
        }
        if service.status == ServiceStatus::Deleted {
            return Err(ServiceError::ServiceClosed);
        }
        Ok(vec![ServiceEvent::ServiceTransferred {
            from_client: service.client_id,
            from_account: service.account_id,
            to_client,
            to_account,
            merge_id,
            on,
        }])
    }
}

/// What the account was charged, as `RecordCharge` reports it.
struct Charge {
    expense_id: ExpenseId,
    period_start: NaiveDate,
    period_end: NaiveDate,
    amount: Money,
}

/// `RecordCharge`: the first charge activates the service, later ones extend the paid time, and
/// a charge of a service suspended for non-payment also resumes it.
fn record_charge(
    service: &OrderedService,
    charge: Charge,
    operation_id: OperationId,
    on: NaiveDate,
) -> Result<Vec<ServiceEvent>, ServiceError> {
    // A retried command finds its period already paid and changes nothing: the current period
    // itself, or one before it. Another period inside the paid time was charged from a stale
    // view of the service (a billing day racing the order's own charge) and is refused, so the
    // caller gives that charge back rather than keep two charges for the same days.
    if service
        .paid_until
        .is_some_and(|paid_until| charge.period_end <= paid_until)
    {
        let retried = service
            .period_start
            .is_none_or(|current| charge.period_start == current || charge.period_end <= current);
        return if retried {
            Ok(vec![])
        } else {
            Err(ServiceError::PeriodOutOfOrder)
        };
    }
    if service.is_closed() {
        return Err(ServiceError::ServiceClosed);
    }
    let currency = service.terms.currency();
    if charge.amount.currency() != currency {
        return Err(MoneyError::CurrencyMismatch {
            expected: currency,
            found: charge.amount.currency(),
        }
        .into());
    }
    if charge.period_end <= charge.period_start {
        return Err(ServiceError::PeriodOutOfOrder);
    }
    if charge.period_start < service.ordered_on {
        return Err(ServiceError::PeriodBeforeOrder);
    }
    let Charge {
        expense_id,
        period_start,
        period_end,
        amount,
    } = charge;
    let prolonged = ServiceEvent::ServiceProlonged {
        expense_id,
        period_start,
        period_end,
        amount,
    };
    let continues = service.paid_until == Some(period_start);
    match (service.status, service.suspend_reason()) {
        (ServiceStatus::Ordered, _) => Ok(vec![
            ServiceEvent::ServiceCharged {
                status: ServiceStatus::Provisioning,
                expense_id,
                period_start,
                period_end,
                amount,
            },
            service.request(operation_id, OperationKind::Activate, None, on),
        ]),
        (ServiceStatus::Active | ServiceStatus::Provisioning, _) => {
            if !continues {
                return Err(ServiceError::PeriodOutOfOrder);
            }
            Ok(vec![prolonged])
        }
        (ServiceStatus::Suspended, Some(SuspendReason::NonPayment)) => {
            // The new period may start after a gap (the unpaid days are not charged), but it
            // must not overlap the paid time.
            if service
                .paid_until
                .is_some_and(|paid_until| period_start < paid_until)
            {
                return Err(ServiceError::PeriodOutOfOrder);
            }
            let mut events = vec![prolonged];
            if !service.operation_in_progress() {
                events.push(service.request(operation_id, OperationKind::Resume, None, on));
            }
            Ok(events)
        }
        (ServiceStatus::Suspended, _) => {
            // Staff decide when a service suspended by them resumes; the charge only extends
            // the paid time.
            if !continues {
                return Err(ServiceError::PeriodOutOfOrder);
            }
            Ok(vec![prolonged])
        }
        (ServiceStatus::Closed | ServiceStatus::Deleted, _) => Err(ServiceError::ServiceClosed),
    }
}

/// The current operation if it has the id `operation_id`; `UnknownOperation` otherwise.
fn current_operation(
    service: &OrderedService,
    operation_id: OperationId,
) -> Result<&CurrentOperation, ServiceError> {
    service
        .operation
        .as_ref()
        .filter(|current| current.operation.operation_id == operation_id)
        .ok_or(ServiceError::UnknownOperation)
}

/// `CompleteOperation`: the service takes the state the operation brought about.
fn complete_operation(
    service: &OrderedService,
    operation_id: OperationId,
) -> Result<Vec<ServiceEvent>, ServiceError> {
    if service.last_completed_operation == Some(operation_id) {
        // A repeated report of a completion already recorded.
        return Ok(vec![]);
    }
    let current = current_operation(service, operation_id)?;
    Ok(match current.operation.kind {
        OperationKind::Activate => vec![ServiceEvent::ServiceActivated {
            status: ServiceStatus::Active,
            operation_id,
        }],
        OperationKind::Suspend => vec![
            ServiceEvent::ServiceSuspended {
                status: ServiceStatus::Suspended,
                operation_id,
                // Every suspension request carries its reason; staff is the harmless fallback,
                // since it neither resumes nor deletes anything by itself.
                reason: current.suspend_reason.unwrap_or(SuspendReason::Staff),
                since: current.requested_on,
            },
            ServiceEvent::NoticeDue {
                notice: Notice::Suspended,
            },
        ],
        OperationKind::Resume => vec![ServiceEvent::ServiceResumed {
            status: ServiceStatus::Active,
            operation_id,
        }],
        OperationKind::Delete => vec![
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id,
            },
            ServiceEvent::NoticeDue {
                notice: Notice::Deleted,
            },
        ],
    })
}

/// `CloseService`: an order is dropped at once, a running service closes now (and is deleted)
/// or at the end of its paid time.
fn close_service(
    service: &OrderedService,
    at_period_end: bool,
    operation_id: OperationId,
    on: NaiveDate,
) -> Result<Vec<ServiceEvent>, ServiceError> {
    if service.is_closed() {
        return Err(ServiceError::ServiceClosed);
    }
    if service.status == ServiceStatus::Ordered {
        // Nothing was provisioned, so there is nothing to delete on the provider's systems.
        return Ok(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on,
            },
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id,
            },
        ]);
    }
    match service
        .paid_until
        .filter(|paid_until| at_period_end && on < *paid_until)
    {
        Some(_) if service.close_at_period_end => Ok(vec![]),
        Some(paid_until) => Ok(vec![ServiceEvent::ClosureScheduled { at: paid_until }]),
        None => {
            // A failed operation is abandoned by the closure; a pending one must finish first,
            // since the provisioning system is working on it.
            let pending = service
                .operation
                .as_ref()
                .is_some_and(|current| current.operation.status == OperationStatus::Pending);
            if pending {
                return Err(ServiceError::OperationInProgress);
            }
            Ok(service.close_now(operation_id, on))
        }
    }
}

/// `RunBillingDay`: everything the day decides besides charging. Each rule only fires when its
/// effect is not already recorded, so running a day twice records nothing the second time.
fn run_billing_day(
    service: &OrderedService,
    on: NaiveDate,
    operation_id: OperationId,
) -> Vec<ServiceEvent> {
    let idle = !service.operation_in_progress();
    match service.status {
        ServiceStatus::Deleted => vec![],
        ServiceStatus::Closed => {
            // A service closed now had its deletion requested with the closure; one that ended
            // with its paid time is deleted once its item type's delay has passed.
            let delay_passed = service.closed_on.is_some_and(|closed_on| {
                days_between(closed_on, on) >= service.terms.deletion_delay_days
            });
            if idle && delay_passed {
                vec![service.request(operation_id, OperationKind::Delete, None, on)]
            } else {
                vec![]
            }
        }
        ServiceStatus::Ordered => {
            // An order never paid lapses.
            if days_between(service.ordered_on, on) >= ORDER_LAPSE_DAYS {
                vec![
                    ServiceEvent::ServiceClosed {
                        status: ServiceStatus::Closed,
                        on,
                    },
                    ServiceEvent::ServiceDeleted {
                        status: ServiceStatus::Deleted,
                        operation_id,
                    },
                ]
            } else {
                vec![]
            }
        }
        ServiceStatus::Active | ServiceStatus::Provisioning => {
            if !service.unpaid_on(on) {
                let notice = (service.status == ServiceStatus::Active)
                    .then(|| service.expiry_notice(on))
                    .flatten();
                return notice.into_iter().collect();
            }
            if !idle {
                return vec![];
            }
            if service.close_at_period_end {
                return service.close_now(operation_id, on);
            }
            // The suspension (or the end) counts from the end of the paid time, not from the day
            // the billing day is run.
            let since = service.paid_until.unwrap_or(on);
            if !service.auto_prolong {
                // Not renewed: the service ends with its paid time, and is deleted once its
                // item type's delay has passed (see the `Closed` arm).
                return vec![ServiceEvent::ServiceClosed {
                    status: ServiceStatus::Closed,
                    on: since,
                }];
            }
            vec![service.request(
                operation_id,
                OperationKind::Suspend,
                Some(SuspendReason::NonPayment),
                since,
            )]
        }
        ServiceStatus::Suspended => {
            if !idle {
                return vec![];
            }
            let unpaid = service.unpaid_on(on);
            if service.close_at_period_end && unpaid {
                return service.close_now(operation_id, on);
            }
            let Some((SuspendReason::NonPayment, since)) = service.suspension else {
                // Suspended by staff: a service that is not renewed still ends with its paid
                // time.
                if !service.auto_prolong && unpaid {
                    let ended = service.paid_until.unwrap_or(on);
                    return vec![ServiceEvent::ServiceClosed {
                        status: ServiceStatus::Closed,
                        on: ended,
                    }];
                }
                return vec![];
            };
            if !unpaid {
                // Paid while its suspension was under way: the charge could not request the
                // resumption then, so the billing day does.
                return vec![service.request(operation_id, OperationKind::Resume, None, on)];
            }
            if days_between(since, on) >= service.terms.deletion_delay_days {
                return vec![service.request(operation_id, OperationKind::Delete, None, on)];
            }
            vec![]
        }
    }
}

impl Aggregate for Service {
    const TYPE: &'static str = "Service";
    type Command = ServiceCommand;
    type Event = ServiceEvent;
    type Error = ServiceError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ServiceCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ServiceError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ServiceEvent) {
        if let ServiceEvent::ServiceOrdered {
            service_id,
            client_id,
            provider_id,
            account_id,
            terms,
            auto_prolong,
            ordered_on,
            discount,
            status,
        } = event
        {
            self.ordered = Some(OrderedService {
                service_id,
                client_id,
                provider_id,
                account_id,
                terms,
                auto_prolong,
                status,
                ordered_on,
                discount,
                anchor_day: ordered_on.day(),
                paid_until: None,
                period_start: None,
                operation: None,
                last_completed_operation: None,
                suspension: None,
                close_at_period_end: false,
                noticed: Vec::new(),
                paid_rest: None,
                first_period: false,
                tariff_changes: 0,
                closed_on: None,
            });
        } else if let Some(service) = &mut self.ordered {
            service.apply(event);
        }
    }
}

impl OrderedService {
    /// Applies an event after `ServiceOrdered`; only assigns what the event carries.
    fn apply(&mut self, event: ServiceEvent) {
        match event {
            // Handled by `Service::apply`, which creates the state.
            ServiceEvent::ServiceOrdered { .. } => {}
            ServiceEvent::ServiceCharged {
                expense_id,
                period_start,
                period_end,
                amount,
                status,
            } => {
                // The setup fee is paid once and never given back: only the rest pays for time.
                let paid = amount
                    .checked_sub(self.terms.setup_fee)
                    .ok()
                    .filter(|paid| !paid.is_negative())
                    .unwrap_or_else(|| Money::zero(amount.currency()));
                self.paid_rest = Some(PaidRest {
                    expense_id,
                    from: period_start,
                    paid,
                    account_id: Some(self.account_id),
                });
                self.first_period = true;
                self.status = status;
                self.anchor_day = period_start.day();
                self.period_start = Some(period_start);
                self.paid_until = Some(period_end);
                self.noticed.clear();
            }
            ServiceEvent::ServiceProlonged {
                expense_id,
                period_start,
                period_end,
                amount,
            } => {
                self.paid_rest = Some(PaidRest {
                    expense_id,
                    from: period_start,
                    paid: amount,
                    account_id: Some(self.account_id),
                });
                self.first_period = false;
                // A period that does not continue the paid time (a service resumed after
                // non-payment) starts a new anchor.
                if self.paid_until != Some(period_start) {
                    self.anchor_day = period_start.day();
                }
                self.period_start = Some(period_start);
                self.paid_until = Some(period_end);
                self.noticed.clear();
            }
            ServiceEvent::OperationRequested {
                operation_id,
                kind,
                attempt,
                suspend_reason,
                requested_on,
            } => {
                self.operation = Some(CurrentOperation {
                    operation: Operation {
                        operation_id,
                        kind,
                        status: OperationStatus::Pending,
                        attempt,
                    },
                    suspend_reason,
                    requested_on,
                });
            }
            ServiceEvent::OperationFailed { reason, .. } => {
                if let Some(current) = &mut self.operation {
                    current.operation.status = OperationStatus::Failed { reason };
                }
            }
            ServiceEvent::ServiceActivated {
                operation_id,
                status,
            } => {
                self.status = status;
                self.operation = None;
                self.last_completed_operation = Some(operation_id);
            }
            ServiceEvent::ServiceSuspended {
                operation_id,
                reason,
                since,
                status,
            } => {
                self.status = status;
                self.suspension = Some((reason, since));
                self.operation = None;
                self.last_completed_operation = Some(operation_id);
            }
            ServiceEvent::ServiceResumed {
                operation_id,
                status,
            } => {
                self.status = status;
                self.suspension = None;
                self.operation = None;
                self.last_completed_operation = Some(operation_id);
            }
            ServiceEvent::ServiceDeleted {
                operation_id,
                status,
            } => {
                self.status = status;
                self.operation = None;
                self.last_completed_operation = Some(operation_id);
            }
            ServiceEvent::ServiceClosed { on, status } => {
                self.status = status;
                self.closed_on = Some(on);
            }
            ServiceEvent::ClosureScheduled { .. } => self.close_at_period_end = true,
            ServiceEvent::TariffChanged {
                new_terms,
                on,
                charge,
                charge_expense_id,
                ..
            } => {
                self.terms = new_terms;
                self.paid_rest = Some(PaidRest {
                    expense_id: charge_expense_id,
                    from: on,
                    paid: charge,
                    account_id: Some(self.account_id),
                });
                self.tariff_changes = self.tariff_changes.saturating_add(1);
            }
            ServiceEvent::AutoProlongSet { auto_prolong } => self.auto_prolong = auto_prolong,
            ServiceEvent::NoticeDue { notice } => {
                if let Notice::ExpiresIn { days, paid_until } = notice {
                    self.noticed.push((paid_until, days));
                }
            }
            ServiceEvent::ServiceTransferred {
                to_client,
                to_account,
                ..
            } => {
                self.client_id = to_client;
                self.account_id = to_account;
            }
        }
    }
}
