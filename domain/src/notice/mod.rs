//! Notifications to clients: the kinds of notices, the message templates staff write for each
//! kind and language, how a template is rendered, and each client's language and subscriptions.
//!
//! Two small aggregates share this module's error: [`MessageTemplate`] (one stream per kind and
//! language, see [`MessageTemplateId::of`]) and [`NoticeSettings`] (one stream per client, under
//! the client's id). Sending is not here: the notifier in `projections` renders a template with
//! [`render`] and sends it.

#[cfg(test)]
mod tests;
mod texts;

pub use texts::localize;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{ClientId, MessageTemplateId};

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A service was activated.
    ServiceActivated,
    /// A service's paid time ends in a few days.
    ServiceExpiring,
    /// A service was suspended.
    ServiceSuspended,
    /// A service's paid time ended unpaid; it runs on in its item type's grace period.
    ServiceOverdue,
    /// A service was deleted.
    ServiceDeleted,
    /// A payment was credited to the account.
    PaymentCredited,
    /// An invoice was issued.
    InvoiceIssued,
    /// A charge took the balance below zero.
    LowBalance,
    /// Support answered a ticket.
    TicketAnswered,
    /// The price of a service's period changes from a day announced in advance.
    PriceChange,
    /// A domain expires in a few days.
    DomainExpiring,
    /// A domain expired unrenewed.
    DomainExpired,
}

impl NoticeKind {
    /// Every kind, in a stable order.
    pub const ALL: [NoticeKind; 12] = [
        NoticeKind::ServiceActivated,
        NoticeKind::ServiceExpiring,
        NoticeKind::ServiceSuspended,
        NoticeKind::ServiceDeleted,
        NoticeKind::PaymentCredited,
        NoticeKind::InvoiceIssued,
        NoticeKind::LowBalance,
        NoticeKind::TicketAnswered,
        NoticeKind::ServiceOverdue,
        NoticeKind::PriceChange,
        NoticeKind::DomainExpiring,
        NoticeKind::DomainExpired,
    ];

