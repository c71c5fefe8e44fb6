//! Taxes: VAT numbers, a company's tax rules per client country, and the pricing of invoice lines
//! under them.
//!
//! A company keeps [`TaxRules`]: at most one [`TaxRule`] per client country and at most one
//! default for every other country. [`TaxRules::treatment_for`] turns them and a customer into a
//! [`TaxTreatment`] (standard, reverse charge, not taxed), which an invoice freezes when it is
//! drafted, so that a later change of the rules never changes an issued document.
//!
//! [`price_lines`] prices invoice lines under a treatment. Every line is rounded on its own to the
//! currency's minor unit, half away from zero, and the totals are sums of the rounded lines, so a
//! printed invoice always adds up line by line. All rounding is done on exact integer counts of
//! minor units (as [`Money::prorate`] does), never on a quotient that was itself rounded.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::client::{ClientKind, Country};
use crate::money::{Currency, Money, MoneyError};
use crate::text;

/// The legal notice printed on a reverse-charge invoice.
pub const REVERSE_CHARGE_NOTICE: &str = "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)";

/// The most decimal places a tax rate may have (`7.7` has one, `2.1234` four).
pub const TAX_RATE_DECIMALS_MAX: u32 = 4;

/// The most decimal places a line quantity may have (hours or gigabytes in fractions).
pub const QUANTITY_DECIMALS_MAX: u32 = 4;

/// The largest quantity of one line.
pub const QUANTITY_MAX: u32 = 1_000_000;

/// The longest line description, in characters.
pub const LINE_DESCRIPTION_CHARS_MAX: usize = 500;

/// The most lines one invoice may have.
pub const LINES_MAX: usize = 1000;

/// Why a tax value or rule was refused, or why invoice lines could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    /// The VAT number is not two letters followed by 2 to 13 letters or digits.
    #[error(
        "vat_number: {0:?} is not two uppercase letters followed by 2 to 13 uppercase letters or digits"
    )]
    InvalidVatNumber(String),
    /// The tax rate, as given, is not a percentage from 0 to 100 with at most 4 decimal places.
    #[error(
        "rate: {0:?} is not a percentage from 0 to 100 in plain decimal notation with at most 4 decimal places"
    )]
    InvalidTaxRate(String),
    /// Two rules name the same country, or two rules are the default (`country` is `None`).
    #[error("rules: more than one rule for {}", .country.map_or("the default", |country| country.as_str()))]
    DuplicateTaxRule {
        /// The country named twice, or `None` for a second default rule.
        country: Option<Country>,
    },
    /// There are no lines to price.
    #[error("lines: an invoice needs at least one line")]
    NoLines,
    /// There are more than 1000 lines.
    #[error("lines: at most {LINES_MAX} lines, not {0}")]
    TooManyLines(usize),
    /// A line's description is empty after trimming or longer than 500 characters.
    #[error("lines[{line}].description: must be 1 to 500 characters")]
    InvalidDescription {
        /// The index of the line, from 0.
        line: usize,
    },
    /// A line's quantity is not above zero, has more than 4 decimal places or exceeds 1000000.
    #[error(
        "lines[{line}].quantity: {quantity} is not above 0 and at most 1000000 with at most 4 decimal places"
    )]
    InvalidQuantity {
        /// The index of the line, from 0.
        line: usize,
        /// The quantity as given.
        quantity: Decimal,
    },
    /// A line's unit price or discount is below zero.
    #[error("lines[{line}].{field}: must not be negative")]
    NegativeAmount {
        /// The index of the line, from 0.
        line: usize,
        /// `unit_price` or `discount`.
        field: &'static str,
    },
    /// A line's discount is larger than its quantity × unit price.
    #[error("lines[{line}].discount: {discount} exceeds the line amount {amount}")]
    DiscountExceedsAmount {
        /// The index of the line, from 0.
        line: usize,
        /// The discount asked for.
        discount: Money,
        /// The rounded quantity × unit price.
        amount: Money,
    },
    /// A line's unit price or discount is not in the invoice's currency.
    #[error("lines[{line}].{field}: currency mismatch: expected {expected}, found {found}")]
    CurrencyMismatch {
        /// The index of the line, from 0.
        line: usize,
        /// `unit_price` or `discount`.
        field: &'static str,
        /// The invoice's currency.
        expected: Currency,
        /// The currency of the amount.
        found: Currency,
    },
    /// A recorded line's gross is not its net plus its tax.
    #[error("lines[{line}]: gross must be net + tax")]
    LineDoesNotAddUp {
        /// The index of the line, from 0.
        line: usize,
    },
    /// Money arithmetic failed, such as a total leaving the representable range.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl TaxError {
    /// The stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            TaxError::InvalidVatNumber(_) => "invalid_vat_number",
            TaxError::InvalidTaxRate(_) => "invalid_tax_rate",
            TaxError::DuplicateTaxRule { .. } => "duplicate_tax_rule",
            TaxError::NoLines => "no_lines",
            TaxError::TooManyLines(_) => "too_many_lines",
            TaxError::InvalidDescription { .. } => "invalid_description",
            TaxError::InvalidQuantity { .. } => "invalid_quantity",
            TaxError::NegativeAmount { .. } => "negative_amount",
            TaxError::DiscountExceedsAmount { .. } => "discount_exceeds_amount",
            TaxError::CurrencyMismatch { .. } => "currency_mismatch",
            TaxError::LineDoesNotAddUp { .. } => "line_does_not_add_up",
            TaxError::Money(error) => error.code(),
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

