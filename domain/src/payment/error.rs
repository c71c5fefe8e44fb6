use super::ExternalId;
use crate::account::PaymentMethod;
use crate::money::{Currency, Money, MoneyError};

/// Why a payment command was refused, or why a payment field was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The payment has already been created.
    #[error("payment_id: payment already exists")]
    AlreadyCreated,
    /// The payment has not been created.
    #[error("payment_id: payment not found")]
    NotFound,
    /// A client's own user asked for a payment by a method of kind `manual`, which credits at
    /// once and is for staff only.
    #[error("method: {method} is credited by staff only; pay by bank transfer or card")]
    ManualNotForClients {
        /// The method asked for.
        method: PaymentMethod,
    },
    /// An amount was zero or negative; `field` names it (`amount`, `credited`).
    #[error("{field}: must be greater than zero")]
    AmountNotPositive {
        /// The command field that holds the amount.
        field: &'static str,
    },
    /// An amount is not in the currency it must be in; `field` names it.
    #[error("{field}: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The command field that holds the amount.
        field: &'static str,
        /// The currency the amount must be in (the account's).
        expected: Currency,
        /// The amount's currency.
        found: Currency,
    },
    /// A payment in another currency than the account's was confirmed without a conversion.
    #[error("conversion: required when the payment is not in the account's currency")]
    ConversionRequired,
    /// A payment in the account's currency was confirmed with a conversion.
    #[error("conversion: must be absent when the payment is in the account's currency")]
    ConversionNotAllowed,
    /// The conversion does not turn the payment's amount into the credited amount at its own
    /// rate.
    #[error("conversion: must convert the payment's amount into the credited amount at its rate")]
    ConversionMismatch,
    /// A payment in the account's currency was confirmed with more than was paid.
    #[error("credited: exceeds the {paid} paid")]
    CreditedExceedsPayment {
        /// What the client paid: the most the payment can credit.
        paid: Money,
    },
    /// The confirmation does not carry the external id the payment was started with.
    #[error("external_id: must be {expected}, the id the payment was started with")]
    ExternalIdMismatch {
        /// The external id the payment was started with.
        expected: ExternalId,
    },
    /// The payment is already in progress under another external id.
    #[error("external_id: the payment is already in progress under another external id")]
    AlreadyStarted,
    /// The payment has already been credited (under another external id, for a confirmation).
    #[error("payment_id: payment has already been credited")]
    AlreadyCredited,
    /// The payment was cancelled.
    #[error("payment_id: payment was cancelled")]
    Cancelled,
    /// The payment was marked as fraud.
    #[error("payment_id: payment is marked as fraud")]
    MarkedFraud,
    /// A refund was asked for a payment that has not been credited.
    #[error("payment_id: payment has not been credited")]
    NotCredited,
    /// The refund would take the refunded total above the credited amount.
    #[error("amount: exceeds the {refundable} still refundable")]
    RefundExceedsPayment {
        /// What can still be refunded: credited minus refunded.
        refundable: Money,
    },
    /// A reason is empty after trimming or longer than 500 characters.
    #[error("reason: must be 1 to 500 characters")]
    InvalidReason,
    /// The external id, as given, is not 1 to 128 printable ASCII characters without whitespace.
    #[error("external_id: {0:?} must be 1 to 128 printable ASCII characters without whitespace")]
    InvalidExternalId(String),
    /// Money arithmetic failed, such as a refunded total leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl PaymentError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            PaymentError::AlreadyCreated => "payment_exists",
            PaymentError::NotFound => "payment_not_found",
            // The code the API answered when the use case held this rule.
            PaymentError::ManualNotForClients { .. } => "payment_method_not_available",
            PaymentError::AmountNotPositive { .. } => "amount_not_positive",
            PaymentError::CurrencyMismatch { .. } => "currency_mismatch",
            PaymentError::ConversionRequired => "conversion_required",
            PaymentError::ConversionNotAllowed => "conversion_not_allowed",
            PaymentError::ConversionMismatch => "conversion_mismatch",
            PaymentError::CreditedExceedsPayment { .. } => "credited_exceeds_payment",
            PaymentError::ExternalIdMismatch { .. } => "external_id_mismatch",
            PaymentError::AlreadyStarted => "payment_already_started",
            PaymentError::AlreadyCredited => "payment_already_credited",
            PaymentError::Cancelled => "payment_cancelled",
            PaymentError::MarkedFraud => "payment_marked_fraud",
            PaymentError::NotCredited => "payment_not_credited",
            PaymentError::RefundExceedsPayment { .. } => "refund_exceeds_payment",
            PaymentError::InvalidReason => "invalid_reason",
            PaymentError::InvalidExternalId(_) => "invalid_external_id",
            PaymentError::Money(error) => error.code(),
        }
    }
}
