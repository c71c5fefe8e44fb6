//! The agreement (offer) aggregate: the text a client accepts when ordering a tariff, or any
//! tariff of an item type of a provider, in the provider's languages, versioned.
//!
//! One stream per tariff or per provider and item type (`AgreementId::of_tariff`,
//! `AgreementId::of_item_type`). `PublishAgreement` publishes the next version (1, 2, ...); the
//! same texts as the current version record nothing. Which version an order must accept, and
//! the refusal of an order without it, is the `Service`'s rule (`Service::accepted_agreement`):
//! the order's use case passes the current version in `OrderService`.

#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::ids::{AgreementId, ProviderId, TariffId};
use crate::item_type::ItemType;
use crate::notice::Language;
use crate::text;

/// The longest agreement title, in characters.
pub const AGREEMENT_TITLE_CHARS_MAX: usize = 200;

/// The longest agreement body, in characters.
pub const AGREEMENT_BODY_CHARS_MAX: usize = 100_000;

/// The most languages one version is written in.
pub const AGREEMENT_LANGUAGES_MAX: usize = 20;

/// What an agreement covers: one tariff, or every tariff of an item type of its provider. An
/// order accepts the tariff's agreement if it has one, else the item type's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgreementScope {
    /// The orders of one tariff.
    Tariff {
        /// The tariff.
        tariff_id: TariffId,
    },
    /// The orders of every tariff of this item type.
    ItemType {
        /// The item type.
        item_type: ItemType,
    },
}

impl AgreementScope {
    /// The id of the agreement of this scope at `provider`.
    pub fn agreement_id(&self, provider: ProviderId) -> AgreementId {
        match self {
            AgreementScope::Tariff { tariff_id } => AgreementId::of_tariff(*tariff_id),
            AgreementScope::ItemType { item_type } => {
                AgreementId::of_item_type(provider, item_type.as_str())
            }
        }
    }
}

/// The text of a version in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementText {
    /// The language, ISO 639-1.
    pub language: Language,
    /// The title, such as "Public offer"; 1 to 200 characters, one line.
    pub title: String,
    /// The text; 1 to 100,000 characters, line breaks kept.
    pub body: String,
}

/// A version of an agreement, as an order names what it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgreementVersion {
    /// The agreement.
    pub agreement_id: AgreementId,
    /// Its version, from 1.
    pub version: u32,
}

/// What can be asked of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AgreementCommand {
    /// Publishes the next version of the agreement (the first creates it).
    PublishAgreement {
        /// The stream's id, derived from the scope and provider.
        agreement_id: AgreementId,
        /// The provider whose clients accept it.
        provider_id: ProviderId,
        /// What it covers.
        scope: AgreementScope,
        /// The texts, one per language, at least one.
        texts: Vec<AgreementText>,
        /// The day of publication.
        published_on: NaiveDate,
    },
}

/// What has happened to an agreement. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AgreementEvent {
    /// A version was published; orders from now on accept it.
    AgreementPublished {
        /// The agreement.
        agreement_id: AgreementId,
        /// Its provider.
        provider_id: ProviderId,
        /// What it covers.
        scope: AgreementScope,
        /// The version published, one more than the last.
        version: u32,
        /// The texts, trimmed, in the order given.
        texts: Vec<AgreementText>,
        /// The day of publication.
        published_on: NaiveDate,
    },
}

impl DomainEvent for AgreementEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AgreementPublished { .. } => "AgreementPublished".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// Why an agreement command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
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
    #[error("body: must be 1 to 100000 characters without control characters but line breaks")]
    InvalidBody,
    /// The command's id, provider or scope is not the agreement's.
    #[error("the agreement id does not match its provider and scope")]
    OtherAgreement,
}

impl AgreementError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            AgreementError::NoTexts => "invalid_agreement_texts",
            AgreementError::DuplicateLanguage(_) => "duplicate_agreement_language",
            AgreementError::InvalidTitle => "invalid_agreement_title",
            AgreementError::InvalidBody => "invalid_agreement_body",
            AgreementError::OtherAgreement => "agreement_mismatch",
        }
    }
}

/// The published agreement: its last version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedAgreement {
    /// The agreement.
    pub agreement_id: AgreementId,
    /// Its provider.
    pub provider_id: ProviderId,
    /// What it covers.
    pub scope: AgreementScope,
    /// The current version.
    pub version: u32,
    /// The current texts.
    pub texts: Vec<AgreementText>,
    /// The day the current version was published.
    pub published_on: NaiveDate,
}

/// The state of one agreement: nothing until its first version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    published: Option<PublishedAgreement>,
}

impl Agreement {
    /// The current version with its texts, once published.
    pub fn published(&self) -> Option<&PublishedAgreement> {
        self.published.as_ref()
    }

    /// The version an order must accept now, once published.
    pub fn current(&self) -> Option<AgreementVersion> {
        self.published.as_ref().map(|p| AgreementVersion {
            agreement_id: p.agreement_id,
            version: p.version,
        })
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: AgreementCommand) -> Result<Vec<AgreementEvent>, AgreementError> {
        match command {
            AgreementCommand::PublishAgreement {
                agreement_id,
                provider_id,
                scope,
                texts,
                published_on,
            } => self.publish(agreement_id, provider_id, scope, texts, published_on),
        }
    }

    /// Decides [`AgreementCommand::PublishAgreement`].
    fn publish(
        &self,
        agreement_id: AgreementId,
        provider_id: ProviderId,
        scope: AgreementScope,
        texts: Vec<AgreementText>,
        published_on: NaiveDate,
    ) -> Result<Vec<AgreementEvent>, AgreementError> {
        if scope.agreement_id(provider_id) != agreement_id {
            return Err(AgreementError::OtherAgreement);
        }
        if let Some(own) = &self.published
            && (own.provider_id != provider_id || own.scope != scope)
        {
            return Err(AgreementError::OtherAgreement);
        }
        if texts.is_empty() || texts.len() > AGREEMENT_LANGUAGES_MAX {
            return Err(AgreementError::NoTexts);
        }
        let mut clean: Vec<AgreementText> = Vec::with_capacity(texts.len());
        for text in texts {
            if clean.iter().any(|seen| seen.language == text.language) {
                return Err(AgreementError::DuplicateLanguage(
                    text.language.as_str().to_string(),
                ));
            }
            let title = text::display_name(&text.title, AGREEMENT_TITLE_CHARS_MAX)
                .ok_or(AgreementError::InvalidTitle)?
                .to_string();
            let body = text::multiline(&text.body, AGREEMENT_BODY_CHARS_MAX)
                .ok_or(AgreementError::InvalidBody)?;
            clean.push(AgreementText {
                language: text.language,
                title,
                body,
            });
        }
        if self.published.as_ref().is_some_and(|p| p.texts == clean) {
            return Ok(vec![]);
        }
        let version = self.published.as_ref().map_or(1, |p| p.version + 1);
        Ok(vec![AgreementEvent::AgreementPublished {
            agreement_id,
            provider_id,
            scope,
            version,
            texts: clean,
            published_on,
        }])
    }
}

impl Aggregate for Agreement {
    const TYPE: &'static str = "Agreement";
    type Command = AgreementCommand;
    type Event = AgreementEvent;
    type Error = AgreementError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AgreementCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AgreementError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AgreementEvent) {
        match event {
            AgreementEvent::AgreementPublished {
                agreement_id,
                provider_id,
                scope,
                version,
                texts,
                published_on,
            } => {
                self.published = Some(PublishedAgreement {
                    agreement_id,
                    provider_id,
                    scope,
                    version,
                    texts,
                    published_on,
                });
            }
        }
    }
}
