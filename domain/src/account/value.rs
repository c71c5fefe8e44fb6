//! Validated value types of account commands.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AccountError;
use crate::ids::{ExpenseId, ServiceId};
use crate::money::Money;
use crate::tax::{TaxMode, TaxRate, TaxTreatment, TaxedAmount};

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

/// How a company receives money by a payment method; it decides who may confirm a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodKind {
    /// The client transfers money to the company's bank account; staff confirm it.
    BankTransfer,
    /// A card gateway takes the money and confirms it over HTTP with its own `external_id`.
    CardGateway,
    /// Staff record money received by other means (cash, a settlement); credited at once.
    Manual,
}

impl PaymentMethodKind {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethodKind::BankTransfer => "bank_transfer",
            PaymentMethodKind::CardGateway => "card_gateway",
            PaymentMethodKind::Manual => "manual",
        }
    }
}

/// One charge or credit of an account for a service over a half-open period
/// `[period_start, period_end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpenseLine {
    /// The expense's id, derived with [`ExpenseId::for_period`] or [`ExpenseId::for_change`] so
    /// that a repeated charge is recognised by the event store.
    pub expense_id: ExpenseId,
    /// The service the expense is for.
    pub service_id: ServiceId,
    /// The first day the expense pays for.
    pub period_start: NaiveDate,
    /// The first day the expense no longer pays for.
    pub period_end: NaiveDate,
    /// What the account is charged (or given back), tax included when tax is added; never
    /// negative (a credit is a positive amount given back).
    ///
    /// In a command it is the service's price, net or gross as the tax treatment says; the
    /// account taxes it and records the result here and in `tax`.
    pub amount: Money,
    /// What the client sees on the statement; trimmed, 1 to 500 characters.
    pub description: String,
    /// The promo code discount taken off a charge, if any: `discount.list_amount` less
    /// `discount.amount` is the price before tax is added ([`ExpenseLine::price`]). Absent from
    /// lines stored before promo codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<ExpenseDiscount>,
    /// The tax in `amount` and how it was decided: `tax.net + tax.tax` is `amount`. Set by the
    /// account when it charges; absent from lines stored before charges carried tax, which were
    /// charged without any ([`ExpenseLine::taxed`] reads them as net = amount, no tax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<ExpenseTax>,
}

impl ExpenseLine {
    /// The amount split into net, tax and gross (`amount`), as the account recorded it.
    pub fn taxed(&self) -> TaxedAmount {
        match &self.tax {
            Some(tax) => TaxedAmount {
                rate: tax.treatment.rate(),
                net: tax.net,
                tax: tax.tax,
                gross: self.amount,
            },
            None => TaxedAmount {
                rate: TaxRate::ZERO,
                net: self.amount,
                tax: Money::zero(self.amount.currency()),
                gross: self.amount,
            },
        }
    }

    /// The price the line was charged for, before any tax was added: the net amount when the
    /// tax was added on top, the amount otherwise.
    pub fn price(&self) -> Money {
        match &self.tax {
            Some(ExpenseTax {
                treatment:
                    TaxTreatment::Standard {
                        mode: TaxMode::Added,
                        ..
                    },
                net,
                ..
            }) => *net,
            _ => self.amount,
        }
    }
}

/// The tax of an expense as the account charged it, from the company's tax rules for the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpenseTax {
    /// How the charge was taxed: a rate added to or included in the price, reverse charge, or
    /// not taxed.
    pub treatment: TaxTreatment,
    /// The amount without tax.
    pub net: Money,
    /// The tax, rounded to the minor unit half away from zero by `tax::tax_amount`.
    pub tax: Money,
}

/// A promo code discount as an expense shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpenseDiscount {
    /// The code redeemed.
    pub code: String,
    /// The price before the discount, in the expense's currency.
    pub list_amount: Money,
    /// What the discount took off `list_amount`; not negative and not more than it.
    pub amount: Money,
}

/// The charge a credit gives back part of, with what that charge paid: the account never gives
/// back more of a charge than is left of it after earlier credits and corrections, and gives it
/// back under the tax treatment the charge was taxed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditedCharge {
    /// The charge's expense id.
    pub expense_id: ExpenseId,
    /// What the charge paid that may be given back (for a first period, without the setup fee).
    pub charged: Money,
    /// How the charge was taxed when it was charged: the credit carries the same tax, whatever
    /// the client's treatment is now (a client who moved to a country with VAT since is given
    /// back what was paid, not that plus a VAT that was never paid).
    pub treatment: crate::tax::TaxTreatment,
}
