//! The support desk's own records, managed by staff: ticket categories, answer templates and
//! announcements to clients.
//!
//! Three small aggregates share this module's error: [`TicketCategory`] (a name and the department
//! its tickets go to by default), [`AnswerTemplate`] (a text staff paste into answers) and
//! [`Announcement`] (a notice shown to client users while it is valid).

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::ids::{AnnouncementId, AnswerTemplateId, DepartmentId, ProviderId, TicketCategoryId};
use crate::notice::Language;
use crate::text;

/// The longest name of a category or template, or title of an announcement, in characters.
pub const TITLE_CHARS_MAX: usize = 200;
/// The longest text of a template or announcement, in characters.
pub const TEXT_CHARS_MAX: usize = 20_000;

/// Why a desk command was refused, or a field rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// A record with this id exists, with other content.
    #[error("already exists")]
    AlreadyExists,
    /// No record with this id.
    #[error("not found")]
    NotFound,
    /// A name or title is empty after trimming, longer than 200 characters or holds control
    /// characters.
    #[error("name: must be 1 to 200 characters without control characters")]
    InvalidName,
    /// A text is empty after trimming, longer than 20,000 characters or holds control
    /// characters other than line breaks and tabs.
    #[error(
        "body: must be 1 to 20000 characters, without control characters other than line breaks and tabs"
    )]
    InvalidText,
    /// An announcement ends before it starts.
    #[error("valid_until: must be after valid_from")]
    InvalidPeriod,
    /// The department takes no tickets.
    #[error("department_id: the department does not take tickets")]
    DepartmentTakesNoTickets,
}

impl DeskError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::AlreadyExists => "already_exists",
            DeskError::NotFound => "not_found",
            DeskError::InvalidName => "invalid_name",
            DeskError::InvalidText => "invalid_body",
            DeskError::InvalidPeriod => "invalid_period",
            DeskError::DepartmentTakesNoTickets => "department_takes_no_tickets",
        }
    }
}

/// Trims and checks a name or title.
pub fn title(text: &str) -> Result<String, DeskError> {
    text::display_name(text, TITLE_CHARS_MAX)
        .map(str::to_owned)
        .ok_or(DeskError::InvalidName)
}

/// Trims and checks a multi-line text (line breaks and tabs allowed).
pub fn long_text(body: &str) -> Result<String, DeskError> {
    crate::ticket::message_body(body).map_err(|_| DeskError::InvalidText)
}

// ---------------------------------------------------------------------------------------------
// Ticket categories.

/// What may be asked of a ticket category.
#[derive(Debug, Clone, PartialEq)]
pub enum CategoryCommand {
    /// Create the category. The same again changes nothing.
    CreateCategory {
        /// Its id.
        category_id: TicketCategoryId,
        /// Its name, such as "Billing" or "Abuse".
        name: String,
        /// The department its tickets go to when the client names none, and whether that
        /// department takes tickets.
        department: Option<(DepartmentId, bool)>,
    },
    /// Archive the category: no new ticket may choose it; old tickets keep it.
    ArchiveCategory,
}

/// What has happened to a ticket category. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CategoryEvent {
    /// The category was created.
    TicketCategoryCreated {
        /// Its id.
        category_id: TicketCategoryId,
        /// Its trimmed name.
        name: String,
        /// Its default department.
        department_id: Option<DepartmentId>,
    },
    /// The category was archived.
    TicketCategoryArchived,
}