/// A tax rate in percent, from 0 to 100 with at most 4 decimal places: `19`, `7.7`, `0`.
///
/// Kept apart from [`Money`] because it is finer than any minor unit; it only meets money in
/// [`price_lines`], which rounds once. Stored normalised (`19.0` is `19`) and serialized as a
/// string, so that JSON never carries it as a float.
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
    fn millionths(self) -> i128 {
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

/// One line of an invoice as asked for, before pricing.
///
/// Deserializing without a `discount` gives a zero discount in the unit price's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "LineInputWire")]
pub struct LineInput {
    /// What is sold; trimmed, 1 to 500 characters.
    pub description: String,
    /// How many units: above 0, at most 1000000, at most 4 decimal places.
    pub quantity: Decimal,
    /// The price of one unit in the invoice's currency, net or gross as the treatment says;
    /// zero or more.
    pub unit_price: Money,
    /// Taken off the line's quantity × unit price; zero or more, at most that amount.
    pub discount: Money,
}

impl LineInput {
    /// A line without a discount.
    pub fn new(description: &str, quantity: Decimal, unit_price: Money) -> LineInput {
        LineInput {
            description: description.to_string(),
            quantity,
            unit_price,
            discount: Money::zero(unit_price.currency()),
        }
    }

    /// The same line with `discount`.
    pub fn with_discount(self, discount: Money) -> LineInput {
        LineInput { discount, ..self }
    }
}

/// The JSON shape of [`LineInput`], where the discount may be left out.
#[derive(Deserialize)]
struct LineInputWire {
    description: String,
    quantity: Decimal,
    unit_price: Money,
    discount: Option<Money>,
}

impl From<LineInputWire> for LineInput {
    fn from(wire: LineInputWire) -> LineInput {
        LineInput {
            discount: wire
                .discount
                .unwrap_or_else(|| Money::zero(wire.unit_price.currency())),
            description: wire.description,
            quantity: wire.quantity,
            unit_price: wire.unit_price,
        }
    }
}

/// One priced line of an invoice. `gross = net + tax` always holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// What is sold, trimmed.
    pub description: String,
    /// How many units, normalised (`2`, not `2.00`).
    pub quantity: Decimal,
    /// The price of one unit as asked for.
    pub unit_price: Money,
    /// The discount taken off the line.
    pub discount: Money,
    /// The line without tax.
    pub net: Money,
    /// The rate applied; zero under reverse charge and when not taxed.
    pub tax_rate: TaxRate,
    /// The tax of the line.
    pub tax: Money,
    /// The line with tax.
    pub gross: Money,
}

/// The net and tax of all lines at one rate, for the tax summary an invoice must print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxBreakdown {
    /// The rate.
    pub rate: TaxRate,
    /// The sum of the lines' net amounts at this rate.
    pub net: Money,
    /// The sum of the lines' taxes at this rate.
    pub tax: Money,
}

/// The totals of an invoice: sums of its rounded lines, so that they add up line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// The sum of the lines' net amounts.
    pub net: Money,
    /// The sum of the lines' taxes.
    pub tax: Money,
    /// The sum of the lines' gross amounts; what the customer pays.
    pub gross: Money,
    /// One entry per rate, by ascending rate.
    pub by_rate: Vec<TaxBreakdown>,
}

/// Prices `lines` in `currency` under `treatment`.
///
/// Each line is rounded on its own to the currency's minor unit, half away from zero:
/// `amount = round(quantity × unit_price) − discount`. Under a standard treatment with the tax
/// added, `net = amount`, `tax = round(net × rate / 100)` and `gross = net + tax`; with the tax
/// included, `gross = amount`, `net = round(gross × 100 / (100 + rate))` and `tax = gross − net`.
/// Under reverse charge and when not taxed, `net = gross = amount` and the tax and rate are zero.
/// The totals are the sums of the lines.
///
/// There must be 1 to 1000 lines, every amount in `currency`, every description 1 to 500
/// characters after trimming, every quantity above 0 and at most 1000000 with at most 4 decimal
/// places, no negative price or discount, and no discount above its line's amount.
pub fn price_lines(
    lines: Vec<LineInput>,
    treatment: &TaxTreatment,
    currency: Currency,
) -> Result<(Vec<InvoiceLine>, Totals), TaxError> {
    if lines.is_empty() {
        return Err(TaxError::NoLines);
    }
    if lines.len() > LINES_MAX {
        return Err(TaxError::TooManyLines(lines.len()));
    }
    let priced = lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| price_line(index, line, treatment, currency))
        .collect::<Result<Vec<_>, _>>()?;
    let totals = totals_of(&priced, currency)?;
    Ok((priced, totals))
}

/// Sums priced `lines` into totals with one breakdown entry per rate.
fn totals_of(lines: &[InvoiceLine], currency: Currency) -> Result<Totals, TaxError> {
    let zero = Money::zero(currency);
    let (mut net, mut tax, mut gross) = (zero, zero, zero);
    let mut by_rate: Vec<TaxBreakdown> = Vec::new();
    for line in lines {
        net = net.checked_add(line.net)?;
        tax = tax.checked_add(line.tax)?;
        gross = gross.checked_add(line.gross)?;
        match by_rate.iter_mut().find(|entry| entry.rate == line.tax_rate) {
            Some(entry) => {
                entry.net = entry.net.checked_add(line.net)?;
                entry.tax = entry.tax.checked_add(line.tax)?;
            }
            None => by_rate.push(TaxBreakdown {
                rate: line.tax_rate,
                net: line.net,
                tax: line.tax,
            }),
        }
    }
    by_rate.sort_by_key(|entry| entry.rate);
    Ok(Totals {
        net,
        tax,
        gross,
        by_rate,
    })
}

