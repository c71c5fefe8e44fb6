//! The account aggregate: the personal account of a client at a provider in one currency.
//!
//! Its id is derived from what it belongs to ([`AccountId::of`]), so callers address it without a
//! lookup, and it opens itself on the first money command instead of needing an explicit
//! "open" step that every caller would have to remember.
//!
//! Charges are refused when they would take the balance below minus the credit limit; a new
//! account has no credit, so a service can be charged before any payment only against a limit
//! set with `SetCreditLimit`. The one exception is what was already used (`ChargeUsed`, the hours
//! of a VDS billed by the hour, ADR 37): it is owed, so it is recorded even into debt.
//!
//! Duplicate payment, adjustment and expense ids are deliberately not detected here: remembering every id
//! would grow the state without bound. The event store rejects a repeated command key instead.

mod command;
mod error;
mod event;
mod fold;
mod lines;
mod merging;
mod promise;
mod value;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, BTreeSet};

use lines::{Cover, described, money_error, taxed};

use crate::ids::{
    AccountId, AdjustmentId, ClientId, CorrectionId, ExpenseId, MergeId, PaymentId, ProviderId,
    RefundId,
};
use crate::import::ImportSource;
use crate::money::{Currency, Money};
use crate::rates::Conversion;
use crate::tax::{self, TaxRate, TaxTreatment, TaxedAmount};
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use promise::{PROMISE_INTERVAL_DAYS, PROMISED_PAYMENT_DAYS};
pub use value::*;

/// The longest adjustment reason, in characters.
pub const ADJUSTMENT_REASON_CHARS_MAX: usize = 500;

