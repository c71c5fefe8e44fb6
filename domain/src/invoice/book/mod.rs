//! The numbering book aggregate: the gap-free sequence of one company's documents of one series
//! in one year (or for ever, when the numbering never resets).
//!
//! Its id is derived from what it numbers (`InvoiceBookId::of`), so every node finds the same
//! book and two nodes can never number from two books; the event store serialises the commands
//! of one book, so two documents can never get one number.
//!
//! The book does not remember every document it numbered: that would grow without bound. The
//! event store's command key on the invoice id makes a repeated request return the first answer;
//! the book itself only recognises a repeat for the last document, which is the one a crashed
//! process retries.

mod command;
mod error;
mod event;

#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::InvoiceId;

pub use command::*;
pub use error::*;
pub use event::*;

/// The longest series name, in characters.
pub const SERIES_CHARS_MAX: usize = 32;

/// The state of one numbering book, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InvoiceBook {
    /// `None` until the first `DocumentNumbered`.
    last: Option<LastDocument>,
}

/// The last document a book numbered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LastDocument {
    invoice_id: InvoiceId,
    sequence: u64,
    number: String,
}

impl InvoiceBook {
    /// The last sequence handed out; 0 before the first.
    pub fn last_sequence(&self) -> u64 {
        self.last.as_ref().map_or(0, |last| last.sequence)
    }

    /// The last document numbered, if any.
    pub fn last_invoice_id(&self) -> Option<InvoiceId> {
        self.last.as_ref().map(|last| last.invoice_id)
    }

    /// The last number handed out, if any; what a repeat for the last document is answered with.
    pub fn last_number(&self) -> Option<&str> {
        self.last.as_ref().map(|last| last.number.as_str())
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(
        &self,
        command: InvoiceBookCommand,
    ) -> Result<Vec<InvoiceBookEvent>, InvoiceBookError> {
        match command {
            InvoiceBookCommand::NumberDocument {
                invoice_id,
                company_id: _,
                series,
                year,
                numbering,
            } => {
                let series_ok = (1..=SERIES_CHARS_MAX).contains(&series.len())
                    && series
                        .bytes()
                        .all(|byte| byte.is_ascii_lowercase() || byte == b'_');
                if !series_ok {
                    return Err(InvoiceBookError::InvalidSeries(series));
                }
                if !(1..=9999).contains(&year) {
                    return Err(InvoiceBookError::InvalidYear(year));
                }
                if self.last_invoice_id() == Some(invoice_id) {
                    return Ok(vec![]);
                }
                let sequence = self
                    .last_sequence()
                    .checked_add(1)
                    .ok_or(InvoiceBookError::SequenceExhausted)?;
                // Each series prints its own marker, so that a proforma, an invoice and a credit
                // note with the same sequence never share a number.
                let marker = match series.as_str() {
                    "proforma" => "PF-",
                    "credit_note" => "CN-",
                    _ => "",
                };
                Ok(vec![InvoiceBookEvent::DocumentNumbered {
                    invoice_id,
                    sequence,
                    number: format!("{marker}{}", numbering.format(sequence, year)),
                }])
            }
        }
    }
}

impl Aggregate for InvoiceBook {
    const TYPE: &'static str = "InvoiceBook";
    type Command = InvoiceBookCommand;
    type Event = InvoiceBookEvent;
    type Error = InvoiceBookError;
    type Services = ();

    async fn handle(
        &mut self,
        command: InvoiceBookCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), InvoiceBookError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: InvoiceBookEvent) {
        match event {
            InvoiceBookEvent::DocumentNumbered {
                invoice_id,
                sequence,
                number,
            } => {
                self.last = Some(LastDocument {
                    invoice_id,
                    sequence,
                    number,
                });
            }
        }
    }
}
