//! The support center: tickets and their messages with attachments, departments' business
//! hours, ticket categories and answer templates.

use domain::access::{Department, DepartmentCommand, StaffMember};
use domain::desk::{
    AnswerTemplate, AnswerTemplateCommand, CategoryCommand, DeskError, TicketCategory,
};
use domain::ids::{
    AnswerTemplateId, ClientId, DepartmentId, StaffId, TicketCategoryId, TicketId, TicketMessageId,
};
use domain::ticket::{
    Author, BusinessHours, NewMessage, Side, Subject, Ticket, TicketCommand, TicketDepartment,
    TicketError,
};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::access::{Principal, ensure_default_departments};
use crate::usecases::attachments::{self, File};
use crate::usecases::{Core, Error, clients};

/// The author of what `principal` does: a client's side for a client's user (or staff acting as
/// the client), the staff side otherwise.
pub fn author(principal: &Principal) -> Author {
    Author {
        side: if principal.client().is_some() {
            Side::Client
        } else {
            Side::Staff
        },
        actor: principal.actor().to_string(),
    }
}

/// A department for a ticket: it must exist (refused otherwise).
pub async fn ticket_department(core: &Core, id: Uuid) -> Result<TicketDepartment, Error> {
    let department = core
        .store
        .load::<Department>(&id.to_string())
        .await?
        .aggregate;
    if !department.is_created() {
        return Err(Error::refused(
            "department_not_found",
            format!("department_id: no department {id}"),
        ));
    }
    Ok(TicketDepartment {
        department_id: DepartmentId::from_uuid(id),
        accepts_tickets: department.accepts_tickets(),
    })
}

/// The department a ticket goes to when none is named: Technical support, created with the
/// default departments if need be.
pub async fn default_ticket_department(core: &Core) -> Result<Uuid, Error> {
    ensure_default_departments(&core.store).await?;
    Ok(DepartmentId::named("Technical support").as_uuid())
}

/// The bytes the client's side has attached to `client`'s tickets, for the client's quota (the
/// ticket aggregate's rule); nothing to count for a staff message or one without files.
async fn client_attachment_bytes(
    core: &Core,
    client: Uuid,
    author: &Author,
    files: &[File],
) -> Result<u64, Error> {
    if author.side == Side::Staff || files.is_empty() {
        return Ok(0);
    }
    let bytes = projections::support::client_attachment_bytes(&core.pool, client).await?;
    Ok(u64::try_from(bytes).unwrap_or(0))
}

/// A new ticket, parsed.
pub struct NewTicket {
    /// Its id.
    pub ticket_id: Uuid,
    /// The client, which must exist and be neither deleted nor merged.
    pub client_id: Uuid,
    /// The subject.
    pub subject: Subject,
    /// The first message (checked).
    pub body: String,
    /// The department; by default the category's, else Technical support.
    pub department_id: Option<Uuid>,
    /// The category.
    pub category_id: Option<Uuid>,
    /// The files, checked.
    pub files: Vec<File>,
}

