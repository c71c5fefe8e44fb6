//! Messages to clients: a message from staff to one client or to all of a provider's clients
//! (optionally only those of one language), each copy a ticket the client can answer, and
//! announcements that client users see while they are valid.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::desk::{Announcement, AnnouncementCommand};
use domain::ids::{
    AnnouncementId, ClientId, ClientMessageId, ProviderId, TicketId, TicketMessageId,
};
use domain::notice::Language;
use domain::ticket::{Author, NewMessage, Side, Subject, Ticket, TicketCommand, TicketError};
use eventstore::CommandError;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with};
use crate::http::auth::{Principal, Visible};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/client-messages`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientMessageRequest {
    /// The caller's id for the message: sending it again opens no ticket twice.
    pub message_id: Uuid,
    /// The provider whose clients get it.
    pub provider_id: Uuid,
    /// One client; every client of the provider (not deleted or merged) when absent.
    pub client_id: Option<Uuid>,
    /// Only clients who read this language (ISO 639-1; clients who chose none read `en`).
    pub language: Option<String>,
    /// The subject; 1 to 200 characters.
    pub subject: String,
    /// The text; 1 to 20,000 characters.
    pub body: String,
    /// The department the clients' answers go to; Technical support by default.
    pub department_id: Option<Uuid>,
}

/// What a message to clients did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientMessageSent {
    /// The message.
    pub id: Uuid,
    /// How many clients it went to (a ticket each).
    pub clients: usize,
    /// The global position of the last event written (0 when all tickets existed).
    pub position: i64,
}

/// Sends a message to one client or to many, as a ticket each, written by the calling staff
/// member; each client is e-mailed as for a support answer (notice `ticket_answered`).
#[utoipa::path(post, path = "/v1/client-messages", tag = "tickets",
    request_body = ClientMessageRequest,
    responses(
        (status = 201, description = "sent", body = ClientMessageSent),
        (status = 422, description = "an invalid subject, text, language, client or department", body = Problem)))]
pub async fn send_client_message(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    command: Command,
    Body(request): Body<ClientMessageRequest>,
) -> Result<Response, ApiError> {
    let subject = Subject::parse(&request.subject)?;
    domain::ticket::message_body(&request.body)?;
    let language = request
        .language
        .as_deref()
        .map(Language::parse)
        .transpose()?;
    let department_id = match request.department_id {
        Some(id) => id,
        None => {
            crate::usecases::access::ensure_default_departments(&state.store).await?;
            domain::ids::DepartmentId::named("Technical support").as_uuid()
        }
    };
    let department = crate::http::routes::tickets::ticket_department(&state, department_id).await?;
    if !department.accepts_tickets {
        return Err(TicketError::DepartmentTakesNoTickets.into());
    }
    // The recipients are the clients as of now: let the read models catch up with the log
    // (a language a client chose a moment ago counts).
    let head = eventstore::log::head_position(&state.pool).await?;
    state
        .consistent(&[ReadModel::Clients, ReadModel::Support], Some(head))
        .await?;
    let recipients: Vec<Uuid> = sqlx::query_scalar(
        "SELECT c.id FROM clients c
           LEFT JOIN notice_settings s ON s.client_id = c.id
          WHERE c.provider_id = $1 AND c.status NOT IN ('deleted', 'merged')
            AND ($2::uuid IS NULL OR c.id = $2)
            AND ($3::text IS NULL OR coalesce(s.language, 'en') = $3)
          ORDER BY c.created_at, c.id",
    )
    .bind(request.provider_id)
    .bind(request.client_id)
    .bind(language.map(|l| l.to_string()))
    .fetch_all(&state.pool)
    .await?;
    if let Some(client) = request.client_id
        && recipients.is_empty()
    {
        return Err(ApiError::unprocessable(
            "client_not_found",
            format!(
                "client_id: no client {client} of provider {}",
                request.provider_id
            ),
        ));
    }
    let author = Author {
        side: Side::Staff,
        actor: principal.actor().to_string(),
    };
    let message_id = ClientMessageId::from_uuid(request.message_id);
    let mut position = 0;
    for client in &recipients {
        let ticket_id = TicketId::for_message(message_id, ClientId::from_uuid(*client));
        let mut context = command.context.clone();
        context.on_behalf_of = Some(format!("client:{client}"));
        let opened = state
            .store
            .execute::<Ticket>(
                &ticket_id.to_string(),
                TicketCommand::OpenTicket {
                    ticket_id,
                    client_id: ClientId::from_uuid(*client),
                    provider_id: ProviderId::from_uuid(request.provider_id),
                    department,
                    category: None,
                    subject: subject.clone(),
                    message: NewMessage {
                        // The ticket's first message shares its derived id.
                        message_id: TicketMessageId::from_uuid(ticket_id.as_uuid()),
                        author: author.clone(),
                        body: request.body.clone(),
                        attachments: vec![],
                        client_attachment_bytes: 0,
                    },
                    at: state.store.clock().now(),
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
    Ok(crate::http::answer::json_with(
        StatusCode::CREATED,
        &ClientMessageSent {
            id: request.message_id,
            clients: recipients.len(),
            position,
        },
        false,
    ))
}

/// `POST /v1/announcements`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementRequest {
    /// The caller's id: sending it again publishes nothing more.
    pub announcement_id: Uuid,
    /// The provider whose clients see it.
    pub provider_id: Uuid,
    /// The title; 1 to 200 characters.
    #[schema(example = "Maintenance on Saturday night")]
    pub title: String,
    /// The text.
    pub body: String,
    /// Only clients who read this language see it; every client when absent.
    pub language: Option<String>,
    /// When it starts to show (RFC 3339).
    pub valid_from: DateTime<Utc>,
    /// When it stops showing (half-open), after `valid_from`.
    pub valid_until: DateTime<Utc>,
}

/// An announcement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AnnouncementView {
    /// Its id.
    pub announcement_id: Uuid,
    /// The provider whose clients see it.
    pub provider_id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// The language of the clients who see it, or every client.
    pub language: Option<String>,
    /// When it starts to show.
    pub valid_from: DateTime<Utc>,
    /// When it stops showing.
    pub valid_until: DateTime<Utc>,
    /// When it was taken down early.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// Publishes an announcement to a provider's clients.
#[utoipa::path(post, path = "/v1/announcements", tag = "tickets",
    request_body = AnnouncementRequest,
    responses(
        (status = 201, description = "published (or already so)", body = Accepted),
        (status = 409, description = "another announcement under this id", body = Problem),
        (status = 422, description = "an invalid title, text, language or period", body = Problem)))]
pub async fn publish_announcement(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<AnnouncementRequest>,
) -> Result<Response, ApiError> {
    let language = request
        .language
        .as_deref()
        .map(Language::parse)
        .transpose()?;
    let provider = state
        .store
        .load::<domain::provider::Provider>(&request.provider_id.to_string())
        .await?
        .aggregate;
    if !provider.is_created() {
        return Err(ApiError::unprocessable(
            "provider_not_found",
            format!("provider_id: no provider {}", request.provider_id),
        ));
    }
    let committed = state
        .store
        .execute::<Announcement>(
            &request.announcement_id.to_string(),
            AnnouncementCommand::PublishAnnouncement {
                announcement_id: AnnouncementId::from_uuid(request.announcement_id),
                provider_id: ProviderId::from_uuid(request.provider_id),
                title: request.title.clone(),
                body: request.body.clone(),
                language,
                valid_from: request.valid_from,
                valid_until: request.valid_until,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted(request.announcement_id, &committed))
}

/// Takes an announcement down before its end.
#[utoipa::path(post, path = "/v1/announcements/{id}/withdraw", tag = "tickets",
    params(("id" = Uuid, Path, description = "the announcement")),
    responses(
        (status = 200, description = "withdrawn (or already so)", body = Accepted),
        (status = 404, description = "no such announcement", body = Problem)))]
pub async fn withdraw_announcement(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = state
        .store
        .execute::<Announcement>(
            &id.to_string(),
            AnnouncementCommand::WithdrawAnnouncement {
                at: state.store.clock().now(),
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `GET /v1/announcements` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementsParams {
    /// Only those showing now (always so for a client's user).
    #[serde(default)]
    pub current: bool,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Announcements, newest first. A client's user gets those showing now to its provider's
/// clients in its language: what a client sees when it logs in.
#[utoipa::path(get, path = "/v1/announcements", tag = "tickets",
    params(AnnouncementsParams),
    responses((status = 200, description = "the announcements", body = Page<AnnouncementView>)))]
pub async fn list_announcements(
    State(state): State<AppState>,
    visible: Visible,
    Query(params): Query<AnnouncementsParams>,
) -> Result<Json<Page<AnnouncementView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], params.min_position)
        .await?;
    let client = visible.narrow(None);
    let current = params.current || client.is_some();
    let items = announcements(&state, current, client).await?;
    Ok(Json(Page { items, next: None }))
}

/// The announcements showing now to `client_id`'s users: what a client's user is shown when it
/// logs in.
pub async fn showing_to(
    state: &AppState,
    client_id: Uuid,
) -> Result<Vec<AnnouncementView>, ApiError> {
    announcements(state, true, Some(client_id)).await
}

async fn announcements(
    state: &AppState,
    current: bool,
    client: Option<Uuid>,
) -> Result<Vec<AnnouncementView>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT a.announcement_id, a.provider_id, a.title, a.body, a.language, a.valid_from,
                a.valid_until, a.withdrawn_at
           FROM announcements a
          WHERE (NOT $1 OR (a.withdrawn_at IS NULL AND a.valid_from <= $2 AND $2 < a.valid_until))
            AND ($3::uuid IS NULL OR (
                  a.provider_id = (SELECT provider_id FROM clients WHERE id = $3)
                  AND (a.language IS NULL OR a.language = coalesce(
                        (SELECT language FROM notice_settings WHERE client_id = $3), 'en'))))
          ORDER BY a.valid_from DESC, a.announcement_id
          LIMIT 500",
    )
    .bind(current)
    .bind(state.store.clock().now())
    .bind(client)
    .fetch_all(&state.pool)
    .await?)
}
