//! Value types of services: statuses, provisioning operations, notices and quotes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{ExpenseId, OperationId, TariffId};
use crate::money::Money;
use crate::promo::Discount;
use crate::tariff::{ItemType, ServiceTerms};

/// Where a service is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Ordered and awaiting its first charge.
    Ordered,
    /// Charged; the activation has not been completed yet.
    Provisioning,
    /// Running.
    Active,
    /// Stopped by staff, for abuse or for non-payment; see [`SuspendReason`].
    Suspended,
    /// Closed; its deletion is pending.
    Closed,
    /// Deleted. Terminal: nothing happens to a deleted service any more.
    Deleted,
}

impl ServiceStatus {
    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Ordered => "ordered",
            ServiceStatus::Provisioning => "provisioning",
            ServiceStatus::Active => "active",
            ServiceStatus::Suspended => "suspended",
            ServiceStatus::Closed => "closed",
            ServiceStatus::Deleted => "deleted",
        }
    }

    /// The status of its snake_case name (`as_str`), if it names one.
    pub fn parse(name: &str) -> Option<ServiceStatus> {
        [
            ServiceStatus::Ordered,
            ServiceStatus::Provisioning,
            ServiceStatus::Active,
            ServiceStatus::Suspended,
            ServiceStatus::Closed,
            ServiceStatus::Deleted,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }

    /// What staff may ask of a service in this status, as the service's rules (`Service::decide`)
    /// admit it: suspending only an active service, resuming only a suspended one, closing
    /// anything not closed yet, moving it to another client unless it is deleted. The status
    /// alone is not the whole rule (an operation still pending, a non-payment suspension whose
    /// debt is unpaid): `decide` has the last word, and an action listed here may still be
    /// refused.
    pub fn allowed_actions(self) -> &'static [ServiceAction] {
        use ServiceAction::{Close, Resume, Suspend, Transfer};
        match self {
            ServiceStatus::Ordered | ServiceStatus::Provisioning => &[Close, Transfer],
            ServiceStatus::Active => &[Suspend, Close, Transfer],
            ServiceStatus::Suspended => &[Resume, Close, Transfer],
            ServiceStatus::Closed => &[Transfer],
            ServiceStatus::Deleted => &[],
        }
    }
}

/// What staff may ask of a service (`ServiceStatus::allowed_actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceAction {
    /// Suspend it (`SuspendService`).
    Suspend,
    /// Resume it (`ResumeService`).
    Resume,
    /// Close it (`CloseService`).
    Close,
    /// Move it to another client (`TransferService`).
    Transfer,
}

impl ServiceAction {
    /// The snake_case name, as in the API's routes (`/v1/services/{id}/suspend`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceAction::Suspend => "suspend",
            ServiceAction::Resume => "resume",
            ServiceAction::Close => "close",
            ServiceAction::Transfer => "transfer",
        }
    }
}

/// Why a service was suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspendReason {
    /// Staff suspended it; staff decide when it resumes.
    Staff,
    /// It was suspended for abuse; staff decide when it resumes.
    Abuse,
    /// It was not paid; it resumes by itself when paid, and is deleted if it stays unpaid.
    NonPayment,
}

/// What a provisioning operation does to the service on the provider's systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Sets the service up for the first time.
    Activate,
    /// Stops the service, keeping its data.
    Suspend,
    /// Starts a suspended service again.
    Resume,
    /// Removes the service and its data.
    Delete,
}

/// Whether a requested operation is still being worked on or has failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OperationStatus {
    /// Requested; the provisioning system has not reported back.
    Pending,
    /// The provisioning system reported a failure; it can be retried.
    Failed {
        /// The failure, as reported.
        reason: String,
    },
}

/// The operation a service is waiting for. A service has at most one at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// The caller-chosen id; a retry gets a new one.
    pub operation_id: OperationId,
    /// What the operation does.
    pub kind: OperationKind,
    /// Pending or failed.
    pub status: OperationStatus,
    /// 1 for the first request, one more for each retry.
    pub attempt: u32,
}

/// A message the client should be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// The paid time ends in `days` days: on `paid_until`.
    ExpiresIn {
        /// 10, 5 or 1.
        days: u32,
        /// The first day that is not paid.
        paid_until: NaiveDate,
    },
    /// The paid time ended on `paid_until` unpaid; the service keeps running in its item
    /// type's grace period until `grace_until`, when the item type's suspension rule applies.
    Overdue {
        /// The first day that is not paid.
        paid_until: NaiveDate,
        /// The first day after the grace period.
        grace_until: NaiveDate,
    },
    /// The service has been suspended.
    Suspended,
    /// The service has been deleted.
    Deleted,
    /// The price of one period changes from the first period starting on or after
    /// `effective_on`.
    PriceChange {
        /// The first day a period may start at the new price.
        effective_on: NaiveDate,
        /// The price of one period until then.
        old_price: Money,
        /// The price of one period from then on.
        new_price: Money,
    },
}

