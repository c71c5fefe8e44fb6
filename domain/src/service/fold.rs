//! The `cqrs_es::Aggregate` adapter of `Service` and the folding of its events into its state,
//! which only assigns what each event carries.

use chrono::Datelike;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

use super::{
    CurrentOperation, Notice, Operation, OperationStatus, OrderedService, PaidRest, ScheduledPrice,
    Service, ServiceCommand, ServiceError, ServiceEvent,
};
use crate::money::Money;

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
            domain,
            agreement: _,
            trial,
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
                domain,
                price_change: None,
                trial,
                in_trial: false,
                debt_since: None,
            });
        } else if let ServiceEvent::ServiceImported {
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
            ..
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
                discount: None,
                anchor_day,
                paid_until: Some(paid_until),
                period_start: Some(period_start),
                operation: None,
                last_completed_operation: None,
                // A suspension brought over counts from the end of the paid time.
                suspension: suspended.map(|reason| (reason, paid_until)),
                close_at_period_end: false,
                price_change: None,
                trial: None,
                in_trial: false,
                debt_since: None,
                noticed: Vec::new(),
                paid_rest: None,
                first_period: false,
                tariff_changes: 0,
                closed_on: None,
                domain: None,
            });
        } else if let Some(service) = &mut self.ordered {
            service.apply(event);
        }
    }
}

impl OrderedService {
    /// Applies an event after `ServiceOrdered`; only assigns what the event carries.
    pub(super) fn apply(&mut self, event: ServiceEvent) {
        match event {
            // Handled by `Service::apply`, which creates the state.
            ServiceEvent::ServiceOrdered { .. } | ServiceEvent::ServiceImported { .. } => {}
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
                // The first paid period after a trial is the one a one-time promo code
                // discounts (ADR 29).
                self.first_period = self.in_trial;
                self.in_trial = false;
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
                // The new terms come from the tariff's price list, which has the new price.
                self.price_change = None;
            }
            ServiceEvent::PriceChangeScheduled {
                base_price,
                price_per_period,
                effective_on,
            } => {
                self.price_change = Some(ScheduledPrice {
                    base_price,
                    price_per_period,
                    effective_on,
                });
            }
            ServiceEvent::TrialStarted { until, .. } => {
                // The paid periods after the trial keep to the day it ends.
                self.anchor_day = until.day();
                self.trial = None;
                // The free period spends no one-time promo code: the first paid one takes it.
                self.in_trial = true;
                self.first_period = false;
            }
            ServiceEvent::PriceChanged { terms, .. } => {
                self.terms = terms;
                self.price_change = None;
            }
            ServiceEvent::AutoProlongSet { auto_prolong } => self.auto_prolong = auto_prolong,
            ServiceEvent::DomainContactsChanged { to, .. } => {
                if let Some(domain) = &mut self.domain {
                    domain.contacts = to;
                }
            }
            ServiceEvent::NoticeDue { notice } => match notice {
                Notice::ExpiresIn { days, paid_until } => self.noticed.push((paid_until, days)),
                // The overdue notice is remembered as zero days left of that paid time.
                Notice::Overdue { paid_until, .. } => self.noticed.push((paid_until, 0)),
                Notice::Suspended | Notice::Deleted | Notice::PriceChange { .. } => {}
            },
            ServiceEvent::ServiceTransferred {
                to_client,
                to_account,
                ..
            } => {
                self.client_id = to_client;
                self.account_id = to_account;
            }
            ServiceEvent::DebtFound { since } => self.debt_since = Some(since),
            ServiceEvent::DebtPaid { .. } => self.debt_since = None,
        }
    }
}
