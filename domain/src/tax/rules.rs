//! The rules a company keeps and the treatment they give a customer: VAT numbers, rates,
//! [`TaxRules`] and [`TaxTreatment`].

use std::fmt;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{REVERSE_CHARGE_NOTICE, TAX_RATE_DECIMALS_MAX, TaxError};
use crate::client::{ClientKind, Country};

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

/// A tax rate in percent, from 0 to 100 with at most 4 decimal places: `19`, `7.7`, `0`.
///
/// Kept apart from [`Money`](crate::money::Money) because it is finer than any minor unit; it
/// only meets money in [`price_lines`](super::price_lines), which rounds once. Stored normalised
/// (`19.0` is `19`) and serialized as a string, so that JSON never carries it as a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxRate(Decimal);

impl TaxRate {
    /// No tax.
    pub const ZERO: TaxRate = TaxRate(Decimal::ZERO);

    /// Parses plain decimal notation: one or more digits, optionally a `.` and 1 to 4 digits.
    ///
    /// There is no sign, exponent, whitespace or `%`: rates come from forms and machines, and a
    /// strict grammar keeps one spelling per rate in the events.
    pub fn parse(text: &str) -> Result<TaxRate, TaxError> {
        let invalid = || TaxError::InvalidTaxRate(text.to_string());
        let (integer, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        let has_point = text.len() != integer.len();
        // Three integer digits are enough for 100; more leading zeros are not a spelling we keep.
        if integer.is_empty()
            || integer.len() > 3
            || !digits(integer)
            || (has_point && fraction.is_empty())
            || !digits(fraction)
            || fraction.len() > 4
        {
            return Err(invalid());
        }
        let rate = Decimal::from_str_exact(text).map_err(|_| invalid())?;
        TaxRate::new(rate).map_err(|_| invalid())
    }

    /// Checks a decimal rate: 0 to 100, at most 4 decimal places once trailing zeros are dropped.
    pub fn new(rate: Decimal) -> Result<TaxRate, TaxError> {
        let rate = rate.normalize();
        if (rate.is_sign_negative() && !rate.is_zero())
            || rate > Decimal::ONE_HUNDRED
            || rate.scale() > TAX_RATE_DECIMALS_MAX
        {
            return Err(TaxError::InvalidTaxRate(rate.to_string()));
        }
        let mut rate = rate;
        rate.set_sign_positive(true);
        Ok(TaxRate(rate))
    }

    /// The percentage, normalised (`19`, not `19.00`).
    pub fn percent(&self) -> Decimal {
        self.0
    }

    /// Whether the rate is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// The rate in millionths of one (`19` % is 190000), exact because of the 4 decimal places.
    pub(super) fn millionths(self) -> i128 {
        let mut scaled = self.0;
        scaled.rescale(TAX_RATE_DECIMALS_MAX);
        scaled.mantissa()
    }
}

impl fmt::Display for TaxRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for TaxRate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for TaxRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TaxRate::parse(&text).map_err(D::Error::custom)
    }
}

/// Whether prices under a rule already contain the tax or get it added on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Prices are gross: the tax is taken out of them (consumer prices in the EU).
    Included,
    /// Prices are net: the tax is added on top (business prices).
    Added,
}

impl TaxMode {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            TaxMode::Included => "included",
            TaxMode::Added => "added",
        }
    }
}

/// How a company taxes the clients of one country, or of every country without its own rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    /// The clients' country; `None` is the default rule for every country without its own.
    pub country: Option<Country>,
    /// The rate charged.
    pub rate: TaxRate,
    /// Whether prices include the tax or get it added.
    pub mode: TaxMode,
    /// When true, a business client (a company or a sole proprietor) with a VAT number pays no
    /// tax and the invoice carries the reverse-charge notice. A company sets this on the rules
    /// for other EU countries and leaves it off for its own country, where domestic business
    /// clients pay VAT as usual.
    pub reverse_charge: bool,
}

/// A company's tax rules: at most one per country and at most one default.
///
/// Kept sorted (countries by code, the default last), so that two rule sets that mean the same
/// compare equal and stored events hold one spelling. Deserializing checks the rules again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<TaxRule>", into = "Vec<TaxRule>")]
pub struct TaxRules(Vec<TaxRule>);

