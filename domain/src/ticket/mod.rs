//! The ticket aggregate: a conversation between a client and the provider's support, in a
//! department and a category, from its opening to its archive.
//!
//! A ticket is `open` while the client waits for an answer, `answered` while support waits for
//! the client, and `closed` (archived) once either side closes it; a closed ticket takes no
//! message until it is reopened. The first staff answer after a client's message records the
//! response time, counted inside the department's business hours ([`BusinessHours`]).
//!
//! Attachments never enter the log: the API keeps their bytes in PostgreSQL under their SHA-256,
//! and a message names them by that digest with their name, type and size.

mod command;
mod error;
mod event;
mod hours;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{
    ClientId, DepartmentId, ProviderId, StaffId, TicketCategoryId, TicketId, TicketMessageId,
};
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use hours::*;

/// The longest subject, in characters.
pub const SUBJECT_CHARS_MAX: usize = 200;
/// The longest message, in characters.
pub const BODY_CHARS_MAX: usize = 20_000;
/// The largest attachment, in bytes (5 MiB).
pub const ATTACHMENT_BYTES_MAX: u64 = 5 * 1024 * 1024;
/// The most attachments one message may carry.
pub const ATTACHMENTS_MAX: usize = 5;
/// The longest attachment file name, in characters.
pub const FILE_NAME_CHARS_MAX: usize = 200;
/// The most files the client's side may attach to one ticket over all its messages.
pub const TICKET_ATTACHMENTS_MAX: usize = 20;
/// The most bytes of files the client's side may keep over all its tickets (100 MiB). Files are
/// kept forever, so without a quota a client's user could fill the provider's database.
pub const CLIENT_ATTACHMENT_BYTES_MAX: u64 = 100 * 1024 * 1024;

/// A ticket's subject: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    /// Trims `subject` and checks it.
    pub fn parse(subject: &str) -> Result<Subject, TicketError> {
        text::display_name(subject, SUBJECT_CHARS_MAX)
            .map(|s| Subject(s.to_owned()))
            .ok_or(TicketError::InvalidSubject)
    }

    /// The trimmed subject.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of a message, checked: trimmed, `\r\n` made `\n`, 1 to 20,000 characters, no control
/// characters but line breaks and tabs.
pub fn message_body(body: &str) -> Result<String, TicketError> {
    let normalized = body.replace("\r\n", "\n");
    let text = text::trimmed_within(&normalized, BODY_CHARS_MAX).ok_or(TicketError::InvalidBody)?;
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(TicketError::InvalidBody);
    }
    Ok(text.to_owned())
}

/// The kinds of files a message may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttachmentType {
    /// `image/png`.
    #[serde(rename = "image/png")]
    Png,
    /// `image/jpeg`.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `application/pdf`.
    #[serde(rename = "application/pdf")]
    Pdf,
    /// `text/plain` (UTF-8).
    #[serde(rename = "text/plain")]
    PlainText,
}

impl AttachmentType {
    /// Every allowed type.
    pub const ALL: [AttachmentType; 4] = [
        AttachmentType::Png,
        AttachmentType::Jpeg,
        AttachmentType::Pdf,
        AttachmentType::PlainText,
    ];

    /// The media type.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentType::Png => "image/png",
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::PlainText => "text/plain",
        }
    }

    /// The allowed type named `media_type` (parameters such as `; charset=utf-8` ignored).
    pub fn parse(media_type: &str) -> Result<AttachmentType, TicketError> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        AttachmentType::ALL
            .into_iter()
            .find(|t| t.as_str() == essence)
            .ok_or_else(|| {
                TicketError::UnsupportedAttachment(format!(
                    "{media_type:?} is not allowed; send image/png, image/jpeg, application/pdf or text/plain"
                ))
            })
    }

    /// Whether `content` is really of this type: the magic bytes of PNG, JPEG and PDF, and UTF-8
    /// without control characters but line breaks and tabs for plain text. A file whose name or
    /// declared type lies is refused, so that a browser never opens an executable as a picture.
    pub fn matches(self, content: &[u8]) -> bool {
        match self {
            AttachmentType::Png => content.starts_with(b"\x89PNG\r\n\x1a\n"),
            AttachmentType::Jpeg => content.starts_with(&[0xFF, 0xD8, 0xFF]),
            AttachmentType::Pdf => content.starts_with(b"%PDF-"),
            AttachmentType::PlainText => std::str::from_utf8(content).is_ok_and(|text| {
                !text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            }),
        }
    }
}