/// Opens a ticket of a client, by one of its users or written by staff to the client (recorded
/// as on the client's behalf). The files are stored after everything was checked, just before
/// the ticket is recorded.
pub async fn open_ticket(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    author: Author,
    ticket: NewTicket,
) -> Result<Committed<Ticket>, Error> {
    let (provider_id, _) = clients::active(core, ticket.client_id).await?;
    let category = match ticket.category_id {
        None => None,
        Some(id) => {
            let category = core
                .store
                .load::<TicketCategory>(&id.to_string())
                .await?
                .aggregate;
            if !category.is_created() {
                return Err(Error::refused(
                    "category_not_found",
                    format!("category_id: no category {id}"),
                ));
            }
            Some((id, category))
        }
    };
    let department_id = match ticket.department_id {
        Some(id) => id,
        None => match category.as_ref().and_then(|(_, c)| c.department_id()) {
            Some(id) => id.as_uuid(),
            None => default_ticket_department(core).await?,
        },
    };
    let department = ticket_department(core, department_id).await?;
    if !department.accepts_tickets {
        return Err(TicketError::DepartmentTakesNoTickets.into());
    }
    if category.as_ref().is_some_and(|(_, c)| c.is_archived()) {
        return Err(TicketError::CategoryArchived.into());
    }
    let mut context = context.clone();
    if author.side == Side::Staff && context.on_behalf_of.is_none() {
        context.on_behalf_of = Some(format!("client:{}", ticket.client_id));
    }
    let client_attachment_bytes =
        client_attachment_bytes(core, ticket.client_id, &author, &ticket.files).await?;
    let open = TicketCommand::OpenTicket {
        ticket_id: TicketId::from_uuid(ticket.ticket_id),
        client_id: ClientId::from_uuid(ticket.client_id),
        provider_id,
        department,
        category: category.map(|(id, c)| (TicketCategoryId::from_uuid(id), c.is_archived())),
        subject: ticket.subject,
        message: NewMessage {
            message_id: TicketMessageId::from_uuid(Uuid::now_v7()),
            author,
            body: ticket.body,
            attachments: ticket.files.iter().map(|f| f.attachment.clone()).collect(),
            client_attachment_bytes,
        },
        at: core.store.clock().now(),
    };
    // The ticket's rules (the client's quotas among them) before any byte is stored: a refused
    // message leaves no file behind.
    Ticket::default().decide(open.clone())?;
    attachments::store(&core.pool, &ticket.files).await?;
    Ok(core
        .store
        .execute::<Ticket>(
            &ticket.ticket_id.to_string(),
            open,
            &context,
            key.as_slice(),
        )
        .await?)
}

/// A ticket that exists.
async fn existing_ticket(core: &Core, id: Uuid) -> Result<Ticket, Error> {
    let ticket = core.store.load::<Ticket>(&id.to_string()).await?.aggregate;
    if ticket.is_opened() {
        Ok(ticket)
    } else {
        Err(TicketError::NotFound.into())
    }
}

/// A message of a ticket, parsed.
pub struct NewReply {
    /// Its id.
    pub message_id: Uuid,
    /// The text (checked).
    pub body: String,
    /// The files, checked.
    pub files: Vec<File>,
}

/// Adds a message to an open ticket: a staff answer or the client's reply. The first staff
/// answer after a client's message records the response time within the department's business
/// hours.
pub async fn reply(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    author: Author,
    ticket_id: Uuid,
    message: NewReply,
) -> Result<Committed<Ticket>, Error> {
    let ticket = existing_ticket(core, ticket_id).await?;
    let hours = match ticket.department_id() {
        Some(department) => core
            .store
            .load::<Department>(&department.to_string())
            .await?
            .aggregate
            .business_hours()
            .cloned(),
        None => None,
    };
    let client_attachment_bytes = match ticket.client_id() {
        Some(client) => {
            client_attachment_bytes(core, client.as_uuid(), &author, &message.files).await?
        }
        None => 0,
    };
    let reply = TicketCommand::Reply {
        message: NewMessage {
            message_id: TicketMessageId::from_uuid(message.message_id),
            author,
            body: message.body,
            attachments: message.files.iter().map(|f| f.attachment.clone()).collect(),
            client_attachment_bytes,
        },
        hours,
        at: core.store.clock().now(),
    };
    // The ticket's rules (a closed ticket takes no message, the client's quotas) before any byte
    // is stored: a refused message leaves no file behind.
    ticket.decide(reply.clone())?;
    attachments::store(&core.pool, &message.files).await?;
    Ok(core
        .store
        .execute::<Ticket>(&ticket_id.to_string(), reply, context, key.as_slice())
        .await?)
}

/// Hands a ticket to a department (its own when `None`; it must take tickets) and optionally
/// to one of its active staff.
pub async fn assign_ticket(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    department_id: Option<Uuid>,
    staff_id: Option<Uuid>,
    by: Author,
) -> Result<Committed<Ticket>, Error> {
    let ticket = existing_ticket(core, id).await?;
    let department_id = match (department_id, ticket.department_id()) {
        (Some(asked), _) => asked,
        (None, Some(own)) => own.as_uuid(),
        (None, None) => return Err(TicketError::NotFound.into()),
    };
    let department = ticket_department(core, department_id).await?;
    if let Some(staff_id) = staff_id {
        let staff = core
            .store
            .load::<StaffMember>(&staff_id.to_string())
            .await?
            .aggregate;
        if !staff.is_active() {
            return Err(Error::refused(
                "staff_not_found",
                format!("staff_id: no active staff member {staff_id}"),
            ));
        }
    }
    Ok(core
        .store
        .execute::<Ticket>(
            &id.to_string(),
            TicketCommand::AssignTicket {
                department,
                staff_id: staff_id.map(StaffId::from_uuid),
                by,
                at: core.store.clock().now(),
            },
            context,
            &[],
        )
        .await?)
}