/// Checks and prices the line at `index`.
fn price_line(
    index: usize,
    line: LineInput,
    treatment: &TaxTreatment,
    currency: Currency,
) -> Result<InvoiceLine, TaxError> {
    let description = text::trimmed_within(&line.description, LINE_DESCRIPTION_CHARS_MAX)
        .ok_or(TaxError::InvalidDescription { line: index })?
        .to_string();
    let quantity = line.quantity.normalize();
    let quantity_ok = quantity > Decimal::ZERO
        && quantity <= Decimal::from(QUANTITY_MAX)
        && quantity.scale() <= QUANTITY_DECIMALS_MAX;
    if !quantity_ok {
        return Err(TaxError::InvalidQuantity {
            line: index,
            quantity: line.quantity,
        });
    }
    for (field, money) in [("unit_price", line.unit_price), ("discount", line.discount)] {
        if money.currency() != currency {
            return Err(TaxError::CurrencyMismatch {
                line: index,
                field,
                expected: currency,
                found: money.currency(),
            });
        }
        if money.is_negative() {
            return Err(TaxError::NegativeAmount { line: index, field });
        }
    }

    // The quantity in ten-thousandths, exact because of its 4 decimal places at most.
    let mut quantity_scaled = quantity;
    quantity_scaled.rescale(QUANTITY_DECIMALS_MAX);
    let undiscounted = minor_units_to_money(
        divide_rounded(
            minor_units(line.unit_price).checked_mul(quantity_scaled.mantissa()),
            10_000,
        ),
        currency,
    )?;
    if line.discount.amount() > undiscounted.amount() {
        return Err(TaxError::DiscountExceedsAmount {
            line: index,
            discount: line.discount,
            amount: undiscounted,
        });
    }
    let amount = undiscounted.checked_sub(line.discount)?;
    let taxed = tax_amount(amount, treatment)?;
    Ok(InvoiceLine {
        description,
        quantity,
        unit_price: line.unit_price,
        discount: line.discount,
        net: taxed.net,
        tax_rate: taxed.rate,
        tax: taxed.tax,
        gross: taxed.gross,
    })
}

/// One amount split into net and tax: `gross = net + tax` always holds. Amounts are signed like
/// the amount taxed (a credit's are negative when it is given as a negative amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxedAmount {
    /// The rate applied; zero under reverse charge and when not taxed.
    pub rate: TaxRate,
    /// The amount without tax.
    pub net: Money,
    /// The tax, rounded to the minor unit half away from zero.
    pub tax: Money,
    /// The amount with tax.
    pub gross: Money,
}

/// Taxes one `amount` (a price, net or gross as the treatment says) the way an invoice line is
/// taxed: with the tax added, `net = amount`, `tax = round(net × rate / 100)`,
/// `gross = net + tax`; with the tax included, `gross = amount`,
/// `net = round(gross × 100 / (100 + rate))`, `tax = gross − net`; under reverse charge and when
/// not taxed, `net = gross = amount` and no tax. Rounded once, half away from zero.
///
/// This is the one place a charge's tax is computed: the account charges `gross` and records
/// `net` and `tax`, and an invoice line of that charge copies them.
pub fn tax_amount(amount: Money, treatment: &TaxTreatment) -> Result<TaxedAmount, TaxError> {
    let currency = amount.currency();
    let taxed = match *treatment {
        TaxTreatment::Standard {
            rate,
            mode: TaxMode::Added,
        } => {
            let tax = minor_units_to_money(
                divide_rounded(
                    minor_units(amount).checked_mul(rate.millionths()),
                    ONE_IN_MILLIONTHS,
                ),
                currency,
            )?;
            TaxedAmount {
                rate,
                net: amount,
                tax,
                gross: amount.checked_add(tax)?,
            }
        }
        TaxTreatment::Standard {
            rate,
            mode: TaxMode::Included,
        } => tax_included(amount, rate)?,
        TaxTreatment::ReverseCharge | TaxTreatment::NotTaxed => TaxedAmount {
            rate: TaxRate::ZERO,
            net: amount,
            tax: Money::zero(currency),
            gross: amount,
        },
    };
    Ok(taxed)
}

/// Splits a `gross` amount that includes tax at `rate`: `net = round(gross × 100 / (100 + rate))`
/// and `tax = gross − net`.
///
/// Splitting `net + round(net × rate / 100)` gives back exactly `net` (the rounding error is
/// below half a minor unit and shrinks when divided by `1 + rate`), so a charge given back in full
/// gives back exactly the tax it charged.
pub fn tax_included(gross: Money, rate: TaxRate) -> Result<TaxedAmount, TaxError> {
    let net = minor_units_to_money(
        divide_rounded(
            minor_units(gross).checked_mul(ONE_IN_MILLIONTHS),
            ONE_IN_MILLIONTHS + rate.millionths(),
        ),
        gross.currency(),
    )?;
    Ok(TaxedAmount {
        rate,
        net,
        tax: gross.checked_sub(net)?,
        gross,
    })
}

