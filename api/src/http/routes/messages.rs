//! Messages to clients: a message from staff to one client or to all of a provider's clients
//! (optionally only those of one language), each copy a ticket the client can answer, and
//! announcements that client users see while they are valid.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::ClientMessageId;
use domain::notice::Language;
use domain::ticket::{Author, Side, Subject};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{
    Accepted, Page, accepted, accepted_with, limit, page, time_cursor, time_cursor_of,
};
use crate::http::auth::{Principal, Visible};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::http::views::AnnouncementView;
use crate::usecases::messages::{self, ClientMessage, NewAnnouncement};

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
    let message = ClientMessage {
        message_id: ClientMessageId::from_uuid(request.message_id),
        provider_id: request.provider_id,
        client_id: request.client_id,
        language,
        subject,
        body: request.body,
        department_id: request.department_id,
    };
    let author = Author {
        side: Side::Staff,
        actor: principal.actor().to_string(),
    };
    let sent = messages::send_client_message(&state, &command.context, author, message).await?;
    Ok(crate::http::answer::json_with(
        StatusCode::CREATED,
        &ClientMessageSent {
            id: request.message_id,
            clients: sent.clients,
            position: sent.position,
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
    let announcement_id = request.announcement_id;
    let announcement = NewAnnouncement {
        announcement_id: request.announcement_id,
        provider_id: request.provider_id,
        title: request.title,
        body: request.body,
        language,
        valid_from: request.valid_from,
        valid_until: request.valid_until,
    };
    let committed = messages::publish_announcement(&state, &command.context, announcement).await?;
    Ok(accepted(announcement_id, &committed))
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
    let committed = messages::withdraw_announcement(&state, &command.context, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `GET /v1/announcements` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementsParams {
    /// Only those showing now (always so for a client's user).
    #[serde(default)]
    pub current: bool,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
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
    let limit = limit(params.limit)?;
    let after = time_cursor(params.after.as_deref())?;
    let rows = messages::announcements(&state, current, client, after, limit + 1).await?;
    let items = rows.into_iter().map(AnnouncementView::from).collect();
    Ok(Json(page(items, limit, |a: &AnnouncementView| {
        time_cursor_of(a.valid_from, a.announcement_id)
    })))
}
