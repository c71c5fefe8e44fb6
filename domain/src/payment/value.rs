//! Validated value types of payments.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::PaymentError;
use crate::account::PaymentMethodKind;

/// The longest external id, in characters (all of them ASCII).
pub const EXTERNAL_ID_CHARS_MAX: usize = 128;

/// The id a payment gateway or a bank gives a payment, such as `pi_3MtwBwLkdIwHu7ix28a3tqPa`:
/// 1 to 128 printable ASCII characters without whitespace.
///
/// It is how a gateway's repeated confirmation is recognised, so it is kept exactly as given:
/// never trimmed or case-folded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

impl ExternalId {
    /// Checks `id` without trimming it.
    pub fn parse(id: &str) -> Result<ExternalId, PaymentError> {
        let printable = |byte: u8| byte.is_ascii_graphic();
        if (1..=EXTERNAL_ID_CHARS_MAX).contains(&id.len()) && id.bytes().all(printable) {
            Ok(ExternalId(id.to_string()))
        } else {
            Err(PaymentError::InvalidExternalId(id.to_string()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalId {
    type Error = PaymentError;

    fn try_from(value: String) -> Result<ExternalId, PaymentError> {
        ExternalId::parse(&value)
    }
}

impl From<ExternalId> for String {
    fn from(value: ExternalId) -> String {
        value.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who asks for a payment to be created.
///
/// A method of kind `manual` credits at once on the word of whoever creates the payment, which
/// staff (and machines they trust) may say and a client's own user may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    /// Staff, an administrator or a service token, acting for the provider.
    Staff,
    /// One of the client's own users.
    Client,
}

impl Initiator {
    /// Whether a payment asked for by this initiator may be made by a method of `kind`: anyone
    /// by a method someone else confirms (a bank transfer, a card gateway), only staff by one of
    /// kind `manual`. The rule `CreatePayment` applies; pages ask it to offer only what it takes.
    pub fn may_pay_by(self, kind: PaymentMethodKind) -> bool {
        kind != PaymentMethodKind::Manual || self == Initiator::Staff
    }
}

/// Where a payment is in its lifecycle, derived from its events.
///
/// `New → InProgress → Credited`, with `InProgress` optional; a credited payment becomes
/// `PartiallyRefunded` or `Refunded` as refunds are recorded. `New` and `InProgress` can end in
/// `Cancelled`; any payment but a cancelled one can end in `Fraud`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created; no money has arrived yet.
    New,
    /// Handed to a gateway or awaited from a bank.
    InProgress,
    /// The money arrived and the account may be credited; nothing refunded.
    Credited,
    /// Credited, and part of it refunded.
    PartiallyRefunded,
    /// Credited, and all of it refunded.
    Refunded,
    /// Given up before any money arrived.
    Cancelled,
    /// Marked as fraud; whatever it credited and was not refunded is to be reversed.
    Fraud,
}

impl PaymentStatus {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::New => "new",
            PaymentStatus::InProgress => "in_progress",
            PaymentStatus::Credited => "credited",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Fraud => "fraud",
        }
    }

    /// The status of a credited payment of which `refunded` of the `credited` amount was
    /// refunded (both in the account's currency): the one rule, for a `Payment` and for a
    /// payment credited straight to an account, whose refunds only its account records.
    pub fn of_credited(credited: Decimal, refunded: Decimal) -> PaymentStatus {
        if refunded <= Decimal::ZERO {
            PaymentStatus::Credited
        } else if refunded >= credited {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        }
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
