use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{Notice, OperationKind, ServiceDiscount, ServiceStatus, SuspendReason};
use crate::agreement::AgreementVersion;
use crate::contact::{DomainContacts, DomainRegistration};
use crate::ids::{AccountId, ClientId, ExpenseId, MergeId, OperationId, ProviderId, ServiceId};
use crate::import::ImportSource;
use crate::money::Money;
use crate::tariff::ServiceTerms;

/// What has happened to a service. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServiceEvent {
    /// The service was ordered.
    ServiceOrdered {
        /// The service's id.
        service_id: ServiceId,
        /// The client who ordered.
        client_id: ClientId,
        /// The provider selling the service.
        provider_id: ProviderId,
        /// The account the service is charged to.
        account_id: AccountId,
        /// The frozen prices.
        terms: ServiceTerms,
        /// Whether the service is charged for each next period by itself.
        auto_prolong: bool,
        /// The day of the order.
        ordered_on: NaiveDate,
        /// The promo code discount the service was sold with. Absent from events stored before
        /// promo codes, which read as `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        discount: Option<ServiceDiscount>,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `ordered`,
        /// the only status this event could then leave.
        #[serde(default = "ordered")]
        status: ServiceStatus,
        /// The domain and its contacts, for a domain service ordered with them. Absent from
        /// events stored before domain contacts, and from other services, which read as `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<DomainRegistration>,
        /// The agreement version the client accepted with the order. Absent from events stored
        /// before agreements, and from orders no agreement covered, which read as `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agreement: Option<AgreementVersion>,
        /// The free first period the service starts with. Absent from events stored before
        /// trials, and from orders without one, which read as `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trial: Option<crate::tariff::Trial>,
    },
    /// A service was brought over from another billing system, running or suspended, with the
    /// paid time it had there. Nothing was charged here; its next period starts at `paid_until`.
    ServiceImported {
        /// The service's id, derived from its source.
        service_id: ServiceId,
        /// The client it belongs to.
        client_id: ClientId,
        /// The provider selling it.
        provider_id: ProviderId,
        /// The account it is charged to.
        account_id: AccountId,
        /// Its prices.
        terms: ServiceTerms,
        /// Whether it is charged for each next period by itself.
        auto_prolong: bool,
        /// The day it was first ordered there.
        ordered_on: NaiveDate,
        /// The start of its current paid period.
        period_start: NaiveDate,
        /// The first day not paid.
        paid_until: NaiveDate,
        /// The day of month its periods end on.
        anchor_day: u32,
        /// Why it is suspended, for a suspended service.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suspended: Option<SuspendReason>,
        /// `active` or `suspended`, as the aggregate decided it.
        status: ServiceStatus,
        /// The system and id it came from.
        source: ImportSource,
    },
    /// The first period (with the setup fee) was charged; the service is being provisioned.
    ServiceCharged {
        /// The account's expense.
        expense_id: ExpenseId,
        /// The first day paid.
        period_start: NaiveDate,
        /// The first day not paid.
        period_end: NaiveDate,
        /// The amount charged.
        amount: Money,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `provisioning`,
        /// the only status this event could then leave.
        #[serde(default = "provisioning")]
        status: ServiceStatus,
    },
    /// A further period was charged.
    ServiceProlonged {
        /// The account's expense.
        expense_id: ExpenseId,
        /// The first day paid; a period that does not continue the paid time starts anew and
        /// moves the anchor day to its own day of month.
        period_start: NaiveDate,
        /// The first day not paid.
        period_end: NaiveDate,
        /// The amount charged.
        amount: Money,
    },
    /// An operation was requested from the provisioning system.
    OperationRequested {
        /// The operation's id.
        operation_id: OperationId,
        /// What it does.
        kind: OperationKind,
        /// 1 for the first request, one more for each retry.
        attempt: u32,
        /// Why, for a suspension.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suspend_reason: Option<SuspendReason>,
        /// The day of the first request; a retry keeps it. A suspension counts from it.
        requested_on: NaiveDate,
    },
    /// The provisioning system failed an operation.
    OperationFailed {
        /// The operation's id.
        operation_id: OperationId,
        /// What it was to do.
        kind: OperationKind,
        /// The trimmed failure.
        reason: String,
        /// Which attempt failed.
        attempt: u32,
    },
    /// The service was activated; it is running.
    ServiceActivated {
        /// The activation operation.
        operation_id: OperationId,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `active`,
        /// the only status this event could then leave.
        #[serde(default = "active")]
        status: ServiceStatus,
    },
    /// The service was suspended.
    ServiceSuspended {
        /// The suspension operation.
        operation_id: OperationId,
        /// Why.
        reason: SuspendReason,
        /// The day the suspension was requested (for non-payment: the end of the paid time).
        since: NaiveDate,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `suspended`,
        /// the only status this event could then leave.
        #[serde(default = "suspended")]
        status: ServiceStatus,
    },
    /// The service was resumed; it is running again.
    ServiceResumed {
        /// The resumption operation.
        operation_id: OperationId,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `active`,
        /// the only status this event could then leave.
        #[serde(default = "active")]
        status: ServiceStatus,
    },
    /// The service was deleted. Terminal.
    ServiceDeleted {
        /// The deletion operation, or for an order that was never provisioned the id given to
        /// the command that closed it.
        operation_id: OperationId,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `deleted`,
        /// the only status this event could then leave.
        #[serde(default = "deleted")]
        status: ServiceStatus,
    },
    /// The service was closed; its deletion follows (at once, or for a service that was not
    /// renewed once its item type's deletion delay has passed).
    ServiceClosed {
        /// The day of the closure; for a service that was not renewed, the end of its paid time.
        on: NaiveDate,
        /// The status the service is in from this event on, as the aggregate decided it.
        /// Absent from events stored before statuses were recorded, which read as `closed`,
        /// the only status this event could then leave.
        #[serde(default = "closed")]
        status: ServiceStatus,
    },
    /// The service will close at the end of its paid time.
    ClosureScheduled {
        /// The day it closes: its `paid_until`.
        at: NaiveDate,
    },
    /// The service moved to other terms.
    TariffChanged {
        /// The new terms.
        new_terms: ServiceTerms,
        /// The day of the change.
        on: NaiveDate,
        /// What the account is given back: at most what was paid for the remaining days.
        credit: Money,
        /// What the account is charged of the new price, net of the discount that applies.
        charge: Money,
        /// The expense id of the credit.
        credit_expense_id: ExpenseId,
        /// The expense id of the charge.
        charge_expense_id: ExpenseId,
    },
    /// The client should be sent a notice.
    NoticeDue {
        /// The notice.
        notice: Notice,
    },
    /// Automatic renewal was switched on or off.
    AutoProlongSet {
        /// Whether the service is charged for each next period by itself from now on.
        auto_prolong: bool,
    },
    /// A domain service was given other contacts.
    DomainContactsChanged {
        /// The contacts before.
        from: DomainContacts,
        /// The contacts from now on.
        to: DomainContacts,
    },
    /// The service learnt of a change of its tariff's price: from its first period starting on
    /// or after `effective_on`, one period costs `price_per_period` (its add-ons unchanged).
    /// Replaces a change scheduled before that has not taken effect.
    PriceChangeScheduled {
        /// The tariff's new base price for the service's period and currency.
        base_price: Money,
        /// The new price of one period: `base_price` plus the add-on lines.
        price_per_period: Money,
        /// The first day a period may start at the new price.
        effective_on: NaiveDate,
    },
    /// The service's free first period started with its first (zero) charge: `[from, until)`.
    /// The billing day charges the next period, at the tariff's price, from `until`.
    TrialStarted {
        /// The first day of the trial.
        from: NaiveDate,
        /// The first day after it.
        until: NaiveDate,
    },
    /// A scheduled price change took effect with the period starting `from`: the terms from
    /// then on, as the aggregate decided them.
    PriceChanged {
        /// The terms with the new base price and price per period.
        terms: ServiceTerms,
        /// The start of the first period charged at the new price.
        from: NaiveDate,
    },
    /// The service moved to another client; charges from now on go to `to_account`.
    ServiceTransferred {
        /// The old owner.
        from_client: ClientId,
        /// The old owner's account, which keeps the past expenses.
        from_account: AccountId,
        /// The new owner.
        to_client: ClientId,
        /// The new owner's account.
        to_account: AccountId,
        /// The merge that moved it, if a merge did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        merge_id: Option<MergeId>,
        /// The day of the transfer.
        on: NaiveDate,
    },
    /// A billing day found the account of a service billed by the hour in debt (its balance
    /// below minus its credit limit, ADR 37): the service is unpaid from `since`, and its item
    /// type's grace, a promised payment and its suspension rule count from that day.
    DebtFound {
        /// The billing day that found the debt.
        since: NaiveDate,
    },
    /// A billing day found the debt of `DebtFound` paid.
    DebtPaid {
        /// The billing day that found it paid.
        on: NaiveDate,
    },
}

