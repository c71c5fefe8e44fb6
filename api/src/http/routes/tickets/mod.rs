//! The support center: tickets and their messages with attachments, the unanswered queue per
//! department, departments' business hours, ticket categories, answer templates and the
//! response-time report.
//!
//! Attachments arrive inside the message's JSON, base64-encoded, at most five files of 5 MiB
//! each, of an allowed type that their content must match. Their bytes are stored under their
//! SHA-256 in `ticket_attachments` just before the message that names them is recorded, and only
//! after everything else about the request has been checked; a message refused after that
//! leaves an unreferenced file, never a message without its file.

mod desk;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::ticket::{
    ATTACHMENT_BYTES_MAX, ATTACHMENTS_MAX, Attachment, AttachmentType, Subject, Ticket, TicketError,
};
use eventstore::Committed;
use projections::ReadModel;
use projections::support::{TicketFilter, TicketRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{
    Accepted, Consistency, Page, accepted, accepted_with, limit, page, time_cursor, time_cursor_of,
};
use crate::http::auth::{Principal, Queues};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::attachments::File;
use crate::usecases::support::{self, NewReply, NewTicket, author};

pub use desk::*;

/// The largest body of a route that carries attachments: five files of 5 MiB in base64, and the
/// text.
pub const ATTACHMENT_BODY_LIMIT: usize = 36 * 1024 * 1024;

/// A file sent with a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentUpload {
    /// The file's name, such as `screenshot.png`.
    pub file_name: String,
    /// `image/png`, `image/jpeg`, `application/pdf` or `text/plain`; the content must match.
    pub content_type: String,
    /// The bytes, base64 (standard alphabet, padded); at most 5 MiB decoded.
    pub content_base64: String,
}

/// `POST /v1/clients/{id}/tickets`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenTicketRequest {
    /// The subject; 1 to 200 characters.
    #[schema(example = "My server does not boot")]
    pub subject: String,
    /// The first message; 1 to 20,000 characters.
    pub body: String,
    /// The department; by default the category's, else Technical support.
    pub department_id: Option<Uuid>,
    /// The category.
    pub category_id: Option<Uuid>,
    /// Files, at most five.
    #[serde(default)]
    pub attachments: Vec<AttachmentUpload>,
}

/// `POST /v1/tickets/{id}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The text; 1 to 20,000 characters.
    pub body: String,
    /// Files, at most five.
    #[serde(default)]
    pub attachments: Vec<AttachmentUpload>,
}

/// `POST /v1/tickets/{id}/assign`: a department, a staff member, or both.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The department; the ticket's own when absent.
    pub department_id: Option<Uuid>,
    /// The staff member; nobody in particular when absent.
    pub staff_id: Option<Uuid>,
}

/// A ticket in a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketView {
    /// Its id.
    pub ticket_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The department it is in.
    pub department_id: Uuid,
    /// The staff member it is assigned to.
    pub staff_id: Option<Uuid>,
    /// Its category.
    pub category_id: Option<Uuid>,
    /// The subject.
    pub subject: String,
    /// `open` (waiting for support), `answered` (waiting for the client) or `closed`.
    pub status: String,
    /// Since when the client waits for an answer.
    pub awaiting_since: Option<DateTime<Utc>>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was closed (archived).
    pub closed_at: Option<DateTime<Utc>>,
    /// How many messages it holds.
    pub messages: i32,
}

/// A file of a message, as listed; fetch it from `…/attachments/{sha256}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    /// The SHA-256 of the content.
    pub sha256: String,
    /// The file's name.
    pub file_name: String,
    /// Its type.
    pub content_type: String,
    /// Its size.
    pub size_bytes: u64,
}

/// A message of a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    /// Its id.
    pub message_id: Uuid,
    /// `client` or `staff`.
    pub author_side: String,
    /// The author, as in the action log (`user:<id>`, `staff:<id>`).
    pub author: String,
    /// The text.
    pub body: String,
    /// The files.
    pub attachments: Vec<AttachmentView>,
    /// When.
    pub at: DateTime<Utc>,
    /// For the first staff answer after a client's message: the seconds waited within the
    /// department's business hours.
    pub response_seconds: Option<i64>,
}

/// A ticket with its messages, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: TicketView,
    /// Its messages.
    pub messages: Vec<MessageView>,
}