impl DomainEvent for CategoryEvent {
    fn event_type(&self) -> String {
        match self {
            Self::TicketCategoryCreated { .. } => "TicketCategoryCreated".to_string(),
            Self::TicketCategoryArchived => "TicketCategoryArchived".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// A ticket category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketCategory {
    created: Option<(String, Option<DepartmentId>)>,
    archived: bool,
}

impl TicketCategory {
    /// Whether it exists.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// Whether it is archived.
    pub fn is_archived(&self) -> bool {
        self.archived
    }

    /// Its default department.
    pub fn department_id(&self) -> Option<DepartmentId> {
        self.created.as_ref().and_then(|(_, d)| *d)
    }

    /// Applies the rules to `command`.
    pub fn decide(&self, command: CategoryCommand) -> Result<Vec<CategoryEvent>, DeskError> {
        match command {
            CategoryCommand::CreateCategory {
                category_id,
                name,
                department,
            } => {
                let name = title(&name)?;
                if department.is_some_and(|(_, accepts)| !accepts) {
                    return Err(DeskError::DepartmentTakesNoTickets);
                }
                let department_id = department.map(|(id, _)| id);
                if let Some(created) = &self.created {
                    return if *created == (name, department_id) {
                        Ok(vec![])
                    } else {
                        Err(DeskError::AlreadyExists)
                    };
                }
                Ok(vec![CategoryEvent::TicketCategoryCreated {
                    category_id,
                    name,
                    department_id,
                }])
            }
            CategoryCommand::ArchiveCategory => {
                if !self.is_created() {
                    return Err(DeskError::NotFound);
                }
                if self.archived {
                    return Ok(vec![]);
                }
                Ok(vec![CategoryEvent::TicketCategoryArchived])
            }
        }
    }
}

impl Aggregate for TicketCategory {
    const TYPE: &'static str = "TicketCategory";
    type Command = CategoryCommand;
    type Event = CategoryEvent;
    type Error = DeskError;
    type Services = ();

    async fn handle(
        &mut self,
        command: CategoryCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DeskError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CategoryEvent) {
        match event {
            CategoryEvent::TicketCategoryCreated {
                name,
                department_id,
                ..
            } => self.created = Some((name, department_id)),
            CategoryEvent::TicketCategoryArchived => self.archived = true,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Answer templates.

/// What may be asked of an answer template.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerTemplateCommand {
    /// Create or replace the template's name and text (the same again changes nothing).
    SetAnswerTemplate {
        /// Its id.
        template_id: AnswerTemplateId,
        /// Its name, as staff pick it.
        name: String,
        /// The text.
        body: String,
    },
    /// Delete the template.
    DeleteAnswerTemplate,
}

/// What has happened to an answer template. Stored forever: variants and fields are never
/// renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AnswerTemplateEvent {
    /// The template was created or changed (all of it, as it now is).
    AnswerTemplateSet {
        /// Its id.
        template_id: AnswerTemplateId,
        /// Its trimmed name.
        name: String,
        /// Its text.
        body: String,
    },
    /// The template was deleted.
    AnswerTemplateDeleted,
}

impl DomainEvent for AnswerTemplateEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AnswerTemplateSet { .. } => "AnswerTemplateSet".to_string(),
            Self::AnswerTemplateDeleted => "AnswerTemplateDeleted".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// An answer template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerTemplate {
    current: Option<(String, String)>,
}

impl AnswerTemplate {
    /// Whether it exists (created and not deleted).
    pub fn exists(&self) -> bool {
        self.current.is_some()
    }

    /// Applies the rules to `command`.
    pub fn decide(
        &self,
        command: AnswerTemplateCommand,
    ) -> Result<Vec<AnswerTemplateEvent>, DeskError> {
        match command {
            AnswerTemplateCommand::SetAnswerTemplate {
                template_id,
                name,
                body,
            } => {
                let name = title(&name)?;
                let body = long_text(&body)?;
                if self.current.as_ref() == Some(&(name.clone(), body.clone())) {
                    return Ok(vec![]);
                }
                Ok(vec![AnswerTemplateEvent::AnswerTemplateSet {
                    template_id,
                    name,
                    body,
                }])
            }
            AnswerTemplateCommand::DeleteAnswerTemplate => {
                if self.current.is_none() {
                    return Err(DeskError::NotFound);
                }
                Ok(vec![AnswerTemplateEvent::AnswerTemplateDeleted])
            }
        }
    }
}

impl Aggregate for AnswerTemplate {
    const TYPE: &'static str = "AnswerTemplate";
    type Command = AnswerTemplateCommand;
    type Event = AnswerTemplateEvent;
    type Error = DeskError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AnswerTemplateCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DeskError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AnswerTemplateEvent) {
        match event {
            AnswerTemplateEvent::AnswerTemplateSet { name, body, .. } => {
                self.current = Some((name, body));
            }
            AnswerTemplateEvent::AnswerTemplateDeleted => self.current = None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Announcements.

/// What may be asked of an announcement.
#[derive(Debug, Clone, PartialEq)]
pub enum AnnouncementCommand {
    /// Publish the announcement. The same again changes nothing.
    PublishAnnouncement {
        /// Its id.
        announcement_id: AnnouncementId,
        /// The provider whose clients see it.
        provider_id: ProviderId,
        /// Its title.
        title: String,
        /// Its text.
        body: String,
        /// Only clients of this language see it; every client when `None`.
        language: Option<Language>,
        /// When it starts to show.
        valid_from: DateTime<Utc>,
        /// When it stops showing (half-open).
        valid_until: DateTime<Utc>,
    },
    /// Take the announcement down before its end.
    WithdrawAnnouncement {
        /// When.
        at: DateTime<Utc>,
    },
}

/// What has happened to an announcement. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AnnouncementEvent {
    /// The announcement was published.
    AnnouncementPublished {
        /// Its id.
        announcement_id: AnnouncementId,
        /// The provider whose clients see it.
        provider_id: ProviderId,
        /// Its trimmed title.
        title: String,
        /// Its text.
        body: String,
        /// The language of the clients who see it, or every client.
        language: Option<Language>,
        /// When it starts to show.
        valid_from: DateTime<Utc>,
        /// When it stops showing.
        valid_until: DateTime<Utc>,
    },
    /// The announcement was taken down.
    AnnouncementWithdrawn {
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for AnnouncementEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AnnouncementPublished { .. } => "AnnouncementPublished".to_string(),
            Self::AnnouncementWithdrawn { .. } => "AnnouncementWithdrawn".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// An announcement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    published: Option<AnnouncementEvent>,
    withdrawn: bool,
}

impl Announcement {
    /// Whether it was published.
    pub fn is_published(&self) -> bool {
        self.published.is_some()
    }

    /// Applies the rules to `command`.
    pub fn decide(
        &self,
        command: AnnouncementCommand,
    ) -> Result<Vec<AnnouncementEvent>, DeskError> {
        match command {
            AnnouncementCommand::PublishAnnouncement {
                announcement_id,
                provider_id,
                title: heading,
                body,
                language,
                valid_from,
                valid_until,
            } => {
                if valid_until <= valid_from {
                    return Err(DeskError::InvalidPeriod);
                }
                let event = AnnouncementEvent::AnnouncementPublished {
                    announcement_id,
                    provider_id,
                    title: title(&heading)?,
                    body: long_text(&body)?,
                    language,
                    valid_from,
                    valid_until,
                };
                match &self.published {
                    Some(published) if *published == event => Ok(vec![]),
                    Some(_) => Err(DeskError::AlreadyExists),
                    None => Ok(vec![event]),
                }
            }
            AnnouncementCommand::WithdrawAnnouncement { at } => {
                if self.published.is_none() {
                    return Err(DeskError::NotFound);
                }
                if self.withdrawn {
                    return Ok(vec![]);
                }
                Ok(vec![AnnouncementEvent::AnnouncementWithdrawn { at }])
            }
        }
    }
}

impl Aggregate for Announcement {
    const TYPE: &'static str = "Announcement";
    type Command = AnnouncementCommand;
    type Event = AnnouncementEvent;
    type Error = DeskError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AnnouncementCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DeskError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AnnouncementEvent) {
        match event {
            published @ AnnouncementEvent::AnnouncementPublished { .. } => {
                self.published = Some(published);
            }
            AnnouncementEvent::AnnouncementWithdrawn { .. } => self.withdrawn = true,
        }
    }
}
