//! The contract book aggregate: the gap-free sequence of one company's contracts of one year,
//! and the one rule of their numbers, `{prefix}-{year}-{n}`.
//!
//! Its id is derived from what it numbers (`ContractBookId::of`), so every node finds the same
//! book; the event store serialises the commands of one book (optimistic concurrency, retried on
//! conflict), so two contracts created at once never get one number. The book recognises a
//! repeat only for the last contract; the store's command key on the contract id answers older
//! repeats with their first answer.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::ContractError;
use super::template::contract_prefix;
use crate::ids::{CompanyId, ContractId};

/// What can be asked of a contract book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContractBookCommand {
    /// Gives `contract_id` the next number of the book.
    NumberContract {
        /// The contract to number.
        contract_id: ContractId,
        /// The company whose book it is.
        company_id: CompanyId,
        /// The year of the contract's date, which the book is of.
        year: i32,
        /// The prefix of the template the contract is made from.
        prefix: String,
    },
}

/// What has happened to a contract book. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContractBookEvent {
    /// A contract got its number.
    ContractNumbered {
        /// The contract.
        contract_id: ContractId,
        /// Its place in the book, from 1, without gaps.
        sequence: u64,
        /// The number as printed: `{prefix}-{year}-{sequence}`.
        number: String,
    },
}

impl DomainEvent for ContractBookEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ContractNumbered { .. } => "ContractNumbered".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// The state of one contract book.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContractBook {
    /// The last contract numbered, its sequence and number.
    last: Option<(ContractId, u64, String)>,
}

impl ContractBook {
    /// The last sequence handed out; 0 before the first.
    pub fn last_sequence(&self) -> u64 {
        self.last.as_ref().map_or(0, |(_, sequence, _)| *sequence)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(
        &self,
        command: ContractBookCommand,
    ) -> Result<Vec<ContractBookEvent>, ContractError> {
        let ContractBookCommand::NumberContract {
            contract_id,
            company_id: _,
            year,
            prefix,
        } = command;
        let prefix = contract_prefix(&prefix)?;
        if !(1..=9999).contains(&year) {
            return Err(ContractError::InvalidDate);
        }
        if self
            .last
            .as_ref()
            .is_some_and(|(id, _, _)| *id == contract_id)
        {
            return Ok(vec![]);
        }
        let sequence = self
            .last_sequence()
            .checked_add(1)
            .ok_or(ContractError::SequenceExhausted)?;
        Ok(vec![ContractBookEvent::ContractNumbered {
            contract_id,
            sequence,
            number: format!("{prefix}-{year}-{sequence}"),
        }])
    }
}

impl Aggregate for ContractBook {
    const TYPE: &'static str = "ContractBook";
    type Command = ContractBookCommand;
    type Event = ContractBookEvent;
    type Error = ContractError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ContractBookCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ContractError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ContractBookEvent) {
        match event {
            ContractBookEvent::ContractNumbered {
                contract_id,
                sequence,
                number,
            } => self.last = Some((contract_id, sequence, number)),
        }
    }
}
