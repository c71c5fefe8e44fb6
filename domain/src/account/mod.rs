//! The account aggregate: the personal account of a client at a provider in one currency.
//!
//! Its id is derived from what it belongs to ([`AccountId::of`]), so callers address it without a
//! lookup, and it opens itself on the first money command instead of needing an explicit
//! "open" step that every caller would have to remember.
//!
//! Duplicate payment and adjustment ids are deliberately not detected here: remembering every id
//! would grow the state without bound. The event store rejects a repeated command key instead.

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, ClientId, ProviderId};
use crate::money::{Currency, Money};
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The longest adjustment reason, in characters.
pub const ADJUSTMENT_REASON_CHARS_MAX: usize = 500;

/// The state of one personal account, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `None` until `AccountOpened`. Keeping everything that exists only once the account is open
    /// in one struct makes "open but without a currency" unrepresentable.
    open: Option<OpenAccount>,
}

/// The state of an account that has been opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OpenAccount {
    account_id: AccountId,
    client_id: ClientId,
    provider_id: ProviderId,
    currency: Currency,
    balance: Money,
    /// How far the balance may go below zero; zero until a credit limit is set.
    credit_limit: Money,
}

impl Account {
    /// Whether `AccountOpened` has happened.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The account's id, once open.
    pub fn account_id(&self) -> Option<AccountId> {
        self.open.as_ref().map(|open| open.account_id)
    }

    /// The current balance, once open; negative means the client owes money.
    pub fn balance(&self) -> Option<Money> {
        self.open.as_ref().map(|open| open.balance)
    }

    /// The credit limit, once open; zero unless one has been set.
    pub fn credit_limit(&self) -> Option<Money> {
        self.open.as_ref().map(|open| open.credit_limit)
    }

    /// The owning client, once open.
    pub fn client_id(&self) -> Option<ClientId> {
        self.open.as_ref().map(|open| open.client_id)
    }

    /// The provider the account is held at, once open.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.open.as_ref().map(|open| open.provider_id)
    }

    /// The account's currency, once open.
    pub fn currency(&self) -> Option<Currency> {
        self.open.as_ref().map(|open| open.currency)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        match command {
            AccountCommand::PostPayment {
                client_id,
                provider_id,
                payment_id,
                amount,
                method,
            } => {
                let (mut events, balance) = self.open_for(client_id, provider_id, amount)?;
                if !amount.is_positive() {
                    return Err(AccountError::AmountNotPositive);
                }
                let balance_after = balance.checked_add(amount)?;
                events.push(AccountEvent::PaymentPosted {
                    payment_id,
                    amount,
                    method,
                    balance_after,
                });
                Ok(events)
            }
            AccountCommand::AdjustBalance {
                client_id,
                provider_id,
                adjustment_id,
                amount,
                reason,
            } => {
                let (mut events, balance) = self.open_for(client_id, provider_id, amount)?;
                if amount.is_zero() {
                    return Err(AccountError::ZeroAdjustment);
                }
                let reason = text::trimmed_within(&reason, ADJUSTMENT_REASON_CHARS_MAX)
                    .ok_or(AccountError::InvalidReason)?;
                let balance_after = balance.checked_add(amount)?;
                events.push(AccountEvent::BalanceAdjusted {
                    adjustment_id,
                    amount,
                    reason: reason.to_string(),
                    balance_after,
                });
                Ok(events)
            }
        }
    }

    /// Checks that a money command addressed to `client_id` at `provider_id` in `amount`'s
    /// currency belongs to this account. Returns the events that must come first (opening the
    /// account if it is new) and the balance the command starts from.
    fn open_for(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        amount: Money,
    ) -> Result<(Vec<AccountEvent>, Money), AccountError> {
        let currency = amount.currency();
        let Some(open) = &self.open else {
            let opened = AccountEvent::AccountOpened {
                account_id: AccountId::of(client_id, provider_id, currency),
                client_id,
                provider_id,
                currency,
            };
            return Ok((vec![opened], Money::zero(currency)));
        };
        if open.client_id != client_id || open.provider_id != provider_id {
            return Err(AccountError::WrongAccount);
        }
        if open.currency != currency {
            return Err(AccountError::CurrencyMismatch {
                expected: open.currency,
                found: currency,
            });
        }
        Ok((vec![], open.balance))
    }
}

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
                });
            }
            AccountEvent::PaymentPosted { balance_after, .. }
            | AccountEvent::BalanceAdjusted { balance_after, .. } => {
                // The event carries its result, so applying it is an assignment, never a sum.
                if let Some(open) = &mut self.open {
                    open.balance = balance_after;
                }
            }
        }
    }
}