/// A file of a message: its bytes are kept apart under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The SHA-256 of the content, lowercase hex: the key of the stored bytes.
    pub sha256: String,
    /// The file's name as sent, trimmed.
    pub file_name: String,
    /// Its type, checked against the content.
    pub content_type: AttachmentType,
    /// Its size.
    pub size_bytes: u64,
}

impl Attachment {
    /// The attachment with its name and size checked.
    pub fn checked(self) -> Result<Attachment, TicketError> {
        let name = text::display_name(&self.file_name, FILE_NAME_CHARS_MAX)
            .filter(|n| !n.contains(['/', '\\']))
            .ok_or_else(|| TicketError::InvalidFileName(self.file_name.clone()))?
            .to_owned();
        if self.size_bytes > ATTACHMENT_BYTES_MAX {
            return Err(TicketError::AttachmentTooLarge {
                name,
                size_bytes: self.size_bytes,
                limit_bytes: ATTACHMENT_BYTES_MAX,
            });
        }
        let hex = self.sha256.len() == 64 && self.sha256.chars().all(|c| c.is_ascii_hexdigit());
        if !hex {
            return Err(TicketError::UnsupportedAttachment(
                "the content digest is not a SHA-256".to_owned(),
            ));
        }
        Ok(Attachment {
            file_name: name,
            sha256: self.sha256.to_ascii_lowercase(),
            ..self
        })
    }
}

/// How many of a message's files count towards the client's quota: those of the client's side.
fn client_files(author: &Author, attachments: &[Attachment]) -> usize {
    match author.side {
        Side::Client => attachments.len(),
        Side::Staff => 0,
    }
}

/// Which side wrote a message or acted on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The client (one of its users, or staff acting as the client).
    Client,
    /// The provider's staff.
    Staff,
}

/// Who wrote a message or acted on a ticket: a side and the actor (`user:<id>`, `staff:<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The side.
    pub side: Side,
    /// The actor, as in the events' metadata.
    pub actor: String,
}

/// A message to add: its id, author, text and files, as received (checked by the aggregate).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Its id.
    pub message_id: TicketMessageId,
    /// Who writes it.
    pub author: Author,
    /// The text.
    pub body: String,
    /// The files, already stored by their digest.
    pub attachments: Vec<Attachment>,
    /// The bytes of the files the client's side has already attached to all the client's
    /// tickets (the caller sums them from the support read model), for the client's quota.
    pub client_attachment_bytes: u64,
}

impl NewMessage {
    /// The client's quotas: at most [`TICKET_ATTACHMENTS_MAX`] files on a ticket
    /// (`ticket_files` already there) and [`CLIENT_ATTACHMENT_BYTES_MAX`] over all its tickets.
    /// Staff are not limited: an answer with the file the client needs is never refused.
    fn within_quota(&self, ticket_files: usize) -> Result<(), TicketError> {
        if self.author.side == Side::Staff || self.attachments.is_empty() {
            return Ok(());
        }
        if ticket_files + self.attachments.len() > TICKET_ATTACHMENTS_MAX {
            return Err(TicketError::TicketAttachmentsFull {
                attached: ticket_files,
                limit: TICKET_ATTACHMENTS_MAX,
            });
        }
        let adding_bytes = self
            .attachments
            .iter()
            .fold(0u64, |sum, file| sum.saturating_add(file.size_bytes));
        if self.client_attachment_bytes.saturating_add(adding_bytes) > CLIENT_ATTACHMENT_BYTES_MAX {
            return Err(TicketError::ClientAttachmentQuota {
                used_bytes: self.client_attachment_bytes,
                adding_bytes,
                limit_bytes: CLIENT_ATTACHMENT_BYTES_MAX,
            });
        }
        Ok(())
    }

    fn checked(self) -> Result<NewMessage, TicketError> {
        if self.attachments.len() > ATTACHMENTS_MAX {
            return Err(TicketError::TooManyAttachments(ATTACHMENTS_MAX));
        }
        Ok(NewMessage {
            body: message_body(&self.body)?,
            attachments: self
                .attachments
                .into_iter()
                .map(Attachment::checked)
                .collect::<Result<_, _>>()?,
            ..self
        })
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// The client waits for an answer.
    Open,
    /// Support answered; it waits for the client.
    Answered,
    /// Closed and archived.
    Closed,
}

impl TicketStatus {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Answered => "answered",
            TicketStatus::Closed => "closed",
        }
    }
}

