/// Why a ticket command was refused, or a ticket field rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// A ticket with this id exists.
    #[error("ticket already exists")]
    AlreadyOpened,
    /// No ticket with this id.
    #[error("ticket not found")]
    NotFound,
    /// The ticket is closed: reopen it first.
    #[error("the ticket is closed; reopen it first")]
    Closed,
    /// The department takes no tickets.
    #[error("department_id: the department does not take tickets")]
    DepartmentTakesNoTickets,
    /// The category is archived.
    #[error("category_id: the category is archived")]
    CategoryArchived,
    /// The subject is empty after trimming, longer than 200 characters or holds control
    /// characters.
    #[error("subject: must be 1 to 200 characters without control characters")]
    InvalidSubject,
    /// The text is empty after trimming, longer than 20,000 characters or holds control
    /// characters other than line breaks and tabs.
    #[error(
        "body: must be 1 to 20000 characters, without control characters other than line breaks and tabs"
    )]
    InvalidBody,
    /// An attachment is larger than the limit.
    #[error("attachments: {name:?} is {size_bytes} bytes, more than the limit of {limit_bytes}")]
    AttachmentTooLarge {
        /// The file's name.
        name: String,
        /// Its size.
        size_bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// The client's side has attached as many files to this ticket as it may.
    #[error(
        "attachments: the ticket holds {attached} of the client's files; at most {limit} per ticket"
    )]
    TicketAttachmentsFull {
        /// The client's files on the ticket already.
        attached: usize,
        /// The most files per ticket.
        limit: usize,
    },
    /// The files would take the client over its storage quota.
    #[error(
        "attachments: the client's tickets hold {used_bytes} bytes of files; {adding_bytes} more would exceed the quota of {limit_bytes}"
    )]
    ClientAttachmentQuota {
        /// The bytes the client's files take already.
        used_bytes: u64,
        /// The bytes of this message's files.
        adding_bytes: u64,
        /// The client's quota.
        limit_bytes: u64,
    },
    /// More attachments than a message may carry.
    #[error("attachments: at most {0} files per message")]
    TooManyAttachments(usize),
    /// A file name is empty, too long, holds control characters or a path separator.
    #[error("attachments: invalid file name {0:?}")]
    InvalidFileName(String),
    /// The content type is not one of the allowed ones, or the content is not what it says.
    #[error("attachments: {0}")]
    UnsupportedAttachment(String),
    /// Business hours that do not make sense.
    #[error("business_hours: {0}")]
    InvalidBusinessHours(String),
}

impl TicketError {
    /// A stable snake_case machine code for API clients; it never changes once published.
    pub fn code(&self) -> &'static str {
        match self {
            TicketError::AlreadyOpened => "ticket_exists",
            TicketError::NotFound => "ticket_not_found",
            TicketError::Closed => "ticket_closed",
            TicketError::DepartmentTakesNoTickets => "department_takes_no_tickets",
            TicketError::CategoryArchived => "category_archived",
            TicketError::InvalidSubject => "invalid_subject",
            TicketError::InvalidBody => "invalid_body",
            TicketError::AttachmentTooLarge { .. } => "attachment_too_large",
            TicketError::TooManyAttachments(_) => "too_many_attachments",
            TicketError::TicketAttachmentsFull { .. } => "ticket_attachments_full",
            TicketError::ClientAttachmentQuota { .. } => "attachment_quota_exceeded",
            TicketError::InvalidFileName(_) => "invalid_file_name",
            TicketError::UnsupportedAttachment(_) => "unsupported_attachment",
            TicketError::InvalidBusinessHours(_) => "invalid_business_hours",
        }
    }
}
