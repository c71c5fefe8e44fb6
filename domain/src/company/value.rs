//! Value types of companies: invoice numbering, the seller details frozen into invoices, and the
//! configuration of a payment method.

use serde::{Deserialize, Serialize};

use super::CompanyError;
use crate::account::PaymentMethodKind;
use crate::client::Country;
use crate::ids::CompanyId;
use crate::tax::VatNumber;

/// The longest invoice number prefix, in characters.
pub const NUMBERING_PREFIX_CHARS_MAX: usize = 16;

/// When a company's invoice sequence starts again at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberingReset {
    /// Every calendar year has its own sequence, and numbers carry the year: `INV2026-000001`.
    Yearly,
    /// One sequence for the company's whole life: `INV000001`.
    Never,
}

impl NumberingReset {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberingReset::Yearly => "yearly",
            NumberingReset::Never => "never",
        }
    }
}

/// Which tax document a prepaid client (an account without a credit limit) gets; post-paid
/// clients always get a monthly invoice of their consumption.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxDocument {
    /// A prepayment invoice for every payment credited, with the tax the payment contains (the
    /// rule in most EU countries: VAT is due when an advance payment is received). The default.
    #[default]
    OnPayment,
    /// A monthly invoice of what was charged in the month, as post-paid clients get.
    MonthlyConsumption,
}

impl TaxDocument {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            TaxDocument::OnPayment => "on_payment",
            TaxDocument::MonthlyConsumption => "monthly_consumption",
        }
    }

    /// Whether a payment credited to an account gets a tax document of its own (a prepayment
    /// invoice): only a prepaid account's (no credit limit), and only under `OnPayment`. A
    /// post-paid account's payment settles a monthly invoice, which is its tax document; a
    /// prepaid account under `MonthlyConsumption` gets a monthly invoice instead.
    pub fn documents_payment(self, prepaid: bool) -> bool {
        prepaid && self == TaxDocument::OnPayment
    }

    /// Whether any payment, a prepaid account's or a post-paid one's, gets a tax document of its
    /// own: when not, whether an account is prepaid need not be looked up.
    pub fn documents_any_payment(self) -> bool {
        self.documents_payment(true) || self.documents_payment(false)
    }
}

/// How a company numbers its documents: a prefix of 0 to 16 characters of `A-Z`, `0-9`, `-` and
/// `/`, and when the sequence restarts.
///
/// The prefix is restricted so that a number is safe in a file name, a bank transfer's reference
/// and a URL path segment once `/` is escaped; it is checked again when deserialized.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "NumberingWire", into = "NumberingWire")]
pub struct InvoiceNumbering {
    prefix: String,
    reset: NumberingReset,
}

impl InvoiceNumbering {
    /// Checks `prefix` exactly as given (no trimming or upper-casing).
    pub fn new(prefix: &str, reset: NumberingReset) -> Result<InvoiceNumbering, CompanyError> {
        let allowed = |byte: u8| {
            byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'/'
        };
        if prefix.len() <= NUMBERING_PREFIX_CHARS_MAX && prefix.bytes().all(allowed) {
            Ok(InvoiceNumbering {
                prefix: prefix.to_string(),
                reset,
            })
        } else {
            Err(CompanyError::InvalidNumberingPrefix(prefix.to_string()))
        }
    }

    /// The prefix, possibly empty.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// When the sequence restarts.
    pub fn reset(&self) -> NumberingReset {
        self.reset
    }

    /// The document number of `sequence` in `year`: `"{prefix}{year}-{sequence:06}"` when the
    /// sequence restarts yearly, `"{prefix}{sequence:06}"` when it never does. Sequences above
    /// 999999 simply get more digits.
    pub fn format(&self, sequence: u64, year: i32) -> String {
        match self.reset {
            NumberingReset::Yearly => format!("{}{year}-{sequence:06}", self.prefix),
            NumberingReset::Never => format!("{}{sequence:06}", self.prefix),
        }
    }

    /// The year of the numbering book a document dated in `year` is numbered from: the year
    /// itself when the sequence restarts yearly, `None` (one book for ever) otherwise. Pass it to
    /// `InvoiceBookId::of`.
    pub fn book_year(&self, year: i32) -> Option<i32> {
        match self.reset {
            NumberingReset::Yearly => Some(year),
            NumberingReset::Never => None,
        }
    }
}

/// The serialized shape of [`InvoiceNumbering`].
#[derive(Serialize, Deserialize)]
struct NumberingWire {
    prefix: String,
    reset: NumberingReset,
}

impl TryFrom<NumberingWire> for InvoiceNumbering {
    type Error = CompanyError;

    fn try_from(wire: NumberingWire) -> Result<InvoiceNumbering, CompanyError> {
        InvoiceNumbering::new(&wire.prefix, wire.reset)
    }
}

impl From<InvoiceNumbering> for NumberingWire {
    fn from(numbering: InvoiceNumbering) -> NumberingWire {
        NumberingWire {
            prefix: numbering.prefix,
            reset: numbering.reset,
        }
    }
}

/// Who issues an invoice, as printed on it. Copied into every invoice when it is drafted, so that
/// a company that moves or renames itself never changes the documents it has already issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerDetails {
    /// The issuing company.
    pub company_id: CompanyId,
    /// The company's legal name.
    pub name: String,
    /// The country the company is registered in.
    pub country: Country,
    /// The company's VAT number, if it has one.
    pub vat_number: Option<VatNumber>,
    /// The postal address, lines separated by `\n`.
    pub address: String,
    /// The company's document template when the invoice was drafted (absent from invoices
    /// drafted before templates existed, and from those of a company without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<super::DocumentTemplate>,
}

/// How a company receives money by one payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentMethodConfig {
    /// Who confirms payments by this method.
    pub kind: PaymentMethodKind,
    /// What clients see, such as "Bank transfer (SEPA)"; 1 to 100 characters without control
    /// characters.
    pub display_name: String,
    /// Whether clients can pay by this method now. A disabled method stays configured, so that
    /// the payments already made by it keep their meaning.
    pub enabled: bool,
    /// For a card gateway: where the customer panel sends the client to pay, an `https://` (or
    /// `http://`) address in which `{payment_id}` and `{return_url}` are replaced by the
    /// payment's id and the panel's address the gateway sends the client back to. `None` for
    /// every other kind, and for a gateway that takes payments only over the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}
