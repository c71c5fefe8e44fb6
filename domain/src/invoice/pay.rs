//! Deciding how an invoice is paid: [`InvoiceCommand::MarkPaid`](super::InvoiceCommand::MarkPaid)
//! for a proforma and [`InvoiceCommand::PayInvoice`](super::InvoiceCommand::PayInvoice) for an
//! issued invoice a payment names (ADR 29).

use chrono::NaiveDate;

use super::{Invoice, InvoiceError, InvoiceEvent, InvoiceKind};
use crate::ids::PaymentId;
use crate::money::Money;

impl Invoice {
    /// Decides [`InvoiceCommand::MarkPaid`](super::InvoiceCommand::MarkPaid).
    pub(super) fn mark_paid(
        &self,
        payment_id: PaymentId,
        paid_on: NaiveDate,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.creditable()?;
        if invoice.paid.is_some() {
            return Ok(vec![]);
        }
        if let Some(expected) = invoice.payment_id
            && invoice.kind == InvoiceKind::Proforma
            && expected != payment_id
        {
            return Err(InvoiceError::PaymentMismatch {
                expected,
                found: payment_id,
            });
        }
        Ok(vec![InvoiceEvent::InvoicePaid {
            payment_id,
            paid_on,
        }])
    }

    /// Whether a payment of `paid` may settle this invoice (`PayInvoice`): an issued invoice
    /// other than a proforma, unpaid, in the payment's currency, and `paid` at least what is left
    /// of it after its credit notes. The payment's use case asks it before the payment is created,
    /// so a payment that could not settle the invoice is refused with the reason.
    pub fn may_be_paid_with(&self, paid: Money) -> Result<(), InvoiceError> {
        let invoice = self.creditable()?;
        if invoice.kind == InvoiceKind::Proforma {
            return Err(InvoiceError::ProformaNotPayable);
        }
        if invoice.paid.is_some() {
            return Err(InvoiceError::AlreadyPaid);
        }
        if paid.currency() != invoice.currency {
            return Err(InvoiceError::CurrencyMismatch {
                expected: invoice.currency,
                found: paid.currency(),
            });
        }
        let remaining = invoice.totals.gross.checked_sub(invoice.credited_total)?;
        if !remaining.is_positive() {
            return Err(InvoiceError::AlreadyPaid);
        }
        if paid.amount() < remaining.amount() {
            return Err(InvoiceError::PaymentBelowInvoice { paid, remaining });
        }
        Ok(())
    }

    /// Decides [`InvoiceCommand::PayInvoice`](super::InvoiceCommand::PayInvoice).
    pub(super) fn pay_invoice(
        &self,
        payment_id: PaymentId,
        paid_on: NaiveDate,
        credited: Money,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.creditable()?;
        if invoice
            .paid
            .is_some_and(|(paid_by, _)| paid_by == payment_id)
        {
            return Ok(vec![]);
        }
        self.may_be_paid_with(credited)?;
        Ok(vec![InvoiceEvent::InvoicePaid {
            payment_id,
            paid_on,
        }])
    }
}
