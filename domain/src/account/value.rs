//! Validated value types of account commands.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::AccountError;

/// The longest payment method name, in characters.
pub const PAYMENT_METHOD_CHARS_MAX: usize = 64;

/// How a payment was made, as a short machine name such as `bank_transfer` or `card`:
/// 1 to 64 characters of `a-z`, `0-9`, `_` and `-`.
///
/// The set of methods is open (each provider has its own gateways), but the spelling is strict so
/// that reports can group payments by method without normalising.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PaymentMethod(String);

impl PaymentMethod {
    /// Checks `method` without trimming or lowercasing it.
    pub fn parse(method: &str) -> Result<PaymentMethod, AccountError> {
        let allowed = |byte: u8| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
        };
        if (1..=PAYMENT_METHOD_CHARS_MAX).contains(&method.len()) && method.bytes().all(allowed) {
            Ok(PaymentMethod(method.to_string()))
        } else {
            Err(AccountError::InvalidMethod(method.to_string()))
        }
    }

    /// The method name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PaymentMethod {
    type Error = AccountError;

    fn try_from(value: String) -> Result<PaymentMethod, AccountError> {
        PaymentMethod::parse(&value)
    }
}

impl From<PaymentMethod> for String {
    fn from(value: PaymentMethod) -> String {
        value.0
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
