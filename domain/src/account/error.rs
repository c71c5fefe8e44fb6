use crate::money::{Currency, Money, MoneyError};

/// Why an account command was refused, or why an account field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// A payment was zero or negative, or a charge or a line of a replaced charge was negative.
    #[error("amount must be greater than zero")]
    AmountNotPositive,
    /// An adjustment was zero, which would change nothing but the history.
    #[error("adjustment must not be zero")]
    ZeroAdjustment,
    /// The command's amount is not in the account's currency.
    #[error("currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The account's currency.
        expected: Currency,
        /// The command's currency.
        found: Currency,
    },
    /// The adjustment reason is empty after trimming or longer than 500 characters.
    #[error("reason must be 1 to 500 characters")]
    InvalidReason,
    /// The payment method, as given, is not 1 to 64 characters of `a-z`, `0-9`, `_` and `-`.
    #[error("invalid payment method {0:?}: it must be 1 to 64 characters of a-z, 0-9, _ and -")]
    InvalidMethod(String),
    /// The command names another client or provider than the one that owns the account.
    #[error("the command names another client or provider than the account's owner")]
    WrongAccount,
    /// The charge would take the balance below minus the credit limit.
    #[error("insufficient funds: {needed} needed, {available} available")]
    InsufficientFunds {
        /// What the command would take from the balance.
        needed: Money,
        /// The balance plus the credit limit.
        available: Money,
    },
    /// An imported opening balance was given to an account that already holds money of its own.
    #[error("the account already has a balance of its own; an imported balance opens an account")]
    AlreadyMoved,
    /// A promised payment within `PROMISE_INTERVAL_DAYS` of the last one.
    #[error(
        "a payment was promised less than 30 days ago: the next promise may be made on {next_on}"
    )]
    PromiseTooSoon {
        /// The first day a new promise may be made.
        next_on: chrono::NaiveDate,
    },
    /// A credit limit was below zero.
    #[error("credit limit must not be negative")]
    NegativeCreditLimit,
    /// An expense description is empty after trimming or longer than 500 characters.
    #[error("description must be 1 to 500 characters")]
    InvalidDescription,
    /// A refund would pay back more than its payment credited (less what was already refunded
    /// or reversed).
    #[error("amount: {requested} is more than the {refundable} left to refund of the payment")]
    RefundExceedsPayment {
        /// The refund asked for.
        requested: Money,
        /// What is left of the payment.
        refundable: Money,
    },
    /// A refund would pay back money that is no longer on the balance: spent on services.
    #[error(
        "amount: {requested} is more than the {unallocated} of unallocated money on the balance"
    )]
    RefundExceedsUnallocated {
        /// The refund asked for.
        requested: Money,
        /// The positive part of the balance.
        unallocated: Money,
    },
    /// A correction would give back more than is left of the expense.
    #[error("amount: {requested} is more than the {remaining} left of the expense")]
    CorrectionExceedsExpense {
        /// The amount asked for.
        requested: Money,
        /// What is left of the expense.
        remaining: Money,
    },
    /// A credit would give back more of a charge than is left of it after earlier credits and
    /// corrections.
    #[error("credit: {requested} is more than the {remaining} left of the charge")]
    CreditExceedsCharge {
        /// The credit asked for.
        requested: Money,
        /// What is left of the charge.
        remaining: Money,
    },
    /// The expense or payment has nothing left to give back or take back.
    #[error("nothing is left of it to give back")]
    NothingLeft,
    /// The expense to correct is a credit (it gave money back, so what it "charged" is below
    /// zero): only charges can be corrected.
    #[error("the expense is a credit; only charges can be corrected")]
    NotACharge,
    /// A payment's conversion does not end in the amount credited, or not at its own rate.
    #[error(
        "conversion: the converted amount must be the amount credited, at the conversion's rate"
    )]
    ConversionMismatch,
    /// An expense's discount is not in the expense's currency, is negative, or its list amount
    /// less its amount is not the expense's amount.
    #[error("discount: the list amount less the discount must be the amount, in its currency")]
    InvalidDiscount,
    /// A merge's transfer was addressed to the account itself, or moved nothing.
    #[error("a transfer must move a non-zero balance between two accounts")]
    InvalidTransfer,
    /// Money arithmetic failed, such as a balance leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl AccountError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            AccountError::AmountNotPositive => "amount_not_positive",
            AccountError::ZeroAdjustment => "zero_adjustment",
            AccountError::CurrencyMismatch { .. } => "currency_mismatch",
            AccountError::InvalidReason => "invalid_reason",
            AccountError::InvalidMethod(_) => "invalid_method",
            AccountError::WrongAccount => "wrong_account",
            AccountError::InsufficientFunds { .. } => "insufficient_funds",
            AccountError::AlreadyMoved => "account_already_moved",
            AccountError::NegativeCreditLimit => "negative_credit_limit",
            AccountError::InvalidDescription => "invalid_description",
            AccountError::RefundExceedsPayment { .. } => "refund_exceeds_payment",
            AccountError::RefundExceedsUnallocated { .. } => "refund_exceeds_unallocated",
            AccountError::CorrectionExceedsExpense { .. } => "correction_exceeds_expense",
            AccountError::NothingLeft => "nothing_left",
            AccountError::NotACharge => "expense_not_a_charge",
            AccountError::CreditExceedsCharge { .. } => "credit_exceeds_charge",
            AccountError::ConversionMismatch => "conversion_mismatch",
            AccountError::InvalidDiscount => "invalid_expense_discount",
            AccountError::InvalidTransfer => "invalid_transfer",
            AccountError::PromiseTooSoon { .. } => "promise_too_soon",
            AccountError::Money(error) => error.code(),
        }
    }
}