impl From<TicketRow> for TicketView {
    fn from(row: TicketRow) -> Self {
        Self {
            ticket_id: row.ticket_id,
            client_id: row.client_id,
            department_id: row.department_id,
            staff_id: row.staff_id,
            category_id: row.category_id,
            subject: row.subject,
            status: row.status,
            awaiting_since: row.awaiting_since,
            opened_at: row.opened_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
            messages: row.messages,
        }
    }
}

/// Decodes and checks the files of a message; nothing is stored yet.
fn decode_attachments(uploads: &[AttachmentUpload]) -> Result<Vec<File>, ApiError> {
    if uploads.len() > ATTACHMENTS_MAX {
        return Err(TicketError::TooManyAttachments(ATTACHMENTS_MAX).into());
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let mut files = Vec::with_capacity(uploads.len());
    for upload in uploads {
        // Refuse a file too large before decoding it: base64 holds 3 bytes in 4 characters.
        let decoded_at_least = (upload.content_base64.len() / 4).saturating_mul(3);
        let too_large = |size_bytes: u64| TicketError::AttachmentTooLarge {
            name: upload.file_name.clone(),
            size_bytes,
            limit_bytes: ATTACHMENT_BYTES_MAX,
        };
        let floor = u64::try_from(decoded_at_least)
            .unwrap_or(u64::MAX)
            .saturating_sub(2);
        if floor > ATTACHMENT_BYTES_MAX {
            return Err(too_large(floor).into());
        }
        // A type not allowed is refused before the work of decoding.
        AttachmentType::parse(&upload.content_type)?;
        let bytes = engine
            .decode(upload.content_base64.as_bytes())
            .map_err(|e| {
                ApiError::unprocessable(
                    "invalid_attachment",
                    format!(
                        "attachments: {:?} is not base64: {e}",
                        upload.file_name.chars().take(100).collect::<String>()
                    ),
                )
            })?;
        files.push(attachment_file(
            upload.file_name.clone(),
            &upload.content_type,
            bytes,
        )?);
    }
    Ok(files)
}

/// Checks one file of a message, its bytes as sent (decoded from base64 by the API, uploaded
/// whole by the customer panel's forms): its type named and matched by its content, its name
/// and size (`Attachment::checked`); nothing is stored yet.
pub fn attachment_file(
    file_name: String,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<File, ApiError> {
    let size_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let content_type = AttachmentType::parse(content_type)?;
    if !content_type.matches(&bytes) {
        return Err(TicketError::UnsupportedAttachment(format!(
            "the content of {:?} is not {}",
            file_name.chars().take(100).collect::<String>(),
            content_type.as_str()
        ))
        .into());
    }
    let sha256 = crate::usecases::attachments::digest_of(&bytes);
    let attachment = Attachment {
        sha256,
        file_name,
        content_type,
        size_bytes,
    }
    .checked()?;
    Ok(File { attachment, bytes })
}

/// Opens a ticket of a client: asked by one of its users, or written by staff to the client
/// (recorded as on the client's behalf).
#[utoipa::path(post, path = "/v1/clients/{id}/tickets", tag = "tickets",
    request_body = OpenTicketRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "opened", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 413, description = "an attachment is larger than 5 MiB, or the client's files would exceed its 100 MiB quota", body = Problem),
        (status = 415, description = "an attachment of a type not allowed", body = Problem),
        (status = 422, description = "an invalid subject, text, department or category", body = Problem)))]
pub async fn open_ticket(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<OpenTicketRequest>,
) -> Result<Response, ApiError> {
    let subject = Subject::parse(&request.subject)?;
    domain::ticket::message_body(&request.body)?;
    let files = decode_attachments(&request.attachments)?;
    let ticket_id = Uuid::now_v7();
    let key = command.key(&(client_id, &request), ticket_id)?;
    let ticket = NewTicket {
        ticket_id,
        client_id,
        subject,
        body: request.body,
        department_id: request.department_id,
        category_id: request.category_id,
        files,
    };
    let committed =
        support::open_ticket(&state, &command.context, key, author(&principal), ticket).await?;
    Ok(accepted(ticket_id, &committed))
}

/// Adds a message: a staff answer or the client's reply. The first staff answer after a
/// client's message records the response time within the department's business hours.
#[utoipa::path(post, path = "/v1/tickets/{id}/messages", tag = "tickets",
    request_body = ReplyRequest,
    params(("id" = Uuid, Path, description = "the ticket"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "added", body = Accepted),
        (status = 404, description = "no such ticket", body = Problem),
        (status = 413, description = "an attachment is larger than 5 MiB, or the client's files would exceed its 100 MiB quota", body = Problem),
        (status = 415, description = "an attachment of a type not allowed", body = Problem),
        (status = 422, description = "an invalid text, the ticket is closed, or it holds 20 of the client's files", body = Problem)))]
