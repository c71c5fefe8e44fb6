//! Contracts between a provider's company and a client (issue 20.2), as BILLmanager has them:
//! made from a company's contract template, numbered in the company's own gap-free sequence,
//! dated, and then signed and terminated.
//!
//! Three aggregates share the module:
//! - [`ContractTemplate`]: the versioned texts with placeholders (`template`);
//! - [`ContractBook`]: the one rule of numbers, `{prefix}-{year}-{n}` per company and year,
//!   gap-free and never twice (`book`);
//! - [`Contract`]: one contract's life, draft → signed → terminated. Signing freezes the text
//!   rendered from the template version current then, with the parties' details: a later
//!   version of the template, or a renamed client, never changes a signed contract.

mod book;
mod template;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::company::SellerDetails;
use crate::ids::{ClientId, CompanyId, ContractId, ContractTemplateId, ProviderId};
use crate::invoice::PayerDetails;
use crate::notice::Language;
use crate::text;

pub use book::*;
pub use template::*;

/// The longest termination reason, in characters.
pub const TERMINATION_REASON_CHARS_MAX: usize = 1000;

/// The text of a contract (or of a template's version) in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractText {
    /// The language, ISO 639-1.
    pub language: Language,
    /// The title, such as "Hosting services contract No. {{contract_number}}"; one line.
    pub title: String,
    /// The text; line breaks kept.
    pub body: String,
}

/// Why a contract command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// No text, or more languages than allowed.
    #[error("texts: give 1 to 20 texts, one per language")]
    NoTexts,
    /// Two texts in one language.
    #[error("texts: two texts in {0}")]
    DuplicateLanguage(String),
    /// A title is empty, too long or not one line.
    #[error("title: must be 1 to 200 characters on one line")]
    InvalidTitle,
    /// A body is empty or too long.
    #[error("body: must be 1 to 50000 characters without control characters but line breaks")]
    InvalidBody,
    /// The template's name is empty, too long or not one line.
    #[error("name: must be 1 to 200 characters on one line")]
    InvalidTemplateName,
    /// A placeholder the contracts do not know, or one never closed.
    #[error(
        "texts: unknown placeholder {{{{{0}}}}}; known: company_name, company_address, company_vat_number, client_name, client_address, client_email, client_vat_number, contract_number, contract_date"
    )]
    UnknownPlaceholder(String),
    /// The prefix is not 1 to 16 of `A-Z` and `0-9`.
    #[error("prefix: {0:?} is not 1 to 16 characters of A-Z and 0-9")]
    InvalidPrefix(String),
    /// The template belongs to another company (its company is fixed by its first version).
    #[error("the template belongs to another company")]
    OtherCompany,
    /// A date out of the calendar's range.
    #[error("date: out of range")]
    InvalidDate,
    /// The book has handed out every number.
    #[error("the contract numbers of the year are exhausted")]
    SequenceExhausted,
    /// The contract does not exist.
    #[error("no such contract")]
    NotFound,
    /// A contract of this id exists, with other details.
    #[error("a contract with this id exists")]
    AlreadyExists,
    /// The contract is signed already.
    #[error("the contract is signed already")]
    AlreadySigned,
    /// Only a signed contract can be terminated.
    #[error("the contract is not signed; only a signed contract can be terminated")]
    NotSigned,
    /// The contract is terminated.
    #[error("the contract is terminated")]
    Terminated,
    /// Signing or termination dated before the contract.
    #[error("date: {0} is before the contract's date")]
    BeforeContractDate(NaiveDate),
    /// The reason is empty or too long.
    #[error("reason: must be 1 to 1000 characters")]
    InvalidReason,
    /// A signature without the text to freeze, or of another company or client.
    #[error("the signed text must be rendered from the contract's template for its parties")]
    InvalidSignature,
}

impl ContractError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            ContractError::NoTexts => "invalid_contract_texts",
            ContractError::DuplicateLanguage(_) => "duplicate_contract_language",
            ContractError::InvalidTitle => "invalid_contract_title",
            ContractError::InvalidBody => "invalid_contract_body",
            ContractError::InvalidTemplateName => "invalid_contract_template_name",
            ContractError::UnknownPlaceholder(_) => "unknown_placeholder",
            ContractError::InvalidPrefix(_) => "invalid_contract_prefix",
            ContractError::OtherCompany => "contract_template_mismatch",
            ContractError::InvalidDate => "invalid_date",
            ContractError::SequenceExhausted => "contract_numbers_exhausted",
            ContractError::NotFound => "contract_not_found",
            ContractError::AlreadyExists => "contract_exists",
            ContractError::AlreadySigned => "contract_signed",
            ContractError::NotSigned => "contract_not_signed",
            ContractError::Terminated => "contract_terminated",
            ContractError::BeforeContractDate(_) => "before_contract_date",
            ContractError::InvalidReason => "invalid_reason",
            ContractError::InvalidSignature => "invalid_contract_signature",
        }
    }
}

