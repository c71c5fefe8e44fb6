//! A company's document template: what its invoices and credit notes print besides the legal
//! details (a header, a footer, a logo and how to pay), BILLmanager's "Document templates".
//!
//! The template is copied into every invoice with the [`SellerDetails`](super::SellerDetails)
//! when the invoice is drafted, so that an edit never changes a document already issued. The logo's
//! bytes are kept apart, content-addressed by their SHA-256; the template holds the digest.

use serde::{Deserialize, Serialize};

use super::CompanyError;
use crate::text;

/// The longest header or footer text, in characters.
pub const TEMPLATE_TEXT_CHARS_MAX: usize = 1000;

/// The longest bank name or account holder, in characters.
pub const PAYMENT_NAME_CHARS_MAX: usize = 200;

/// The largest logo, in bytes.
pub const LOGO_BYTES_MAX: u64 = 256 * 1024;

/// What a company's documents print besides its legal details. Every field is optional; the
/// default prints nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentTemplate {
    /// Text printed under the title, lines separated by `\n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Text printed at the foot of every page, lines separated by `\n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// The logo printed at the top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// How to pay the company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentDetails>,
}

/// The company's bank details, as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentDetails {
    /// The bank's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// The IBAN, upper case, without spaces, its check digits verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iban: Option<String>,
    /// The BIC (SWIFT code), 8 or 11 characters, upper case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// Whose account it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder: Option<String>,
    /// Anything else a payer needs, such as a reference to quote; newlines allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A logo's type: only pictures a document can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoType {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
}

impl LogoType {
    /// The type `content` really is, by its magic bytes; `None` for anything but PNG and JPEG,
    /// whatever its name or declared type says.
    pub fn sniff(content: &[u8]) -> Option<LogoType> {
        if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(LogoType::Png)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(LogoType::Jpeg)
        } else {
            None
        }
    }

    /// The media type.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoType::Png => "image/png",
            LogoType::Jpeg => "image/jpeg",
        }
    }
}

/// A logo: its bytes are kept apart under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    /// The SHA-256 of the content, lower-case hex: the key of the stored bytes.
    pub sha256: String,
    /// Its type, sniffed from the content.
    pub content_type: LogoType,
    /// Its size.
    pub size_bytes: u64,
}

impl DocumentTemplate {
    /// The template with every rule applied: texts trimmed (empty ones dropped) and within their
    /// lengths, the IBAN's check digits and the BIC's shape verified, the logo at most 256 KiB
    /// and named by a SHA-256.
    pub fn checked(self) -> Result<DocumentTemplate, CompanyError> {
        let long_text = |value: Option<String>, field: &'static str| {
            optional(value, |v| {
                text::multiline(v, TEMPLATE_TEXT_CHARS_MAX).ok_or(CompanyError::InvalidTemplate(
                    format!("{field}: must be at most {TEMPLATE_TEXT_CHARS_MAX} characters without control characters other than newlines"),
                ))
            })
        };
        let name = |value: Option<String>, field: &'static str| {
            optional(value, |v| {
                text::display_name(v, PAYMENT_NAME_CHARS_MAX)
                    .map(str::to_string)
                    .ok_or(CompanyError::InvalidTemplate(format!(
                        "{field}: must be at most {PAYMENT_NAME_CHARS_MAX} characters without control characters"
                    )))
            })
        };
        let payment = match self.payment {
            None => None,
            Some(payment) => {
                let payment = PaymentDetails {
                    bank_name: name(payment.bank_name, "payment.bank_name")?,
                    iban: optional(payment.iban, iban)?,
                    bic: optional(payment.bic, bic)?,
                    account_holder: name(payment.account_holder, "payment.account_holder")?,
                    text: long_text(payment.text, "payment.text")?,
                };
                (payment != PaymentDetails::default()).then_some(payment)
            }
        };
        let logo = match self.logo {
            None => None,
            Some(logo) => {
                if logo.size_bytes > LOGO_BYTES_MAX {
                    return Err(CompanyError::LogoTooLarge {
                        size_bytes: logo.size_bytes,
                        limit_bytes: LOGO_BYTES_MAX,
                    });
                }
                let hex =
                    logo.sha256.len() == 64 && logo.sha256.chars().all(|c| c.is_ascii_hexdigit());
                if !hex {
                    return Err(CompanyError::InvalidTemplate(
                        "logo: the content digest is not a SHA-256".to_string(),
                    ));
                }
                Some(Logo {
                    sha256: logo.sha256.to_ascii_lowercase(),
                    ..logo
                })
            }
        };
        Ok(DocumentTemplate {
            header: long_text(self.header, "header")?,
            footer: long_text(self.footer, "footer")?,
            logo,
            payment,
        })
    }
}

/// `value` checked by `check` unless it is absent or blank.
fn optional<T>(
    value: Option<String>,
    check: impl Fn(&str) -> Result<T, CompanyError>,
) -> Result<Option<T>, CompanyError> {
    match value {
        Some(value) if !value.trim().is_empty() => check(&value).map(Some),
        _ => Ok(None),
    }
}

/// An IBAN without spaces, upper case: a country code, two check digits and 11 to 30 letters or
/// digits, whose ISO 7064 MOD 97-10 remainder is 1.
pub fn iban(input: &str) -> Result<String, CompanyError> {
    let invalid =
        || CompanyError::InvalidTemplate(format!("payment.iban: {input:?} is not a valid IBAN"));
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = compact.as_bytes();
    let shape = (15..=34).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(u8::is_ascii_alphanumeric);
    if !shape {
        return Err(invalid());
    }
    let mut remainder: u32 = 0;
    for byte in bytes[4..].iter().chain(&bytes[..4]) {
        let value = match byte {
            b'0'..=b'9' => u32::from(byte - b'0'),
            _ => u32::from(byte - b'A') + 10,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    if remainder == 1 {
        Ok(compact)
    } else {
        Err(invalid())
    }
}

/// A BIC, upper case: four letters of the bank, two of the country, two letters or digits of the
/// location and optionally three of the branch.
pub fn bic(input: &str) -> Result<String, CompanyError> {
    let code = input.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let shape = matches!(bytes.len(), 8 | 11)
        && bytes[..6].iter().all(u8::is_ascii_uppercase)
        && bytes[6..].iter().all(u8::is_ascii_alphanumeric);
    if shape {
        Ok(code)
    } else {
        Err(CompanyError::InvalidTemplate(format!(
            "payment.bic: {input:?} is not a BIC of 8 or 11 letters and digits"
        )))
    }
}
