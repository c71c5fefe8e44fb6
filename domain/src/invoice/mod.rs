//! Invoices and their numbering: the [`Invoice`] aggregate (invoices, proformas and credit notes)
//! and the [`InvoiceBook`] aggregate, which hands out gap-free numbers.
//!
//! **Numbers are assigned in a second step.** An invoice is first drafted and priced
//! (`DraftInvoice` → `InvoiceDrafted`), and only then numbered: its company's book for the kind's
//! series and the year of issue (`InvoiceBookId::of(company, kind.series(), numbering.book_year(year))`)
//! takes `NumberDocument` and records `DocumentNumbered` with the next sequence, and the invoice
//! takes that number with `AssignNumber` (`InvoiceIssued`). So a number is only ever consumed
//! by a document that already exists as a draft, and the sequence stays gap-free even across
//! crashes: a process finishes numbering drafts by repeating both steps for every draft without
//! a number ([`Invoice::numbering_command`] builds the first). The event store's command key on
//! the invoice id makes the book's step idempotent, and the invoice accepts its own number twice.
//!
//! Tax documents are never deleted or cancelled: a mistake is corrected with a credit note, an
//! `Invoice` of kind `CreditNote` that names the invoice it `corrects`. `RecordCreditNote` on the
//! corrected invoice comes first and reserves the amount, refusing to give back more than the
//! invoice's total; the credit note is drafted after it. Only an unpaid proforma, which is not
//! a tax document, can be cancelled; a cancelled proforma still accepts its number, so that a
//! number handed out just before the cancellation is not lost.
//!
//! Everything printed (seller, payer, priced lines, totals, tax notice) is frozen into
//! `InvoiceDrafted`, so later changes to the company, the client or the tax rules never change a
//! document.

mod book;
mod command;
mod error;
mod event;
mod import;
mod pay;
mod value;

#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::company::{InvoiceNumbering, SellerDetails};
use crate::ids::{ClientId, CompanyId, InvoiceBookId, InvoiceId, PaymentId, ProviderId};
use crate::money::{Currency, Money};
use crate::tax::{self, InvoiceLine, LineInput, RecordedLine, TaxTreatment, Totals};
use crate::text;

pub use book::*;
pub use command::*;
pub use error::*;
pub use event::*;
use import::ImportedInvoice;
pub use value::*;

/// The longest invoice note, in characters.
pub const INVOICE_NOTE_CHARS_MAX: usize = 2000;

/// The longest document number, in characters.
pub const INVOICE_NUMBER_CHARS_MAX: usize = 64;

/// The longest cancellation reason, in characters.
pub const CANCEL_REASON_CHARS_MAX: usize = 500;

/// The state of one invoice, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// `None` until `InvoiceDrafted`, so that "drafted but without lines" is unrepresentable.
    drafted: Option<DraftedInvoice>,
}

/// The state of an invoice that has been drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DraftedInvoice {
    invoice_id: InvoiceId,
    kind: InvoiceKind,
    provider_id: ProviderId,
    company_id: CompanyId,
    client_id: ClientId,
    seller: SellerDetails,
    payer: PayerDetails,
    currency: Currency,
    lines: Vec<InvoiceLine>,
    totals: Totals,
    treatment: TaxTreatment,
    tax_notice: Option<String>,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    payment_id: Option<PaymentId>,
    period: Option<InvoicePeriod>,
    corrects: Option<InvoiceId>,
    note: Option<String>,
    /// The book's sequence and the formatted number, once issued.
    number: Option<(u64, String)>,
    /// The payment and the day it was received, once paid.
    paid: Option<(PaymentId, NaiveDate)>,
    /// The payments that paid part of it, with what each paid (ADR 38); empty in states saved
    /// before instalments.
    #[serde(default)]
    instalments: Vec<(PaymentId, Money)>,
    /// The sum of `credit_notes`' amounts; zero in the invoice's currency at first.
    credited_total: Money,
    /// The credit notes recorded, so that recording one twice is recognised.
    credit_notes: Vec<InvoiceId>,
    /// The reason, once cancelled.
    cancelled: Option<String>,
}