/// The price that `treatment` taxes into `gross`: with the tax added, `gross` less the tax it
/// includes at the rate; with prices that include their tax, and without tax, `gross` itself.
/// The account records gross amounts and a service prices in these, so a tariff change weighs
/// what was given back of a charge in the service's unit with this.
pub fn untaxed(gross: Money, treatment: &TaxTreatment) -> Result<Money, TaxError> {
    match *treatment {
        TaxTreatment::Standard {
            rate,
            mode: TaxMode::Added,
        } => Ok(tax_included(gross, rate)?.net),
        TaxTreatment::Standard {
            mode: TaxMode::Included,
            ..
        }
        | TaxTreatment::ReverseCharge
        | TaxTreatment::NotTaxed => Ok(gross),
    }
}

/// A line whose amounts were decided when the account moved them (a charge, a credit, a
/// correction), copied onto an invoice as recorded rather than priced again. Signed: what the
/// account gave back is negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedLine {
    /// What the line is; trimmed, 1 to 500 characters.
    pub description: String,
    /// The amounts as the account recorded them; `gross = net + tax`.
    pub amounts: TaxedAmount,
}

/// The lines of an invoice copied from what the account recorded, with their totals.
///
/// Each line is one unit at its net amount, with the rate, tax and gross recorded; nothing is
/// rounded again. There must be 1 to 1000 lines, every amount in `currency`, every description
/// 1 to 500 characters after trimming, and every line must add up (`gross = net + tax`).
pub fn recorded_lines(
    lines: Vec<RecordedLine>,
    currency: Currency,
) -> Result<(Vec<InvoiceLine>, Totals), TaxError> {
    if lines.is_empty() {
        return Err(TaxError::NoLines);
    }
    if lines.len() > LINES_MAX {
        return Err(TaxError::TooManyLines(lines.len()));
    }
    let copied = lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let description = text::trimmed_within(&line.description, LINE_DESCRIPTION_CHARS_MAX)
                .ok_or(TaxError::InvalidDescription { line: index })?
                .to_string();
            let TaxedAmount {
                rate,
                net,
                tax,
                gross,
            } = line.amounts;
            for (field, money) in [("net", net), ("tax", tax), ("gross", gross)] {
                if money.currency() != currency {
                    return Err(TaxError::CurrencyMismatch {
                        line: index,
                        field,
                        expected: currency,
                        found: money.currency(),
                    });
                }
            }
            if net.checked_add(tax)? != gross {
                return Err(TaxError::LineDoesNotAddUp { line: index });
            }
            Ok(InvoiceLine {
                description,
                quantity: Decimal::ONE,
                unit_price: net,
                discount: Money::zero(currency),
                net,
                tax_rate: rate,
                tax,
                gross,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let totals = totals_of(&copied, currency)?;
    Ok((copied, totals))
}

/// 100 % in the unit of [`TaxRate::millionths`].
const ONE_IN_MILLIONTHS: i128 = 1_000_000;

/// The count of minor units in `money` (1234 for 12.34 EUR).
fn minor_units(money: Money) -> i128 {
    money.amount().mantissa()
}

/// `dividend / divisor` rounded to an integer half away from zero, or `None` on overflow.
///
/// Both are exact integers, so a result beside a midpoint can never be pushed onto it by an
/// intermediate rounding. `divisor` is always positive here.
fn divide_rounded(dividend: Option<i128>, divisor: i128) -> Option<i128> {
    let dividend = dividend?;
    let quotient = dividend.checked_div(divisor)?;
    let remainder = dividend.checked_rem(divisor)?;
    if remainder.checked_abs()?.checked_mul(2)? >= divisor {
        quotient.checked_add(dividend.signum())
    } else {
        Some(quotient)
    }
}

/// Money from a count of minor units, or `Overflow` when it is out of range.
fn minor_units_to_money(minor: Option<i128>, currency: Currency) -> Result<Money, MoneyError> {
    let minor = minor.ok_or(MoneyError::Overflow)?;
    let amount = Decimal::try_from_i128_with_scale(minor, currency.minor_units())
        .map_err(|_| MoneyError::Overflow)?;
    Money::from_decimal(amount, currency)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn eur(amount: &str) -> Money {
        Money::parse(amount, Currency::EUR).unwrap()
    }

    fn jpy(amount: &str) -> Money {
        Money::parse(amount, Currency::JPY).unwrap()
    }

    fn rate(text: &str) -> TaxRate {
        TaxRate::parse(text).unwrap()
    }

    fn decimal(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn country(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    fn vat(number: &str) -> VatNumber {
        VatNumber::parse(number).unwrap()
    }

    fn added(percent: &str) -> TaxTreatment {
        TaxTreatment::Standard {
            rate: rate(percent),
            mode: TaxMode::Added,
        }
    }

    fn included(percent: &str) -> TaxTreatment {
        TaxTreatment::Standard {
            rate: rate(percent),
            mode: TaxMode::Included,
        }
    }

    fn line(quantity: &str, unit_price: &str) -> LineInput {
        LineInput::new("VDS S, March", decimal(quantity), eur(unit_price))
    }

    /// Prices one EUR line and returns (net, tax, gross) as strings.
    fn priced(line: LineInput, treatment: TaxTreatment) -> (String, String, String) {
        let (lines, _) = price_lines(vec![line], &treatment, Currency::EUR).unwrap();
        let line = &lines[0];
        (
            line.net.amount().to_string(),
            line.tax.amount().to_string(),
            line.gross.amount().to_string(),
        )
    }

    fn strings(net: &str, tax: &str, gross: &str) -> (String, String, String) {
        (net.to_string(), tax.to_string(), gross.to_string())
    }

    fn rule(code: Option<&str>, percent: &str, reverse_charge: bool) -> TaxRule {
        TaxRule {
            country: code.map(country),
            rate: rate(percent),
            mode: TaxMode::Added,
            reverse_charge,
        }
    }

    fn customer(code: &str, kind: ClientKind, vat_number: Option<&str>) -> TaxCustomer {
        TaxCustomer {
            country: country(code),
            kind,
            vat_number: vat_number.map(vat),
        }
    }

    // VAT numbers.

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

    // Rates.

    #[test]
    fn a_rate_is_a_percentage_from_0_to_100_with_at_most_4_decimals() {
        for good in ["0", "19", "7.7", "100", "2.1234", "19.0", "007"] {
            assert!(TaxRate::parse(good).is_ok(), "{good:?} refused");
        }
        for bad in [
            "", "-1", "100.01", "101", "7.", ".5", "1.23456", "19%", " 19", "1e1", "+19", "0019",
        ] {
            assert_eq!(
                TaxRate::parse(bad),
                Err(TaxError::InvalidTaxRate(bad.to_string())),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn a_rate_is_normalised_and_serialized_as_a_string() {
        assert_eq!(rate("19.00"), rate("19"));
        assert_eq!(serde_json::to_string(&rate("19.00")).unwrap(), r#""19""#);
        assert_eq!(serde_json::to_string(&rate("7.70")).unwrap(), r#""7.7""#);
        assert_eq!(
            serde_json::from_str::<TaxRate>(r#""7.7""#).unwrap(),
            rate("7.7")
        );
        assert!(serde_json::from_str::<TaxRate>(r#""120""#).is_err());
        assert!(serde_json::from_str::<TaxRate>("19").is_err());
    }

    #[test]
    fn a_decimal_rate_is_checked_like_a_parsed_one() {
        assert_eq!(TaxRate::new(decimal("19.0000")).unwrap(), rate("19"));
        assert!(TaxRate::new(decimal("0.00001")).is_err());
        assert!(TaxRate::new(decimal("-0.5")).is_err());
        assert_eq!(TaxRate::new(decimal("-0")).unwrap(), TaxRate::ZERO);
    }

    // Rules.

    #[test]
    fn rules_allow_one_rule_per_country_and_one_default() {
        assert_eq!(
            TaxRules::new(vec![
                rule(Some("DE"), "19", false),
                rule(Some("DE"), "7", false)
            ]),
            Err(TaxError::DuplicateTaxRule {
                country: Some(country("DE"))
            })
        );
        let error = TaxRules::new(vec![rule(None, "19", false), rule(None, "0", false)]);
        assert_eq!(error, Err(TaxError::DuplicateTaxRule { country: None }));
        assert_eq!(error.unwrap_err().code(), "duplicate_tax_rule");
    }

    #[test]
    fn rules_are_kept_in_one_order_so_equal_sets_compare_equal() {
        let first = TaxRules::new(vec![
            rule(None, "0", false),
            rule(Some("FR"), "20", true),
            rule(Some("DE"), "19", false),
        ])
        .unwrap();
        let second = TaxRules::new(vec![
            rule(Some("DE"), "19", false),
            rule(None, "0", false),
            rule(Some("FR"), "20", true),
        ])
        .unwrap();
        assert_eq!(first, second);
        assert_eq!(first.rules()[0].country, Some(country("DE")));
        assert_eq!(first.rules()[2].country, None);
    }

    #[test]
    fn rules_serialize_as_a_list_and_are_checked_on_the_way_in() {
        let rules = TaxRules::new(vec![rule(Some("DE"), "19", false)]).unwrap();
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(
            json,
            r#"[{"country":"DE","rate":"19","mode":"added","reverse_charge":false}]"#
        );
        assert_eq!(serde_json::from_str::<TaxRules>(&json).unwrap(), rules);
        let twice = r#"[{"country":null,"rate":"0","mode":"added","reverse_charge":false},
                        {"country":null,"rate":"1","mode":"added","reverse_charge":false}]"#;
        assert!(serde_json::from_str::<TaxRules>(twice).is_err());
    }

    #[test]
    fn a_country_rule_wins_over_the_default() {
        let rules =
            TaxRules::new(vec![rule(None, "20", false), rule(Some("DE"), "19", false)]).unwrap();
        assert_eq!(
            rules.treatment_for(&customer("DE", ClientKind::Individual, None)),
            added("19")
        );
    }

    #[test]
    fn the_default_rule_applies_to_countries_without_their_own() {
        let rules =
            TaxRules::new(vec![rule(None, "20", false), rule(Some("DE"), "19", false)]).unwrap();
        assert_eq!(
            rules.treatment_for(&customer("US", ClientKind::Individual, None)),
            added("20")
        );
    }

    #[test]
    fn without_an_applicable_rule_nothing_is_taxed() {
        let rules = TaxRules::new(vec![rule(Some("DE"), "19", false)]).unwrap();
        assert_eq!(
            rules.treatment_for(&customer("US", ClientKind::Company, None)),
            TaxTreatment::NotTaxed
        );
        assert_eq!(
            TaxRules::none().treatment_for(&customer("DE", ClientKind::Individual, None)),
            TaxTreatment::NotTaxed
        );
    }

    #[test]
    fn a_business_with_a_vat_number_gets_reverse_charge_where_the_rule_allows_it() {
        let rules = TaxRules::new(vec![rule(Some("FR"), "20", true)]).unwrap();
        for kind in [ClientKind::Company, ClientKind::SoleProprietor] {
            assert_eq!(
                rules.treatment_for(&customer("FR", kind, Some("FR12345678901"))),
                TaxTreatment::ReverseCharge
            );
        }
    }

    #[test]
    fn reverse_charge_needs_a_business_a_vat_number_and_the_rule() {
        let reverse = TaxRules::new(vec![rule(Some("FR"), "20", true)]).unwrap();
        let domestic = TaxRules::new(vec![rule(Some("FR"), "20", false)]).unwrap();
        assert_eq!(
            reverse.treatment_for(&customer(
                "FR",
                ClientKind::Individual,
                Some("FR12345678901")
            )),
            added("20")
        );
        assert_eq!(
            reverse.treatment_for(&customer("FR", ClientKind::Company, None)),
            added("20")
        );
        assert_eq!(
            domestic.treatment_for(&customer("FR", ClientKind::Company, Some("FR12345678901"))),
            added("20")
        );
    }

    #[test]
    fn only_reverse_charge_carries_a_notice() {
        assert_eq!(
            TaxTreatment::ReverseCharge.notice(),
            Some(REVERSE_CHARGE_NOTICE)
        );
        assert!(REVERSE_CHARGE_NOTICE.contains("Article 196"));
        assert_eq!(TaxTreatment::NotTaxed.notice(), None);
        assert_eq!(added("19").notice(), None);
    }

    #[test]
    fn a_treatment_serializes_with_a_type_tag() {
        assert_eq!(
            serde_json::to_string(&included("7.7")).unwrap(),
            r#"{"type":"standard","rate":"7.7","mode":"included"}"#
        );
        assert_eq!(
            serde_json::to_string(&TaxTreatment::ReverseCharge).unwrap(),
            r#"{"type":"reverse_charge"}"#
        );
        let json = r#"{"type":"not_taxed"}"#;
        assert_eq!(
            serde_json::from_str::<TaxTreatment>(json).unwrap(),
            TaxTreatment::NotTaxed
        );
    }

    // Pricing one line.

    #[test]
    fn added_tax_is_computed_on_the_rounded_net() {
        assert_eq!(
            priced(line("3", "9.99"), added("19")),
            strings("29.97", "5.69", "35.66")
        );
    }

    #[test]
    fn included_tax_is_taken_out_of_the_gross() {
        assert_eq!(
            priced(line("1", "10.00"), included("20")),
            strings("8.33", "1.67", "10.00")
        );
        assert_eq!(
            priced(line("1", "119.00"), included("19")),
            strings("100.00", "19.00", "119.00")
        );
    }

    #[test]
    fn a_fractional_quantity_is_rounded_half_away_from_zero() {
        // 1.5 × 0.01 = 0.015, a midpoint: it goes up to 0.02.
        assert_eq!(
            priced(line("1.5", "0.01"), TaxTreatment::NotTaxed),
            strings("0.02", "0.00", "0.02")
        );
        // 0.3333 × 10.00 = 3.333 goes down to 3.33.
        assert_eq!(
            priced(line("0.3333", "10.00"), TaxTreatment::NotTaxed),
            strings("3.33", "0.00", "3.33")
        );
    }

    #[test]
    fn added_tax_on_a_midpoint_goes_up() {
        // 0.50 × 1 % = 0.005 → 0.01; 2.50 × 19 % = 0.475 → 0.48.
        assert_eq!(
            priced(line("1", "0.50"), added("1")),
            strings("0.50", "0.01", "0.51")
        );
        assert_eq!(
            priced(line("1", "2.50"), added("19")),
            strings("2.50", "0.48", "2.98")
        );
    }

    #[test]
    fn included_tax_on_a_midpoint_goes_up() {
        // 1.05 × 100 / 105 = 1.00 exactly; 0.21 × 100 / 105 = 0.2 exactly;
        // 0.01 × 100 / 110 = 0.00909… → 0.01; 0.03 × 100 / 120 = 0.025 → 0.03.
        assert_eq!(
            priced(line("1", "1.05"), included("5")),
            strings("1.00", "0.05", "1.05")
        );
        assert_eq!(
            priced(line("1", "0.01"), included("10")),
            strings("0.01", "0.00", "0.01")
        );
        assert_eq!(
            priced(line("1", "0.03"), included("20")),
            strings("0.03", "0.00", "0.03")
        );
    }

    #[test]
    fn a_fractional_rate_is_applied_exactly() {
        // 100.00 × 7.7 % = 7.70; 33.33 × 2.1234 % = 0.707729… → 0.71.
        assert_eq!(
            priced(line("1", "100.00"), added("7.7")),
            strings("100.00", "7.70", "107.70")
        );
        assert_eq!(
            priced(line("1", "33.33"), added("2.1234")),
            strings("33.33", "0.71", "34.04")
        );
    }

    #[test]
    fn a_discount_is_taken_before_tax() {
        let discounted = line("2", "10.00").with_discount(eur("5.00"));
        assert_eq!(
            priced(discounted, added("19")),
            strings("15.00", "2.85", "17.85")
        );
    }

    #[test]
    fn reverse_charge_and_no_tax_leave_the_amount_untaxed() {
        for treatment in [TaxTreatment::ReverseCharge, TaxTreatment::NotTaxed] {
            let (lines, totals) =
                price_lines(vec![line("3", "9.99")], &treatment, Currency::EUR).unwrap();
            assert_eq!(lines[0].net, eur("29.97"));
            assert_eq!(lines[0].gross, eur("29.97"));
            assert_eq!(lines[0].tax, eur("0"));
            assert_eq!(lines[0].tax_rate, TaxRate::ZERO);
            assert_eq!(totals.by_rate[0].rate, TaxRate::ZERO);
        }
    }

    #[test]
    fn a_currency_without_minor_units_rounds_to_whole_units() {
        let line = LineInput::new("VPS", decimal("1"), jpy("1050"));
        let (lines, _) = price_lines(vec![line], &included("10"), Currency::JPY).unwrap();
        // 1050 × 100 / 110 = 954.5454… → 955.
        assert_eq!(lines[0].net, jpy("955"));
        assert_eq!(lines[0].tax, jpy("95"));
    }

    #[test]
    fn a_priced_line_keeps_its_inputs_trimmed_and_normalised() {
        let input = LineInput::new("  VDS S  ", decimal("2.000"), eur("1.00"));
        let (lines, _) = price_lines(vec![input], &added("19"), Currency::EUR).unwrap();
        assert_eq!(lines[0].description, "VDS S");
        assert_eq!(lines[0].quantity.to_string(), "2");
        assert_eq!(lines[0].tax_rate, rate("19"));
        assert_eq!(lines[0].discount, eur("0"));
    }

    // Totals.

    #[test]
    fn totals_are_the_sums_of_the_rounded_lines() {
        // Each line's tax is 0.005 → 0.01; taxing the 1.50 total at once would give 0.02.
        let lines = vec![line("1", "0.50"), line("1", "0.50"), line("1", "0.50")];
        let (lines, totals) = price_lines(lines, &added("1"), Currency::EUR).unwrap();
        assert_eq!(totals.net, eur("1.50"));
        assert_eq!(totals.tax, eur("0.03"));
        assert_eq!(totals.gross, eur("1.53"));
        let sum = |pick: fn(&InvoiceLine) -> Money| {
            lines
                .iter()
                .fold(eur("0"), |sum, line| sum.checked_add(pick(line)).unwrap())
        };
        assert_eq!(sum(|line| line.net), totals.net);
        assert_eq!(sum(|line| line.tax), totals.tax);
        assert_eq!(sum(|line| line.gross), totals.gross);
        assert_eq!(
            totals.by_rate,
            vec![TaxBreakdown {
                rate: rate("1"),
                net: eur("1.50"),
                tax: eur("0.03"),
            }]
        );
    }

    #[test]
    fn included_totals_add_up_line_by_line() {
        let lines = vec![line("1", "10.00"), line("2", "4.99"), line("0.5", "3.33")];
        let (lines, totals) = price_lines(lines, &included("20"), Currency::EUR).unwrap();
        for line in &lines {
            assert_eq!(line.net.checked_add(line.tax).unwrap(), line.gross);
        }
        assert_eq!(totals.gross, eur("21.65"));
        assert_eq!(totals.net.checked_add(totals.tax).unwrap(), totals.gross);
    }

    // Refused lines.

    #[test]
    fn an_invoice_needs_1_to_1000_lines() {
        assert_eq!(
            price_lines(vec![], &added("19"), Currency::EUR),
            Err(TaxError::NoLines)
        );
        let many = vec![line("1", "1.00"); 1001];
        assert_eq!(
            price_lines(many, &added("19"), Currency::EUR),
            Err(TaxError::TooManyLines(1001))
        );
        assert!(price_lines(vec![line("1", "1.00"); 1000], &added("19"), Currency::EUR).is_ok());
    }

    #[test]
    fn a_line_needs_a_description() {
        let error = price_lines(
            vec![
                line("1", "1.00"),
                LineInput::new("  ", decimal("1"), eur("1.00")),
            ],
            &added("19"),
            Currency::EUR,
        )
        .unwrap_err();
        assert_eq!(error, TaxError::InvalidDescription { line: 1 });
        assert_eq!(
            error.to_string(),
            "lines[1].description: must be 1 to 500 characters"
        );
    }

    #[test]
    fn a_quantity_must_be_positive_bounded_and_at_most_4_decimals() {
        for bad in ["0", "-1", "0.00001", "1000000.0001", "1000001"] {
            let error = price_lines(vec![line(bad, "1.00")], &added("19"), Currency::EUR);
            assert_eq!(
                error.map_err(|error| error.code()),
                Err("invalid_quantity"),
                "{bad:?} accepted"
            );
        }
        assert!(price_lines(vec![line("1000000", "1.00")], &added("19"), Currency::EUR).is_ok());
        assert!(price_lines(vec![line("0.0001", "1.00")], &added("19"), Currency::EUR).is_ok());
    }

    #[test]
    fn negative_prices_and_discounts_are_refused() {
        assert_eq!(
            price_lines(vec![line("1", "-1.00")], &added("19"), Currency::EUR),
            Err(TaxError::NegativeAmount {
                line: 0,
                field: "unit_price"
            })
        );
        let discounted = line("1", "1.00").with_discount(eur("-0.50"));
        assert_eq!(
            price_lines(vec![discounted], &added("19"), Currency::EUR),
            Err(TaxError::NegativeAmount {
                line: 0,
                field: "discount"
            })
        );
    }

    #[test]
    fn a_discount_above_the_line_amount_is_refused() {
        let discounted = line("3", "1.00").with_discount(eur("3.01"));
        let error = price_lines(vec![discounted], &added("19"), Currency::EUR).unwrap_err();
        assert_eq!(
            error,
            TaxError::DiscountExceedsAmount {
                line: 0,
                discount: eur("3.01"),
                amount: eur("3.00"),
            }
        );
        assert_eq!(error.code(), "discount_exceeds_amount");
        let whole = line("3", "1.00").with_discount(eur("3.00"));
        let (lines, _) = price_lines(vec![whole], &added("19"), Currency::EUR).unwrap();
        assert!(lines[0].gross.is_zero());
    }

    #[test]
    fn every_amount_must_be_in_the_invoice_currency() {
        assert_eq!(
            price_lines(vec![line("1", "1.00")], &added("19"), Currency::USD),
            Err(TaxError::CurrencyMismatch {
                line: 0,
                field: "unit_price",
                expected: Currency::USD,
                found: Currency::EUR,
            })
        );
        let input = LineInput::new("VPS", decimal("1"), jpy("100")).with_discount(eur("0"));
        assert_eq!(
            price_lines(vec![input], &added("19"), Currency::JPY).map_err(|error| error.code()),
            Err("currency_mismatch")
        );
    }

    #[test]
    fn amounts_out_of_range_are_refused() {
        let huge = line("1000000", "999999999999.99");
        assert_eq!(
            price_lines(vec![huge], &added("19"), Currency::EUR),
            Err(TaxError::Money(MoneyError::Overflow))
        );
        let big = line("1", "999999999999999.99");
        assert_eq!(
            price_lines(vec![big.clone(), big], &added("0"), Currency::EUR),
            Err(TaxError::Money(MoneyError::Overflow))
        );
    }

    #[test]
    fn a_line_without_a_discount_deserializes_with_a_zero_one() {
        let json = r#"{"description":"VPS","quantity":"2","unit_price":{"amount":"5.00","currency":"EUR"}}"#;
        let line: LineInput = serde_json::from_str(json).unwrap();
        assert_eq!(line.discount, eur("0"));
        assert_eq!(line.quantity, decimal("2"));
    }

    #[test]
    fn one_amount_is_taxed_like_an_invoice_line() {
        // 8.00 + 19 % = 8.00 + 1.52 = 9.52.
        let taxed = tax_amount(eur("8.00"), &added("19")).unwrap();
        assert_eq!(
            (taxed.net, taxed.tax, taxed.gross),
            (eur("8.00"), eur("1.52"), eur("9.52"))
        );
        // 9.52 with 19 % included: 9.52 / 1.19 = 8.00, tax 1.52.
        let taxed = tax_amount(eur("9.52"), &included("19")).unwrap();
        assert_eq!(
            (taxed.net, taxed.tax, taxed.gross),
            (eur("8.00"), eur("1.52"), eur("9.52"))
        );
        let taxed = tax_amount(eur("8.00"), &TaxTreatment::ReverseCharge).unwrap();
        assert_eq!(
            (taxed.net, taxed.tax, taxed.gross),
            (eur("8.00"), eur("0.00"), eur("8.00"))
        );
        assert_eq!(taxed.rate, TaxRate::ZERO);
    }

    #[test]
    fn a_gross_amount_with_added_tax_splits_back_into_its_net_and_tax() {
        // Every net from 0.01 to 20.00 at 19 %, 7.7 % and 21 %: net + round(net × rate) split
        // at the rate gives back the same net and tax, so a void gives back exactly the tax.
        for rate in ["19", "7.7", "21"] {
            for cents in 1..=2000 {
                let net = Money::from_decimal(Decimal::new(cents, 2), Currency::EUR).unwrap();
                let charged = tax_amount(net, &added(rate)).unwrap();
                let split = tax_included(charged.gross, TaxRate::parse(rate).unwrap()).unwrap();
                assert_eq!(split, charged, "{net} at {rate} %");
            }
        }
    }

    #[test]
    fn recorded_lines_are_copied_and_summed_without_rounding_again() {
        let line = |net: &str, tax: &str, gross: &str| RecordedLine {
            description: " VDS S ".to_string(),
            amounts: TaxedAmount {
                rate: rate("19"),
                net: eur(net),
                tax: eur(tax),
                gross: eur(gross),
            },
        };
        // 9.52 − 7.74 = 1.78 gross; 8.00 − 6.50 = 1.50 net; 1.52 − 1.24 = 0.28 tax.
        let (lines, totals) = recorded_lines(
            vec![
                line("8.00", "1.52", "9.52"),
                line("-6.50", "-1.24", "-7.74"),
            ],
            Currency::EUR,
        )
        .unwrap();
        assert_eq!(lines[0].description, "VDS S");
        assert_eq!(lines[1].unit_price, eur("-6.50"));
        assert_eq!(
            (totals.net, totals.tax, totals.gross),
            (eur("1.50"), eur("0.28"), eur("1.78"))
        );
        assert_eq!(
            recorded_lines(vec![line("8.00", "1.52", "9.50")], Currency::EUR),
            Err(TaxError::LineDoesNotAddUp { line: 0 })
        );
        assert_eq!(
            recorded_lines(vec![], Currency::EUR),
            Err(TaxError::NoLines)
        );
    }
}
