//! The promised payment (BILLmanager's "promised payment"): a client short of money promises to
//! pay, and its services keep running for [`PROMISED_PAYMENT_DAYS`] days; once per
//! [`PROMISE_INTERVAL_DAYS`] days.
//!
//! The account holds the rule of when a promise may be made and until when it holds; the
//! `Service` holds what it means (its billing day does not suspend it for lack of money while
//! the account's promise holds, `RunBillingDay { promised_until }`).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Account, AccountError, AccountEvent};
use crate::ids::{ClientId, ProviderId};
use crate::money::{Currency, Money};

/// Days a promised payment keeps the services running: a working week, BILLmanager's common
/// setting, long enough for a bank transfer to arrive.
pub const PROMISED_PAYMENT_DAYS: u32 = 7;

/// Days from one promise to the next one a client may make: once per (monthly) period, so that a
/// promise is a bridge to a payment and never a way of not paying.
pub const PROMISE_INTERVAL_DAYS: u32 = 30;

/// The last promise of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Promise {
    /// The day it was made.
    pub(super) promised_on: NaiveDate,
    /// The first day it no longer holds.
    pub(super) until: NaiveDate,
}

impl Account {
    /// The first day the account's promise no longer holds, if a promise holds on `on`.
    pub fn promised_until(&self, on: NaiveDate) -> Option<NaiveDate> {
        self.open
            .as_ref()
            .and_then(|open| open.promise)
            .map(|promise| promise.until)
            .filter(|until| on < *until)
    }

    /// The last promise made, as (the day it was made, the first day it no longer holds).
    pub fn last_promise(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.open
            .as_ref()
            .and_then(|open| open.promise)
            .map(|promise| (promise.promised_on, promise.until))
    }

    /// Decides [`super::AccountCommand::PromisePayment`]: a promise made on `on` holds until
    /// [`PROMISED_PAYMENT_DAYS`] later. It moves no money and stops no charge the balance covers:
    /// it only holds off the suspension of what the balance could not pay. Refused within
    /// [`PROMISE_INTERVAL_DAYS`] of the last promise (`PromiseTooSoon`, naming the first day a
    /// new one may be made). The same promise asked again on its day records nothing.
    pub(super) fn promise_payment(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        currency: Currency,
        on: NaiveDate,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (events, _balance) = self.open_for(client_id, provider_id, Money::zero(currency))?;
        let last = self.open.as_ref().and_then(|open| open.promise);
        if let Some(last) = last {
            if last.promised_on == on {
                return Ok(vec![]);
            }
            let next_on = last
                .promised_on
                .checked_add_days(Days::new(u64::from(PROMISE_INTERVAL_DAYS)))
                .unwrap_or(NaiveDate::MAX);
            if on < next_on {
                return Err(AccountError::PromiseTooSoon { next_on });
            }
        }
        let until = on
            .checked_add_days(Days::new(u64::from(PROMISED_PAYMENT_DAYS)))
            .ok_or(AccountError::Money(crate::money::MoneyError::Overflow))?;
        let mut events = events;
        events.push(AccountEvent::PaymentPromised {
            promised_on: on,
            until,
        });
        Ok(events)
    }
}
