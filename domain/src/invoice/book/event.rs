use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::ids::InvoiceId;

/// What has happened to a numbering book. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InvoiceBookEvent {
    /// A document got the next number.
    DocumentNumbered {
        /// The document numbered.
        invoice_id: InvoiceId,
        /// Its position in the book: the previous one plus one, from 1.
        sequence: u64,
        /// The formatted number.
        number: String,
    },
}

impl DomainEvent for InvoiceBookEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::DocumentNumbered { .. } => "DocumentNumbered".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
