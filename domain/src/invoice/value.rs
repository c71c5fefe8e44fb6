//! Value types of invoices: their kind, the payer printed on them, the period a monthly invoice
//! covers, and their status.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::InvoiceError;
use crate::client::{ClientKind, Country};
use crate::ids::{ClientId, PayerId};
use crate::tax::{TaxCustomer, VatNumber};

/// What a document is for. It decides which fields a draft needs and which numbering series it
/// takes ([`InvoiceKind::series`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// Asks for a payment the client is about to make; it names the payment and is the only
    /// kind that can be cancelled (while unpaid).
    Proforma,
    /// Bills a post-paid month; it names the period.
    Monthly,
    /// Issued by staff by hand.
    Manual,
    /// Corrects an issued invoice, named in `corrects`, by giving back part or all of it. Its
    /// lines are positive amounts: the kind says they are given back.
    CreditNote,
    /// The tax invoice of a payment a prepaid client made, issued when the payment is credited
    /// (for a company whose tax document is `on_payment`); it names the payment, and its lines
    /// contain the payment's tax (the amount paid is gross).
    Prepayment,
}

impl InvoiceKind {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Proforma => "proforma",
            InvoiceKind::Monthly => "monthly",
            InvoiceKind::Manual => "manual",
            InvoiceKind::CreditNote => "credit_note",
            InvoiceKind::Prepayment => "prepayment",
        }
    }

    /// The numbering series the kind is numbered in, for `InvoiceBookId::of`.
    ///
    /// Monthly, manual and prepayment invoices share the `invoice` series, because tax law wants one gap-free
    /// sequence of invoices; proformas are not tax documents and credit notes are usually
    /// numbered apart, so each has its own.
    pub fn series(self) -> &'static str {
        match self {
            InvoiceKind::Proforma => "proforma",
            InvoiceKind::Monthly | InvoiceKind::Manual | InvoiceKind::Prepayment => "invoice",
            InvoiceKind::CreditNote => "credit_note",
        }
    }
}

/// The half-open period `[start, end)` a monthly invoice bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InvoicePeriod {
    /// The first day billed.
    pub start: NaiveDate,
    /// The first day no longer billed; after `start`.
    pub end: NaiveDate,
}

impl InvoicePeriod {
    /// A period is invoiced only once it has ended: on `today` its last day (`end` − 1) must be
    /// past, so no charge of it can still come after the invoice.
    pub fn ensure_ended(&self, today: NaiveDate) -> Result<(), InvoiceError> {
        if today < self.end {
            return Err(InvoiceError::PeriodNotEnded {
                end: self.end,
                today,
            });
        }
        Ok(())
    }
}

/// Who pays an invoice, as printed on it. Copied from the client when the invoice is drafted, so
/// that later changes to the client never change an issued document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerDetails {
    /// The client.
    pub client_id: ClientId,
    /// The client's name, as the client aggregate validated it.
    pub name: String,
    /// The client's e-mail address, as the client aggregate validated it.
    pub email: String,
    /// The client's country.
    pub country: Country,
    /// Whether the client is a private person or a business.
    pub kind: ClientKind,
    /// The client's VAT number, if it has one.
    pub vat_number: Option<VatNumber>,
    /// The client's postal address, if known.
    pub address: Option<String>,
    /// The client's payer these details are of, when the document is made out to a payer
    /// rather than to the client itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_id: Option<PayerId>,
}

impl PayerDetails {
    /// The details of the client `client` (stored under `client_id`) itself as a payer; `None`
    /// for a client never registered. Every document made out to the client, and the tax
    /// treatment of its charges, start from these.
    pub fn of_client(client: &crate::client::Client, client_id: ClientId) -> Option<Self> {
        let (Some(name), Some(email), Some(country), Some(kind)) = (
            client.name(),
            client.email(),
            client.country(),
            client.kind(),
        ) else {
            return None;
        };
        Some(Self {
            client_id,
            name: name.as_str().to_string(),
            email: email.as_str().to_string(),
            country,
            kind,
            vat_number: client.vat_number().cloned(),
            address: client.address().map(str::to_string),
            payer_id: None,
        })
    }

    /// What the tax rules need to know about the payer.
    pub fn tax_customer(&self) -> TaxCustomer {
        TaxCustomer {
            country: self.country,
            kind: self.kind,
            vat_number: self.vat_number.clone(),
        }
    }

    /// Whether the payer is a business (a company or a sole proprietor) with a VAT number, the
    /// only kind of payer reverse charge can apply to.
    pub fn is_business_with_vat_number(&self) -> bool {
        matches!(self.kind, ClientKind::Company | ClientKind::SoleProprietor)
            && self.vat_number.is_some()
    }
}

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Drafted and priced, waiting for its number.
    Draft,
    /// Numbered: a document the client can see.
    Issued,
    /// Issued and paid.
    Paid,
    /// Issued, and payments naming it paid part of it (ADR 38).
    PartiallyPaid,
    /// Issued, and credit notes give back part of its total.
    PartiallyCredited,
    /// Issued, and credit notes give back all of its total.
    Credited,
    /// A proforma that will not be paid.
    Cancelled,
}

/// What an invoice's status follows from: the facts its events record. The one rule that turns
/// them into a status is [`InvoiceStatus::of`], which the `Invoice` and the invoices read model
/// both apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusFacts {
    /// A proforma that will not be paid.
    pub cancelled: bool,
    /// Numbered.
    pub issued: bool,
    /// A payment settled it.
    pub paid: bool,
    /// Payments paid part of it.
    pub paid_in_part: bool,
    /// What its credit notes give back, in all.
    pub credited: rust_decimal::Decimal,
    /// Its gross total.
    pub gross: rust_decimal::Decimal,
}

impl InvoiceStatus {
    /// The status `facts` give: cancelled, then draft until numbered; then credit notes' statuses
    /// stand over payments' (part or all of the total credited); then paid, partially paid or
    /// issued.
    pub fn of(facts: StatusFacts) -> InvoiceStatus {
        if facts.cancelled {
            InvoiceStatus::Cancelled
        } else if !facts.issued {
            InvoiceStatus::Draft
        } else if facts.credited.is_zero() {
            if facts.paid {
                InvoiceStatus::Paid
            } else if facts.paid_in_part {
                InvoiceStatus::PartiallyPaid
            } else {
                InvoiceStatus::Issued
            }
        } else if facts.credited < facts.gross {
            InvoiceStatus::PartiallyCredited
        } else {
            InvoiceStatus::Credited
        }
    }

    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::PartiallyPaid => "partially_paid",
            InvoiceStatus::PartiallyCredited => "partially_credited",
            InvoiceStatus::Credited => "credited",
            InvoiceStatus::Cancelled => "cancelled",
        }
    }
}
