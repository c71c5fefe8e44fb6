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

    /// Whether a payment of `paid` may go to this invoice (`PayInvoice`): an issued invoice
    /// other than a proforma, not paid yet, in the payment's currency, with something left to pay
    /// after its credit notes and the payments that paid part of it. A payment short of what is
    /// left pays that part (ADR 38); one that covers it pays the invoice. The payment's use case
    /// asks it before the payment is created, so a payment that could not go to the invoice is
    /// refused with the reason.
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
        if !self.left_to_pay()?.is_positive() {
            return Err(InvoiceError::AlreadyPaid);
        }
        if !paid.is_positive() {
            return Err(InvoiceError::PaymentNotPositive);
        }
        Ok(())
    }

    /// What is left to pay of an issued invoice: its gross total less its credit notes and
    /// the payments that paid part of it.
    pub fn left_to_pay(&self) -> Result<Money, InvoiceError> {
        let invoice = self.creditable()?;
        let mut left = invoice.totals.gross.checked_sub(invoice.credited_total)?;
        for (_, amount) in &invoice.instalments {
            left = left.checked_sub(*amount)?;
        }
        Ok(left)
    }

    /// What payments naming the invoice paid of it before the one that settled it (zero in the
    /// invoice's currency when none did), once drafted.
    pub fn paid_in_part(&self) -> Option<Money> {
        let invoice = self.drafted.as_ref()?;
        invoice
            .instalments
            .iter()
            .try_fold(Money::zero(invoice.currency), |sum, (_, amount)| {
                sum.checked_add(*amount)
            })
            .ok()
    }

    /// Whether `payment_id` paid the invoice, or part of it: a request repeated with it is a
    /// replay, not a new payment.
    pub fn was_paid_by(&self, payment_id: PaymentId) -> bool {
        self.drafted.as_ref().is_some_and(|invoice| {
            invoice
                .paid
                .is_some_and(|(paid_by, _)| paid_by == payment_id)
                || invoice.instalments.iter().any(|(id, _)| *id == payment_id)
        })
    }

    /// Decides [`InvoiceCommand::PayInvoice`]: the payment pays the invoice when it covers what
    /// is left of it, and that part of it otherwise.
    pub(super) fn pay_invoice(
        &self,
        payment_id: PaymentId,
        paid_on: NaiveDate,
        credited: Money,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        if self.was_paid_by(payment_id) {
            return Ok(vec![]);
        }
        self.may_be_paid_with(credited)?;
        let left = self.left_to_pay()?;
        if credited.amount() >= left.amount() {
            return Ok(vec![InvoiceEvent::InvoicePaid {
                payment_id,
                paid_on,
            }]);
        }
        let before = self.paid_in_part().ok_or(InvoiceError::NotIssued)?;
        Ok(vec![InvoiceEvent::InvoicePartlyPaid {
            payment_id,
            paid_on,
            amount: credited,
            paid_total: before.checked_add(credited)?,
            left: left.checked_sub(credited)?,
        }])
    }
}
