use serde::{Deserialize, Serialize};

use super::{ExpenseLine, PaymentMethod};
use crate::ids::{AdjustmentId, ClientId, PaymentId, ProviderId};
use crate::money::Money;

/// What can be asked of a personal account.
///
/// Every command names the client and provider it is meant for, so that an account that does not
/// exist yet can open itself, and one that does can refuse a misrouted command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AccountCommand {
    /// Credits a payment received from the client.
    PostPayment {
        /// The client who paid.
        client_id: ClientId,
        /// The provider that received the payment.
        provider_id: ProviderId,
        /// The caller-chosen payment id; the event store makes it idempotent.
        payment_id: PaymentId,
        /// The amount paid; must be greater than zero and in the account's currency.
        amount: Money,
        /// How the payment was made.
        method: PaymentMethod,
    },
    /// Corrects the balance by a signed amount: positive credits the client, negative debits.
    AdjustBalance {
        /// The client whose account is corrected.
        client_id: ClientId,
        /// The provider the account is held at.
        provider_id: ProviderId,
        /// The caller-chosen adjustment id; the event store makes it idempotent.
        adjustment_id: AdjustmentId,
        /// The signed correction; must not be zero and must be in the account's currency.
        amount: Money,
        /// Why the balance is corrected; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Charges the account for a service period.
    ///
    /// Refused with `InsufficientFunds` when the balance would fall below minus the credit limit.
    ChargeExpense {
        /// The client charged.
        client_id: ClientId,
        /// The provider charging.
        provider_id: ProviderId,
        /// The charge; its amount must be greater than zero and in the account's currency.
        expense: ExpenseLine,
    },
    /// Changes a service's price mid-period in one step: gives back the unused part of the old
    /// price and charges the new price for the same days.
    ReplaceCharge {
        /// The client charged.
        client_id: ClientId,
        /// The provider charging.
        provider_id: ProviderId,
        /// The amount given back; zero or more. A zero line leaves no event.
        credit: ExpenseLine,
        /// The amount charged; zero or more. A zero line leaves no event.
        charge: ExpenseLine,
    },
    /// Sets how far the balance may go below zero.
    SetCreditLimit {
        /// The client whose account it is.
        client_id: ClientId,
        /// The provider granting the credit.
        provider_id: ProviderId,
        /// The new limit; zero or more, in the account's currency.
        limit: Money,
    },
}
