//! Invoice lines: priced under a treatment ([`price_lines`]) or copied as the account recorded
//! them ([`recorded_lines`]), each rounded on its own, with totals that are sums of the lines.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    LINE_DESCRIPTION_CHARS_MAX, LINES_MAX, QUANTITY_DECIMALS_MAX, QUANTITY_MAX, TaxError, TaxRate,
    TaxTreatment, TaxedAmount, divide_rounded, minor_units, minor_units_to_money, tax_amount,
};
use crate::money::{Currency, Money};
use crate::text;

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
