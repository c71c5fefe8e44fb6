//! The `cqrs_es::Aggregate` adapter of `Account` and the folding of its events into its state,
//! which only assigns what each event carries.

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

use super::{Account, AccountCommand, AccountError, AccountEvent, OpenAccount};
use crate::money::Money;

impl Aggregate for Account {
    const TYPE: &'static str = "Account";
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AccountCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AccountError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AccountEvent) {
        match event {
            AccountEvent::PaymentPromised { promised_on, until } => {
                if let Some(open) = &mut self.open {
                    open.promise = Some(super::promise::Promise { promised_on, until });
                }
            }
            AccountEvent::AccountOpened {
                account_id,
                client_id,
                provider_id,
                currency,
            } => {
                self.open = Some(OpenAccount {
                    account_id,
                    client_id,
                    provider_id,
                    currency,
                    balance: Money::zero(currency),
                    credit_limit: Money::zero(currency),
                    payment_returns: BTreeMap::new(),
                    expense_returns: BTreeMap::new(),
                    expense_tax_returns: BTreeMap::new(),
                    transfers_out: BTreeMap::new(),
                    transfers_in: BTreeSet::new(),
                    merged_into: None,
                    forwarded: 0,
                    forwards_in: BTreeSet::new(),
                    imported: false,
                    promise: None,
                });
            }
            AccountEvent::ExpenseCredited {
                expense,
                balance_after,
                of_expense,
            } => {
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                    if let Some(of) = of_expense {
                        add_returned(&mut open.expense_returns, of, expense.amount);
                        add_returned(&mut open.expense_tax_returns, of, expense.taxed().tax);
                    }
                }
            }
            AccountEvent::PaymentPosted { balance_after, .. }
            | AccountEvent::BalanceAdjusted { balance_after, .. }
            | AccountEvent::ExpenseCharged { balance_after, .. } => {
                // The event carries its result, so applying it is an assignment, never a sum.
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                }
            }
            AccountEvent::BalanceImported { balance_after, .. } => {
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                    open.imported = true;
                }
            }
            AccountEvent::BalanceTransferredOut {
                merge_id,
                to_account,
                amount,
                balance_after,
                forward,
            } => {
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                    match forward {
                        None => {
                            open.transfers_out.insert(merge_id, amount);
                            open.merged_into.get_or_insert((merge_id, to_account));
                        }
                        Some(n) => open.forwarded = open.forwarded.max(n),
                    }
                }
            }
            AccountEvent::BalanceTransferredIn {
                merge_id,
                from_account,
                balance_after,
                forward,
                ..
            } => {
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                    match forward {
                        None => open.transfers_in.insert((merge_id, from_account)),
                        Some(n) => open.forwards_in.insert((merge_id, from_account, n)),
                    };
                }
            }
            AccountEvent::CreditLimitSet { limit } => {
                if let Some(open) = &mut self.open {
                    open.credit_limit = limit;
                }
            }
            AccountEvent::PaymentRefunded {
                payment_id,
                amount,
                balance_after,
                ..
            }
            | AccountEvent::PaymentReversed {
                payment_id,
                amount,
                balance_after,
                ..
            } => {
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                    add_returned(&mut open.payment_returns, payment_id, amount);
                }
            }
            AccountEvent::ExpenseCorrected {
                expense_id,
                amount,
                balance_after,
                tax,
                ..
            } => {
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                    add_returned(&mut open.expense_returns, expense_id, amount);
                    // A correction stored before corrections carried tax gave back part of a
                    // charge that carried none.
                    let tax = tax.map_or_else(|| Money::zero(amount.currency()), |tax| tax.tax);
                    add_returned(&mut open.expense_tax_returns, expense_id, tax);
                }
            }
        }
    }
}

/// Adds `amount` to what has been given back of `key`. The amounts were checked against their
/// bound when decided, so the sum stays in range; if it ever did not, the entry keeps its old
/// value rather than panicking in `apply`.
fn add_returned<K: Ord>(returns: &mut BTreeMap<K, Money>, key: K, amount: Money) {
    let total = match returns.get(&key) {
        Some(previous) => previous.checked_add(amount).unwrap_or(*previous),
        None => amount,
    };
    returns.insert(key, total);
}