/// Closes a ticket (it goes to the archive); closing a closed one changes nothing.
pub async fn close_ticket(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    by: Author,
) -> Result<Committed<Ticket>, Error> {
    existing_ticket(core, id).await?;
    let at = core.store.clock().now();
    Ok(core
        .store
        .execute::<Ticket>(
            &id.to_string(),
            TicketCommand::CloseTicket { by, at },
            context,
            &[],
        )
        .await?)
}

/// Reopens a closed ticket.
pub async fn reopen_ticket(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    by: Author,
) -> Result<Committed<Ticket>, Error> {
    existing_ticket(core, id).await?;
    let at = core.store.clock().now();
    Ok(core
        .store
        .execute::<Ticket>(
            &id.to_string(),
            TicketCommand::ReopenTicket { by, at },
            context,
            &[],
        )
        .await?)
}

/// A file of a ticket's messages: its name, type and bytes, or `None` when no message of the
/// ticket carries it.
pub async fn attachment(
    core: &Core,
    ticket_id: Uuid,
    sha256: &str,
) -> Result<Option<(String, String, Vec<u8>)>, Error> {
    let Some(file_name) =
        projections::support::attachment_file_name(&core.pool, ticket_id, sha256).await?
    else {
        return Ok(None);
    };
    Ok(attachments::content(&core.pool, sha256)
        .await?
        .map(|(content_type, content)| (file_name, content_type, content)))
}

/// Sets when a department answers tickets (`None`: always).
pub async fn set_business_hours(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    hours: Option<BusinessHours>,
) -> Result<Committed<Department>, Error> {
    Ok(core
        .store
        .execute::<Department>(
            &id.to_string(),
            DepartmentCommand::SetBusinessHours { hours },
            context,
            &[],
        )
        .await?)
}

/// Creates a ticket category, with the department its tickets go to (which must exist).
pub async fn create_category(
    core: &Core,
    context: &CommandContext,
    category_id: Uuid,
    name: String,
    department_id: Option<Uuid>,
) -> Result<Committed<TicketCategory>, Error> {
    let department = match department_id {
        Some(id) => {
            let department = ticket_department(core, id).await?;
            Some((department.department_id, department.accepts_tickets))
        }
        None => None,
    };
    Ok(core
        .store
        .execute::<TicketCategory>(
            &category_id.to_string(),
            CategoryCommand::CreateCategory {
                category_id: TicketCategoryId::from_uuid(category_id),
                name,
                department,
            },
            context,
            &[],
        )
        .await?)
}

/// Archives a ticket category.
pub async fn archive_category(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
) -> Result<Committed<TicketCategory>, Error> {
    Ok(core
        .store
        .execute::<TicketCategory>(
            &id.to_string(),
            CategoryCommand::ArchiveCategory,
            context,
            &[],
        )
        .await?)
}

/// Writes an answer template's name and text; with `existing`, the template must exist.
pub async fn set_answer_template(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    existing: bool,
    name: String,
    body: String,
) -> Result<Committed<AnswerTemplate>, Error> {
    if existing {
        let template = core
            .store
            .load::<AnswerTemplate>(&id.to_string())
            .await?
            .aggregate;
        if !template.exists() {
            return Err(DeskError::NotFound.into());
        }
    }
    Ok(core
        .store
        .execute::<AnswerTemplate>(
            &id.to_string(),
            AnswerTemplateCommand::SetAnswerTemplate {
                template_id: AnswerTemplateId::from_uuid(id),
                name,
                body,
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// Deletes an answer template.
pub async fn delete_answer_template(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
) -> Result<Committed<AnswerTemplate>, Error> {
    Ok(core
        .store
        .execute::<AnswerTemplate>(
            &id.to_string(),
            AnswerTemplateCommand::DeleteAnswerTemplate,
            context,
            &[],
        )
        .await?)
}