    /// The snake_case name, as in JSON and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::ServiceActivated => "service_activated",
            NoticeKind::ServiceExpiring => "service_expiring",
            NoticeKind::ServiceSuspended => "service_suspended",
            NoticeKind::ServiceDeleted => "service_deleted",
            NoticeKind::PaymentCredited => "payment_credited",
            NoticeKind::InvoiceIssued => "invoice_issued",
            NoticeKind::LowBalance => "low_balance",
            NoticeKind::TicketAnswered => "ticket_answered",
            NoticeKind::ServiceOverdue => "service_overdue",
            NoticeKind::PriceChange => "price_change",
            NoticeKind::DomainExpiring => "domain_expiring",
            NoticeKind::DomainExpired => "domain_expired",
        }
    }

    /// What a notice of this kind tells about: who may read a service's, a payment's, an
    /// invoice's or a ticket's may read its notices (a client's technical user sees no payment
    /// amounts in a notice). A domain is a service the client ordered.
    pub fn about(self) -> crate::access::Resource {
        use crate::access::Resource;
        match self {
            NoticeKind::ServiceActivated
            | NoticeKind::ServiceExpiring
            | NoticeKind::ServiceSuspended
            | NoticeKind::ServiceDeleted
            | NoticeKind::ServiceOverdue
            | NoticeKind::PriceChange
            | NoticeKind::DomainExpiring
            | NoticeKind::DomainExpired => Resource::Services,
            NoticeKind::PaymentCredited | NoticeKind::LowBalance => Resource::Payments,
            NoticeKind::InvoiceIssued => Resource::Invoices,
            NoticeKind::TicketAnswered => Resource::Tickets,
        }
    }

    /// The placeholders a template of this kind may use, besides `client_name`.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            NoticeKind::ServiceActivated
            | NoticeKind::ServiceSuspended
            | NoticeKind::ServiceDeleted => &["service", "service_id"],
            NoticeKind::ServiceExpiring => &["service", "service_id", "days", "paid_until"],
            NoticeKind::ServiceOverdue => &["service", "service_id", "paid_until", "grace_until"],
            NoticeKind::PaymentCredited => &["amount", "currency", "balance"],
            NoticeKind::InvoiceIssued => &["number", "invoice_id"],
            NoticeKind::LowBalance => &["balance", "currency"],
            NoticeKind::TicketAnswered => &["ticket_subject", "ticket_id"],
            NoticeKind::PriceChange => &[
                "service",
                "service_id",
                "effective_on",
                "old_price",
                "new_price",
                "currency",
            ],
            NoticeKind::DomainExpiring => &["domain", "domain_id", "days", "expires_on"],
            NoticeKind::DomainExpired => &["domain", "domain_id", "expires_on"],
        }
    }

    /// The English text used when no template was written for the kind: (subject, body).
    pub fn default_template(self) -> (&'static str, &'static str) {
        match self {
            NoticeKind::ServiceActivated => (
                "Your service {{service}} is active",
                "Dear {{client_name}},\n\nyour service {{service}} has been activated.",
            ),
            NoticeKind::ServiceExpiring => (
                "Your service {{service}} expires in {{days}} days",
                "Dear {{client_name}},\n\nyour service {{service}} is paid until {{paid_until}}. \
                 Please top up your balance to keep it running.",
            ),
            NoticeKind::ServiceOverdue => (
                "Your service {{service}} is unpaid",
                "Dear {{client_name}},\n\nyour service {{service}} was paid until {{paid_until}}. \
                 It keeps running until {{grace_until}}; please top up your balance before then.",
            ),
            NoticeKind::ServiceSuspended => (
                "Your service {{service}} is suspended",
                "Dear {{client_name}},\n\nyour service {{service}} has been suspended.",
            ),
            NoticeKind::ServiceDeleted => (
                "Your service {{service}} was deleted",
                "Dear {{client_name}},\n\nyour service {{service}} has been deleted.",
            ),
            NoticeKind::PaymentCredited => (
                "Payment of {{amount}} {{currency}} received",
                "Dear {{client_name}},\n\nwe credited {{amount}} {{currency}} to your account. \
                 Your balance is {{balance}} {{currency}}.",
            ),
            NoticeKind::InvoiceIssued => (
                "Invoice {{number}}",
                "Dear {{client_name}},\n\ninvoice {{number}} has been issued.",
            ),
            NoticeKind::LowBalance => (
                "Your balance is low",
                "Dear {{client_name}},\n\nyour balance is {{balance}} {{currency}}.",
            ),
            NoticeKind::TicketAnswered => (
                "Re: {{ticket_subject}}",
                "Dear {{client_name}},\n\nsupport answered your ticket \"{{ticket_subject}}\".",
            ),
            NoticeKind::PriceChange => (
                "The price of {{service}} changes from {{effective_on}}",
                "Dear {{client_name}},\n\nthe price of one period of your service {{service}} \
                 changes from {{old_price}} {{currency}} to {{new_price}} {{currency}} with the \
                 first period starting on or after {{effective_on}}. Periods already paid keep \
                 their price.",
            ),
            NoticeKind::DomainExpiring => (
                "Your domain {{domain}} expires in {{days}} days",
                "Dear {{client_name}},\n\nyour domain {{domain}} is registered until \
                 {{expires_on}}. Please make sure your balance covers its renewal, or renew it, \
                 to keep it.",
            ),
            NoticeKind::DomainExpired => (
                "Your domain {{domain}} has expired",
                "Dear {{client_name}},\n\nyour domain {{domain}} was not renewed and expired on \
                 {{expires_on}}.",
            ),
        }
    }
}

impl FromStr for NoticeKind {
    type Err = NoticeError;

    fn from_str(text: &str) -> Result<NoticeKind, NoticeError> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| NoticeError::UnknownKind(text.to_owned()))
    }
}

/// A language: an ISO 639-1 code, two lowercase letters such as `de`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language([u8; 2]);

impl Language {
    /// English, the language of clients who chose none.
    pub const ENGLISH: Language = Language(*b"en");