/// A department as a ticket command needs it: its id and whether it takes tickets now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketDepartment {
    /// The department.
    pub department_id: DepartmentId,
    /// Whether it takes tickets.
    pub accepts_tickets: bool,
}

impl TicketDepartment {
    fn checked(self) -> Result<DepartmentId, TicketError> {
        if self.accepts_tickets {
            Ok(self.department_id)
        } else {
            Err(TicketError::DepartmentTakesNoTickets)
        }
    }
}

/// The state of one ticket, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    opened: Option<OpenedTicket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OpenedTicket {
    ticket_id: TicketId,
    client_id: ClientId,
    department_id: DepartmentId,
    staff_id: Option<StaffId>,
    status: TicketStatus,
    awaiting_since: Option<DateTime<Utc>>,
    /// The files the client's side attached to it, for its quota.
    client_files: usize,
}

impl Ticket {
    /// Whether the ticket was opened.
    pub fn is_opened(&self) -> bool {
        self.opened.is_some()
    }

    /// The client it is about, once opened.
    pub fn client_id(&self) -> Option<ClientId> {
        self.opened.as_ref().map(|t| t.client_id)
    }

    /// The department it is in, once opened.
    pub fn department_id(&self) -> Option<DepartmentId> {
        self.opened.as_ref().map(|t| t.department_id)
    }

    /// The staff member it is assigned to, if any.
    pub fn staff_id(&self) -> Option<StaffId> {
        self.opened.as_ref().and_then(|t| t.staff_id)
    }

    /// Where it stands, once opened.
    pub fn status(&self) -> Option<TicketStatus> {
        self.opened.as_ref().map(|t| t.status)
    }

    /// Applies the rules to `command` and returns the events it causes.
    pub fn decide(&self, command: TicketCommand) -> Result<Vec<TicketEvent>, TicketError> {
        match command {
            TicketCommand::OpenTicket {
                ticket_id,
                client_id,
                provider_id,
                department,
                category,
                subject,
                message,
                at,
            } => self.open(
                ticket_id,
                client_id,
                provider_id,
                department,
                category,
                subject,
                message,
                at,
            ),
            TicketCommand::Reply { message, hours, at } => self.reply(message, hours, at),
            TicketCommand::AssignTicket {
                department,
                staff_id,
                by,
                at,
            } => self.assign_ticket(department, staff_id, by, at),
            TicketCommand::CloseTicket { by, at } => self.close_ticket(by, at),
            TicketCommand::ReopenTicket { by, at } => self.reopen_ticket(by, at),
        }
    }

