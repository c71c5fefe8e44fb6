//! The domain aggregate: a domain name a client ordered through the provider's registrar, and
//! the registrar operations on it (register, transfer, renew), each with the price charged and a
//! snapshot of the contacts as they were when it was asked (what the registrar is sent).
//!
//! The rules live here: the name must be a second-level name under the TLD ordered, the
//! contacts must be the client's own, the years 1 to ten (and a renewal may not reach more than
//! ten years ahead), one operation at a time, and the expiry date is the registrar's answer,
//! never computed here. A failed registration or transfer ends the domain (`failed`), and its
//! event names the charge to give back; a failed renewal leaves it as it was.
//!
//! Money is not moved here: the use case charges the personal account under a key derived from
//! the operation ([`DomainOperation::expense_id`]) before the operation is recorded, and gives
//! it back under a key derived the same way, so every step may be rerun.

mod error;
mod event;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Months, NaiveDate, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::contact::{ContactDetails, DomainName};
use crate::ids::{
    AccountId, ClientId, ContactId, DomainId, ExpenseId, MergeId, OperationId, ProviderId,
};
use crate::money::Money;
use crate::tld::{RegistrarOperationKind, TldName, YEARS_MAX};

pub use error::*;
pub use event::DomainEvent;

/// How many days before its expiry a domain set to renew itself is renewed by the billing day.
pub const RENEW_DAYS_BEFORE: u64 = 30;

/// How many days before its expiry the client is told, from the earliest: one notice when the
/// expiry comes within each of these many days.
pub const EXPIRY_NOTICE_DAYS: [u32; 2] = [30, 7];

/// The UUID v5 namespace of the ids derived from registrar operations (automatic renewals,
/// their charges and refunds). It must never change: stored ids were derived from it.
const DOMAIN_NAMESPACE: Uuid = Uuid::from_u128(0x4d0e_8b17_c2f9_4a63_9e05_b1d7_3a6c_58f2);

/// One contact of an operation as it was when the operation was asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactSnapshot {
    /// The contact.
    pub contact_id: ContactId,
    /// The client it belongs to.
    pub client_id: ClientId,
    /// Its details then.
    pub details: ContactDetails,
}

/// The three contacts of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainContactsSnapshot {
    /// The owner of the domain.
    pub registrant: ContactSnapshot,
    /// The administrative contact.
    pub admin: ContactSnapshot,
    /// The technical contact.
    pub tech: ContactSnapshot,
}

impl DomainContactsSnapshot {
    /// Each role with its contact.
    pub fn roles(&self) -> [(&'static str, &ContactSnapshot); 3] {
        [
            ("registrant", &self.registrant),
            ("admin", &self.admin),
            ("tech", &self.tech),
        ]
    }
}

/// A registrar operation: what is asked, for how long, what it costs and with which contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainOperation {
    /// The operation's id: what the registrar answers.
    pub operation_id: OperationId,
    /// Register, transfer or renew.
    pub kind: RegistrarOperationKind,
    /// How many years.
    pub years: u32,
    /// The TLD's price of it (before tax, as the account charges it).
    pub price: Money,
    /// The contacts sent to the registrar.
    pub contacts: DomainContactsSnapshot,
    /// The day it was asked.
    pub requested_on: NaiveDate,
}

impl DomainOperation {
    /// The id of the charge of this operation.
    pub fn expense_id(&self) -> ExpenseId {
        charge_of(self.operation_id)
    }

    /// The id of the correction that gives the charge back when the operation fails.
    pub fn refund_id(&self) -> Uuid {
        refund_of(self.operation_id)
    }
}

fn derived_expense(operation: OperationId, part: &str) -> ExpenseId {
    ExpenseId::from_uuid(Uuid::new_v5(
        &DOMAIN_NAMESPACE,
        format!("domain-operation/{operation}/{part}").as_bytes(),
    ))
}

/// The id of the charge of the operation `operation`.
pub fn charge_of(operation: OperationId) -> ExpenseId {
    derived_expense(operation, "charge")
}

/// The id of the correction that gives back the charge of the operation `operation`.
pub fn refund_of(operation: OperationId) -> Uuid {
    Uuid::new_v5(
        &DOMAIN_NAMESPACE,
        format!("domain-operation/{operation}/refund").as_bytes(),
    )
}