impl ServiceEvent {
    /// The status the service is in from this event on, for the events that set it; `None`
    /// for the events that leave the status as it was.
    pub fn status(&self) -> Option<ServiceStatus> {
        match self {
            Self::ServiceOrdered { status, .. }
            | Self::ServiceImported { status, .. }
            | Self::ServiceCharged { status, .. }
            | Self::ServiceActivated { status, .. }
            | Self::ServiceSuspended { status, .. }
            | Self::ServiceResumed { status, .. }
            | Self::ServiceDeleted { status, .. }
            | Self::ServiceClosed { status, .. } => Some(*status),
            Self::ServiceProlonged { .. }
            | Self::OperationRequested { .. }
            | Self::OperationFailed { .. }
            | Self::ClosureScheduled { .. }
            | Self::TariffChanged { .. }
            | Self::NoticeDue { .. }
            | Self::AutoProlongSet { .. }
            | Self::ServiceTransferred { .. }
            | Self::PriceChangeScheduled { .. }
            | Self::PriceChanged { .. }
            | Self::TrialStarted { .. }
            | Self::DomainContactsChanged { .. }
            | Self::DebtFound { .. }
            | Self::DebtPaid { .. } => None,
        }
    }
}

// The statuses that events stored before statuses were recorded read as: each such event could
// leave only one status, the one its type names.
fn ordered() -> ServiceStatus {
    ServiceStatus::Ordered
}

