use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{Attachment, Author, Subject, TicketStatus};
use crate::ids::{
    ClientId, DepartmentId, ProviderId, StaffId, TicketCategoryId, TicketId, TicketMessageId,
};

/// What has happened to a ticket. Stored forever: variants and fields are never renamed.
///
/// Each event carries the state it leaves (`status`, `awaiting_since`) and, for a staff answer,
/// the response time it measured, so that read models copy results and never re-run the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TicketEvent {
    /// The ticket was opened with its first message.
    TicketOpened {
        /// Its id.
        ticket_id: TicketId,
        /// The client it is about.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// The department it went to.
        department_id: DepartmentId,
        /// Its category.
        category_id: Option<TicketCategoryId>,
        /// The subject.
        subject: Subject,
        /// The first message's id.
        message_id: TicketMessageId,
        /// Who wrote it.
        author: Author,
        /// The text.
        body: String,
        /// The files.
        attachments: Vec<Attachment>,
        /// When.
        at: DateTime<Utc>,
        /// `open` when a client asked, `answered` when staff wrote first.
        status: TicketStatus,
        /// Since when the client waits for an answer (`None` when staff wrote first).
        awaiting_since: Option<DateTime<Utc>>,
    },
    /// A message was added.
    TicketReplied {
        /// The message's id.
        message_id: TicketMessageId,
        /// Who wrote it.
        author: Author,
        /// The text.
        body: String,
        /// The files.
        attachments: Vec<Attachment>,
        /// When.
        at: DateTime<Utc>,
        /// For the first staff answer after a client's message: the seconds the client waited,
        /// counted inside the department's business hours.
        response_seconds: Option<i64>,
        /// `open` (waiting for staff) or `answered` (waiting for the client).
        status: TicketStatus,
        /// Since when the client waits for an answer, if it does.
        awaiting_since: Option<DateTime<Utc>>,
    },
    /// The ticket was handed to a department (and perhaps a staff member).
    TicketAssigned {
        /// The department.
        department_id: DepartmentId,
        /// The staff member.
        staff_id: Option<StaffId>,
        /// Who assigned it.
        by: Author,
        /// When.
        at: DateTime<Utc>,
    },
    /// The ticket was closed and archived.
    TicketClosed {
        /// Who closed it.
        by: Author,
        /// When.
        at: DateTime<Utc>,
    },
    /// The ticket was reopened.
    TicketReopened {
        /// Who reopened it.
        by: Author,
        /// When.
        at: DateTime<Utc>,
        /// `open` when the client reopened it (it waits for staff again), `answered` when staff
        /// did.
        status: TicketStatus,
        /// Since when the client waits, if it does.
        awaiting_since: Option<DateTime<Utc>>,
    },
}

impl DomainEvent for TicketEvent {
    fn event_type(&self) -> String {
        // Literal names, so that a rename in code cannot orphan stored rows.
        match self {
            Self::TicketOpened { .. } => "TicketOpened".to_string(),
            Self::TicketReplied { .. } => "TicketReplied".to_string(),
            Self::TicketAssigned { .. } => "TicketAssigned".to_string(),
            Self::TicketClosed { .. } => "TicketClosed".to_string(),
            Self::TicketReopened { .. } => "TicketReopened".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