pub async fn reply(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ReplyRequest>,
) -> Result<Response, ApiError> {
    let (message_id, committed) = run_reply(&state, &principal, &command, id, request).await?;
    Ok(accepted(message_id, &committed))
}

/// What `POST /v1/tickets/{id}/messages` does, and the staff panel's answer form with it:
/// checks the text and the files, keys the message and runs the one use case; answers the new
/// message's id.
pub async fn run_reply(
    state: &AppState,
    principal: &Principal,
    command: &Command,
    id: Uuid,
    request: ReplyRequest,
) -> Result<(Uuid, Committed<Ticket>), ApiError> {
    domain::ticket::message_body(&request.body)?;
    let files = decode_attachments(&request.attachments)?;
    let message_id = Uuid::now_v7();
    let key = command.key(&(id, &request), message_id)?;
    let message = NewReply {
        message_id,
        body: request.body,
        files,
    };
    let committed =
        support::reply(state, &command.context, key, author(principal), id, message).await?;
    Ok((message_id, committed))
}

/// Hands a ticket to a department (which must take tickets) and optionally to one of its staff.
#[utoipa::path(post, path = "/v1/tickets/{id}/assign", tag = "tickets",
    request_body = AssignRequest,
    params(("id" = Uuid, Path, description = "the ticket")),
    responses(
        (status = 200, description = "assigned (or already so)", body = Accepted),
        (status = 404, description = "no such ticket", body = Problem),
        (status = 422, description = "an unknown department or staff member, or the ticket is closed", body = Problem)))]
pub async fn assign_ticket(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<AssignRequest>,
) -> Result<Response, ApiError> {
    let committed = run_assign_ticket(&state, &principal, &command, id, &request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `POST /v1/tickets/{id}/assign` does, and the staff panel's assign form with it.
pub async fn run_assign_ticket(
    state: &AppState,
    principal: &Principal,
    command: &Command,
    id: Uuid,
    request: &AssignRequest,
) -> Result<Committed<Ticket>, ApiError> {
    Ok(support::assign_ticket(
        state,
        &command.context,
        id,
        request.department_id,
        request.staff_id,
        author(principal),
    )
    .await?)
}

/// Closes a ticket; it goes to the archive. Closing a closed ticket changes nothing.
#[utoipa::path(post, path = "/v1/tickets/{id}/close", tag = "tickets",
    params(("id" = Uuid, Path, description = "the ticket")),
    responses(
        (status = 200, description = "closed (or already so)", body = Accepted),
        (status = 404, description = "no such ticket", body = Problem)))]
pub async fn close_ticket(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = run_close_ticket(&state, &principal, &command, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `POST /v1/tickets/{id}/close` does, and the staff panel's close button with it.
pub async fn run_close_ticket(
    state: &AppState,
    principal: &Principal,
    command: &Command,
    id: Uuid,
) -> Result<Committed<Ticket>, ApiError> {
    Ok(support::close_ticket(state, &command.context, id, author(principal)).await?)
}

/// Reopens a closed ticket; reopened by the client, it waits for support again.
#[utoipa::path(post, path = "/v1/tickets/{id}/reopen", tag = "tickets",
    params(("id" = Uuid, Path, description = "the ticket")),
    responses(
        (status = 200, description = "reopened (or not closed)", body = Accepted),
        (status = 404, description = "no such ticket", body = Problem)))]
pub async fn reopen_ticket(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed =
        support::reopen_ticket(&state, &command.context, id, author(&principal)).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `GET /v1/clients/{id}/tickets` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientTicketsParams {
    /// `open` (not closed: waiting for either side, the default), `archived` (closed) or `all`.
    pub status: Option<String>,
    /// The cursor of the next page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A client's tickets, the most recently changed first.
#[utoipa::path(get, path = "/v1/clients/{id}/tickets", tag = "tickets",
    params(("id" = Uuid, Path, description = "the client"), ClientTicketsParams),
    responses((status = 200, description = "a page of tickets", body = Page<TicketView>)))]