    /// Checks and lowercases `code`.
    pub fn parse(code: &str) -> Result<Language, NoticeError> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Language([a.to_ascii_lowercase(), b.to_ascii_lowercase()]))
            }
            _ => Err(NoticeError::InvalidLanguage(code.to_owned())),
        }
    }

    /// The two letters.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters, so the slice is always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("en")
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Language {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Language, D::Error> {
        let text = String::deserialize(deserializer)?;
        Language::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a notice command was refused, or a field rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// Not a notice kind.
    #[error("unknown notice kind {0:?}")]
    UnknownKind(String),
    /// Not an ISO 639-1 code.
    #[error("language: {0:?} is not a two-letter ISO 639-1 code such as de")]
    InvalidLanguage(String),
    /// The subject is empty, longer than 200 characters or holds control characters.
    #[error("subject: must be 1 to 200 characters without control characters")]
    InvalidSubject,
    /// The body is empty, longer than 20,000 characters or holds control characters other than
    /// line breaks and tabs.
    #[error(
        "body: must be 1 to 20000 characters, without control characters other than line breaks and tabs"
    )]
    InvalidBody,
    /// A placeholder the kind does not know, or one never closed.
    #[error("unknown placeholder {placeholder:?} for {kind}; known: {known}")]
    UnknownPlaceholder {
        /// The kind.
        kind: &'static str,
        /// The placeholder as written.
        placeholder: String,
        /// The placeholders the kind knows, comma-separated.
        known: String,
    },
}

impl NoticeError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            NoticeError::UnknownKind(_) => "unknown_notice_kind",
            NoticeError::InvalidLanguage(_) => "invalid_language",
            NoticeError::InvalidSubject => "invalid_subject",
            NoticeError::InvalidBody => "invalid_body",
            NoticeError::UnknownPlaceholder { .. } => "unknown_placeholder",
        }
    }
}

/// The placeholders written in `template` (`{{name}}`, spaces inside the braces ignored), or the
/// text of one never closed.
pub fn placeholders(template: &str) -> Vec<Result<&str, &str>> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                found.push(Ok(after[..end].trim()));
                rest = &after[end + 2..];
            }
            None => {
                found.push(Err(after));
                break;
            }
        }
    }
    found
}

/// Renders `template`, putting `values[name]` for each `{{name}}` (an empty string for a name
/// without a value). Values are inserted as they are: templates are plain text.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        if let Some(value) = values.get(after[..end].trim()) {
            out.push_str(value);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Checks that `text` uses only the placeholders `kind` knows.