/// The longest expense description, in characters.
pub const EXPENSE_DESCRIPTION_CHARS_MAX: usize = 500;

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
    /// What has been given back so far of each payment that had a refund or a reversal, and
    /// only of those, so the state grows with corrections, not with payments.
    #[serde(default)]
    payment_returns: BTreeMap<PaymentId, Money>,
    /// What has been given back so far of each expense that was corrected, and only of those.
    #[serde(default)]
    expense_returns: BTreeMap<ExpenseId, Money>,
    /// The tax in what has been given back so far of each of those expenses, so that the last
    /// part gives back exactly the tax the charge has left. Absent from states saved before it
    /// was kept (then the last part is taxed on its own, as every part was).
    #[serde(default)]
    expense_tax_returns: BTreeMap<ExpenseId, Money>,
    /// The merges that moved this account's balance out, with what they moved (merges are
    /// rare, so this stays small).
    #[serde(default)]
    transfers_out: BTreeMap<MergeId, Money>,
    /// The (merge, source account) pairs whose balance arrived here.
    #[serde(default)]
    transfers_in: BTreeSet<(MergeId, AccountId)>,
    /// The merge that moved this account's balance out first, and the account it went to:
    /// whatever reaches a merged account is forwarded there.
    #[serde(default)]
    merged_into: Option<(MergeId, AccountId)>,
    /// How many amounts this account has forwarded since its merge.
    #[serde(default)]
    forwarded: u32,
    /// The (merge, source account, forward) triples received here.
    #[serde(default)]
    forwards_in: BTreeSet<(MergeId, AccountId, u32)>,
    /// Whether the account's opening balance was imported from another billing system.
    #[serde(default)]
    imported: bool,
    /// The last promised payment, if the client ever made one.
    #[serde(default)]
    promise: Option<promise::Promise>,
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

    /// Applies the business rules to `command` and returns the events it causes: those of the
    /// command, then, on a merged account, the forward of what they left on it.
    pub fn decide(&self, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        let events = self.decide_command(command)?;
        Ok(self.forwarding(events))
    }

    /// The events of `command` alone.
    fn decide_command(&self, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        match command {
            AccountCommand::PostPayment {
                client_id,
                provider_id,
                payment_id,
                amount,
                method,
                conversion,
            } => self.post_payment(
                client_id,
                provider_id,
                payment_id,
                amount,
                method,
                conversion,
            ),
            AccountCommand::AdjustBalance {
                client_id,
                provider_id,
                adjustment_id,
                amount,
                reason,
            } => self.adjust_balance(client_id, provider_id, adjustment_id, amount, reason),
            AccountCommand::ChargeExpense {
                client_id,
                provider_id,
                expense,
                treatment,
            } => self.charge_expense(client_id, provider_id, expense, treatment, Cover::Needed),
            AccountCommand::ChargeUsed {
                client_id,
                provider_id,
                expense,
                treatment,
            } => self.charge_expense(client_id, provider_id, expense, treatment, Cover::Used),
            AccountCommand::ReplaceCharge {
                client_id,
                provider_id,
                credit,
                charge,
                treatment,
                credited_charge,
            } => self.replace_charge(
                client_id,
                provider_id,
                credit,
                charge,
                treatment,
                credited_charge,
            ),
            AccountCommand::ImportBalance {
                client_id,
                provider_id,
                balance,
                credit_limit,
                source,
            } => self.import_balance(client_id, provider_id, balance, credit_limit, source),
            AccountCommand::PromisePayment {
                client_id,
                provider_id,
                currency,
                on,
            } => self.promise_payment(client_id, provider_id, currency, on),
            AccountCommand::SetCreditLimit {
                client_id,
                provider_id,
                limit,
            } => self.set_credit_limit(client_id, provider_id, limit),
            AccountCommand::RefundPayment {
                client_id,
                provider_id,
                refund_id,
                payment_id,
                credited,
                amount,
                reason,
            } => self.refund_payment(
                client_id,
                provider_id,
                refund_id,
                payment_id,
                credited,
                amount,
                reason,
            ),
            AccountCommand::ReversePayment {
                client_id,
                provider_id,
                payment_id,
                credited,
                reason,
            } => self.reverse_payment(client_id, provider_id, payment_id, credited, reason),
            AccountCommand::CorrectExpense {
                client_id,
                provider_id,
                correction_id,
                expense_id,
                charged,
                give_back,
                charged_tax_rate,
                reason,
            } => self.correct_expense(
                client_id,
                provider_id,
                correction_id,
                expense_id,
                charged,
                give_back,
                charged_tax_rate,
                reason,
            ),
            AccountCommand::TransferBalanceOut {
                client_id,
                provider_id,
                currency,
                merge_id,
                to_account,
            } => self.transfer_balance_out(
                client_id,
                provider_id,
                Money::zero(currency),
                merge_id,
                to_account,
            ),
            AccountCommand::TransferBalanceIn {
                client_id,
                provider_id,
                merge_id,
                from_account,
                amount,
                forward,
            } => self.transfer_balance_in(
                client_id,
                provider_id,
                merge_id,
                (from_account, forward),
                amount,
            ),
        }
    }

    /// Decides [`AccountCommand::PostPayment`].
    fn post_payment(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        payment_id: PaymentId,
        amount: Money,
        method: PaymentMethod,
        conversion: Option<Conversion>,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (mut events, balance) = self.open_for(client_id, provider_id, amount)?;
        if !amount.is_positive() {
            return Err(AccountError::AmountNotPositive);
        }
        // The conversion comes with the command: it must end in the amount credited,
        // at its own rate, or a caller could credit more than the payment is worth.
        if conversion
            .is_some_and(|conversion| conversion.to != amount || !conversion.is_at_its_rate())
        {
            return Err(AccountError::ConversionMismatch);
        }
        let balance_after = balance.checked_add(amount)?;
        events.push(AccountEvent::PaymentPosted {
            payment_id,
            amount,
            method,
            balance_after,
            conversion,
        });
        Ok(events)
    }

    /// Decides [`AccountCommand::AdjustBalance`].
    fn adjust_balance(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        adjustment_id: AdjustmentId,
        amount: Money,
        reason: String,
    ) -> Result<Vec<AccountEvent>, AccountError> {
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

    /// Decides [`AccountCommand::ChargeExpense`] and, with `Cover::Used`,
    /// [`AccountCommand::ChargeUsed`].
    fn charge_expense(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        expense: ExpenseLine,
        treatment: TaxTreatment,
        cover: Cover,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (mut events, balance) = self.open_for(client_id, provider_id, expense.amount)?;
        // A free tariff, a trial or a promo code taking the whole price: a zero charge is still
        // recorded (the period paid, any discount shown) and needs no money.
        let free = expense.amount.is_zero();
        if expense.amount.is_negative() {
            return Err(AccountError::AmountNotPositive);
        }
        let expense = taxed(described(expense)?, &treatment)?;
        let balance_after = balance.checked_sub(expense.amount)?;
        if !free && cover == Cover::Needed {
            self.ensure_covered(balance, balance_after, expense.amount)?;
        }
        events.push(AccountEvent::ExpenseCharged {
            expense,
            balance_after,
        });
        Ok(events)
    }

    /// Decides [`AccountCommand::ReplaceCharge`].
    fn replace_charge(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        credit: ExpenseLine,
        charge: ExpenseLine,
        treatment: TaxTreatment,
        credited_charge: Option<CreditedCharge>,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (opening, balance) = self.open_for(client_id, provider_id, credit.amount)?;
        if charge.amount.currency() != credit.amount.currency() {
            return Err(AccountError::CurrencyMismatch {
                expected: credit.amount.currency(),
                found: charge.amount.currency(),
            });
        }
        if credit.amount.is_negative() || charge.amount.is_negative() {
            return Err(AccountError::AmountNotPositive);
        }
        // The credit gives back part of a charge under the treatment that charge was taxed
        // with; the new charge is taxed as the client is taxed today.
        let credit_treatment = credited_charge.map_or(treatment, |of| of.treatment);
        if let Some(of) = credited_charge
            && credit.amount.is_positive()
        {
            let returned =
                self.returned_of_expense_priced(of.expense_id, of.charged, &of.treatment)?;
            let remaining = of.charged.checked_sub(returned)?;
            if credit.amount.amount() > remaining.amount() {
                return Err(AccountError::CreditExceedsCharge {
                    requested: credit.amount,
                    remaining,
                });
            }
        }
        let credit = taxed(described(credit)?, &credit_treatment)?;
        let charge = taxed(described(charge)?, &treatment)?;
        let balance_credited = balance.checked_add(credit.amount)?;
        let balance_after = balance_credited.checked_sub(charge.amount)?;
        // Only a net charge can be refused: giving back more than is charged lowers the
        // debt, even of an account that is already beyond its limit.
        let needed = charge.amount.checked_sub(credit.amount)?;
        if needed.is_positive() {
            self.ensure_covered(balance, balance_after, needed)?;
        }
        let mut lines = Vec::new();
        if !credit.amount.is_zero() {
            lines.push(AccountEvent::ExpenseCredited {
                expense: credit,
                balance_after: balance_credited,
                of_expense: credited_charge.map(|of| of.expense_id),
            });
        }
        if !charge.amount.is_zero() {
            lines.push(AccountEvent::ExpenseCharged {
                expense: charge,
                balance_after,
            });
        }
        if lines.is_empty() {
            // Nothing moves, so nothing is recorded, not even the account's opening.
            return Ok(lines);
        }
        Ok(opening.into_iter().chain(lines).collect())
    }

    /// Decides [`AccountCommand::SetCreditLimit`].
    fn set_credit_limit(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        limit: Money,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (mut events, _) = self.open_for(client_id, provider_id, limit)?;
        if limit.is_negative() {
            return Err(AccountError::NegativeCreditLimit);
        }
        if self.credit_limit_in(limit.currency()) == limit {
            return Ok(vec![]);
        }
        events.push(AccountEvent::CreditLimitSet { limit });
        Ok(events)
    }

    /// Decides [`AccountCommand::ImportBalance`]; a repeat records nothing (see the command).
    fn import_balance(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        balance: Money,
        credit_limit: Money,
        source: ImportSource,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        if self.open.as_ref().is_some_and(|open| open.imported) {
            return Ok(vec![]);
        }
        let (mut events, before) = self.open_for(client_id, provider_id, balance)?;
        if !before.is_zero() {
            return Err(AccountError::AlreadyMoved);
        }
        if credit_limit.currency() != balance.currency() {
            return Err(AccountError::CurrencyMismatch {
                expected: balance.currency(),
                found: credit_limit.currency(),
            });
        }
        if credit_limit.is_negative() {
            return Err(AccountError::NegativeCreditLimit);
        }
        events.push(AccountEvent::BalanceImported {
            amount: balance,
            balance_after: balance,
            source,
        });
        if self.credit_limit_in(credit_limit.currency()) != credit_limit {
            events.push(AccountEvent::CreditLimitSet {
                limit: credit_limit,
            });
        }
        Ok(events)
    }

    /// Decides [`AccountCommand::RefundPayment`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn refund_payment(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        refund_id: RefundId,
        payment_id: PaymentId,
        credited: Money,
        amount: Money,
        reason: String,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let balance = self.open_balance_for(client_id, provider_id, amount)?;
        if !amount.is_positive() {
            return Err(AccountError::AmountNotPositive);
        }
        let reason = reason_within(&reason)?;
        let refundable = credited.checked_sub(self.returned_of_payment(payment_id, credited))?;
        if amount.amount() > refundable.amount() {
            return Err(AccountError::RefundExceedsPayment {
                requested: amount,
                refundable,
            });
        }
        if amount.amount() > balance.amount() {
            let unallocated = if balance.is_positive() {
                balance
            } else {
                Money::zero(balance.currency())
            };
            return Err(AccountError::RefundExceedsUnallocated {
                requested: amount,
                unallocated,
            });
        }
        Ok(vec![AccountEvent::PaymentRefunded {
            refund_id,
            payment_id,
            amount,
            reason,
            balance_after: balance.checked_sub(amount)?,
        }])
    }

    /// Decides [`AccountCommand::ReversePayment`].
    fn reverse_payment(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        payment_id: PaymentId,
        credited: Money,
        reason: String,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let balance = self.open_balance_for(client_id, provider_id, credited)?;
        let reason = reason_within(&reason)?;
        let left = credited.checked_sub(self.returned_of_payment(payment_id, credited))?;
        if !left.is_positive() {
            // Already taken back in full: a repeated reversal changes nothing.
            return Ok(vec![]);
        }
        Ok(vec![AccountEvent::PaymentReversed {
            payment_id,
            amount: left,
            reason,
            balance_after: balance.checked_sub(left)?,
        }])
    }

    /// Decides [`AccountCommand::CorrectExpense`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn correct_expense(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        correction_id: CorrectionId,
        expense_id: ExpenseId,
        charged: Money,
        give_back: Option<Money>,
        charged_tax_rate: TaxRate,
        reason: String,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let balance = self.open_balance_for(client_id, provider_id, charged)?;
        if charged.is_negative() {
            return Err(AccountError::NotACharge);
        }
        let reason = reason_within(&reason)?;
        let returned = self.returned_of_expense(expense_id, charged);
        let remaining = charged.checked_sub(returned)?;
        if !remaining.is_positive() {
            return Err(AccountError::NothingLeft);
        }
        let amount = give_back.unwrap_or(remaining);
        if amount.currency() != charged.currency() {
            return Err(AccountError::CurrencyMismatch {
                expected: charged.currency(),
                found: amount.currency(),
            });
        }
        if !amount.is_positive() {
            return Err(AccountError::AmountNotPositive);
        }
        if amount.amount() > remaining.amount() {
            return Err(AccountError::CorrectionExceedsExpense {
                requested: amount,
                remaining,
            });
        }
        // What is given back holds the expense's tax at its rate; a whole charge given
        // back gives back exactly the tax it charged (see `tax::tax_included`), and so does
        // the last of a charge given back in parts: the tax the charge has left, not the tax of
        // that part rounded on its own (which drifts by a cent).
        let own = tax::tax_included(amount, charged_tax_rate).map_err(money_error)?;
        let tax = if amount == remaining {
            self.last_part_of(expense_id, charged, charged_tax_rate, amount)?
                .unwrap_or(own)
        } else {
            own
        };
        Ok(vec![AccountEvent::ExpenseCorrected {
            correction_id,
            expense_id,
            amount,
            voided: amount == remaining,
            reason,
            balance_after: balance.checked_add(amount)?,
            tax: Some(tax),
        }])
    }

    /// The tax of `amount`, the last of the charge `expense` (`charged` at `rate`): what the
    /// whole charge holds less what its earlier parts gave back. `None` when the account does not
    /// know what they gave back (parts recorded before it was kept) or the split would not hold.
    fn last_part_of(
        &self,
        expense: ExpenseId,
        charged: Money,
        rate: TaxRate,
        amount: Money,
    ) -> Result<Option<TaxedAmount>, AccountError> {
        let Some(open) = self.open.as_ref() else {
            return Ok(None);
        };
        let returned_tax = match open.expense_tax_returns.get(&expense) {
            Some(returned) => *returned,
            None if !open.expense_returns.contains_key(&expense) => Money::zero(charged.currency()),
            None => return Ok(None),
        };
        let whole = tax::tax_included(charged, rate).map_err(money_error)?;
        let tax = whole.tax.checked_sub(returned_tax)?;
        if tax.is_negative() || tax.amount() > amount.amount() {
            return Ok(None);
        }
        Ok(Some(TaxedAmount {
            rate,
            net: amount.checked_sub(tax)?,
            tax,
            gross: amount,
        }))
    }

    /// What has been given back so far of the charge `expense` (by corrections and by credits
    /// that name it), in `charged`'s currency: zero when nothing was.
    pub fn returned_of_expense(&self, expense: ExpenseId, charged: Money) -> Money {
        self.open
            .as_ref()
            .and_then(|open| open.expense_returns.get(&expense).copied())
            .unwrap_or_else(|| Money::zero(charged.currency()))
    }

    /// What has been given back so far of the charge `expense`, in the prices `treatment`
    /// taxes (without the tax it adds; prices that include their tax keep it): the unit of a
    /// service's prices, which a tariff change's credit is weighed in (`tax::untaxed`).
    pub fn returned_of_expense_priced(
        &self,
        expense: ExpenseId,
        charged: Money,
        treatment: &TaxTreatment,
    ) -> Result<Money, AccountError> {
        tax::untaxed(self.returned_of_expense(expense, charged), treatment).map_err(money_error)
    }

    /// What has been refunded or reversed so far of `payment`, in `credited`'s currency.
    fn returned_of_payment(&self, payment: PaymentId, credited: Money) -> Money {
        self.open
            .as_ref()
            .and_then(|open| open.payment_returns.get(&payment).copied())
            .unwrap_or_else(|| Money::zero(credited.currency()))
    }

    /// The balance of an account that must already be open (money can only go back from an
    /// account it came into), checking that the command is addressed to it in its currency.
    fn open_balance_for(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        amount: Money,
    ) -> Result<Money, AccountError> {
        if self.open.is_none() {
            return Err(AccountError::NothingLeft);
        }
        let (_, balance) = self.open_for(client_id, provider_id, amount)?;
        Ok(balance)
    }

    /// What the account can still be charged: the balance plus the credit limit, once open.
    ///
    /// `None` also when the sum leaves the representable range, which takes a balance and a
    /// limit near 10^15 each.
    pub fn available(&self) -> Option<Money> {
        let open = self.open.as_ref()?;
        open.balance.checked_add(open.credit_limit).ok()
    }

    /// Whether the account is in debt: its balance below minus its credit limit (nothing
    /// available), which only a charge for what was already used can do (`ChargeUsed`) and
    /// which suspends its services billed by the hour (ADR 37).
    pub fn in_debt(&self) -> bool {
        self.available()
            .is_some_and(|available| available.is_negative())
    }

    /// The credit limit in `currency`: the account's, or zero for an account not opened yet.
    fn credit_limit_in(&self, currency: Currency) -> Money {
        self.credit_limit().unwrap_or_else(|| Money::zero(currency))
    }

    /// Refuses a command that takes the balance from `balance` to `balance_after` when that is
    /// below minus the credit limit. `needed` is what the command takes from the balance.
    fn ensure_covered(
        &self,
        balance: Money,
        balance_after: Money,
        needed: Money,
    ) -> Result<(), AccountError> {
        let credit_limit = self.credit_limit_in(balance.currency());
        if balance_after.amount() < -credit_limit.amount() {
            return Err(AccountError::InsufficientFunds {
                needed,
                available: balance.checked_add(credit_limit)?,
            });
        }
        Ok(())
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

/// `reason` trimmed, or `InvalidReason`.
fn reason_within(reason: &str) -> Result<String, AccountError> {
    text::trimmed_within(reason, ADJUSTMENT_REASON_CHARS_MAX)
        .map(str::to_string)
        .ok_or(AccountError::InvalidReason)
}
