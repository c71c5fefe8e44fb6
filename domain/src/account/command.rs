use serde::{Deserialize, Serialize};

use super::{CreditedCharge, ExpenseLine, PaymentMethod};
use crate::ids::{
    AccountId, AdjustmentId, ClientId, CorrectionId, ExpenseId, MergeId, PaymentId, ProviderId,
    RefundId,
};
use crate::import::ImportSource;
use crate::money::Money;
use crate::rates::Conversion;
use crate::tax::{TaxRate, TaxTreatment};

/// What can be asked of a personal account.
///
/// Every command names the client and provider it is meant for, so that an account that does not
/// exist yet can open itself, and one that does can refuse a misrouted command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    clippy::large_enum_variant,
    reason = "a command is built and moved once; boxing the replaced charge's lines would only add noise"
)]
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
        /// How a payment in another currency was converted into `amount`: `to` must be
        /// `amount` and what `rate` makes of `from`. `None` for a payment in the account's
        /// currency.
        conversion: Option<Conversion>,
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
        /// The charge; its amount (the price, net or gross as `treatment` says) must not be
        /// negative (zero is a free period) and in the account's currency. Its `tax` is ignored: the account taxes it.
        expense: ExpenseLine,
        /// How the client is taxed, from the company's rules (`TaxRules::treatment_for`): with
        /// tax added, the account is charged the price plus the tax.
        treatment: TaxTreatment,
    },
    /// Charges the account for what a service has already used: the hours a VDS ran
    /// (hourly billing, ADR 37). The hours were used, so the charge is recorded even when it
    /// takes the balance below minus the credit limit; the debt is what then suspends the
    /// account's hourly services (`ServiceCommand::RunBillingDay { in_debt }`). Otherwise as
    /// `ChargeExpense`: zero or more, in the account's currency, taxed by the account.
    ChargeUsed {
        /// The client charged.
        client_id: ClientId,
        /// The provider charging.
        provider_id: ProviderId,
        /// The charge.
        expense: ExpenseLine,
        /// How the client is taxed.
        treatment: TaxTreatment,
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
        /// How the client is taxed today: the charge is taxed so (see `ChargeExpense`), and the
        /// credit too when it names no credited charge.
        treatment: TaxTreatment,
        /// The charge the credit gives back part of; the credit may not exceed what is left of
        /// it, and it is taxed as that charge was. `None` gives back without that check (kept for
        /// callers that predate it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credited_charge: Option<CreditedCharge>,
    },
    /// Brings over the balance and credit limit a client had in another billing system: the
    /// account's opening balance. An account takes one imported balance, while its balance is
    /// still zero (nothing of its own); importing it again records nothing.
    ImportBalance {
        /// The client whose account it is.
        client_id: ClientId,
        /// The provider the account is held at.
        provider_id: ProviderId,
        /// The balance the other system showed, signed: negative when the client owed money.
        balance: Money,
        /// The credit limit it had there; zero or more, in the balance's currency.
        credit_limit: Money,
        /// The system and id it came from.
        source: ImportSource,
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
    /// Pays back part of a payment's money that is still unallocated: it was credited, is not
    /// refunded yet and is still on the balance (not spent on services).
    RefundPayment {
        /// The client refunded.
        client_id: ClientId,
        /// The provider paying back.
        provider_id: ProviderId,
        /// The caller-chosen refund id; the event store makes it idempotent.
        refund_id: RefundId,
        /// The payment refunded.
        payment_id: PaymentId,
        /// What the payment credited to this account, as the payment recorded it: an immutable
        /// fact, the upper bound of everything refunded or reversed of it.
        credited: Money,
        /// The amount paid back; greater than zero, in the account's currency.
        amount: Money,
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Takes back what is left of a payment found to be fraud: what it credited minus what was
    /// already refunded or reversed. The balance may go below zero and the credit limit.
    ReversePayment {
        /// The client whose payment it was.
        client_id: ClientId,
        /// The provider.
        provider_id: ProviderId,
        /// The payment reversed.
        payment_id: PaymentId,
        /// What the payment credited to this account, as the payment recorded it.
        credited: Money,
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Staff give back part or all of a charged expense (an adjustment or a void).
    CorrectExpense {
        /// The client charged.
        client_id: ClientId,
        /// The provider charging.
        provider_id: ProviderId,
        /// The caller-chosen correction id; the event store makes it idempotent.
        correction_id: CorrectionId,
        /// The expense corrected.
        expense_id: ExpenseId,
        /// What the expense charged, as it was recorded: an immutable fact, the upper bound of
        /// everything given back of it. A credit's line records what it gave back below zero,
        /// and is refused (`NotACharge`).
        charged: Money,
        /// What to give back; `None` voids the expense: gives back all that is left of it.
        give_back: Option<Money>,
        /// The rate of tax the expense was charged with (zero when it carried none), as it was
        /// recorded: what is given back contains tax at this rate.
        charged_tax_rate: TaxRate,
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Moves the whole balance (a positive balance, a debt, or zero) out of this account to
    /// another account of a merge, which marks the account merged: whatever reaches it later
    /// is forwarded there. An account never opened is opened to be marked. A merge that already
    /// moved this account's balance records nothing.
    TransferBalanceOut {
        /// The client whose account it is.
        client_id: ClientId,
        /// The provider.
        provider_id: ProviderId,
        /// The account's currency (the provider's), which opens the account if it is new.
        currency: crate::money::Currency,
        /// The merge moving the money.
        merge_id: MergeId,
        /// The account the balance goes to.
        to_account: AccountId,
    },
    /// Receives a balance another account of a merge gave up: a positive amount raises the
    /// balance, a negative one (a debt) lowers it, whatever the credit limit. The same merge,
    /// source account and forward records nothing the second time.
    TransferBalanceIn {
        /// The client whose account it is.
        client_id: ClientId,
        /// The provider.
        provider_id: ProviderId,
        /// The merge moving the money.
        merge_id: MergeId,
        /// The account the balance comes from.
        from_account: AccountId,
        /// What the source account gave up: its balance, signed, not zero.
        amount: Money,
        /// The source account's forward it receives (`BalanceTransferredOut::forward`): absent
        /// for the merge's own transfer.
        forward: Option<u32>,
    },
    /// Promises to pay: the client's services keep running unpaid for
    /// [`super::PROMISED_PAYMENT_DAYS`] days from `on`, once per
    /// [`super::PROMISE_INTERVAL_DAYS`] days.
    PromisePayment {
        /// The client whose account it is.
        client_id: ClientId,
        /// The provider.
        provider_id: ProviderId,
        /// The account's currency (the client's), which opens the account if it is new.
        currency: crate::money::Currency,
        /// The day of the promise, by the provider's clock.
        on: chrono::NaiveDate,
    },
}
