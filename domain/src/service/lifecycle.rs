//! The steps of a service's life that follow from a charge, an operation's outcome, a closure
//! and the billing day, as free functions over the ordered state that `Service::decide` calls.

use chrono::{Days, NaiveDate};

use super::{
    CurrentOperation, EXPIRY_NOTICE_DAYS, Notice, ORDER_LAPSE_DAYS, OperationKind, OperationStatus,
    OrderedService, ServiceError, ServiceEvent, ServiceStatus, SuspendReason,
};
use crate::ids::{ExpenseId, OperationId};
use crate::item_type::{ItemTypePolicy, SuspensionRule};
use crate::money::{Money, MoneyError};
use crate::period::days_between;

impl OrderedService {
    /// The expiry notice due on `on`, if any: the smallest of 10, 5 and 1 days that `on` is
    /// within, unless that one or a smaller one was already sent for this `paid_until`, or the
    /// service renews by itself for nothing.
    fn expiry_notice(&self, on: NaiveDate) -> Option<ServiceEvent> {
        let paid_until = self.paid_until?;
        // A service that renews by itself for nothing (a VDS sold by the hour at 0.00 a month,
        // say) does not expire: there is nothing to warn of.
        if self.auto_prolong
            && self
                .next_period(&[])
                .is_some_and(|next| next.amount.is_zero())
        {
            return None;
        }
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

/// What the account was charged, as `RecordCharge` reports it.
pub(super) struct Charge {
    pub(super) expense_id: ExpenseId,
    pub(super) period_start: NaiveDate,
    pub(super) period_end: NaiveDate,
    pub(super) amount: Money,
}

/// `RecordCharge`: the first charge activates the service, later ones extend the paid time, and
/// a charge of a service suspended for non-payment also resumes it.
pub(super) fn record_charge(
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
        (ServiceStatus::Ordered, _) => {
            let mut events = vec![ServiceEvent::ServiceCharged {
                status: ServiceStatus::Provisioning,
                expense_id,
                period_start,
                period_end,
                amount,
            }];
            // The free charge of an order with a trial starts the trial.
            if service.trial.is_some() && amount.is_zero() {
                events.push(ServiceEvent::TrialStarted {
                    from: period_start,
                    until: period_end,
                });
            }
            events.push(service.request(operation_id, OperationKind::Activate, None, on));
            Ok(events)
        }
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
            // A service billed by the hour that its account's debt suspended resumes when a
            // billing day finds the debt paid, not with a (free) period (ADR 37).
            if !service.operation_in_progress() && service.debt_since.is_none() {
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
pub(super) fn current_operation(
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
pub(super) fn complete_operation(
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
pub(super) fn close_service(
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
///
/// `promised_until` is the end of the account's last promised payment, if it made one.
///
/// `policy` is the item type's policy now; without it (a caller from before item types could be
/// edited), the service keeps the deletion delay of its terms, suspends with no grace days and
/// renews as it was ordered.
pub(super) fn run_billing_day(
    service: &OrderedService,
    on: NaiveDate,
    operation_id: OperationId,
    policy: Option<ItemTypePolicy>,
    promised_until: Option<NaiveDate>,
    in_debt: bool,
) -> Vec<ServiceEvent> {
    // A service billed by the hour is unpaid while its account is in debt (ADR 37), from the
    // first billing day that found it so; a service not billed by the hour never is.
    let running = matches!(
        service.status,
        ServiceStatus::Active | ServiceStatus::Provisioning | ServiceStatus::Suspended
    );
    let in_debt = in_debt && running && service.terms.hourly.is_some();
    let mut events = Vec::new();
    let debt_since = match (in_debt, service.debt_since) {
        (true, Some(since)) => Some(since),
        (true, None) => {
            events.push(ServiceEvent::DebtFound { since: on });
            Some(on)
        }
        (false, Some(_)) => {
            events.push(ServiceEvent::DebtPaid { on });
            None
        }
        (false, None) => None,
    };
    events.extend(day_of(
        service,
        on,
        operation_id,
        policy,
        promised_until,
        debt_since,
    ));
    events
}

/// `SettleDebt`: an hourly service whose account is out of debt has its debt paid, and resumes
/// if the debt suspended it (its period paid, no operation under way).
pub(super) fn settle_debt(
    service: &OrderedService,
    in_debt: bool,
    operation_id: OperationId,
    on: NaiveDate,
) -> Vec<ServiceEvent> {
    if in_debt || service.debt_since.is_none() || service.terms.hourly.is_none() {
        return vec![];
    }
    let mut events = vec![ServiceEvent::DebtPaid { on }];
    let suspended_for_it = service.status == ServiceStatus::Suspended
        && service.suspend_reason() == Some(SuspendReason::NonPayment);
    if suspended_for_it && !service.operation_in_progress() && !service.unpaid_on(on) {
        events.push(service.request(operation_id, OperationKind::Resume, None, on));
    }
    events
}

/// What the billing day decides for `service` besides its debt: `debt_since` is the day a
/// service billed by the hour has been unpaid from for its account's debt, if it is.
fn day_of(
    service: &OrderedService,
    on: NaiveDate,
    operation_id: OperationId,
    policy: Option<ItemTypePolicy>,
    promised_until: Option<NaiveDate>,
    debt_since: Option<NaiveDate>,
) -> Vec<ServiceEvent> {
    let policy = policy.unwrap_or(ItemTypePolicy {
        deletion_delay_days: service.terms.deletion_delay_days,
        suspension: SuspensionRule::Suspend,
        grace_days: 0,
        auto_prolong: service.auto_prolong,
    });
    let idle = !service.operation_in_progress();
    match service.status {
        ServiceStatus::Deleted => vec![],
        ServiceStatus::Closed => {
            // A service closed now had its deletion requested with the closure; one that ended
            // with its paid time is deleted once its item type's delay has passed.
            let delay_passed = service
                .closed_on
                .is_some_and(|closed_on| days_between(closed_on, on) >= policy.deletion_delay_days);
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
            let period_unpaid = service.unpaid_on(on);
            if !period_unpaid && debt_since.is_none() {
                let notice = (service.status == ServiceStatus::Active)
                    .then(|| service.expiry_notice(on))
                    .flatten();
                return notice.into_iter().collect();
            }
            if !idle {
                return vec![];
            }
            let since = if period_unpaid {
                if service.close_at_period_end {
                    return service.close_now(operation_id, on);
                }
                // The suspension (or the end) counts from the end of the paid time, not from
                // the day the billing day is run.
                let since = service.paid_until.unwrap_or(on);
                if !service.auto_prolong {
                    // Not renewed: the service ends with its paid time, and is deleted once its
                    // item type's delay has passed (see the `Closed` arm).
                    return vec![ServiceEvent::ServiceClosed {
                        status: ServiceStatus::Closed,
                        on: since,
                    }];
                }
                since
            } else {
                // Paid for its period but its hours are owed: it runs its grace from the day
                // the debt was found, and is suspended by its item type's rule.
                debt_since.unwrap_or(on)
            };
            // The grace period: the service keeps running unpaid for the item type's grace
            // days (the billing day keeps trying to charge it from its due date, so no day goes
            // free), and the client is told once.
            let grace_until = since
                .checked_add_days(Days::new(u64::from(policy.grace_days)))
                .unwrap_or(since);
            if on < grace_until {
                let noticed = service
                    .noticed
                    .iter()
                    .any(|(noticed_for, days)| *noticed_for == since && *days == 0);
                if noticed || service.status != ServiceStatus::Active {
                    return vec![];
                }
                return vec![ServiceEvent::NoticeDue {
                    notice: Notice::Overdue {
                        paid_until: since,
                        grace_until,
                    },
                }];
            }
            // A promised payment of the account holds off the suspension (or the end) for lack of
            // money until it expires; the billing day keeps trying to charge meanwhile.
            if promised_until.is_some_and(|until| on < until) {
                return vec![];
            }
            // A promise that ended after the grace days dates the suspension at its end.
            let grace_until = promised_until.map_or(grace_until, |until| until.max(grace_until));
            match policy.suspension {
                SuspensionRule::Suspend => vec![service.request(
                    operation_id,
                    OperationKind::Suspend,
                    Some(SuspendReason::NonPayment),
                    grace_until,
                )],
                // Deleted without a suspension: it ends with its grace and is deleted at once.
                SuspensionRule::Delete => service.close_now(operation_id, grace_until),
                // Never suspended: it keeps running, and the billing day keeps charging.
                SuspensionRule::Never => vec![],
            }
        }
        ServiceStatus::Suspended => {
            if !idle {
                return vec![];
            }
            let period_unpaid = service.unpaid_on(on);
            if service.close_at_period_end && period_unpaid {
                return service.close_now(operation_id, on);
            }
            let unpaid = period_unpaid || debt_since.is_some();
            let Some((SuspendReason::NonPayment, since)) = service.suspension else {
                // Suspended by staff: a service that is not renewed still ends with its paid
                // time.
                if !service.auto_prolong && period_unpaid {
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
            if days_between(since, on) >= policy.deletion_delay_days {
                return vec![service.request(operation_id, OperationKind::Delete, None, on)];
            }
            vec![]
        }
    }
}