/// Where a domain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Registration or transfer asked, no answer yet.
    Pending,
    /// Registered: `expires_at` is the registrar's.
    Active,
    /// The registration or transfer failed; its charge was given back.
    Failed,
    /// Not renewed before its expiry.
    Expired,
}

impl DomainStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// What the registrar answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistrarAnswer {
    /// Done; the domain now expires at this time (the registrar's date).
    Done {
        /// The expiry.
        expires_at: DateTime<Utc>,
    },
    /// Not done, and why.
    Failed {
        /// The registrar's reason.
        reason: String,
    },
}

/// What can be asked of a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DomainCommand {
    /// Orders a domain: its registration or its transfer, already charged under
    /// [`DomainOperation::expense_id`].
    OrderDomain {
        /// The caller-chosen id.
        domain_id: DomainId,
        /// The client ordering.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// The account charged.
        account_id: AccountId,
        /// The name.
        name: DomainName,
        /// The TLD it is ordered under; the name must be one label under it.
        tld: TldName,
        /// Whether the billing day renews it.
        auto_renew: bool,
        /// The operation: register or transfer.
        operation: DomainOperation,
    },
    /// Asks the registrar to renew the domain, already charged.
    RenewDomain {
        /// The renewal.
        operation: DomainOperation,
        /// Whether the billing day asked it.
        automatic: bool,
    },
    /// Records the registrar's answer to the pending operation. The same answer again records
    /// nothing.
    RecordRegistrarAnswer {
        /// The operation answered.
        operation_id: OperationId,
        /// The answer.
        answer: RegistrarAnswer,
    },
    /// Expires an active domain whose expiry has passed with no renewal pending.
    ExpireDomain {
        /// The time of the run.
        now: DateTime<Utc>,
    },
    /// Moves the domain, as a step of a merge, to the client its client was merged into: its
    /// later operations are charged to `to_account`. The contacts go with it (the merge moved
    /// them first). A domain already the client's records nothing; one of another provider is
    /// refused. A domain in any state moves, so that its history is the client's.
    TransferDomain {
        /// The client it moves to.
        to_client: ClientId,
        /// That client's provider: the domain's own.
        provider_id: ProviderId,
        /// That client's account.
        to_account: AccountId,
        /// The merge.
        merge_id: MergeId,
    },
    /// Records the expiry notice due on the day `on`, if one is (see
    /// [`Domain::expiry_notice_due`]); nothing otherwise.
    NoticeExpiry {
        /// The billing day.
        on: NaiveDate,
    },
}

/// The state of one domain, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Domain {
    ordered: Option<OrderedDomain>,
}

/// One operation asked of the registrar, as the state keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskedOperation {
    /// Its id.
    pub operation_id: OperationId,
    /// Register, transfer or renew.
    pub kind: RegistrarOperationKind,
    /// What it was charged before tax.
    pub price: Money,
    /// The registrar's answer; `None` while pending.
    pub answer: Option<RegistrarAnswer>,
}

