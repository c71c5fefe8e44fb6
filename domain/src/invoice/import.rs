//! Deciding [`InvoiceCommand::ImportInvoice`](super::InvoiceCommand::ImportInvoice): an invoice
//! left unpaid in another billing system, issued there with its number there.

use chrono::NaiveDate;

use super::{INVOICE_NUMBER_CHARS_MAX, Invoice, InvoiceError, InvoiceEvent, PayerDetails};
use crate::company::SellerDetails;
use crate::ids::{ClientId, CompanyId, InvoiceId, ProviderId};
use crate::import::ImportSource;
use crate::money::Currency;
use crate::tax::{self, LineInput, TaxTreatment};
use crate::text;

/// The fields of `ImportInvoice`.
pub(super) struct ImportedInvoice {
    pub(super) invoice_id: InvoiceId,
    pub(super) provider_id: ProviderId,
    pub(super) company_id: CompanyId,
    pub(super) client_id: ClientId,
    pub(super) seller: SellerDetails,
    pub(super) payer: PayerDetails,
    pub(super) currency: Currency,
    pub(super) lines: Vec<LineInput>,
    pub(super) treatment: TaxTreatment,
    pub(super) number: String,
    pub(super) issued_on: NaiveDate,
    pub(super) due_on: NaiveDate,
    pub(super) source: ImportSource,
}

impl Invoice {
    /// Decides `ImportInvoice`: by the rules of a draft (dates, seller, payer, reverse charge,
    /// lines), with a number of at most 64 characters without control characters.
    pub(super) fn import_invoice(
        &self,
        imported: ImportedInvoice,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let ImportedInvoice {
            invoice_id,
            provider_id,
            company_id,
            client_id,
            seller,
            payer,
            currency,
            lines,
            treatment,
            number,
            issued_on,
            due_on,
            source,
        } = imported;
        self.new_and_dated(issued_on, due_on)?;
        super::parties_agree((company_id, &seller), (client_id, &payer), treatment)?;
        if text::display_name(&number, INVOICE_NUMBER_CHARS_MAX) != Some(number.as_str()) {
            return Err(InvoiceError::InvalidNumber);
        }
        let (lines, totals) = tax::price_lines(lines, &treatment, currency)?;
        Ok(vec![InvoiceEvent::InvoiceImported {
            invoice_id,
            provider_id,
            company_id,
            client_id,
            seller,
            payer,
            currency,
            lines,
            totals,
            treatment,
            tax_notice: treatment.notice().map(str::to_string),
            number,
            issued_on,
            due_on,
            source,
        }])
    }
}