fn check_placeholders(kind: NoticeKind, text: &str) -> Result<(), NoticeError> {
    for placeholder in placeholders(text) {
        let known = |name: &str| name == "client_name" || kind.placeholders().contains(&name);
        let bad = match placeholder {
            Ok(name) if known(name) => continue,
            Ok(name) => name,
            Err(unclosed) => unclosed,
        };
        return Err(NoticeError::UnknownPlaceholder {
            kind: kind.as_str(),
            placeholder: bad.chars().take(40).collect(),
            known: std::iter::once("client_name")
                .chain(kind.placeholders().iter().copied())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Message templates.

/// What may be asked of a message template.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageTemplateCommand {
    /// Write the template of a kind and language (all of it; the same again changes nothing).
    SetMessageTemplate {
        /// The kind.
        kind: NoticeKind,
        /// The language.
        language: Language,
        /// The e-mail's subject, with placeholders.
        subject: String,
        /// The e-mail's text, with placeholders.
        body: String,
    },
}

/// What has happened to a message template. Stored forever: variants and fields are never
/// renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MessageTemplateEvent {
    /// The template was written.
    MessageTemplateSet {
        /// The kind.
        kind: NoticeKind,
        /// The language.
        language: Language,
        /// The subject.
        subject: String,
        /// The text.
        body: String,
    },
}

impl DomainEvent for MessageTemplateEvent {
    fn event_type(&self) -> String {
        match self {
            Self::MessageTemplateSet { .. } => "MessageTemplateSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// The template of one notice kind in one language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageTemplate {
    current: Option<MessageTemplateEvent>,
}

impl MessageTemplate {
    /// Applies the rules to `command`.
    pub fn decide(
        &self,
        command: MessageTemplateCommand,
    ) -> Result<Vec<MessageTemplateEvent>, NoticeError> {
        let MessageTemplateCommand::SetMessageTemplate {
            kind,
            language,
            subject,
            body,
        } = command;
        let subject = crate::text::display_name(&subject, crate::desk::TITLE_CHARS_MAX)
            .ok_or(NoticeError::InvalidSubject)?
            .to_owned();
        let body = crate::ticket::message_body(&body).map_err(|_| NoticeError::InvalidBody)?;
        check_placeholders(kind, &subject)?;
        check_placeholders(kind, &body)?;
        let event = MessageTemplateEvent::MessageTemplateSet {
            kind,
            language,
            subject,
            body,
        };
        if self.current.as_ref() == Some(&event) {
            return Ok(vec![]);
        }
        Ok(vec![event])
    }
}

impl Aggregate for MessageTemplate {
    const TYPE: &'static str = "MessageTemplate";
    type Command = MessageTemplateCommand;
    type Event = MessageTemplateEvent;
    type Error = NoticeError;
    type Services = ();

    async fn handle(
        &mut self,
        command: MessageTemplateCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), NoticeError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MessageTemplateEvent) {
        self.current = Some(event);
    }
}

/// The id of the template of `kind` in `language`.
pub fn template_id(kind: NoticeKind, language: Language) -> MessageTemplateId {
    MessageTemplateId::of(kind.as_str(), language.as_str())
}

// ---------------------------------------------------------------------------------------------
// A client's notice settings.

/// What may be asked of a client's notice settings.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeSettingsCommand {
    /// Set the client's language and the kinds it wants to be told about (whole).
    SetNoticeSettings {
        /// The client.
        client_id: ClientId,
        /// The language of its messages.
        language: Language,
        /// The kinds it subscribes to.
        subscriptions: BTreeSet<NoticeKind>,
    },
}

/// What has happened to a client's notice settings. Stored forever: variants and fields are
/// never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NoticeSettingsEvent {
    /// The settings were set (all of them, as they now are).
    NoticeSettingsSet {
        /// The client.
        client_id: ClientId,
        /// The language.
        language: Language,
        /// The kinds it subscribes to.
        subscriptions: BTreeSet<NoticeKind>,
    },
}

impl DomainEvent for NoticeSettingsEvent {
    fn event_type(&self) -> String {
        match self {
            Self::NoticeSettingsSet { .. } => "NoticeSettingsSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// A client's language and subscriptions. A client who never set them reads in English and
/// subscribes to every kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoticeSettings {
    current: Option<(Language, BTreeSet<NoticeKind>)>,
}

impl NoticeSettings {
    /// The language (English by default).
    pub fn language(&self) -> Language {
        self.current
            .as_ref()
            .map_or(Language::ENGLISH, |(language, _)| *language)
    }

    /// The kinds subscribed to (every kind by default).
    pub fn subscriptions(&self) -> BTreeSet<NoticeKind> {
        self.current
            .as_ref()
            .map_or_else(|| NoticeKind::ALL.into_iter().collect(), |(_, s)| s.clone())
    }

    /// Applies the rules to `command`.
    pub fn decide(
        &self,
        command: NoticeSettingsCommand,
    ) -> Result<Vec<NoticeSettingsEvent>, NoticeError> {
        let NoticeSettingsCommand::SetNoticeSettings {
            client_id,
            language,
            subscriptions,
        } = command;
        if self.current.as_ref() == Some(&(language, subscriptions.clone())) {
            return Ok(vec![]);
        }
        Ok(vec![NoticeSettingsEvent::NoticeSettingsSet {
            client_id,
            language,
            subscriptions,
        }])
    }
}

impl Aggregate for NoticeSettings {
    const TYPE: &'static str = "NoticeSettings";
    type Command = NoticeSettingsCommand;
    type Event = NoticeSettingsEvent;
    type Error = NoticeError;
    type Services = ();

    async fn handle(
        &mut self,
        command: NoticeSettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), NoticeError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: NoticeSettingsEvent) {
        let NoticeSettingsEvent::NoticeSettingsSet {
            language,
            subscriptions,
            ..
        } = event;
        self.current = Some((language, subscriptions));
    }
}
