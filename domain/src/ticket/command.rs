use chrono::{DateTime, Utc};

use super::{Author, BusinessHours, NewMessage, Subject, TicketDepartment};
use crate::ids::{ClientId, ProviderId, StaffId, TicketCategoryId, TicketId};

/// What may be asked of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub enum TicketCommand {
    /// Open the ticket with its first message: a client asking, or staff writing to a client.
    OpenTicket {
        /// Its id.
        ticket_id: TicketId,
        /// The client the ticket is about.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// The department it goes to, as it is now.
        department: TicketDepartment,
        /// Its category, if one was chosen, and whether the category is archived.
        category: Option<(TicketCategoryId, bool)>,
        /// The subject.
        subject: Subject,
        /// The first message.
        message: NewMessage,
        /// When (by the injected clock).
        at: DateTime<Utc>,
    },
    /// Add a message: a staff answer or a client's reply.
    Reply {
        /// The message.
        message: NewMessage,
        /// The business hours of the ticket's department, to measure the response time of a
        /// staff answer; `None` is every hour of every day.
        hours: Option<BusinessHours>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Hand the ticket to a department, and optionally to one staff member of it.
    AssignTicket {
        /// The department, as it is now.
        department: TicketDepartment,
        /// The staff member, if the ticket goes to one person.
        staff_id: Option<StaffId>,
        /// Who assigns it.
        by: Author,
        /// When.
        at: DateTime<Utc>,
    },
    /// Close the ticket; it goes to the archive.
    CloseTicket {
        /// Who closes it.
        by: Author,
        /// When.
        at: DateTime<Utc>,
    },
    /// Reopen a closed ticket.
    ReopenTicket {
        /// Who reopens it.
        by: Author,
        /// When.
        at: DateTime<Utc>,
    },
}