pub async fn list_client_tickets(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ClientTicketsParams>,
) -> Result<Json<Page<TicketView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], params.min_position)
        .await?;
    let limit = limit(params.limit)?;
    let before = time_cursor(params.after.as_deref())?;
    let filter = match params.status.as_deref().unwrap_or("open") {
        "open" => TicketFilter::Open,
        "archived" => TicketFilter::Archived,
        "all" => TicketFilter::All,
        other => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("status must be open, archived or all, not {other:?}"),
            ));
        }
    };
    let rows =
        projections::support::tickets_of_client(&state.pool, client_id, filter, before, limit + 1)
            .await?;
    let items = rows.into_iter().map(TicketView::from).collect();
    Ok(Json(page(items, limit, |last: &TicketView| {
        time_cursor_of(last.updated_at, last.ticket_id)
    })))
}

/// A ticket with its messages.
#[utoipa::path(get, path = "/v1/tickets/{id}", tag = "tickets",
    params(("id" = Uuid, Path, description = "the ticket"), Consistency),
    responses(
        (status = 200, description = "the ticket", body = TicketDetail),
        (status = 404, description = "no such ticket", body = Problem)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<TicketDetail>, ApiError> {
    state
        .consistent(&[ReadModel::Support], consistency.min_position)
        .await?;
    let ticket = projections::support::ticket(&state.pool, id)
        .await?
        .map(TicketView::from)
        .ok_or_else(|| ApiError::from(TicketError::NotFound))?;
    let rows = projections::support::messages_of_ticket(&state.pool, id).await?;
    let messages = rows
        .into_iter()
        .map(|row| MessageView {
            message_id: row.message_id,
            author_side: row.author_side,
            author: row.author,
            body: row.body,
            attachments: row
                .attachments
                .0
                .into_iter()
                .map(|a| AttachmentView {
                    sha256: a.sha256,
                    file_name: a.file_name,
                    content_type: a.content_type.as_str().to_owned(),
                    size_bytes: a.size_bytes,
                })
                .collect(),
            at: row.at,
            response_seconds: row.response_seconds,
        })
        .collect();
    Ok(Json(TicketDetail { ticket, messages }))
}

/// One file of a ticket's messages, as it was sent.
#[utoipa::path(get, path = "/v1/tickets/{id}/attachments/{sha256}", tag = "tickets",
    params(("id" = Uuid, Path, description = "the ticket"),
           ("sha256" = String, Path, description = "the file's SHA-256, as listed")),
    responses(
        (status = 200, description = "the file, with its type", content_type = "application/octet-stream"),
        (status = 404, description = "no such file on this ticket", body = Problem)))]
pub async fn get_attachment(
    State(state): State<AppState>,
    Path((id, sha256)): Path<(Uuid, String)>,
) -> Result<Response, ApiError> {
    run_get_attachment(&state, id, &sha256).await
}

/// What `GET /v1/tickets/{id}/attachments/{sha256}` answers, and the customer panel's download
/// link with it (once it has found the ticket its client's): the file as a download.
pub async fn run_get_attachment(
    state: &AppState,
    id: Uuid,
    sha256: &str,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("attachment_not_found", "no such file on this ticket");
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let sha256 = sha256.to_ascii_lowercase();
    // The file must belong to a message of this ticket: a digest alone opens nothing.
    let (file_name, content_type, content) = support::attachment(state, id, &sha256)
        .await?
        .ok_or_else(not_found)?;
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // Always a download, never rendered in the API's origin.
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// `GET /v1/ticket-queue` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// One department's queue (one of the caller's own, for a staff member).
    pub department_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The unanswered queue: tickets whose client waits for an answer, longest waiting first. A
/// staff member sees its own departments' queues; another department's is not found.
#[utoipa::path(get, path = "/v1/ticket-queue", tag = "tickets",
    params(QueueParams),
    responses(
        (status = 200, description = "the waiting tickets", body = Page<TicketView>),
        (status = 404, description = "a department whose queue the caller does not see", body = Problem)))]
pub async fn ticket_queue(
    State(state): State<AppState>,
    queues: Queues,
    Query(params): Query<QueueParams>,
) -> Result<Json<Page<TicketView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], params.min_position)
        .await?;
    let limit = limit(params.limit)?;
    let departments = queues.narrow(params.department_id)?;
    let after = time_cursor(params.after.as_deref())?;
    let rows =
        projections::support::ticket_queue(&state.pool, departments, after, limit + 1).await?;
    let items = rows.into_iter().map(TicketView::from).collect();
    Ok(Json(page(items, limit, |last: &TicketView| {
        // Every ticket in the queue waits; the cursor is where it stands.
        time_cursor_of(
            last.awaiting_since.unwrap_or(last.opened_at),
            last.ticket_id,
        )
    })))
}
