//! The contract template aggregate: the text a company's contracts are made from, in the
//! provider's languages, with placeholders for the parties, the number and the date; each
//! publication a new version (1, 2, ...).
//!
//! A contract remembers the template version it was drafted from, and its signing freezes the
//! text rendered from the version current then: a later version never changes a signed contract.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{ContractError, ContractText};
use crate::company::SellerDetails;
use crate::ids::{CompanyId, ContractTemplateId};
use crate::invoice::PayerDetails;
use crate::notice::Language;
use crate::text;

/// The longest template name, in characters.
pub const CONTRACT_TEMPLATE_NAME_CHARS_MAX: usize = 200;

/// The longest contract title, in characters.
pub const CONTRACT_TITLE_CHARS_MAX: usize = 200;

/// The longest contract body, in characters.
pub const CONTRACT_BODY_CHARS_MAX: usize = 50_000;

/// The most languages one version is written in.
pub const CONTRACT_LANGUAGES_MAX: usize = 20;

/// The longest number prefix, in characters.
pub const CONTRACT_PREFIX_CHARS_MAX: usize = 16;

/// The placeholders a template may write as `{{name}}`.
pub const CONTRACT_PLACEHOLDERS: [&str; 9] = [
    "company_name",
    "company_address",
    "company_vat_number",
    "client_name",
    "client_address",
    "client_email",
    "client_vat_number",
    "contract_number",
    "contract_date",
];

/// What the placeholders of a contract stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts<'a> {
    /// The provider's company.
    pub company: &'a SellerDetails,
    /// The client (or its payer).
    pub client: &'a PayerDetails,
    /// The contract's number.
    pub number: &'a str,
    /// The contract's date.
    pub dated_on: NaiveDate,
}

impl ContractFacts<'_> {
    /// The value of every placeholder; an absent VAT number or address is empty.
    fn values(&self) -> BTreeMap<String, String> {
        let pairs = [
            ("company_name", self.company.name.clone()),
            ("company_address", self.company.address.replace('\n', ", ")),
            (
                "company_vat_number",
                self.company
                    .vat_number
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            ("client_name", self.client.name.clone()),
            (
                "client_address",
                self.client
                    .address
                    .as_deref()
                    .unwrap_or_default()
                    .replace('\n', ", "),
            ),
            ("client_email", self.client.email.clone()),
            (
                "client_vat_number",
                self.client
                    .vat_number
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            ("contract_number", self.number.to_string()),
            (
                "contract_date",
                self.dated_on.format("%Y-%m-%d").to_string(),
            ),
        ];
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    }
}

/// A contract number's prefix: 1 to 16 characters of `A-Z` and `0-9`.
pub fn contract_prefix(prefix: &str) -> Result<String, ContractError> {
    let ok = (1..=CONTRACT_PREFIX_CHARS_MAX).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
    if ok {
        Ok(prefix.to_string())
    } else {
        Err(ContractError::InvalidPrefix(
            prefix.chars().take(40).collect(),
        ))
    }
}

/// What can be asked of a contract template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContractTemplateCommand {
    /// Publishes the next version of the template (the first creates it, for good at `company_id`).
    PublishContractTemplate {
        /// The caller-chosen id.
        template_id: ContractTemplateId,
        /// The company whose contracts it makes.
        company_id: CompanyId,
        /// What staff call it, such as "Hosting contract"; 1 to 200 characters, one line.
        name: String,
        /// The prefix of the numbers of contracts made from it: 1 to 16 of `A-Z` and `0-9`.
        prefix: String,
        /// The texts, one per language, at least one.
        texts: Vec<ContractText>,
        /// The day of publication.
        published_on: NaiveDate,
    },
}

/// What has happened to a contract template. Stored forever: variants and fields are never
/// renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContractTemplateEvent {
    /// A version was published; contracts drafted from now on are made from it.
    ContractTemplatePublished {
        /// The template.
        template_id: ContractTemplateId,
        /// Its company.
        company_id: CompanyId,
        /// Its trimmed name.
        name: String,
        /// The numbers' prefix.
        prefix: String,
        /// The version, one more than the last.
        version: u32,
        /// The texts, trimmed, in the order given.
        texts: Vec<ContractText>,
        /// The day of publication.
        published_on: NaiveDate,
    },
}

