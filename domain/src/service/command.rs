use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ServiceDiscount, SuspendReason};
use crate::agreement::AgreementVersion;
use crate::contact::{DomainContacts, DomainRegistration};
use crate::ids::{
    AccountId, ClientId, ExpenseId, MergeId, OperationId, ProviderId, ServiceId, TariffId,
};
use crate::import::ImportSource;
use crate::item_type::ItemTypePolicy;
use crate::money::Money;
use crate::period::BillingPeriod;
use crate::tariff::ServiceTerms;

/// What can be asked of a service.
///
/// Dates and operation ids come in the command: the domain has no clock and makes up no ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServiceCommand {
    /// Records an order. The service waits for its first charge.
    OrderService {
        /// The caller-chosen service id.
        service_id: ServiceId,
        /// The client who ordered.
        client_id: ClientId,
        /// The provider selling the service.
        provider_id: ProviderId,
        /// The account the service is charged to.
        account_id: AccountId,
        /// The prices, frozen from the tariff's quote.
        terms: ServiceTerms,
        /// Whether the service is charged for each next period by itself.
        auto_prolong: bool,
        /// The day of the order.
        ordered_on: NaiveDate,
        /// The promo code discount the service was sold with, already redeemed on the code;
        /// its fixed amount, if any, must be in the terms' currency.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        discount: Option<ServiceDiscount>,
        /// The domain and its contacts, for a service whose item type is `domain`; the caller
        /// attached the contacts first (`ContactCommand::AttachContact`). A domain service may
        /// be ordered without them (a robot that keeps them elsewhere); another item type takes
        /// none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<DomainRegistration>,
        /// The current version of the agreement covering the order (the tariff's, else its
        /// item type's), as its aggregate says now; `None` when none is published.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        required_agreement: Option<AgreementVersion>,
        /// The agreement version the client accepted with the order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        accepted_agreement: Option<AgreementVersion>,
        /// The free first period the order starts with: the tariff's trial, which the client
        /// claimed for this service (`ClientCommand::ClaimTrial`); `None` for a paid start.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trial: Option<crate::tariff::Trial>,
    },
    /// Brings over a running or suspended service from another billing system with its paid
    /// time: nothing is charged, and the billing day charges its next period from `paid_until`
    /// on. A service imported before (the same id, derived from its source) records nothing.
    ImportService {
        /// The service's id, derived from its source.
        service_id: ServiceId,
        /// The client it belongs to.
        client_id: ClientId,
        /// The provider selling it.
        provider_id: ProviderId,
        /// The account it is charged to.
        account_id: AccountId,
        /// Its prices: the tariff's, with the price and add-ons it had there.
        terms: ServiceTerms,
        /// Whether it is charged for each next period by itself.
        auto_prolong: bool,
        /// The day it was first ordered there.
        ordered_on: NaiveDate,
        /// The start of its current paid period.
        period_start: NaiveDate,
        /// The first day not paid.
        paid_until: NaiveDate,
        /// The day of month its periods end on (1 to 31).
        anchor_day: u32,
        /// Why it is suspended, if it was suspended there; `None` for a running service.
        suspended: Option<SuspendReason>,
        /// The system and id it came from.
        source: ImportSource,
    },
    /// Records that the account was charged for a period (`due_period` or `prolong_period`).
    ///
    /// A period already recorded is ignored, so the command can be retried.
    RecordCharge {
        /// The expense the account recorded.
        expense_id: ExpenseId,
        /// The first day charged.
        period_start: NaiveDate,
        /// The first day not charged.
        period_end: NaiveDate,
        /// The amount charged, in the terms' currency.
        amount: Money,
        /// The id of the activation or resumption the charge may request.
        operation_id: OperationId,
        /// The day of the charge.
        on: NaiveDate,
    },
    /// Reports that the provisioning system completed the current operation.
    CompleteOperation {
        /// The operation completed.
        operation_id: OperationId,
    },
    /// Reports that the provisioning system failed the current operation.
    FailOperation {
        /// The operation failed.
        operation_id: OperationId,
        /// The failure; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Requests a failed operation again, under a new id.
    RetryOperation {
        /// The failed operation.
        operation_id: OperationId,
        /// The id of the new attempt.
        new_operation_id: OperationId,
    },
    /// Requests the suspension of an active service.
    SuspendService {
        /// Why the service is suspended.
        reason: SuspendReason,
        /// The id of the suspension operation.
        operation_id: OperationId,
        /// The day of the request; the suspension counts from it.
        on: NaiveDate,
    },
    /// Requests the resumption of a suspended service.
    ResumeService {
        /// The id of the resumption operation.
        operation_id: OperationId,
        /// The day of the request.
        on: NaiveDate,
    },
    /// Resumes a service suspended for non-payment because its account promised to pay
    /// (`Account::last_promise`, process `settlement`, ADR 29), as BILLmanager does: the service
    /// runs unpaid until the promise ends, and the billing day suspends it again then if no money
    /// came. A service that is not suspended for non-payment, one not renewed automatically, one
    /// with an operation under way, or a promise that no longer holds on `on`, records nothing,
    /// so the process may repeat it.
    ResumeOnPromise {
        /// The first day the promise no longer holds.
        promised_until: NaiveDate,
        /// The id of the resumption operation.
        operation_id: OperationId,
        /// The day of the request, by the provider's clock.
        on: NaiveDate,
    },
    /// Money reached the account of a service billed by the hour (ADR 37), which says whether it
    /// is still in debt. Out of debt, the debt a billing day found is paid (`DebtPaid`) and a
    /// service it suspended resumes at once, as a paid period resumes one. A service not billed
    /// by the hour, one without a debt, or an account still in debt records nothing, so the
    /// settlement process may send it on every payment.
    SettleDebt {
        /// Whether the account is still in debt (`Account::in_debt`).
        in_debt: bool,
        /// The id of the resumption operation.
        operation_id: OperationId,
        /// The day, by the provider's clock.
        on: NaiveDate,
    },
    /// Closes the service now, or schedules its closure for the end of the paid period.
    CloseService {
        /// Whether to close at the end of the paid period rather than now.
        at_period_end: bool,
        /// The id of the deletion operation, when the service closes now.
        operation_id: OperationId,
        /// The day of the request.
        on: NaiveDate,
    },
    /// Moves the service to other terms for the rest of the current period and after it.
    ///
    /// The account is credited and charged separately (`ReplaceCharge`) with the amounts of
    /// `Service::quote_tariff_change`, quoted with the same `returned`.
    ChangeTariff {
        /// The new terms, quoted from the new tariff.
        new_terms: ServiceTerms,
        /// The day of the change.
        on: NaiveDate,
        /// What the account has already given back of the expense that pays for the rest of the
        /// period (`TariffChangeQuote::credited_expense_id`), by corrections: the credit never
        /// exceeds what is left of it.
        returned: Money,
        /// The quote's `credit_expense_id`; another id means another change came first.
        credit_expense_id: ExpenseId,
        /// The quote's `charge_expense_id`.
        charge_expense_id: ExpenseId,
    },
    /// Switches automatic renewal on or off. A service without it is not charged for a next
    /// period by the billing day or by a payment, and ends with its paid time unless the client
    /// prolongs it. Setting the value it already has records nothing.
    SetAutoProlong {
        /// Whether the service is charged for each next period by itself.
        auto_prolong: bool,
    },
    /// Does what the billing day decides for this service besides charging: expiry notices,
    /// suspension of unpaid services, closures at the period end, deletion of long-unpaid
    /// services and lapse of unpaid orders. The caller charges first (with `due_period`).
    RunBillingDay {
        /// The billing day.
        on: NaiveDate,
        /// The id of the operation the day may request.
        operation_id: OperationId,
        /// The service's item type's policy now (`ItemTypeDefinition::policy_of`), so that a
        /// staff edit reaches services already sold; without it, the service keeps the deletion
        /// delay of its terms, no grace and suspension (ADR 15).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        policy: Option<ItemTypePolicy>,
        /// The first day the account's last promised payment no longer holds, if it made one
        /// (`Account::last_promise`): the service is not suspended for lack of money before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        promised_until: Option<NaiveDate>,
        /// Whether the account is in debt (its balance below minus its credit limit,
        /// `Account::in_debt`). A service billed by the hour is unpaid while it is,
        /// as one whose paid time ended (ADR 37); other services do not look at it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_debt: bool,
    },
    /// Moves the service to another client of the same provider: its future charges go to
    /// that client's account; its past expenses stay on the old owner's account. Moving it to
    /// the client that already owns it records nothing, so a repeated transfer is a no-op.
    TransferService {
        /// The new owner.
        to_client: ClientId,
        /// The new owner's provider, which must be the service's.
        provider_id: ProviderId,
        /// The new owner's account in the service's currency.
        to_account: AccountId,
        /// The merge moving it, when a merge does.
        merge_id: Option<MergeId>,
        /// The day of the transfer.
        on: NaiveDate,
    },
    /// Gives a domain service other contacts; the caller attached the new ones first. The
    /// same contacts record nothing.
    SetDomainContacts {
        /// The contacts by role.
        contacts: DomainContacts,
    },
    /// Tells the service that its tariff's base price for `period` in the price's currency
    /// changes from `effective_on` (process `price_changes`, on the tariff's
    /// `PriceChangeScheduled`). A service of another period, currency or tariff, or closed,
    /// records nothing; so does a repeat.
    SchedulePriceChange {
        /// The tariff whose price changes.
        tariff_id: TariffId,
        /// The period whose price changes.
        period: BillingPeriod,
        /// The new base price.
        base_price: Money,
        /// The first day a period may start at the new price.
        effective_on: NaiveDate,
    },
}
