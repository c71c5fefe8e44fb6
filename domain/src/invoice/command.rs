use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{InvoiceKind, InvoicePeriod, PayerDetails};
use crate::company::SellerDetails;
use crate::ids::{ClientId, CompanyId, InvoiceId, PaymentId, ProviderId};
use crate::import::ImportSource;
use crate::money::{Currency, Money};
use crate::tax::{LineInput, RecordedLine, TaxTreatment};

/// What can be asked of an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceCommand {
    /// Drafts and prices the document. It gets its number in a second step
    /// ([`InvoiceCommand::AssignNumber`]), from the company's numbering book.
    DraftInvoice {
        /// The caller-chosen (or derived, see `InvoiceId::monthly`) id.
        invoice_id: InvoiceId,
        /// What the document is for.
        kind: InvoiceKind,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The issuing company.
        company_id: CompanyId,
        /// The client billed.
        client_id: ClientId,
        /// The company's details as printed; of `company_id`.
        seller: SellerDetails,
        /// The client's details as printed; of `client_id`.
        payer: PayerDetails,
        /// The currency of every amount on the document.
        currency: Currency,
        /// The lines to price; 1 to 1000, unless `recorded` has the lines.
        lines: Vec<LineInput>,
        /// Lines copied as the account recorded them (a month's charges, credits and
        /// corrections, with the tax each was charged with), never priced again; 1 to 1000,
        /// unless `lines` has the lines.
        recorded: Vec<RecordedLine>,
        /// The day the draft is made (from the clock): a period that has not ended by then is
        /// refused.
        drafted_on: NaiveDate,
        /// How the document is taxed, from the company's rules for the payer
        /// (`TaxRules::treatment_for`).
        treatment: TaxTreatment,
        /// The date of issue.
        issued_on: NaiveDate,
        /// The date payment is due; not before `issued_on`.
        due_on: NaiveDate,
        /// The payment a proforma asks for or a prepayment invoice is for; required for both.
        payment_id: Option<PaymentId>,
        /// The period a monthly invoice bills; required for a monthly invoice.
        period: Option<InvoicePeriod>,
        /// The invoice a credit note corrects; required for a credit note and only for one.
        corrects: Option<InvoiceId>,
        /// A free text printed on the document; trimmed, 1 to 2000 characters, newlines allowed.
        note: Option<String>,
    },
    /// Brings over an invoice left unpaid in the billing system a provider moves from: issued
    /// there, with the number it was given there (not one of this company's book), priced and
    /// checked like a draft. It charges nothing: its amount is already in the client's imported
    /// balance (`docs/import.md`).
    ImportInvoice {
        /// Its id, derived from its source.
        invoice_id: InvoiceId,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The issuing company.
        company_id: CompanyId,
        /// The client billed.
        client_id: ClientId,
        /// The company's details as printed; of `company_id`.
        seller: SellerDetails,
        /// The client's details as printed; of `client_id`.
        payer: PayerDetails,
        /// The currency of every amount.
        currency: Currency,
        /// The lines to price; 1 to 1000.
        lines: Vec<LineInput>,
        /// How the document was taxed there.
        treatment: TaxTreatment,
        /// The number it was given there; 1 to 64 characters without control characters.
        number: String,
        /// The date of issue.
        issued_on: NaiveDate,
        /// The date payment is due; not before `issued_on`.
        due_on: NaiveDate,
        /// Where it came from.
        source: ImportSource,
    },
    /// Gives the draft the number its numbering book assigned (`DocumentNumbered`), which issues
    /// it. Assigning the same number again records nothing.
    AssignNumber {
        /// The position in the book's sequence, from 1.
        sequence: u64,
        /// The formatted number, such as `INV2026-000042`.
        number: String,
    },
    /// Records that an issued invoice was paid. Paying a paid invoice records nothing.
    MarkPaid {
        /// The payment; for a proforma, the one it asks for.
        payment_id: PaymentId,
        /// The day the payment was received.
        paid_on: NaiveDate,
    },
    /// Records that a payment naming this issued invoice (not a proforma, which `MarkPaid`
    /// settles with its own payment) paid it: a manual, monthly or imported invoice. The payment
    /// credited the account; this only settles the document (ADR 29). Refused when `credited` is
    /// less than what is left to pay (the money stays on the balance, the invoice stays issued),
    /// in another currency, or when the invoice is paid by another payment; the same payment
    /// again records nothing. More than is left pays it; the rest stays on the balance.
    PayInvoice {
        /// The payment that names the invoice.
        payment_id: PaymentId,
        /// The day the payment was credited.
        paid_on: NaiveDate,
        /// What the payment credited to the account.
        credited: Money,
    },
    /// Records on an issued invoice that a credit note gives back part of it. Run it before
    /// drafting the credit note, so that the amount is reserved and two credit notes can never
    /// together give back more than the invoice's total. Recording the same credit note again
    /// records nothing.
    RecordCreditNote {
        /// The credit note's id.
        credit_note_id: InvoiceId,
        /// The credit note's gross total; above zero, in the invoice's currency.
        gross: Money,
    },
    /// Cancels an unpaid proforma. Cancelling a cancelled proforma records nothing.
    CancelInvoice {
        /// Why; trimmed, 1 to 500 characters.
        reason: String,
    },
    /// Asks for the issued document to be e-mailed to the client (again: it was e-mailed when
    /// issued), to `recipient` or, without one, to the client's address. Refused for a draft,
    /// which the client must not see yet, and for a cancelled proforma. Every request records an
    /// event, so sending twice sends twice.
    RequestSend {
        /// The address to send to; checked like a client's e-mail address. The client's own
        /// address when absent.
        recipient: Option<String>,
        /// Who asked, as the actor written in the log (`staff:<id>`).
        requested_by: String,
    },
}
