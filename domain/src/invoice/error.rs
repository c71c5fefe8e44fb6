use chrono::NaiveDate;

use crate::ids::{InvoiceId, PaymentId};
use crate::money::{Currency, Money, MoneyError};
use crate::tax::TaxError;

/// Why an invoice command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// The invoice has already been drafted.
    #[error("invoice already exists")]
    AlreadyDrafted,
    /// The invoice has not been drafted.
    #[error("invoice not found")]
    NotDrafted,
    /// The due date is before the issue date.
    #[error("due_on: must not be before issued_on")]
    DueBeforeIssue,
    /// A credit note does not name the invoice it corrects, names itself, or another kind of
    /// document names one.
    #[error(
        "corrects: a credit note must name another invoice it corrects, and only a credit note may"
    )]
    InvalidCorrects,
    /// A proforma does not name the payment it asks for.
    #[error("payment_id: a proforma invoice needs the payment it asks for")]
    ProformaWithoutPayment,
    /// A monthly invoice does not name the period it bills.
    #[error("period: a monthly invoice needs the period it bills")]
    MonthlyWithoutPeriod,
    /// The period does not end after it starts.
    #[error("period: end must be after start")]
    InvalidPeriod,
    /// The period has not ended yet on the day of the command.
    #[error("period: it ends on {end} and cannot be invoiced before then (today is {today})")]
    PeriodNotEnded {
        /// The first day after the period.
        end: NaiveDate,
        /// The day of the command.
        today: NaiveDate,
    },
    /// A prepayment invoice does not name the payment it is for.
    #[error("payment_id: a prepayment invoice needs the payment it is for")]
    PrepaymentWithoutPayment,
    /// Both lines to price and recorded lines were given; a document has one kind of lines.
    #[error("lines: give lines to price or recorded lines, not both")]
    MixedLines,
    /// The seller details are of another company than `company_id`.
    #[error("seller: the details are of another company than company_id")]
    SellerMismatch,
    /// The payer details are of another client than `client_id`.
    #[error("payer: the details are of another client than client_id")]
    PayerMismatch,
    /// Reverse charge was asked for a payer who is not a business with a VAT number.
    #[error("treatment: reverse charge needs a business payer with a VAT number")]
    ReverseChargeNotApplicable,
    /// The note is empty after trimming, longer than 2000 characters, or holds control
    /// characters other than newlines.
    #[error("note: must be 1 to 2000 characters without control characters other than newlines")]
    InvalidNote,
    /// The lines could not be priced.
    #[error(transparent)]
    Tax(#[from] TaxError),
    /// The number is empty, longer than 64 characters or holds control characters, or the
    /// sequence is zero.
    #[error(
        "number: must be 1 to 64 characters without control characters, with a sequence from 1"
    )]
    InvalidNumber,
    /// The invoice already has another number.
    #[error("number: the invoice already has number {0:?}")]
    AlreadyNumbered(String),
    /// The invoice has no number yet, so it cannot be paid or credited.
    #[error("invoice is not issued yet")]
    NotIssued,
    /// The command applies to invoices, and this is a credit note.
    #[error("a credit note cannot be paid or credited")]
    IsCreditNote,
    /// The invoice was cancelled.
    #[error("invoice is cancelled")]
    Cancelled,
    /// A proforma asks for a payment; it is not a tax document, so nothing credits it.
    #[error("a proforma is not a tax document; cancel its payment instead")]
    ProformaNotCreditable,
    /// A proforma was paid by another payment than the one it asks for.
    #[error("payment_id: the proforma asks for payment {expected}, not {found}")]
    PaymentMismatch {
        /// The payment the proforma asks for.
        expected: PaymentId,
        /// The payment that was recorded.
        found: PaymentId,
    },
    /// A credit note's amount is zero or negative.
    #[error("gross: a credit must be greater than zero")]
    CreditNotPositive,
    /// An amount is not in the invoice's currency.
    #[error("gross: currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The invoice's currency.
        expected: Currency,
        /// The amount's currency.
        found: Currency,
    },
    /// The credit notes would give back more than the invoice's total.
    #[error("gross: crediting {requested} exceeds the {remaining} left to credit")]
    CreditExceedsInvoice {
        /// The credit asked for.
        requested: Money,
        /// The invoice's total less what is already credited.
        remaining: Money,
    },
    /// Only an unpaid proforma can be cancelled; a tax document is corrected with a credit note.
    #[error("only an unpaid proforma can be cancelled; correct an invoice with a credit note")]
    NotCancellable,
    /// The cancellation reason is empty after trimming or longer than 500 characters.
    #[error("reason: must be 1 to 500 characters")]
    InvalidReason,
    /// The credit note named is this invoice itself.
    #[error("credit_note_id: an invoice cannot credit itself ({0})")]
    CreditsItself(InvoiceId),
    /// The address to send a document to is not an e-mail address.
    #[error("to: {0:?} is not an e-mail address")]
    InvalidRecipient(String),
    /// Who asked for a document to be sent is empty.
    #[error("requested_by: must name who asks")]
    InvalidRequester,
    /// A payment names an invoice that is already paid, or that credit notes gave back whole.
    #[error("invoice_id: the invoice is already paid or credited in full")]
    AlreadyPaid,
    /// A payment names a proforma, which is paid only by the payment it was issued for.
    #[error("invoice_id: a proforma is paid only by the payment it asks for")]
    ProformaNotPayable,
    /// A payment naming the invoice brings nothing to pay it with.
    #[error("amount: a payment naming an invoice must be above zero")]
    PaymentNotPositive,
    /// Money arithmetic failed, such as a total leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl InvoiceError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            InvoiceError::AlreadyDrafted => "invoice_exists",
            InvoiceError::NotDrafted => "invoice_not_found",
            InvoiceError::DueBeforeIssue => "due_before_issue",
            InvoiceError::InvalidCorrects => "invalid_corrects",
            InvoiceError::ProformaWithoutPayment => "proforma_needs_payment",
            InvoiceError::MonthlyWithoutPeriod => "monthly_needs_period",
            InvoiceError::InvalidPeriod => "invalid_period",
            InvoiceError::PeriodNotEnded { .. } => "period_not_ended",
            InvoiceError::PrepaymentWithoutPayment => "prepayment_needs_payment",
            InvoiceError::MixedLines => "mixed_lines",
            InvoiceError::SellerMismatch => "seller_mismatch",
            InvoiceError::PayerMismatch => "payer_mismatch",
            InvoiceError::ReverseChargeNotApplicable => "reverse_charge_not_applicable",
            InvoiceError::InvalidNote => "invalid_note",
            InvoiceError::Tax(error) => error.code(),
            InvoiceError::InvalidNumber => "invalid_number",
            InvoiceError::AlreadyNumbered(_) => "already_numbered",
            InvoiceError::NotIssued => "invoice_not_issued",
            InvoiceError::IsCreditNote => "invoice_is_credit_note",
            InvoiceError::Cancelled => "invoice_cancelled",
            InvoiceError::ProformaNotCreditable => "proforma_not_creditable",
            InvoiceError::PaymentMismatch { .. } => "payment_mismatch",
            InvoiceError::CreditNotPositive => "credit_not_positive",
            InvoiceError::CurrencyMismatch { .. } => "currency_mismatch",
            InvoiceError::CreditExceedsInvoice { .. } => "credit_exceeds_invoice",
            InvoiceError::NotCancellable => "invoice_not_cancellable",
            InvoiceError::InvalidReason => "invalid_reason",
            InvoiceError::CreditsItself(_) => "credits_itself",
            InvoiceError::InvalidRecipient(_) => "invalid_recipient",
            InvoiceError::InvalidRequester => "invalid_requester",
            InvoiceError::AlreadyPaid => "invoice_already_paid",
            InvoiceError::ProformaNotPayable => "proforma_not_payable",
            InvoiceError::PaymentNotPositive => "payment_not_positive",
            InvoiceError::Money(error) => error.code(),
        }
    }
}
