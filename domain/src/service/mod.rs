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
mod fold;
mod lifecycle;
mod order;
mod price;
mod quote;
mod value;

#[cfg(test)]
pub(crate) mod tests;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::contact::{DomainContacts, DomainRegistration};
use crate::discount::StandingDiscount;
use crate::ids::{AccountId, ClientId, ExpenseId, MergeId, OperationId, ProviderId, ServiceId};
use crate::money::Money;
use crate::promo::PromoError;
use crate::tariff::ServiceTerms;
use crate::text;
use lifecycle::{
    Charge, close_service, complete_operation, current_operation, record_charge, run_billing_day,
    settle_debt,
};

pub use command::*;
pub use error::*;
pub use event::*;
pub use quote::TRIAL_LABEL;
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
    /// The domain and its contacts, for a domain service ordered with them.
    #[serde(default)]
    domain: Option<DomainRegistration>,
    /// A price change of its tariff that has not taken effect yet.
    #[serde(default)]
    price_change: Option<ScheduledPrice>,
    /// The free first period the order starts with, until its first charge starts it.
    #[serde(default)]
    trial: Option<crate::tariff::Trial>,
    /// Whether the current period is a trial, after which the first paid period still takes a
    /// one-time promo code's discount: the free period does not spend the code (ADR 29).
    #[serde(default)]
    in_trial: bool,
    /// For a service billed by the hour, the billing day that found its account in debt, until
    /// one finds the debt paid (ADR 37).
    #[serde(default)]
    debt_since: Option<NaiveDate>,
}

