//! Messages to clients: one message from staff to one client or to all of a provider's clients
//! (of one language if asked), each copy a ticket the client can answer; and announcements that
//! client users see while they are valid.

use chrono::{DateTime, Utc};
use domain::desk::{Announcement, AnnouncementCommand};
use domain::ids::{
    AnnouncementId, ClientId, ClientMessageId, ProviderId, TicketId, TicketMessageId,
};
use domain::notice::Language;
use domain::ticket::{Author, NewMessage, Subject, Ticket, TicketCommand, TicketError};
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, Committed};
use projections::ReadModel;
use projections::support::AnnouncementRow;
use uuid::Uuid;

use crate::usecases::support::{default_ticket_department, ticket_department};
use crate::usecases::{Core, Error};

/// A message to clients, parsed.
pub struct ClientMessage {
    /// The caller's id for the message: sending it again opens no ticket twice.
    pub message_id: ClientMessageId,
    /// The provider whose clients get it.
    pub provider_id: Uuid,
    /// One client; every client of the provider (not deleted or merged) when `None`.
    pub client_id: Option<Uuid>,
    /// Only clients who read this language.
    pub language: Option<Language>,
    /// The subject.
    pub subject: Subject,
    /// The text (checked).
    pub body: String,
    /// The department the answers go to; Technical support when `None`.
    pub department_id: Option<Uuid>,
}

/// What a message to clients did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientMessageSent {
    /// How many clients it went to (a ticket each).
    pub clients: usize,
    /// The global position of the last event written (0 when all tickets existed).
    pub position: i64,
}

/// Sends a message to one client or to many, as a ticket each written by `author`, on each
/// client's behalf. A retry opens no ticket twice: each client's ticket id derives from the
/// message and the client.
pub async fn send_client_message(
    core: &Core,
    context: &CommandContext,
    author: Author,
    message: ClientMessage,
) -> Result<ClientMessageSent, Error> {
    let department_id = match message.department_id {
        Some(id) => id,
        None => default_ticket_department(core).await?,
    };
    let department = ticket_department(core, department_id).await?;
    if !department.accepts_tickets {
        return Err(TicketError::DepartmentTakesNoTickets.into());
    }
    // The recipients are the clients as of now: let the read models catch up with the log
    // (a language a client chose a moment ago counts).
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    core.consistent(&[ReadModel::Clients, ReadModel::Support], Some(head))
        .await?;
    let language = message.language.map(|l| l.to_string());
    let recipients = projections::support::message_recipients(
        &core.pool,
        message.provider_id,
        message.client_id,
        language.as_deref(),
    )
    .await?;
    if let Some(client) = message.client_id
        && recipients.is_empty()
    {
        return Err(Error::refused(
            "client_not_found",
            format!(
                "client_id: no client {client} of provider {}",
                message.provider_id
            ),
        ));
    }
    let mut position = 0;
    for client in &recipients {
        let ticket_id = TicketId::for_message(message.message_id, ClientId::from_uuid(*client));
        let mut context = context.clone();
        context.on_behalf_of = Some(format!("client:{client}"));
        let opened = core
            .store
            .execute::<Ticket>(
                &ticket_id.to_string(),
                TicketCommand::OpenTicket {
                    ticket_id,
                    client_id: ClientId::from_uuid(*client),
                    provider_id: ProviderId::from_uuid(message.provider_id),
                    department,
                    category: None,
                    subject: message.subject.clone(),
                    message: NewMessage {
                        // The ticket's first message shares its derived id.
                        message_id: TicketMessageId::from_uuid(ticket_id.as_uuid()),
                        author: author.clone(),
                        body: message.body.clone(),
                        attachments: vec![],
                        client_attachment_bytes: 0,
                    },
                    at: core.store.clock().now(),
                },
                &context,
                &[],
            )
            .await;
        match opened {
            Ok(committed) => position = position.max(committed.position),
            // A retry of the same message: this client has its ticket already.
            Err(CommandError::Rejected(TicketError::AlreadyOpened)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(ClientMessageSent {
        clients: recipients.len(),
        position,
    })
}

/// A new announcement, parsed.
pub struct NewAnnouncement {
    /// The caller's id.
    pub announcement_id: Uuid,
    /// The provider whose clients see it; it must exist.
    pub provider_id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// Only clients who read this language see it.
    pub language: Option<Language>,
    /// When it starts to show.
    pub valid_from: DateTime<Utc>,
    /// When it stops showing (half-open).
    pub valid_until: DateTime<Utc>,
}

/// Publishes an announcement to a provider's clients.
pub async fn publish_announcement(
    core: &Core,
    context: &CommandContext,
    announcement: NewAnnouncement,
) -> Result<Committed<Announcement>, Error> {
    let provider = core
        .store
        .load::<domain::provider::Provider>(&announcement.provider_id.to_string())
        .await?
        .aggregate;
    if !provider.is_created() {
        return Err(Error::refused(
            "provider_not_found",
            format!("provider_id: no provider {}", announcement.provider_id),
        ));
    }
    Ok(core
        .store
        .execute::<Announcement>(
            &announcement.announcement_id.to_string(),
            AnnouncementCommand::PublishAnnouncement {
                announcement_id: AnnouncementId::from_uuid(announcement.announcement_id),
                provider_id: ProviderId::from_uuid(announcement.provider_id),
                title: announcement.title,
                body: announcement.body,
                language: announcement.language,
                valid_from: announcement.valid_from,
                valid_until: announcement.valid_until,
            },
            context,
            &[],
        )
        .await?)
}

/// Takes an announcement down before its end.
pub async fn withdraw_announcement(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
) -> Result<Committed<Announcement>, Error> {
    let at = core.store.clock().now();
    Ok(core
        .store
        .execute::<Announcement>(
            &id.to_string(),
            AnnouncementCommand::WithdrawAnnouncement { at },
            context,
            &[],
        )
        .await?)
}

/// Announcements, newest first: only those showing now when `current`, and for `client` only
/// those showing to it; a page after `after` (start, id) of at most `limit`.
pub async fn announcements(
    core: &Core,
    current: bool,
    client: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<AnnouncementRow>, Error> {
    let now = core.store.clock().now();
    Ok(projections::support::announcements(&core.pool, current, client, now, after, limit).await?)
}

/// The announcements showing now to `client`'s users (at most 500): what a client's user is
/// shown when it logs in.
pub async fn showing_to(core: &Core, client: ClientId) -> Result<Vec<AnnouncementRow>, Error> {
    announcements(core, true, Some(client.as_uuid()), None, 500).await
}