impl Notice {
    /// The kind of notice the client gets, for its template and its subscription.
    pub fn kind(&self) -> crate::notice::NoticeKind {
        use crate::notice::NoticeKind;
        match self {
            Notice::ExpiresIn { .. } => NoticeKind::ServiceExpiring,
            Notice::Overdue { .. } => NoticeKind::ServiceOverdue,
            Notice::Suspended => NoticeKind::ServiceSuspended,
            Notice::Deleted => NoticeKind::ServiceDeleted,
            Notice::PriceChange { .. } => NoticeKind::PriceChange,
        }
    }

    /// The values of the notice's template that only the notice knows (amounts as decimal
    /// strings, dates as `YYYY-MM-DD`); the notifier adds the service and the client.
    pub fn values(&self) -> Vec<(&'static str, String)> {
        match self {
            Notice::ExpiresIn { days, paid_until } => vec![
                ("days", days.to_string()),
                ("paid_until", paid_until.to_string()),
            ],
            Notice::Overdue {
                paid_until,
                grace_until,
            } => vec![
                ("paid_until", paid_until.to_string()),
                ("grace_until", grace_until.to_string()),
            ],
            Notice::Suspended | Notice::Deleted => vec![],
            Notice::PriceChange {
                effective_on,
                old_price,
                new_price,
            } => vec![
                ("effective_on", effective_on.to_string()),
                ("old_price", old_price.amount().to_string()),
                ("new_price", new_price.amount().to_string()),
                ("currency", new_price.currency().code().to_owned()),
            ],
        }
    }
}

/// The next period to charge and its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePeriod {
    /// The first day the charge pays for.
    pub period_start: NaiveDate,
    /// The first day the charge no longer pays for.
    pub period_end: NaiveDate,
    /// What to charge: `list_amount` less `discount`, never below zero.
    pub amount: Money,
    /// The price before any discount: the price per period, plus the setup fee for the first
    /// period.
    pub list_amount: Money,
    /// What the best single discount in effect (the service's promo code, or a standing
    /// discount of the client) takes off this charge, computed on the price per period, never
    /// on the setup fee; `None` when none applies to it.
    pub discount: Option<Money>,
    /// How the expense names that discount: the promo code, `personal` or `group:<name>`
    /// ([`crate::discount::StandingDiscount::label`]); `None` with no discount.
    pub discount_label: Option<String>,
    /// The charge's id, derived from what it pays for (see `Service::due_period`).
    pub expense_id: ExpenseId,
    /// Whether this is the first charge of the service (the one that activates it).
    pub first: bool,
    /// Whether this is the service's free trial: a zero charge whose discount is labelled
    /// `trial` (see [`crate::tariff::Trial`]).
    pub trial: bool,
}

/// The promo code discount a service was sold with, kept for its life.
///
/// The rule is kept rather than an amount, so that each charge computes its own discount with
/// [`Discount::of`] on its price per period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDiscount {
    /// The code redeemed, as the client typed it (canonical uppercase).
    pub code: String,
    /// What the code takes off the price per period.
    pub discount: Discount,
    /// `false`: only the first charge is discounted (and, after a tariff change within the
    /// first period, the new tariff's charge for the rest of it); `true`: every charge.
    pub recurring: bool,
    /// The tariffs the code is limited to; empty for any. Terms outside them (after a tariff
    /// change) get no discount. Absent from services ordered before it was kept: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tariffs: Vec<TariffId>,
    /// The kinds of item the code is limited to; empty for any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_types: Vec<ItemType>,
}

impl ServiceDiscount {
    /// Whether the code's limits let `terms` be discounted (the billing period cannot change
    /// after the order, and the code's dates and uses were checked when it was redeemed).
    pub fn applies_to(&self, terms: &ServiceTerms) -> bool {
        (self.tariffs.is_empty() || self.tariffs.contains(&terms.tariff_id))
            && (self.item_types.is_empty() || self.item_types.contains(&terms.item_type))
    }
}

/// The money side of a tariff change on a given day: see
/// [`Service::quote_tariff_change`](super::Service::quote_tariff_change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffChangeQuote {
    /// The start of the current period, `[current_start, period_end)`.
    pub current_start: NaiveDate,
    /// The end of the current period: the service's `paid_until`.
    pub period_end: NaiveDate,
    /// What is given back for the remaining days: at most what was paid for them.
    pub credit: Money,
    /// What the new price costs for the remaining days, net of the discount that applies.
    pub charge: Money,
    /// What the new price costs for the remaining days before any discount.
    pub charge_list: Money,
    /// What the discount takes off `charge_list`, when one applies.
    pub charge_discount: Option<Money>,
    /// The expense the credit gives back part of: the one that pays for the rest of the period.
    pub credited_expense_id: ExpenseId,
    /// What that expense paid for the service's time (net, without the setup fee): the most the
    /// account may give back of it.
    pub credited_paid: Money,
    /// The id of the credit line: `ExpenseId::for_change(service_id, n, "credit")` for the
    /// service's `n`th change.
    pub credit_expense_id: ExpenseId,
    /// The id of the charge line: `ExpenseId::for_change(service_id, n, "charge")`.
    pub charge_expense_id: ExpenseId,
}
