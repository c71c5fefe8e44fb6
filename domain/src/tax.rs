//! Taxes: VAT numbers, a company's tax rules per client country, and the pricing of invoice lines
//! under them.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a tax value or rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    /// The VAT number is not two letters followed by 2 to 13 letters or digits.
    #[error(
        "vat_number: {0:?} is not two uppercase letters followed by 2 to 13 uppercase letters or digits"
    )]
    InvalidVatNumber(String),
}

impl TaxError {
    /// The stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            TaxError::InvalidVatNumber(_) => "invalid_vat_number",
        }
    }
}

/// A VAT identification number such as `DE123456789`: a two-letter prefix (the country, `EL` for
/// Greece) and 2 to 13 uppercase letters or digits, without spaces or dots.
///
/// Only the shape is checked here; whether the number is registered is a question for VIES.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VatNumber(String);

impl VatNumber {
    /// Accepts exactly the canonical spelling; `"de 123"` is refused rather than normalised, so
    /// that stored events hold one spelling per number.
    pub fn parse(text: &str) -> Result<VatNumber, TaxError> {
        let bytes = text.as_bytes();
        let prefix_ok = bytes.len() >= 4 && bytes[..2].iter().all(u8::is_ascii_uppercase);
        let rest_ok = (2..=13).contains(&bytes.len().saturating_sub(2))
            && bytes[2..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if prefix_ok && rest_ok {
            Ok(VatNumber(text.to_string()))
        } else {
            Err(TaxError::InvalidVatNumber(text.to_string()))
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter prefix.
    pub fn prefix(&self) -> &str {
        self.0.get(..2).unwrap_or_default()
    }
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for VatNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for VatNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        VatNumber::parse(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vat_number_is_a_prefix_and_2_to_13_letters_or_digits() {
        assert_eq!(VatNumber::parse("DE123456789").unwrap().prefix(), "DE");
        assert!(VatNumber::parse("ATU12345678").is_ok());
        for bad in [
            "",
            "DE",
            "DE1",
            "de123456789",
            "DE 123456789",
            "1E123456",
            "DE12345678901234",
        ] {
            assert!(VatNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
