use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{InvoiceKind, InvoicePeriod, PayerDetails};
use crate::company::SellerDetails;
use crate::ids::{ClientId, CompanyId, InvoiceId, PaymentId, ProviderId};
use crate::import::ImportSource;
use crate::money::{Currency, Money};
use crate::tax::{InvoiceLine, TaxTreatment, Totals};

/// What has happened to an invoice. Stored forever: variants and fields are never renamed.
///
/// The draft carries its priced lines, totals and tax notice, so read models and printed
/// documents copy them rather than re-running the tax rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceEvent {
    /// The document was drafted and priced; it has no number yet.
    InvoiceDrafted {
        /// The document's id.
        invoice_id: InvoiceId,
        /// What the document is for.
        kind: InvoiceKind,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The issuing company.
        company_id: CompanyId,
        /// The client billed.
        client_id: ClientId,
        /// The company's details as printed.
        seller: SellerDetails,
        /// The client's details as printed.
        payer: PayerDetails,
        /// The currency of every amount.
        currency: Currency,
        /// The priced lines.
        lines: Vec<InvoiceLine>,
        /// The sums of the lines.
        totals: Totals,
        /// How the document is taxed.
        treatment: TaxTreatment,
        /// The legal notice the treatment requires, as printed.
        tax_notice: Option<String>,
        /// The date of issue.
        issued_on: NaiveDate,
        /// The date payment is due.
        due_on: NaiveDate,
        /// The payment a proforma asks for.
        payment_id: Option<PaymentId>,
        /// The period a monthly invoice bills.
        period: Option<InvoicePeriod>,
        /// The invoice a credit note corrects.
        corrects: Option<InvoiceId>,
        /// The trimmed note.
        note: Option<String>,
    },
    /// An invoice left unpaid in another billing system was brought over, issued there with
    /// its number there (a manual invoice here, outside this company's numbering book).
    InvoiceImported {
        /// The document's id.
        invoice_id: InvoiceId,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The issuing company.
        company_id: CompanyId,
        /// The client billed.
        client_id: ClientId,
        /// The company's details as printed.
        seller: SellerDetails,
        /// The client's details as printed.
        payer: PayerDetails,
        /// The currency of every amount.
        currency: Currency,
        /// The priced lines.
        lines: Vec<InvoiceLine>,
        /// The sums of the lines.
        totals: Totals,
        /// How the document is taxed.
        treatment: TaxTreatment,
        /// The legal notice the treatment requires, as printed.
        tax_notice: Option<String>,
        /// The number it was given there.
        number: String,
        /// The date of issue.
        issued_on: NaiveDate,
        /// The date payment is due.
        due_on: NaiveDate,
        /// Where it came from.
        source: ImportSource,
    },
    /// The draft got its number and is issued.
    InvoiceIssued {
        /// The position in the numbering book's sequence.
        sequence: u64,
        /// The formatted number.
        number: String,
    },
    /// The invoice was paid.
    InvoicePaid {
        /// The payment.
        payment_id: PaymentId,
        /// The day the payment was received.
        paid_on: NaiveDate,
    },
    /// A payment naming the invoice paid part of what was left of it (ADR 38); a later one
    /// that covers the rest pays it (`InvoicePaid`).
    InvoicePartlyPaid {
        /// The payment.
        payment_id: PaymentId,
        /// The day the payment was received.
        paid_on: NaiveDate,
        /// What the payment paid of the invoice: all it credited.
        amount: Money,
        /// Everything paid in part so far, this payment included.
        paid_total: Money,
        /// What is left to pay after it, credit notes taken off.
        left: Money,
    },
    /// A credit note gives back part of the invoice.
    InvoiceCredited {
        /// The credit note.
        credit_note_id: InvoiceId,
        /// The credit note's gross total.
        gross: Money,
        /// Everything credited so far, this credit note included.
        credited_total: Money,
    },
    /// The proforma was cancelled.
    InvoiceCancelled {
        /// The trimmed reason.
        reason: String,
    },
    /// Someone asked for the issued document to be e-mailed to the client; the notifier sends
    /// it once for this event.
    InvoiceSendRequested {
        /// The document's number, as issued.
        number: String,
        /// The address to send to, checked and with its domain lowercased; the client's
        /// address at the time of sending when absent.
        recipient: Option<String>,
        /// Who asked, as the actor written in the log (`staff:<id>`).
        requested_by: String,
    },
}

impl DomainEvent for InvoiceEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::InvoiceDrafted { .. } => "InvoiceDrafted".to_string(),
            Self::InvoiceIssued { .. } => "InvoiceIssued".to_string(),
            Self::InvoiceImported { .. } => "InvoiceImported".to_string(),
            Self::InvoicePaid { .. } => "InvoicePaid".to_string(),
            Self::InvoicePartlyPaid { .. } => "InvoicePartlyPaid".to_string(),
            Self::InvoiceCredited { .. } => "InvoiceCredited".to_string(),
            Self::InvoiceCancelled { .. } => "InvoiceCancelled".to_string(),
            Self::InvoiceSendRequested { .. } => "InvoiceSendRequested".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
