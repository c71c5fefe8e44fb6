//! One amount taxed, or the tax it includes, rounded the way an invoice line is.

use serde::{Deserialize, Serialize};

use super::{
    ONE_IN_MILLIONTHS, TaxError, TaxMode, TaxRate, TaxTreatment, divide_rounded, minor_units,
    minor_units_to_money,
};
use crate::money::Money;

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