/// Where a contract is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// Numbered and dated, its text still following the template.
    Draft,
    /// Signed: its text frozen.
    Signed,
    /// Ended.
    Terminated,
}

impl ContractStatus {
    /// The snake_case name, the same as the serialized form.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Signed => "signed",
            ContractStatus::Terminated => "terminated",
        }
    }
}

/// What can be asked of a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContractCommand {
    /// Records a numbered, dated draft made from a template version. The same draft again
    /// records nothing.
    DraftContract {
        /// The caller-chosen id.
        contract_id: ContractId,
        /// The provider of the client and the company.
        provider_id: ProviderId,
        /// The provider's company, a party.
        company_id: CompanyId,
        /// The client, the other party.
        client_id: ClientId,
        /// The template it is made from.
        template_id: ContractTemplateId,
        /// The template's version when drafted.
        template_version: u32,
        /// The number its company's book gave it.
        number: String,
        /// Its place in the book.
        sequence: u64,
        /// The contract's date.
        dated_on: NaiveDate,
    },
    /// Signs the draft, freezing its text and the parties' details.
    SignContract {
        /// The day it was signed.
        signed_on: NaiveDate,
        /// The template version the text was rendered from.
        template_version: u32,
        /// The text rendered for the parties, in every language of the template.
        texts: Vec<ContractText>,
        /// The company's details (boxed: the largest fields of the command).
        company: Box<SellerDetails>,
        /// The client's details.
        client: Box<PayerDetails>,
    },
    /// Ends a signed contract.
    TerminateContract {
        /// The day it ends.
        terminated_on: NaiveDate,
        /// Why; 1 to 1000 characters.
        reason: String,
    },
}

/// What has happened to a contract. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContractEvent {
    /// A draft was made, numbered and dated.
    ContractDrafted {
        /// The contract.
        contract_id: ContractId,
        /// The provider.
        provider_id: ProviderId,
        /// The company.
        company_id: CompanyId,
        /// The client.
        client_id: ClientId,
        /// The template.
        template_id: ContractTemplateId,
        /// The template's version when drafted.
        template_version: u32,
        /// The number.
        number: String,
        /// Its place in the company's book of the year.
        sequence: u64,
        /// The contract's date.
        dated_on: NaiveDate,
    },
    /// The contract was signed; its text is frozen here.
    ContractSigned {
        /// The contract.
        contract_id: ContractId,
        /// The day it was signed.
        signed_on: NaiveDate,
        /// The template version the text was rendered from.
        template_version: u32,
        /// The text as signed, in every language of the template.
        texts: Vec<ContractText>,
        /// The company's details as signed (boxed: the largest fields of the event).
        company: Box<SellerDetails>,
        /// The client's details as signed.
        client: Box<PayerDetails>,
    },
    /// The contract was terminated.
    ContractTerminated {
        /// The contract.
        contract_id: ContractId,
        /// The day it ends.
        terminated_on: NaiveDate,
        /// Why.
        reason: String,
    },
}

impl DomainEvent for ContractEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ContractDrafted { .. } => "ContractDrafted".to_string(),
            Self::ContractSigned { .. } => "ContractSigned".to_string(),
            Self::ContractTerminated { .. } => "ContractTerminated".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// A drafted contract's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftedContract {
    /// The contract.
    pub contract_id: ContractId,
    /// The provider.
    pub provider_id: ProviderId,
    /// The company.
    pub company_id: CompanyId,
    /// The client.
    pub client_id: ClientId,
    /// The template.
    pub template_id: ContractTemplateId,
    /// The template's version when drafted, or when signed once signed.
    pub template_version: u32,
    /// The number.
    pub number: String,
    /// Its place in the book.
    pub sequence: u64,
    /// The date.
    pub dated_on: NaiveDate,
    /// Where it is in its life.
    pub status: ContractStatus,
    /// The day it was signed, once signed.
    pub signed_on: Option<NaiveDate>,
    /// The frozen text, once signed.
    pub texts: Vec<ContractText>,
    /// The company's details as signed.
    pub company: Option<SellerDetails>,
    /// The client's details as signed.
    pub client: Option<PayerDetails>,
    /// The day it ends, once terminated.
    pub terminated_on: Option<NaiveDate>,
}

