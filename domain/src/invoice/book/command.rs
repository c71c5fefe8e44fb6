use serde::{Deserialize, Serialize};

use crate::company::InvoiceNumbering;
use crate::ids::{CompanyId, InvoiceId};

/// What can be asked of a numbering book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceBookCommand {
    /// Hands the next number to a drafted document. Send it with the invoice id as the command
    /// key, so that a repeat returns the first answer; a repeat for the last document numbered
    /// records nothing even without the key.
    NumberDocument {
        /// The drafted document to number.
        invoice_id: InvoiceId,
        /// The company the book belongs to; with `series` and the book year it names the book
        /// (`InvoiceBookId::of`).
        company_id: CompanyId,
        /// The series, such as `invoice` or `credit_note` (`InvoiceKind::series`); 1 to 32
        /// characters of `a-z` and `_`.
        series: String,
        /// The year of issue, printed in yearly numbers; 1 to 9999.
        year: i32,
        /// The company's numbering, which formats the number.
        numbering: InvoiceNumbering,
    },
}