/// A price change the service was told of: the price of the periods starting on or after
/// `effective_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct ScheduledPrice {
    base_price: Money,
    price_per_period: Money,
    effective_on: NaiveDate,
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

    /// The terms a period starting on `start` is billed at: the service's terms, with the
    /// scheduled price change's prices when `start` is on or after its effective day. The
    /// promo code's discount, if any, is taken off that price (see
    /// [`OrderedService::discount_of`]).
    fn terms_from(&self, start: NaiveDate) -> ServiceTerms {
        match self.price_change {
            Some(change) if start >= change.effective_on => ServiceTerms {
                base_price: change.base_price,
                price_per_period: change.price_per_period,
                ..self.terms.clone()
            },
            _ => self.terms.clone(),
        }
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
    fn next_period(&self, standing: &[StandingDiscount]) -> Option<DuePeriod> {
        let paid_until = self.paid_until?;
        self.period_from(paid_until, self.anchor_day, false, standing)
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

    /// The domain and its contacts, for a domain service ordered with them.
    pub fn domain(&self) -> Option<&DomainRegistration> {
        self.ordered
            .as_ref()
            .and_then(|service| service.domain.as_ref())
    }

    /// Whether the service is closed or deleted; false until ordered.
    pub fn is_closed(&self) -> bool {
        self.ordered.as_ref().is_some_and(OrderedService::is_closed)
    }

    /// The ordered service, or `NotOrdered`.
    fn existing(&self) -> Result<&OrderedService, ServiceError> {
        self.ordered.as_ref().ok_or(ServiceError::NotOrdered)
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
                domain,
                required_agreement,
                accepted_agreement,
                trial,
            } => self.order_service(
                order::OrderIds {
                    service_id,
                    client_id,
                    provider_id,
                    account_id,
                },
                terms,
                auto_prolong,
                ordered_on,
                discount,
                domain,
                Service::accepted_agreement(required_agreement, accepted_agreement)?,
                trial,
            ),
            ServiceCommand::ImportService {
                service_id,
                client_id,
                provider_id,
                account_id,
                terms,
                auto_prolong,
                ordered_on,
                period_start,
                paid_until,
                anchor_day,
                suspended,
                source,
            } => {
                if self.is_ordered() {
                    // Imported before: its id is derived from its source.
                    return Ok(vec![]);
                }
                if period_start >= paid_until {
                    return Err(ServiceError::PeriodOutOfOrder);
                }
                if period_start < ordered_on {
                    return Err(ServiceError::PeriodBeforeOrder);
                }
                if !(1..=31).contains(&anchor_day) {
                    return Err(ServiceError::InvalidAnchorDay(anchor_day));
                }
                let status = match suspended {
                    Some(_) => ServiceStatus::Suspended,
                    None => ServiceStatus::Active,
                };
                Ok(vec![ServiceEvent::ServiceImported {
                    service_id,
                    client_id,
                    provider_id,
                    account_id,
                    terms,
                    auto_prolong,
                    ordered_on,
                    period_start,
                    paid_until,
                    anchor_day,
                    suspended,
                    status,
                    source,
                }])
            }
            ServiceCommand::SetDomainContacts { contacts } => self.set_domain_contacts(contacts),
            ServiceCommand::RecordCharge {
                expense_id,
                period_start,
                period_end,
                amount,
                operation_id,
                on,
            } => {
                let service = self.existing()?;
                let mut events = record_charge(
                    service,
                    Charge {
                        expense_id,
                        period_start,
                        period_end,
                        amount,
                    },
                    operation_id,
                    on,
                )?;
                // The first period starting on or after a scheduled price change's day was
                // charged at the new price (`due_period`): from now on it is the service's.
                let charged = events.iter().any(|event| {
                    matches!(
                        event,
                        ServiceEvent::ServiceCharged { .. } | ServiceEvent::ServiceProlonged { .. }
                    )
                });
                if let Some(change) = service.price_change
                    && charged
                    && period_start >= change.effective_on
                {
                    events.push(ServiceEvent::PriceChanged {
                        terms: service.terms_from(period_start),
                        from: period_start,
                    });
                }
                Ok(events)
            }
            ServiceCommand::SchedulePriceChange {
                tariff_id,
                period,
                base_price,
                effective_on,
            } => self.schedule_price_change(tariff_id, period, base_price, effective_on),
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
            ServiceCommand::ResumeOnPromise {
                promised_until,
                operation_id,
                on,
            } => self.resume_on_promise(promised_until, operation_id, on),
            ServiceCommand::SettleDebt {
                in_debt,
                operation_id,
                on,
            } => Ok(settle_debt(self.existing()?, in_debt, operation_id, on)),
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
            ServiceCommand::RunBillingDay {
                on,
                operation_id,
                policy,
                promised_until,
                in_debt,
            } => Ok(run_billing_day(
                self.existing()?,
                on,
                operation_id,
                policy,
                promised_until,
                in_debt,
            )),
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

    /// Decides [`ServiceCommand::SetDomainContacts`].
    fn set_domain_contacts(
        &self,
        contacts: DomainContacts,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        if service.is_closed() {
            return Err(ServiceError::ServiceClosed);
        }
        let domain = service.domain.as_ref().ok_or(ServiceError::NoDomain)?;
        if domain.contacts == contacts {
            return Ok(vec![]);
        }
        Ok(vec![ServiceEvent::DomainContactsChanged {
            from: domain.contacts,
            to: contacts,
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

    /// Decides [`ServiceCommand::ResumeOnPromise`]: only a service suspended for non-payment,
    /// renewed automatically (one that is not would end with its paid time at once) and idle,
    /// while the promise holds, is resumed; anything else records nothing (a service the money
    /// already resumed, a promise that ended, a resumption under way).
    fn resume_on_promise(
        &self,
        promised_until: NaiveDate,
        operation_id: OperationId,
        on: NaiveDate,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        let service = self.existing()?;
        let resumable = service.status == ServiceStatus::Suspended
            && service.suspend_reason() == Some(SuspendReason::NonPayment)
            && service.auto_prolong
            && !service.operation_in_progress()
            && on < promised_until;
        if !resumable {
            return Ok(vec![]);
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