    /// Decides [`TicketCommand::OpenTicket`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn open(
        &self,
        ticket_id: TicketId,
        client_id: ClientId,
        provider_id: ProviderId,
        department: TicketDepartment,
        category: Option<(TicketCategoryId, bool)>,
        subject: Subject,
        message: NewMessage,
        at: DateTime<Utc>,
    ) -> Result<Vec<TicketEvent>, TicketError> {
        if self.is_opened() {
            return Err(TicketError::AlreadyOpened);
        }
        let department_id = department.checked()?;
        if category.is_some_and(|(_, archived)| archived) {
            return Err(TicketError::CategoryArchived);
        }
        let message = message.checked()?;
        message.within_quota(0)?;
        let (status, awaiting_since) = match message.author.side {
            Side::Client => (TicketStatus::Open, Some(at)),
            Side::Staff => (TicketStatus::Answered, None),
        };
        Ok(vec![TicketEvent::TicketOpened {
            ticket_id,
            client_id,
            provider_id,
            department_id,
            category_id: category.map(|(id, _)| id),
            subject,
            message_id: message.message_id,
            author: message.author,
            body: message.body,
            attachments: message.attachments,
            at,
            status,
            awaiting_since,
        }])
    }

    /// Decides [`TicketCommand::Reply`].
    fn reply(
        &self,
        message: NewMessage,
        hours: Option<BusinessHours>,
        at: DateTime<Utc>,
    ) -> Result<Vec<TicketEvent>, TicketError> {
        let ticket = self.open_ticket()?;
        let message = message.checked()?;
        message.within_quota(ticket.client_files)?;
        let (response_seconds, status, awaiting_since) = match message.author.side {
            Side::Staff => (
                ticket.awaiting_since.map(|since| {
                    hours
                        .unwrap_or_else(BusinessHours::always)
                        .seconds_between(since, at)
                }),
                TicketStatus::Answered,
                None,
            ),
            // A client writing again keeps waiting since its first unanswered message.
            Side::Client => (
                None,
                TicketStatus::Open,
                Some(ticket.awaiting_since.unwrap_or(at)),
            ),
        };
        Ok(vec![TicketEvent::TicketReplied {
            message_id: message.message_id,
            author: message.author,
            body: message.body,
            attachments: message.attachments,
            at,
            response_seconds,
            status,
            awaiting_since,
        }])
    }

    /// Decides [`TicketCommand::AssignTicket`].
    fn assign_ticket(
        &self,
        department: TicketDepartment,
        staff_id: Option<StaffId>,
        by: Author,
        at: DateTime<Utc>,
    ) -> Result<Vec<TicketEvent>, TicketError> {
        let ticket = self.open_ticket()?;
        let department_id = department.checked()?;
        if ticket.department_id == department_id && ticket.staff_id == staff_id {
            return Ok(vec![]);
        }
        Ok(vec![TicketEvent::TicketAssigned {
            department_id,
            staff_id,
            by,
            at,
        }])
    }

    /// Decides [`TicketCommand::CloseTicket`].
    fn close_ticket(&self, by: Author, at: DateTime<Utc>) -> Result<Vec<TicketEvent>, TicketError> {
        let ticket = self.opened.as_ref().ok_or(TicketError::NotFound)?;
        if ticket.status == TicketStatus::Closed {
            return Ok(vec![]);
        }
        Ok(vec![TicketEvent::TicketClosed { by, at }])
    }

    /// Decides [`TicketCommand::ReopenTicket`].
    fn reopen_ticket(
        &self,
        by: Author,
        at: DateTime<Utc>,
    ) -> Result<Vec<TicketEvent>, TicketError> {
        let ticket = self.opened.as_ref().ok_or(TicketError::NotFound)?;
        if ticket.status != TicketStatus::Closed {
            return Ok(vec![]);
        }
        let (status, awaiting_since) = match by.side {
            Side::Client => (TicketStatus::Open, Some(at)),
            Side::Staff => (TicketStatus::Answered, None),
        };
        Ok(vec![TicketEvent::TicketReopened {
            by,
            at,
            status,
            awaiting_since,
        }])
    }

    /// The opened ticket, if it takes messages and assignments (it is not closed).
    fn open_ticket(&self) -> Result<&OpenedTicket, TicketError> {
        let ticket = self.opened.as_ref().ok_or(TicketError::NotFound)?;
        if ticket.status == TicketStatus::Closed {
            return Err(TicketError::Closed);
        }
        Ok(ticket)
    }
}

impl Aggregate for Ticket {
    const TYPE: &'static str = "Ticket";
    type Command = TicketCommand;
    type Event = TicketEvent;
    type Error = TicketError;
    type Services = ();

    async fn handle(
        &mut self,
        command: TicketCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), TicketError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: TicketEvent) {
        match event {
            TicketEvent::TicketOpened {
                ticket_id,
                client_id,
                department_id,
                status,
                awaiting_since,
                author,
                attachments,
                ..
            } => {
                self.opened = Some(OpenedTicket {
                    ticket_id,
                    client_id,
                    department_id,
                    staff_id: None,
                    status,
                    awaiting_since,
                    client_files: client_files(&author, &attachments),
                });
            }
            TicketEvent::TicketReplied {
                status,
                awaiting_since,
                author,
                attachments,
                ..
            } => {
                if let Some(ticket) = &mut self.opened {
                    ticket.status = status;
                    ticket.awaiting_since = awaiting_since;
                    ticket.client_files += client_files(&author, &attachments);
                }
            }
            TicketEvent::TicketReopened {
                status,
                awaiting_since,
                ..
            } => {
                if let Some(ticket) = &mut self.opened {
                    ticket.status = status;
                    ticket.awaiting_since = awaiting_since;
                }
            }
            TicketEvent::TicketAssigned {
                department_id,
                staff_id,
                ..
            } => {
                if let Some(ticket) = &mut self.opened {
                    ticket.department_id = department_id;
                    ticket.staff_id = staff_id;
                }
            }
            TicketEvent::TicketClosed { .. } => {
                if let Some(ticket) = &mut self.opened {
                    ticket.status = TicketStatus::Closed;
                    ticket.awaiting_since = None;
                }
            }
        }
    }
}