impl Invoice {
    /// Whether `InvoiceDrafted` has happened.
    pub fn is_drafted(&self) -> bool {
        self.drafted.is_some()
    }

    /// Where the invoice stands, once drafted.
    ///
    /// Cancelled wins over everything; then a draft is a draft; then credit notes decide
    /// (credited or partially credited, whether paid or not); then paid; then partially paid
    /// (payments naming it paid part of it); else issued.
    pub fn status(&self) -> Option<InvoiceStatus> {
        let invoice = self.drafted.as_ref()?;
        Some(InvoiceStatus::of(StatusFacts {
            cancelled: invoice.cancelled.is_some(),
            issued: invoice.number.is_some(),
            paid: invoice.paid.is_some(),
            paid_in_part: !invoice.instalments.is_empty(),
            credited: invoice.credited_total.amount(),
            gross: invoice.totals.gross.amount(),
        }))
    }

    /// The document's id, once drafted.
    pub fn invoice_id(&self) -> Option<InvoiceId> {
        self.drafted.as_ref().map(|invoice| invoice.invoice_id)
    }

    /// What the document is for, once drafted.
    pub fn kind(&self) -> Option<InvoiceKind> {
        self.drafted.as_ref().map(|invoice| invoice.kind)
    }

    /// The provider, once drafted.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.drafted.as_ref().map(|invoice| invoice.provider_id)
    }

    /// The issuing company, once drafted.
    pub fn company_id(&self) -> Option<CompanyId> {
        self.drafted.as_ref().map(|invoice| invoice.company_id)
    }

    /// The client billed, once drafted.
    pub fn client_id(&self) -> Option<ClientId> {
        self.drafted.as_ref().map(|invoice| invoice.client_id)
    }

    /// The seller as printed, once drafted.
    pub fn seller(&self) -> Option<&SellerDetails> {
        self.drafted.as_ref().map(|invoice| &invoice.seller)
    }

    /// The payer as printed, once drafted.
    pub fn payer(&self) -> Option<&PayerDetails> {
        self.drafted.as_ref().map(|invoice| &invoice.payer)
    }

    /// The currency of every amount, once drafted.
    pub fn currency(&self) -> Option<Currency> {
        self.drafted.as_ref().map(|invoice| invoice.currency)
    }

    /// The priced lines; empty until drafted.
    pub fn lines(&self) -> &[InvoiceLine] {
        self.drafted
            .as_ref()
            .map_or(&[], |invoice| invoice.lines.as_slice())
    }

    /// The totals, once drafted.
    pub fn totals(&self) -> Option<&Totals> {
        self.drafted.as_ref().map(|invoice| &invoice.totals)
    }

    /// How the document is taxed, once drafted.
    pub fn treatment(&self) -> Option<TaxTreatment> {
        self.drafted.as_ref().map(|invoice| invoice.treatment)
    }

    /// The legal notice the document prints, if any.
    pub fn tax_notice(&self) -> Option<&str> {
        self.drafted.as_ref()?.tax_notice.as_deref()
    }

    /// The date of issue, once drafted.
    pub fn issued_on(&self) -> Option<NaiveDate> {
        self.drafted.as_ref().map(|invoice| invoice.issued_on)
    }

    /// The due date, once drafted.
    pub fn due_on(&self) -> Option<NaiveDate> {
        self.drafted.as_ref().map(|invoice| invoice.due_on)
    }

    /// The payment a proforma asks for (or another document names), if any.
    pub fn payment_id(&self) -> Option<PaymentId> {
        self.drafted.as_ref()?.payment_id
    }

    /// The period a monthly invoice bills, if any.
    pub fn period(&self) -> Option<InvoicePeriod> {
        self.drafted.as_ref()?.period
    }

    /// The invoice a credit note corrects, if any.
    pub fn corrects(&self) -> Option<InvoiceId> {
        self.drafted.as_ref()?.corrects
    }

    /// The note, if any.
    pub fn note(&self) -> Option<&str> {
        self.drafted.as_ref()?.note.as_deref()
    }

    /// The formatted number, once issued.
    pub fn number(&self) -> Option<&str> {
        let (_, number) = self.drafted.as_ref()?.number.as_ref()?;
        Some(number)
    }

    /// The position in the numbering book's sequence, once issued.
    pub fn sequence(&self) -> Option<u64> {
        let (sequence, _) = self.drafted.as_ref()?.number.as_ref()?;
        Some(*sequence)
    }

    /// The payment and the day it was received, once paid.
    pub fn paid(&self) -> Option<(PaymentId, NaiveDate)> {
        self.drafted.as_ref()?.paid
    }

    /// Everything credit notes give back, once drafted.
    pub fn credited_total(&self) -> Option<Money> {
        self.drafted.as_ref().map(|invoice| invoice.credited_total)
    }

    /// The credit notes recorded; empty until some are.
    pub fn credit_notes(&self) -> &[InvoiceId] {
        self.drafted
            .as_ref()
            .map_or(&[], |invoice| invoice.credit_notes.as_slice())
    }

    /// What credit notes may still give back: the gross total less what is credited, for an
    /// issued invoice that is not a credit note, not a proforma and not cancelled; `None`
    /// otherwise.
    pub fn remaining_creditable(&self) -> Option<Money> {
        let invoice = self
            .creditable()
            .ok()
            .filter(|invoice| invoice.kind != InvoiceKind::Proforma)?;
        invoice
            .totals
            .gross
            .checked_sub(invoice.credited_total)
            .ok()
    }

    /// The book and the command that number this draft under `numbering` (the company's), or
    /// `None` when the invoice is not drafted or already has its number.
    ///
    /// The book is the company's for the kind's series and the year of issue (or the one book
    /// for ever when the numbering never resets).
    pub fn numbering_command(
        &self,
        numbering: &InvoiceNumbering,
    ) -> Option<(InvoiceBookId, InvoiceBookCommand)> {
        let invoice = self.drafted.as_ref()?;
        if invoice.number.is_some() {
            return None;
        }
        let series = invoice.kind.series();
        let year = invoice.issued_on.year();
        let book_id = InvoiceBookId::of(invoice.company_id, series, numbering.book_year(year));
        Some((
            book_id,
            InvoiceBookCommand::NumberDocument {
                invoice_id: invoice.invoice_id,
                company_id: invoice.company_id,
                series: series.to_string(),
                year,
                numbering: numbering.clone(),
            },
        ))
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: InvoiceCommand) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        match command {
            InvoiceCommand::DraftInvoice {
                invoice_id,
                kind,
                provider_id,
                company_id,
                client_id,
                seller,
                payer,
                currency,
                lines,
                recorded,
                drafted_on,
                treatment,
                issued_on,
                due_on,
                payment_id,
                period,
                corrects,
                note,
            } => self.draft_invoice(
                invoice_id,
                kind,
                provider_id,
                company_id,
                client_id,
                seller,
                payer,
                currency,
                lines,
                recorded,
                drafted_on,
                treatment,
                issued_on,
                due_on,
                payment_id,
                period,
                corrects,
                note,
            ),
            InvoiceCommand::AssignNumber { sequence, number } => {
                self.assign_number(sequence, number)
            }
            InvoiceCommand::PayInvoice {
                payment_id,
                paid_on,
                credited,
            } => self.pay_invoice(payment_id, paid_on, credited),
            InvoiceCommand::MarkPaid {
                payment_id,
                paid_on,
            } => self.mark_paid(payment_id, paid_on),
            InvoiceCommand::RecordCreditNote {
                credit_note_id,
                gross,
            } => self.record_credit_note(credit_note_id, gross),
            InvoiceCommand::CancelInvoice { reason } => self.cancel_invoice(reason),
            InvoiceCommand::ImportInvoice {
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
            } => self.import_invoice(ImportedInvoice {
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
            }),
            InvoiceCommand::RequestSend {
                recipient,
                requested_by,
            } => self.request_send(recipient, requested_by),
        }
    }

    /// Decides [`InvoiceCommand::DraftInvoice`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn draft_invoice(
        &self,
        invoice_id: InvoiceId,
        kind: InvoiceKind,
        provider_id: ProviderId,
        company_id: CompanyId,
        client_id: ClientId,
        seller: SellerDetails,
        payer: PayerDetails,
        currency: Currency,
        lines: Vec<LineInput>,
        recorded: Vec<RecordedLine>,
        drafted_on: NaiveDate,
        treatment: TaxTreatment,
        issued_on: NaiveDate,
        due_on: NaiveDate,
        payment_id: Option<PaymentId>,
        period: Option<InvoicePeriod>,
        corrects: Option<InvoiceId>,
        note: Option<String>,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        self.new_and_dated(issued_on, due_on)?;
        let is_credit_note = kind == InvoiceKind::CreditNote;
        if is_credit_note != corrects.is_some() || corrects == Some(invoice_id) {
            return Err(InvoiceError::InvalidCorrects);
        }
        if kind == InvoiceKind::Proforma && payment_id.is_none() {
            return Err(InvoiceError::ProformaWithoutPayment);
        }
        if kind == InvoiceKind::Monthly && period.is_none() {
            return Err(InvoiceError::MonthlyWithoutPeriod);
        }
        if kind == InvoiceKind::Prepayment && payment_id.is_none() {
            return Err(InvoiceError::PrepaymentWithoutPayment);
        }
        if let Some(period) = period {
            if period.end <= period.start {
                return Err(InvoiceError::InvalidPeriod);
            }
            period.ensure_ended(drafted_on)?;
        }
        parties_agree((company_id, &seller), (client_id, &payer), treatment)?;
        let note = note
            .map(|note| {
                text::multiline(&note, INVOICE_NOTE_CHARS_MAX).ok_or(InvoiceError::InvalidNote)
            })
            .transpose()?;
        // A payment is what the client paid, tax included: its invoice takes the tax
        // out of it at the rule's rate, even where prices otherwise get tax added.
        let treatment = if kind == InvoiceKind::Prepayment {
            treatment.with_tax_included()
        } else {
            treatment
        };
        let (lines, totals) = match (lines.is_empty(), recorded.is_empty()) {
            (false, false) => return Err(InvoiceError::MixedLines),
            (true, false) => tax::recorded_lines(recorded, currency)?,
            _ => tax::price_lines(lines, &treatment, currency)?,
        };
        Ok(vec![InvoiceEvent::InvoiceDrafted {
            invoice_id,
            kind,
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
            issued_on,
            due_on,
            payment_id,
            period,
            corrects,
            note,
        }])
    }

    /// The rules every new document keeps, drafted here or imported: not one already, and not
    /// due before it is issued.
    fn new_and_dated(&self, issued_on: NaiveDate, due_on: NaiveDate) -> Result<(), InvoiceError> {
        if self.is_drafted() {
            return Err(InvoiceError::AlreadyDrafted);
        }
        if due_on < issued_on {
            return Err(InvoiceError::DueBeforeIssue);
        }
        Ok(())
    }

    /// Decides [`InvoiceCommand::AssignNumber`].
    fn assign_number(
        &self,
        sequence: u64,
        number: String,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.drafted()?;
        let well_formed = sequence > 0
            && text::display_name(&number, INVOICE_NUMBER_CHARS_MAX)
                .is_some_and(|checked| checked == number);
        if !well_formed {
            return Err(InvoiceError::InvalidNumber);
        }
        match &invoice.number {
            Some((current_sequence, current))
                if *current_sequence == sequence && *current == number =>
            {
                Ok(vec![])
            }
            Some((_, current)) => Err(InvoiceError::AlreadyNumbered(current.clone())),
            None => Ok(vec![InvoiceEvent::InvoiceIssued { sequence, number }]),
        }
    }

    /// Decides [`InvoiceCommand::RecordCreditNote`].
    fn record_credit_note(
        &self,
        credit_note_id: InvoiceId,
        gross: Money,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.creditable()?;
        if invoice.kind == InvoiceKind::Proforma {
            return Err(InvoiceError::ProformaNotCreditable);
        }
        if credit_note_id == invoice.invoice_id {
            return Err(InvoiceError::CreditsItself(credit_note_id));
        }
        if invoice.credit_notes.contains(&credit_note_id) {
            return Ok(vec![]);
        }
        if gross.currency() != invoice.currency {
            return Err(InvoiceError::CurrencyMismatch {
                expected: invoice.currency,
                found: gross.currency(),
            });
        }
        if !gross.is_positive() {
            return Err(InvoiceError::CreditNotPositive);
        }
        let remaining = invoice.totals.gross.checked_sub(invoice.credited_total)?;
        if gross.amount() > remaining.amount() {
            return Err(InvoiceError::CreditExceedsInvoice {
                requested: gross,
                remaining,
            });
        }
        Ok(vec![InvoiceEvent::InvoiceCredited {
            credit_note_id,
            gross,
            credited_total: invoice.credited_total.checked_add(gross)?,
        }])
    }

    /// Decides [`InvoiceCommand::CancelInvoice`].
    fn cancel_invoice(&self, reason: String) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.drafted()?;
        if invoice.kind != InvoiceKind::Proforma {
            return Err(InvoiceError::NotCancellable);
        }
        if invoice.cancelled.is_some() {
            return Ok(vec![]);
        }
        if invoice.paid.is_some() || !invoice.credited_total.is_zero() {
            return Err(InvoiceError::NotCancellable);
        }
        let reason = text::trimmed_within(&reason, CANCEL_REASON_CHARS_MAX)
            .ok_or(InvoiceError::InvalidReason)?;
        Ok(vec![InvoiceEvent::InvoiceCancelled {
            reason: reason.to_string(),
        }])
    }

    /// Decides [`InvoiceCommand::RequestSend`]: only an issued document that was not cancelled
    /// is sent (paid and credited ones too: the client may need them again).
    fn request_send(
        &self,
        recipient: Option<String>,
        requested_by: String,
    ) -> Result<Vec<InvoiceEvent>, InvoiceError> {
        let invoice = self.drafted()?;
        if invoice.cancelled.is_some() {
            return Err(InvoiceError::Cancelled);
        }
        let Some((_, number)) = &invoice.number else {
            return Err(InvoiceError::NotIssued);
        };
        let recipient = recipient
            .map(|to| {
                crate::client::Email::parse(&to)
                    .map(|email| email.as_str().to_owned())
                    .map_err(|_| InvoiceError::InvalidRecipient(to.chars().take(100).collect()))
            })
            .transpose()?;
        let requested_by =
            text::trimmed_within(&requested_by, 1000).ok_or(InvoiceError::InvalidRequester)?;
        Ok(vec![InvoiceEvent::InvoiceSendRequested {
            number: number.clone(),
            recipient,
            requested_by: requested_by.to_owned(),
        }])
    }

    /// The drafted invoice, or `NotDrafted`.
    fn drafted(&self) -> Result<&DraftedInvoice, InvoiceError> {
        self.drafted.as_ref().ok_or(InvoiceError::NotDrafted)
    }

    /// The invoice if it can be paid or credited: drafted, not a credit note, not cancelled and
    /// issued.
    fn creditable(&self) -> Result<&DraftedInvoice, InvoiceError> {
        let invoice = self.drafted()?;
        if invoice.kind == InvoiceKind::CreditNote {
            return Err(InvoiceError::IsCreditNote);
        }
        if invoice.cancelled.is_some() {
            return Err(InvoiceError::Cancelled);
        }
        if invoice.number.is_none() {
            return Err(InvoiceError::NotIssued);
        }
        Ok(invoice)
    }
}