impl DomainEvent for ContractTemplateEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ContractTemplatePublished { .. } => "ContractTemplatePublished".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// The published template: its last version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedContractTemplate {
    /// The template.
    pub template_id: ContractTemplateId,
    /// Its company.
    pub company_id: CompanyId,
    /// Its name.
    pub name: String,
    /// The numbers' prefix.
    pub prefix: String,
    /// The current version.
    pub version: u32,
    /// The current texts.
    pub texts: Vec<ContractText>,
}

impl PublishedContractTemplate {
    /// The current texts with every placeholder replaced by `facts`: what a contract signed now
    /// says, in every language of the template.
    pub fn render(&self, facts: &ContractFacts<'_>) -> Vec<ContractText> {
        let values = facts.values();
        self.texts
            .iter()
            .map(|text| ContractText {
                language: text.language,
                title: crate::notice::render(&text.title, &values),
                body: crate::notice::render(&text.body, &values),
            })
            .collect()
    }
}

/// The state of one contract template: nothing until its first version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContractTemplate {
    published: Option<PublishedContractTemplate>,
}

/// Checks that `text` writes only known placeholders, each closed.
fn check_placeholders(text: &str) -> Result<(), ContractError> {
    for placeholder in crate::notice::placeholders(text) {
        match placeholder {
            Ok(name) if CONTRACT_PLACEHOLDERS.contains(&name) => {}
            Ok(name) | Err(name) => {
                return Err(ContractError::UnknownPlaceholder(
                    name.chars().take(40).collect(),
                ));
            }
        }
    }
    Ok(())
}

impl ContractTemplate {
    /// The current version with its texts, once published.
    pub fn published(&self) -> Option<&PublishedContractTemplate> {
        self.published.as_ref()
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(
        &self,
        command: ContractTemplateCommand,
    ) -> Result<Vec<ContractTemplateEvent>, ContractError> {
        let ContractTemplateCommand::PublishContractTemplate {
            template_id,
            company_id,
            name,
            prefix,
            texts,
            published_on,
        } = command;
        if let Some(own) = &self.published
            && (own.template_id != template_id || own.company_id != company_id)
        {
            return Err(ContractError::OtherCompany);
        }
        let name = text::display_name(&name, CONTRACT_TEMPLATE_NAME_CHARS_MAX)
            .ok_or(ContractError::InvalidTemplateName)?
            .to_string();
        let prefix = contract_prefix(&prefix)?;
        if texts.is_empty() || texts.len() > CONTRACT_LANGUAGES_MAX {
            return Err(ContractError::NoTexts);
        }
        let mut clean: Vec<ContractText> = Vec::with_capacity(texts.len());
        for text in texts {
            if clean.iter().any(|seen| seen.language == text.language) {
                return Err(ContractError::DuplicateLanguage(
                    text.language.as_str().to_string(),
                ));
            }
            let title = text::display_name(&text.title, CONTRACT_TITLE_CHARS_MAX)
                .ok_or(ContractError::InvalidTitle)?
                .to_string();
            let body = text::multiline(&text.body, CONTRACT_BODY_CHARS_MAX)
                .ok_or(ContractError::InvalidBody)?;
            check_placeholders(&title)?;
            check_placeholders(&body)?;
            clean.push(ContractText {
                language: text.language,
                title,
                body,
            });
        }
        if self
            .published
            .as_ref()
            .is_some_and(|p| p.texts == clean && p.name == name && p.prefix == prefix)
        {
            return Ok(vec![]);
        }
        let version = self.published.as_ref().map_or(1, |p| p.version + 1);
        Ok(vec![ContractTemplateEvent::ContractTemplatePublished {
            template_id,
            company_id,
            name,
            prefix,
            version,
            texts: clean,
            published_on,
        }])
    }
}

/// A published version's language, for lookups.
pub fn text_in<'a>(texts: &'a [ContractText], language: &str) -> Option<&'a ContractText> {
    texts
        .iter()
        .find(|t| t.language.as_str() == language)
        .or_else(|| texts.iter().find(|t| t.language == Language::ENGLISH))
        .or_else(|| texts.first())
}

impl Aggregate for ContractTemplate {
    const TYPE: &'static str = "ContractTemplate";
    type Command = ContractTemplateCommand;
    type Event = ContractTemplateEvent;
    type Error = ContractError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ContractTemplateCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ContractError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ContractTemplateEvent) {
        match event {
            ContractTemplateEvent::ContractTemplatePublished {
                template_id,
                company_id,
                name,
                prefix,
                version,
                texts,
                published_on: _,
            } => {
                self.published = Some(PublishedContractTemplate {
                    template_id,
                    company_id,
                    name,
                    prefix,
                    version,
                    texts,
                });
            }
        }
    }
}