impl AskedOperation {
    fn of(operation: &DomainOperation) -> Self {
        AskedOperation {
            operation_id: operation.operation_id,
            kind: operation.kind,
            price: operation.price,
            answer: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OrderedDomain {
    domain_id: DomainId,
    client_id: ClientId,
    provider_id: ProviderId,
    account_id: AccountId,
    name: DomainName,
    tld: TldName,
    auto_renew: bool,
    status: DomainStatus,
    expires_at: Option<DateTime<Utc>>,
    /// The operation waiting for the registrar's answer.
    pending: Option<DomainOperation>,
    /// Every operation asked, and how each ended (`None`: pending).
    operations: Vec<AskedOperation>,
    /// The contacts of the latest operation.
    contacts: DomainContactsSnapshot,
    /// The expiry notices recorded: the expiry each was about and its step.
    #[serde(default)]
    noticed: Vec<(DateTime<Utc>, u32)>,
}

impl OrderedDomain {
    fn operation(&self, operation_id: OperationId) -> Option<&AskedOperation> {
        self.operations
            .iter()
            .find(|o| o.operation_id == operation_id)
    }
}

impl Domain {
    /// The id the next operation on the domain `domain_id` is asked under: derived from the
    /// domain and how many operations it has, so that a step rerun after a crash (or a billing
    /// day run twice) names, and charges, the same operation.
    pub fn next_operation_id(&self, domain_id: DomainId) -> OperationId {
        let n = self.ordered.as_ref().map_or(0, |d| d.operations.len());
        OperationId::from_uuid(Uuid::new_v5(
            &DOMAIN_NAMESPACE,
            format!("domain/{domain_id}/operation/{n}").as_bytes(),
        ))
    }

    /// The operation `operation_id` of the domain, if asked.
    pub fn operation(&self, operation_id: OperationId) -> Option<&AskedOperation> {
        self.ordered
            .as_ref()
            .and_then(|d| d.operation(operation_id))
    }

    /// The currency the domain is charged in, once ordered.
    pub fn currency(&self) -> Option<crate::money::Currency> {
        self.ordered
            .as_ref()
            .and_then(|d| d.operations.first())
            .map(|o| o.price.currency())
    }

    /// Whether the domain was ordered.
    pub fn is_ordered(&self) -> bool {
        self.ordered.is_some()
    }

    /// The client, once ordered.
    pub fn client_id(&self) -> Option<ClientId> {
        self.ordered.as_ref().map(|d| d.client_id)
    }

    /// The provider, once ordered.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.ordered.as_ref().map(|d| d.provider_id)
    }

    /// The account charged, once ordered.
    pub fn account_id(&self) -> Option<AccountId> {
        self.ordered.as_ref().map(|d| d.account_id)
    }

    /// The name, once ordered.
    pub fn name(&self) -> Option<&DomainName> {
        self.ordered.as_ref().map(|d| &d.name)
    }

    /// The TLD, once ordered.
    pub fn tld(&self) -> Option<&TldName> {
        self.ordered.as_ref().map(|d| &d.tld)
    }

    /// The status, once ordered.
    pub fn status(&self) -> Option<DomainStatus> {
        self.ordered.as_ref().map(|d| d.status)
    }

    /// The expiry the registrar answered last.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.ordered.as_ref().and_then(|d| d.expires_at)
    }

    /// Whether the billing day renews it.
    pub fn auto_renew(&self) -> bool {
        self.ordered.as_ref().is_some_and(|d| d.auto_renew)
    }

    /// The operation waiting for an answer.
    pub fn pending(&self) -> Option<&DomainOperation> {
        self.ordered.as_ref().and_then(|d| d.pending.as_ref())
    }

    /// The contacts of the latest operation, which a renewal sends again.
    pub fn contacts(&self) -> Option<&DomainContactsSnapshot> {
        self.ordered.as_ref().map(|d| &d.contacts)
    }

    /// Whether the billing day of `on` should renew the domain: active, set to renew itself,
    /// nothing pending, and its expiry after `on` but less than [`RENEW_DAYS_BEFORE`] days
    /// after it (a domain whose expiry day has come is expired, not renewed).
    pub fn renewal_due(&self, on: NaiveDate) -> bool {
        self.ordered.as_ref().is_some_and(|d| {
            d.status == DomainStatus::Active
                && d.auto_renew
                && d.pending.is_none()
                && d.expires_at.is_some_and(|at| {
                    on < at.date_naive()
                        && at
                            .date_naive()
                            .checked_sub_days(chrono::Days::new(RENEW_DAYS_BEFORE))
                            .is_some_and(|from| from <= on)
                })
        })
    }

    /// The expiry notice due on the day `on`, as (step, days left): the domain is active with
    /// nothing pending, its expiry's day is after `on` and at most the step's days away, and no
    /// notice of that step or a later one was recorded for this expiry. Only the latest step
    /// reached is due, so a clock that jumps sends one notice, not a burst.
    pub fn expiry_notice_due(&self, on: NaiveDate) -> Option<(u32, u32)> {
        let d = self.ordered.as_ref()?;
        if d.status != DomainStatus::Active || d.pending.is_some() {
            return None;
        }
        let expires_at = d.expires_at?;
        let days_left = u32::try_from((expires_at.date_naive() - on).num_days()).ok()?;
        if days_left == 0 {
            return None;
        }
        let step = EXPIRY_NOTICE_DAYS
            .iter()
            .copied()
            .filter(|step| days_left <= *step)
            .min()?;
        let done = d
            .noticed
            .iter()
            .any(|(at, given)| *at == expires_at && *given <= step);
        (!done).then_some((step, days_left))
    }

    /// Whether the domain expires at `now`: active, nothing pending, its expiry passed.
    pub fn expiry_due(&self, now: DateTime<Utc>) -> bool {
        self.ordered.as_ref().is_some_and(|d| {
            d.status == DomainStatus::Active
                && d.pending.is_none()
                && d.expires_at.is_some_and(|at| at <= now)
        })
    }

    fn check_operation(
        client_id: ClientId,
        operation: &DomainOperation,
    ) -> Result<(), DomainError> {
        if !(1..=YEARS_MAX).contains(&operation.years) {
            return Err(DomainError::YearsOutOfRange {
                years: operation.years,
            });
        }
        if operation.price.is_negative() {
            return Err(DomainError::NegativePrice);
        }
        for (role, contact) in operation.contacts.roles() {
            if contact.client_id != client_id {
                return Err(DomainError::ContactOfAnotherClient { role });
            }
        }
        Ok(())
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: DomainCommand) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            DomainCommand::OrderDomain {
                domain_id,
                client_id,
                provider_id,
                account_id,
                name,
                tld,
                auto_renew,
                operation,
            } => {
                if self.ordered.is_some() {
                    return Err(DomainError::AlreadyOrdered);
                }
                let under = name
                    .as_str()
                    .strip_suffix(tld.as_str())
                    .and_then(|rest| rest.strip_suffix('.'));
                if !under.is_some_and(|label| !label.is_empty() && !label.contains('.')) {
                    return Err(DomainError::NameNotUnderTld {
                        tld: tld.as_str().to_owned(),
                    });
                }
                if operation.kind == RegistrarOperationKind::Renew {
                    return Err(DomainError::RenewalOfUnregistered);
                }
                Self::check_operation(client_id, &operation)?;
                Ok(vec![DomainEvent::DomainOrdered {
                    domain_id,
                    client_id,
                    provider_id,
                    account_id,
                    name,
                    tld,
                    auto_renew,
                    operation,
                }])
            }
            DomainCommand::RenewDomain {
                operation,
                automatic,
            } => {
                let domain = self.ordered.as_ref().ok_or(DomainError::NotFound)?;
                if domain
                    .operations
                    .iter()
                    .any(|o| o.operation_id == operation.operation_id)
                {
                    return Ok(vec![]);
                }
                if operation.kind != RegistrarOperationKind::Renew {
                    return Err(DomainError::NotARenewal);
                }
                if domain.status != DomainStatus::Active {
                    return Err(DomainError::NotActive {
                        status: domain.status.as_str(),
                    });
                }
                if domain.pending.is_some() {
                    return Err(DomainError::OperationPending);
                }
                Self::check_operation(domain.client_id, &operation)?;
                let limit = operation
                    .requested_on
                    .checked_add_months(Months::new(YEARS_MAX * 12));
                let reaches = domain.expires_at.and_then(|at| {
                    at.date_naive()
                        .checked_add_months(Months::new(operation.years * 12))
                });
                if reaches
                    .zip(limit)
                    .is_none_or(|(reaches, limit)| reaches > limit)
                {
                    return Err(DomainError::TooFarAhead);
                }
                Ok(vec![DomainEvent::DomainRenewalRequested {
                    operation,
                    automatic,
                }])
            }
            DomainCommand::RecordRegistrarAnswer {
                operation_id,
                answer,
            } => {
                let domain = self.ordered.as_ref().ok_or(DomainError::NotFound)?;
                match domain.operation(operation_id).map(|o| &o.answer) {
                    None => return Err(DomainError::UnknownOperation),
                    Some(Some(given)) if *given == answer => return Ok(vec![]),
                    Some(Some(_)) => return Err(DomainError::AlreadyAnswered),
                    Some(None) => {}
                }
                let pending = domain
                    .pending
                    .as_ref()
                    .filter(|p| p.operation_id == operation_id)
                    .ok_or(DomainError::UnknownOperation)?;
                match answer {
                    RegistrarAnswer::Done { expires_at } => {
                        Ok(vec![DomainEvent::RegistrarOperationDone {
                            operation_id,
                            kind: pending.kind,
                            expires_at,
                        }])
                    }
                    RegistrarAnswer::Failed { reason } => {
                        let reason = crate::text::trimmed_within(&reason, 500)
                            .ok_or(DomainError::InvalidReason)?
                            .to_owned();
                        Ok(vec![DomainEvent::RegistrarOperationFailed {
                            operation_id,
                            kind: pending.kind,
                            reason,
                            expense_id: pending.expense_id(),
                            refund_id: pending.refund_id(),
                        }])
                    }
                }
            }
            DomainCommand::ExpireDomain { now } => {
                let domain = self.ordered.as_ref().ok_or(DomainError::NotFound)?;
                if !self.expiry_due(now) {
                    return Ok(vec![]);
                }
                Ok(domain
                    .expires_at
                    .map(|expires_at| DomainEvent::DomainExpired { expires_at })
                    .into_iter()
                    .collect())
            }
            DomainCommand::TransferDomain {
                to_client,
                provider_id,
                to_account,
                merge_id,
            } => {
                let domain = self.ordered.as_ref().ok_or(DomainError::NotFound)?;
                if domain.provider_id != provider_id {
                    return Err(DomainError::OtherProvider);
                }
                if domain.client_id == to_client {
                    return Ok(vec![]);
                }
                Ok(vec![DomainEvent::DomainTransferred {
                    from_client: domain.client_id,
                    to_client,
                    to_account,
                    merge_id,
                }])
            }
            DomainCommand::NoticeExpiry { on } => {
                let domain = self.ordered.as_ref().ok_or(DomainError::NotFound)?;
                Ok(self
                    .expiry_notice_due(on)
                    .zip(domain.expires_at)
                    .map(|((within_days, days_left), expires_at)| {
                        DomainEvent::DomainExpiryNoticed {
                            expires_at,
                            within_days,
                            days_left,
                        }
                    })
                    .into_iter()
                    .collect())
            }
        }
    }
}

