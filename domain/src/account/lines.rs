//! How the account checks and taxes an expense line, and whether a charge needs the money.

use super::{AccountError, EXPENSE_DESCRIPTION_CHARS_MAX, ExpenseLine, ExpenseTax};
use crate::money::MoneyError;
use crate::tax::{self, TaxError, TaxTreatment};
use crate::text;

/// Whether a charge needs the money (the balance plus the credit limit) to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cover {
    /// A period paid in advance: refused without the money.
    Needed,
    /// What was already used: recorded even into debt.
    Used,
}

/// Returns `expense` with its description trimmed, or `InvalidDescription`; refuses a discount
/// that does not add up (`InvalidDiscount`).
pub(super) fn described(expense: ExpenseLine) -> Result<ExpenseLine, AccountError> {
    if let Some(discount) = &expense.discount {
        let currency = expense.amount.currency();
        let adds_up = discount.list_amount.currency() == currency
            && discount.amount.currency() == currency
            && !discount.amount.is_negative()
            && discount.list_amount.checked_sub(discount.amount) == Ok(expense.amount);
        if !adds_up {
            return Err(AccountError::InvalidDiscount);
        }
    }
    let description = text::trimmed_within(&expense.description, EXPENSE_DESCRIPTION_CHARS_MAX)
        .ok_or(AccountError::InvalidDescription)?
        .to_string();
    Ok(ExpenseLine {
        description,
        ..expense
    })
}

/// Returns `expense` taxed under `treatment`: its amount, the price, becomes what the account is
/// charged (the price plus the tax when tax is added), and `tax` records the net and the tax.
pub(super) fn taxed(
    expense: ExpenseLine,
    treatment: &TaxTreatment,
) -> Result<ExpenseLine, AccountError> {
    let taxed = tax::tax_amount(expense.amount, treatment).map_err(money_error)?;
    Ok(ExpenseLine {
        amount: taxed.gross,
        tax: Some(ExpenseTax {
            treatment: *treatment,
            net: taxed.net,
            tax: taxed.tax,
        }),
        ..expense
    })
}

/// Taxing an amount fails only in its money arithmetic.
pub(super) fn money_error(error: TaxError) -> AccountError {
    match error {
        TaxError::Money(error) => AccountError::Money(error),
        _ => AccountError::Money(MoneyError::Overflow),
    }
}