fn provisioning() -> ServiceStatus {
    ServiceStatus::Provisioning
}

fn active() -> ServiceStatus {
    ServiceStatus::Active
}

fn suspended() -> ServiceStatus {
    ServiceStatus::Suspended
}

fn closed() -> ServiceStatus {
    ServiceStatus::Closed
}

fn deleted() -> ServiceStatus {
    ServiceStatus::Deleted
}

impl DomainEvent for ServiceEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::ServiceOrdered { .. } => "ServiceOrdered".to_string(),
            Self::ServiceImported { .. } => "ServiceImported".to_string(),
            Self::ServiceCharged { .. } => "ServiceCharged".to_string(),
            Self::ServiceProlonged { .. } => "ServiceProlonged".to_string(),
            Self::OperationRequested { .. } => "OperationRequested".to_string(),
            Self::OperationFailed { .. } => "OperationFailed".to_string(),
            Self::ServiceActivated { .. } => "ServiceActivated".to_string(),
            Self::ServiceSuspended { .. } => "ServiceSuspended".to_string(),
            Self::ServiceResumed { .. } => "ServiceResumed".to_string(),
            Self::ServiceDeleted { .. } => "ServiceDeleted".to_string(),
            Self::ServiceClosed { .. } => "ServiceClosed".to_string(),
            Self::ClosureScheduled { .. } => "ClosureScheduled".to_string(),
            Self::TariffChanged { .. } => "TariffChanged".to_string(),
            Self::NoticeDue { .. } => "NoticeDue".to_string(),
            Self::ServiceTransferred { .. } => "ServiceTransferred".to_string(),
            Self::PriceChangeScheduled { .. } => "PriceChangeScheduled".to_string(),
            Self::PriceChanged { .. } => "ServicePriceChanged".to_string(),
            Self::TrialStarted { .. } => "TrialStarted".to_string(),
            Self::AutoProlongSet { .. } => "AutoProlongSet".to_string(),
            Self::DomainContactsChanged { .. } => "DomainContactsChanged".to_string(),
            Self::DebtFound { .. } => "ServiceDebtFound".to_string(),
            Self::DebtPaid { .. } => "ServiceDebtPaid".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