impl Aggregate for Domain {
    const TYPE: &'static str = "Domain";
    type Command = DomainCommand;
    type Event = DomainEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DomainCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: DomainEvent) {
        let status = event.status_after();
        match event {
            DomainEvent::DomainOrdered {
                domain_id,
                client_id,
                provider_id,
                account_id,
                name,
                tld,
                auto_renew,
                operation,
            } => {
                self.ordered = Some(OrderedDomain {
                    domain_id,
                    client_id,
                    provider_id,
                    account_id,
                    name,
                    tld,
                    auto_renew,
                    status: DomainStatus::Pending,
                    expires_at: None,
                    operations: vec![AskedOperation::of(&operation)],
                    contacts: operation.contacts.clone(),
                    pending: Some(operation),
                    noticed: Vec::new(),
                });
            }
            DomainEvent::DomainRenewalRequested { operation, .. } => {
                if let Some(d) = &mut self.ordered {
                    d.operations.push(AskedOperation::of(&operation));
                    d.contacts = operation.contacts.clone();
                    d.pending = Some(operation);
                }
            }
            DomainEvent::RegistrarOperationDone {
                operation_id,
                expires_at,
                ..
            } => {
                if let Some(d) = &mut self.ordered {
                    d.expires_at = Some(expires_at);
                    d.pending = None;
                    answered(d, operation_id, RegistrarAnswer::Done { expires_at });
                }
            }
            DomainEvent::RegistrarOperationFailed {
                operation_id,
                reason,
                ..
            } => {
                if let Some(d) = &mut self.ordered {
                    d.pending = None;
                    answered(d, operation_id, RegistrarAnswer::Failed { reason });
                }
            }
            DomainEvent::DomainExpired { .. } => {}
            DomainEvent::DomainTransferred {
                from_client,
                to_client,
                to_account,
                ..
            } => {
                if let Some(d) = &mut self.ordered {
                    d.client_id = to_client;
                    d.account_id = to_account;
                    // The merge moved the client's contacts before the domain.
                    for contact in [
                        &mut d.contacts.registrant,
                        &mut d.contacts.admin,
                        &mut d.contacts.tech,
                    ] {
                        if contact.client_id == from_client {
                            contact.client_id = to_client;
                        }
                    }
                }
            }
            DomainEvent::DomainExpiryNoticed {
                expires_at,
                within_days,
                ..
            } => {
                if let Some(d) = &mut self.ordered {
                    d.noticed.push((expires_at, within_days));
                }
            }
        }
        if let (Some(d), Some(status)) = (&mut self.ordered, status) {
            d.status = status;
        }
    }
}

fn answered(domain: &mut OrderedDomain, operation_id: OperationId, answer: RegistrarAnswer) {
    if let Some(entry) = domain
        .operations
        .iter_mut()
        .find(|o| o.operation_id == operation_id)
    {
        entry.answer = Some(answer);
    }
}