/// The state of one contract: nothing until drafted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    drafted: Option<DraftedContract>,
}

impl Contract {
    /// The contract, once drafted.
    pub fn drafted(&self) -> Option<&DraftedContract> {
        self.drafted.as_ref()
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ContractCommand) -> Result<Vec<ContractEvent>, ContractError> {
        match command {
            ContractCommand::DraftContract {
                contract_id,
                provider_id,
                company_id,
                client_id,
                template_id,
                template_version,
                number,
                sequence,
                dated_on,
            } => {
                if let Some(own) = &self.drafted {
                    let same = own.number == number
                        && own.client_id == client_id
                        && own.template_id == template_id;
                    return if same {
                        Ok(vec![])
                    } else {
                        Err(ContractError::AlreadyExists)
                    };
                }
                Ok(vec![ContractEvent::ContractDrafted {
                    contract_id,
                    provider_id,
                    company_id,
                    client_id,
                    template_id,
                    template_version,
                    number,
                    sequence,
                    dated_on,
                }])
            }
            ContractCommand::SignContract {
                signed_on,
                template_version,
                texts,
                company,
                client,
            } => {
                let own = self.drafted.as_ref().ok_or(ContractError::NotFound)?;
                match own.status {
                    ContractStatus::Draft => {}
                    ContractStatus::Signed => return Err(ContractError::AlreadySigned),
                    ContractStatus::Terminated => return Err(ContractError::Terminated),
                }
                if signed_on < own.dated_on {
                    return Err(ContractError::BeforeContractDate(signed_on));
                }
                if texts.is_empty()
                    || company.company_id != own.company_id
                    || client.client_id != own.client_id
                    || template_version < own.template_version
                {
                    return Err(ContractError::InvalidSignature);
                }
                Ok(vec![ContractEvent::ContractSigned {
                    contract_id: own.contract_id,
                    signed_on,
                    template_version,
                    texts,
                    company,
                    client,
                }])
            }
            ContractCommand::TerminateContract {
                terminated_on,
                reason,
            } => {
                let own = self.drafted.as_ref().ok_or(ContractError::NotFound)?;
                match own.status {
                    ContractStatus::Signed => {}
                    ContractStatus::Draft => return Err(ContractError::NotSigned),
                    ContractStatus::Terminated => return Err(ContractError::Terminated),
                }
                if own.signed_on.is_some_and(|signed| terminated_on < signed) {
                    return Err(ContractError::BeforeContractDate(terminated_on));
                }
                let reason = text::multiline(&reason, TERMINATION_REASON_CHARS_MAX)
                    .ok_or(ContractError::InvalidReason)?;
                Ok(vec![ContractEvent::ContractTerminated {
                    contract_id: own.contract_id,
                    terminated_on,
                    reason,
                }])
            }
        }
    }
}

impl Aggregate for Contract {
    const TYPE: &'static str = "Contract";
    type Command = ContractCommand;
    type Event = ContractEvent;
    type Error = ContractError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ContractCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ContractError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ContractEvent) {
        match event {
            ContractEvent::ContractDrafted {
                contract_id,
                provider_id,
                company_id,
                client_id,
                template_id,
                template_version,
                number,
                sequence,
                dated_on,
            } => {
                self.drafted = Some(DraftedContract {
                    contract_id,
                    provider_id,
                    company_id,
                    client_id,
                    template_id,
                    template_version,
                    number,
                    sequence,
                    dated_on,
                    status: ContractStatus::Draft,
                    signed_on: None,
                    texts: Vec::new(),
                    company: None,
                    client: None,
                    terminated_on: None,
                });
            }
            ContractEvent::ContractSigned {
                signed_on,
                template_version,
                texts,
                company,
                client,
                ..
            } => {
                if let Some(own) = &mut self.drafted {
                    own.status = ContractStatus::Signed;
                    own.signed_on = Some(signed_on);
                    own.template_version = template_version;
                    own.texts = texts;
                    own.company = Some(*company);
                    own.client = Some(*client);
                }
            }
            ContractEvent::ContractTerminated { terminated_on, .. } => {
                if let Some(own) = &mut self.drafted {
                    own.status = ContractStatus::Terminated;
                    own.terminated_on = Some(terminated_on);
                }
            }
        }
    }
}