impl TaxRules {
    /// Checks that no country and not the default is named twice, and sorts the rules.
    pub fn new(rules: Vec<TaxRule>) -> Result<TaxRules, TaxError> {
        let mut rules = rules;
        rules.sort_by(|left, right| sort_key(left).cmp(&sort_key(right)));
        for pair in rules.windows(2) {
            if let [first, second] = pair
                && first.country == second.country
            {
                return Err(TaxError::DuplicateTaxRule {
                    country: first.country,
                });
            }
        }
        Ok(TaxRules(rules))
    }

    /// No rules: nobody is taxed.
    pub fn none() -> TaxRules {
        TaxRules(Vec::new())
    }

    /// The rules, countries by code and the default last.
    pub fn rules(&self) -> &[TaxRule] {
        &self.0
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The rule that applies to clients in `country`: its own, else the default, else none.
    pub fn rule_for(&self, country: Country) -> Option<&TaxRule> {
        let own = self.0.iter().find(|rule| rule.country == Some(country));
        own.or_else(|| self.0.iter().find(|rule| rule.country.is_none()))
    }

    /// How `customer` is taxed: not at all without an applicable rule; reverse charge when the
    /// rule allows it and the customer is a business with a VAT number; the rule's rate and mode
    /// otherwise.
    pub fn treatment_for(&self, customer: &TaxCustomer) -> TaxTreatment {
        let Some(rule) = self.rule_for(customer.country) else {
            return TaxTreatment::NotTaxed;
        };
        let business = matches!(
            customer.kind,
            ClientKind::Company | ClientKind::SoleProprietor
        );
        if rule.reverse_charge && business && customer.vat_number.is_some() {
            TaxTreatment::ReverseCharge
        } else {
            TaxTreatment::Standard {
                rate: rule.rate,
                mode: rule.mode,
            }
        }
    }
}

/// Countries in code order, then the default.
fn sort_key(rule: &TaxRule) -> (bool, &'static str) {
    match rule.country {
        Some(country) => (false, country.as_str()),
        None => (true, ""),
    }
}

impl TryFrom<Vec<TaxRule>> for TaxRules {
    type Error = TaxError;

    fn try_from(rules: Vec<TaxRule>) -> Result<TaxRules, TaxError> {
        TaxRules::new(rules)
    }
}

impl From<TaxRules> for Vec<TaxRule> {
    fn from(rules: TaxRules) -> Vec<TaxRule> {
        rules.0
    }
}

/// What the tax rules need to know about a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxCustomer {
    /// The customer's country.
    pub country: Country,
    /// Whether the customer is a private person or a business.
    pub kind: ClientKind,
    /// The customer's VAT number, if it has one.
    pub vat_number: Option<VatNumber>,
}

/// How one invoice is taxed; decided once, when the invoice is drafted, and frozen into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TaxTreatment {
    /// The rate is charged, included in or added to the prices.
    Standard {
        /// The rate.
        rate: TaxRate,
        /// Whether prices include it or get it added.
        mode: TaxMode,
    },
    /// A business customer accounts for the VAT itself; the invoice shows no tax and a notice.
    ReverseCharge,
    /// No rule applies: the invoice shows no tax.
    NotTaxed,
}

impl TaxTreatment {
    /// The legal notice the invoice must carry, if any.
    ///
    /// `NotTaxed` has none: why a company charges no tax (a small-business exemption, an export)
    /// depends on its country, so its wording belongs to the company's invoice note.
    pub fn notice(&self) -> Option<&'static str> {
        match self {
            TaxTreatment::ReverseCharge => Some(REVERSE_CHARGE_NOTICE),
            TaxTreatment::Standard { .. } | TaxTreatment::NotTaxed => None,
        }
    }

    /// The same treatment for amounts that already contain the tax (a payment): a rate added
    /// to prices becomes a rate included in the amount; nothing else changes.
    pub fn with_tax_included(self) -> TaxTreatment {
        match self {
            TaxTreatment::Standard { rate, .. } => TaxTreatment::Standard {
                rate,
                mode: TaxMode::Included,
            },
            other => other,
        }
    }

    /// The rate shown on the lines: the rule's rate, or zero when no tax is charged.
    pub fn rate(&self) -> TaxRate {
        match self {
            TaxTreatment::Standard { rate, .. } => *rate,
            TaxTreatment::ReverseCharge | TaxTreatment::NotTaxed => TaxRate::ZERO,
        }
    }
}
