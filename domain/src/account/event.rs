use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{ExpenseLine, PaymentMethod};
use crate::ids::{
    AccountId, AdjustmentId, ClientId, CorrectionId, ExpenseId, MergeId, PaymentId, ProviderId,
    RefundId,
};
use crate::import::ImportSource;
use crate::money::{Currency, Money};
use crate::rates::Conversion;
use crate::tax::TaxedAmount;

/// What has happened to a personal account. Stored forever: variants and fields are never
/// renamed.
///
/// Money events carry the resulting balance, so read models copy it rather than re-running the
/// rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AccountEvent {
    /// The account was opened, always just before its first money event.
    AccountOpened {
        /// `AccountId::of(client_id, provider_id, currency)`.
        account_id: AccountId,
        /// The owning client.
        client_id: ClientId,
        /// The provider the account is held at.
        provider_id: ProviderId,
        /// The account's currency.
        currency: Currency,
    },
    /// A payment was credited.
    PaymentPosted {
        /// The caller-chosen payment id.
        payment_id: PaymentId,
        /// The amount paid, greater than zero.
        amount: Money,
        /// How the payment was made.
        method: PaymentMethod,
        /// The balance after the payment.
        balance_after: Money,
        /// For a payment made in another currency: what was paid, the rate and its date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversion: Option<Conversion>,
    },
    /// The balance was corrected by a signed amount.
    BalanceAdjusted {
        /// The caller-chosen adjustment id.
        adjustment_id: AdjustmentId,
        /// The signed, non-zero correction.
        amount: Money,
        /// The trimmed reason.
        reason: String,
        /// The balance after the correction.
        balance_after: Money,
    },
    /// The account was charged for a service period.
    ExpenseCharged {
        /// The charge, with its description trimmed.
        expense: ExpenseLine,
        /// The balance after the charge.
        balance_after: Money,
    },
    /// Part of an earlier charge was given back (the unused days of a changed tariff).
    ExpenseCredited {
        /// The credit, with its description trimmed.
        expense: ExpenseLine,
        /// The balance after the credit.
        balance_after: Money,
        /// The charge this credit gave back part of, if it names one. Absent from credits stored
        /// before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        of_expense: Option<ExpenseId>,
    },
    /// The balance the client had in another billing system was brought over: the account's
    /// opening balance. No money moved here; the statement shows it as its first line.
    BalanceImported {
        /// The balance brought over, signed: negative when the client owed money.
        amount: Money,
        /// The balance after it (the account had nothing before).
        balance_after: Money,
        /// The system and id it came from.
        source: ImportSource,
    },
    /// The credit limit was changed.
    CreditLimitSet {
        /// The new limit, zero or more.
        limit: Money,
    },
    /// Unallocated money of a payment was paid back to the client.
    PaymentRefunded {
        /// The caller-chosen refund id.
        refund_id: RefundId,
        /// The payment refunded.
        payment_id: PaymentId,
        /// The amount paid back, greater than zero.
        amount: Money,
        /// The trimmed reason.
        reason: String,
        /// The balance after the refund.
        balance_after: Money,
    },
    /// What was left of a fraudulent payment was taken back.
    PaymentReversed {
        /// The payment reversed.
        payment_id: PaymentId,
        /// The amount taken back, greater than zero.
        amount: Money,
        /// The trimmed reason.
        reason: String,
        /// The balance after the reversal.
        balance_after: Money,
    },
    /// Staff gave back part or all of a charged expense.
    ExpenseCorrected {
        /// The caller-chosen correction id.
        correction_id: CorrectionId,
        /// The expense corrected.
        expense_id: ExpenseId,
        /// The amount given back, greater than zero.
        amount: Money,
        /// Whether this gave back all that was left of the expense (a void).
        voided: bool,
        /// The trimmed reason.
        reason: String,
        /// The balance after the correction.
        balance_after: Money,
        /// The tax in `amount`, at the rate the expense was charged with (`gross` is `amount`).
        /// Absent from corrections stored before charges carried tax.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tax: Option<TaxedAmount>,
    },
    /// The whole balance left for another account in a merge; the balance is now zero. The
    /// merge's own transfer (`forward` absent) moves the balance the account had, zero included
    /// (the account is merged from then on); each later one forwards what reached the merged
    /// account after it, in the same decision (ADR 6, addendum).
    BalanceTransferredOut {
        /// The merge.
        merge_id: MergeId,
        /// The account the balance went to.
        to_account: AccountId,
        /// The balance moved, signed: negative when a debt moved.
        amount: Money,
        /// The balance after it: zero.
        balance_after: Money,
        /// Which forward this is, counted from 1 per account: absent for the merge's own
        /// transfer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forward: Option<u32>,
    },
    /// A balance another account gave up in a merge arrived here.
    BalanceTransferredIn {
        /// The merge.
        merge_id: MergeId,
        /// The account the balance came from.
        from_account: AccountId,
        /// The balance received, signed: negative when a debt moved.
        amount: Money,
        /// The balance after it.
        balance_after: Money,
        /// The source account's forward this receives: absent for the merge's own transfer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forward: Option<u32>,
    },
    /// The client promised to pay: its services are not suspended for lack of money before
    /// `until`. No money moves.
    PaymentPromised {
        /// The day of the promise.
        promised_on: chrono::NaiveDate,
        /// The first day the promise no longer holds.
        until: chrono::NaiveDate,
    },
}

impl AccountEvent {
    /// The balance a money event leaves; `None` for an event that moves no money.
    pub fn balance_after(&self) -> Option<Money> {
        match self {
            Self::PaymentPosted { balance_after, .. }
            | Self::BalanceAdjusted { balance_after, .. }
            | Self::ExpenseCharged { balance_after, .. }
            | Self::ExpenseCredited { balance_after, .. }
            | Self::BalanceImported { balance_after, .. }
            | Self::PaymentRefunded { balance_after, .. }
            | Self::PaymentReversed { balance_after, .. }
            | Self::ExpenseCorrected { balance_after, .. }
            | Self::BalanceTransferredOut { balance_after, .. }
            | Self::BalanceTransferredIn { balance_after, .. } => Some(*balance_after),
            Self::AccountOpened { .. }
            | Self::CreditLimitSet { .. }
            | Self::PaymentPromised { .. } => None,
        }
    }
}

impl DomainEvent for AccountEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::AccountOpened { .. } => "AccountOpened".to_string(),
            Self::PaymentPosted { .. } => "PaymentPosted".to_string(),
            Self::BalanceAdjusted { .. } => "BalanceAdjusted".to_string(),
            Self::ExpenseCharged { .. } => "ExpenseCharged".to_string(),
            Self::ExpenseCredited { .. } => "ExpenseCredited".to_string(),
            Self::BalanceImported { .. } => "BalanceImported".to_string(),
            Self::CreditLimitSet { .. } => "CreditLimitSet".to_string(),
            Self::PaymentRefunded { .. } => "PaymentRefunded".to_string(),
            Self::PaymentReversed { .. } => "PaymentReversed".to_string(),
            Self::ExpenseCorrected { .. } => "ExpenseCorrected".to_string(),
            Self::BalanceTransferredOut { .. } => "BalanceTransferredOut".to_string(),
            Self::BalanceTransferredIn { .. } => "BalanceTransferredIn".to_string(),
            Self::PaymentPromised { .. } => "PaymentPromised".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