/// The parties a document names agree with the ids it is for, and a reverse charge is only for
/// a business payer with a VAT number: drafted here or imported.
fn parties_agree(
    (company_id, seller): (CompanyId, &SellerDetails),
    (client_id, payer): (ClientId, &PayerDetails),
    treatment: TaxTreatment,
) -> Result<(), InvoiceError> {
    if seller.company_id != company_id {
        return Err(InvoiceError::SellerMismatch);
    }
    if payer.client_id != client_id {
        return Err(InvoiceError::PayerMismatch);
    }
    if treatment == TaxTreatment::ReverseCharge && !payer.is_business_with_vat_number() {
        return Err(InvoiceError::ReverseChargeNotApplicable);
    }
    Ok(())
}

impl Aggregate for Invoice {
    const TYPE: &'static str = "Invoice";
    type Command = InvoiceCommand;
    type Event = InvoiceEvent;
    type Error = InvoiceError;
    type Services = ();

    async fn handle(
        &mut self,
        command: InvoiceCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), InvoiceError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: InvoiceEvent) {
        match event {
            InvoiceEvent::InvoiceDrafted {
                invoice_id,
                kind,
                provider_id,
                company_id,
                client_id,
                seller,
                payer,
                currency,
                lines,
                totals,
                treatment,
                tax_notice,
                issued_on,
                due_on,
                payment_id,
                period,
                corrects,
                note,
            } => {
                self.drafted = Some(DraftedInvoice {
                    invoice_id,
                    kind,
                    provider_id,
                    company_id,
                    client_id,
                    seller,
                    payer,
                    currency,
                    lines,
                    totals,
                    treatment,
                    tax_notice,
                    issued_on,
                    due_on,
                    payment_id,
                    period,
                    corrects,
                    note,
                    number: None,
                    paid: None,
                    instalments: Vec::new(),
                    credited_total: Money::zero(currency),
                    credit_notes: Vec::new(),
                    cancelled: None,
                });
            }
            InvoiceEvent::InvoiceImported {
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
                tax_notice,
                number,
                issued_on,
                due_on,
                source: _,
            } => {
                // Issued there: sequence 0, no place in this company's book.
                self.drafted = Some(DraftedInvoice {
                    invoice_id,
                    kind: InvoiceKind::Manual,
                    provider_id,
                    company_id,
                    client_id,
                    seller,
                    payer,
                    currency,
                    lines,
                    totals,
                    treatment,
                    tax_notice,
                    issued_on,
                    due_on,
                    payment_id: None,
                    period: None,
                    corrects: None,
                    note: None,
                    number: Some((0, number)),
                    paid: None,
                    instalments: Vec::new(),
                    credited_total: Money::zero(currency),
                    credit_notes: Vec::new(),
                    cancelled: None,
                });
            }
            InvoiceEvent::InvoiceIssued { sequence, number } => {
                if let Some(invoice) = &mut self.drafted {
                    invoice.number = Some((sequence, number));
                }
            }
            InvoiceEvent::InvoicePaid {
                payment_id,
                paid_on,
            } => {
                if let Some(invoice) = &mut self.drafted {
                    invoice.paid = Some((payment_id, paid_on));
                }
            }
            InvoiceEvent::InvoicePartlyPaid {
                payment_id, amount, ..
            } => {
                if let Some(invoice) = &mut self.drafted {
                    invoice.instalments.push((payment_id, amount));
                }
            }
            InvoiceEvent::InvoiceCredited {
                credit_note_id,
                credited_total,
                ..
            } => {
                // The event carries the new total, so applying it is an assignment, never a sum.
                if let Some(invoice) = &mut self.drafted {
                    invoice.credited_total = credited_total;
                    invoice.credit_notes.push(credit_note_id);
                }
            }
            InvoiceEvent::InvoiceCancelled { reason } => {
                if let Some(invoice) = &mut self.drafted {
                    invoice.cancelled = Some(reason);
                }
            }
            // A request to send changes nothing the aggregate decides on.
            InvoiceEvent::InvoiceSendRequested { .. } => {}
        }
    }
}
