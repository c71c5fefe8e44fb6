//! The support center: tickets and their messages with attachments, the unanswered queue per
//! department, departments' business hours, ticket categories, answer templates and the
//! response-time report.
//!
//! Attachments arrive inside the message's JSON, base64-encoded, at most five files of 5 MiB
//! each, of an allowed type that their content must match. Their bytes are stored under their
//! SHA-256 in `ticket_attachments` just before the message that names them is recorded, and only
//! after everything else about the request has been checked; a message refused after that
//! leaves an unreferenced file, never a message without its file.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::access::{Department, DepartmentCommand};
use domain::desk::{
    AnswerTemplate, AnswerTemplateCommand, CategoryCommand, DeskError, TicketCategory,
};
use domain::ids::{
    AnswerTemplateId, ClientId, DepartmentId, StaffId, TicketCategoryId, TicketId, TicketMessageId,
};
use domain::ticket::{
    ATTACHMENT_BYTES_MAX, ATTACHMENTS_MAX, Attachment, AttachmentType, Author, BusinessHours,
    ClockTime, DayHours, NewMessage, Side, Subject, Ticket, TicketCommand, TicketDepartment,
    TicketError, Weekday, Zone,
};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::types::Json as SqlJson;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with};
use crate::http::auth::{Principal, Queues};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
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

const TICKET_COLUMNS: &str = "ticket_id, client_id, department_id, staff_id, category_id, \
     subject, status, awaiting_since, opened_at, updated_at, closed_at, messages";

/// The author of what the caller does: a client's side for a client's user (or staff acting as
/// the client), the staff side otherwise.
fn author(principal: &Principal) -> Author {
    Author {
        side: if principal.client().is_some() {
            Side::Client
        } else {
            Side::Staff
        },
        actor: principal.actor().to_string(),
    }
}

/// Decodes and checks the files of a message; nothing is stored yet.
fn decode_attachments(
    uploads: &[AttachmentUpload],
) -> Result<Vec<(Attachment, Vec<u8>)>, ApiError> {
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
        let content_type = AttachmentType::parse(&upload.content_type)?;
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
        let size_bytes = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if !content_type.matches(&bytes) {
            return Err(TicketError::UnsupportedAttachment(format!(
                "the content of {:?} is not {}",
                upload.file_name.chars().take(100).collect::<String>(),
                content_type.as_str()
            ))
            .into());
        }
        let sha256 = hex(&Sha256::digest(&bytes));
        let attachment = Attachment {
            sha256,
            file_name: upload.file_name.clone(),
            content_type,
            size_bytes,
        }
        .checked()?;
        files.push((attachment, bytes));
    }
    Ok(files)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of the files the client's side has attached to `client`'s tickets, as the support
/// read model knows them, for the client's quota (the ticket aggregate's rule); nothing to count
/// for a staff message or one without files.
async fn client_attachment_bytes(
    state: &AppState,
    client: Uuid,
    author: &Author,
    files: &[(Attachment, Vec<u8>)],
) -> Result<u64, ApiError> {
    if author.side == Side::Staff || files.is_empty() {
        return Ok(0);
    }
    let bytes: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum((a->>'size_bytes')::bigint), 0)::bigint
           FROM tickets t
           JOIN ticket_messages m ON m.ticket_id = t.ticket_id
          CROSS JOIN LATERAL jsonb_array_elements(m.attachments) a
          WHERE t.client_id = $1 AND m.author_side = 'client'",
    )
    .bind(client)
    .fetch_one(&state.pool)
    .await?;
    Ok(u64::try_from(bytes).unwrap_or(0))
}

/// Stores the bytes of checked files under their digest (a file sent twice is stored once).
async fn store_files(state: &AppState, files: &[(Attachment, Vec<u8>)]) -> Result<(), ApiError> {
    for (attachment, bytes) in files {
        sqlx::query(
            "INSERT INTO ticket_attachments (sha256, content_type, size_bytes, content)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&attachment.sha256)
        .bind(attachment.content_type.as_str())
        .bind(i64::try_from(attachment.size_bytes).unwrap_or(i64::MAX))
        .bind(bytes)
        .execute(&state.pool)
        .await?;
    }
    Ok(())
}

/// Loads a department for a ticket: it must exist (422 otherwise).
pub async fn ticket_department(state: &AppState, id: Uuid) -> Result<TicketDepartment, ApiError> {
    let department = state
        .store
        .load::<Department>(&id.to_string())
        .await?
        .aggregate;
    if !department.is_created() {
        return Err(ApiError::unprocessable(
            "department_not_found",
            format!("department_id: no department {id}"),
        ));
    }
    Ok(TicketDepartment {
        department_id: DepartmentId::from_uuid(id),
        accepts_tickets: department.accepts_tickets(),
    })
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
    mut command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<OpenTicketRequest>,
) -> Result<Response, ApiError> {
    let (provider_id, _) = crate::usecases::clients::active(&state, client_id).await?;
    let subject = Subject::parse(&request.subject)?;
    domain::ticket::message_body(&request.body)?;
    let files = decode_attachments(&request.attachments)?;
    let category = match request.category_id {
        None => None,
        Some(id) => {
            let category = state
                .store
                .load::<TicketCategory>(&id.to_string())
                .await?
                .aggregate;
            if !category.is_created() {
                return Err(ApiError::unprocessable(
                    "category_not_found",
                    format!("category_id: no category {id}"),
                ));
            }
            Some((id, category))
        }
    };
    let department_id = match request.department_id {
        Some(id) => id,
        None => match category.as_ref().and_then(|(_, c)| c.department_id()) {
            Some(id) => id.as_uuid(),
            None => {
                crate::usecases::access::ensure_default_departments(&state.store).await?;
                DepartmentId::named("Technical support").as_uuid()
            }
        },
    };
    let department = ticket_department(&state, department_id).await?;
    if !department.accepts_tickets {
        return Err(TicketError::DepartmentTakesNoTickets.into());
    }
    if category.as_ref().is_some_and(|(_, c)| c.is_archived()) {
        return Err(TicketError::CategoryArchived.into());
    }
    let ticket_id = Uuid::now_v7();
    let key = command.key(&(client_id, &request), ticket_id)?;
    let author = author(&principal);
    if author.side == Side::Staff && command.context.on_behalf_of.is_none() {
        command.context.on_behalf_of = Some(format!("client:{client_id}"));
    }
    let client_attachment_bytes =
        client_attachment_bytes(&state, client_id, &author, &files).await?;
    let open = TicketCommand::OpenTicket {
        ticket_id: TicketId::from_uuid(ticket_id),
        client_id: ClientId::from_uuid(client_id),
        provider_id,
        department,
        category: category.map(|(id, c)| (TicketCategoryId::from_uuid(id), c.is_archived())),
        subject,
        message: NewMessage {
            message_id: TicketMessageId::from_uuid(Uuid::now_v7()),
            author,
            body: request.body.clone(),
            attachments: files.iter().map(|(a, _)| a.clone()).collect(),
            client_attachment_bytes,
        },
        at: state.store.clock().now(),
    };
    // The ticket's rules (the client's quotas among them) before any byte is stored: a refused
    // message leaves no file behind.
    Ticket::default().decide(open.clone())?;
    store_files(&state, &files).await?;
    let committed = state
        .store
        .execute::<Ticket>(
            &ticket_id.to_string(),
            open,
            &command.context,
            key.as_slice(),
        )
        .await?;
    Ok(accepted(ticket_id, &committed))
}

/// Loads a ticket that exists.
async fn existing_ticket(state: &AppState, id: Uuid) -> Result<Ticket, ApiError> {
    let ticket = state.store.load::<Ticket>(&id.to_string()).await?.aggregate;
    if ticket.is_opened() {
        Ok(ticket)
    } else {
        Err(TicketError::NotFound.into())
    }
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
    let ticket = existing_ticket(&state, id).await?;
    domain::ticket::message_body(&request.body)?;
    let files = decode_attachments(&request.attachments)?;
    if ticket.status() == Some(domain::ticket::TicketStatus::Closed) {
        return Err(TicketError::Closed.into());
    }
    let hours = match ticket.department_id() {
        Some(department) => state
            .store
            .load::<Department>(&department.to_string())
            .await?
            .aggregate
            .business_hours()
            .cloned(),
        None => None,
    };
    let message_id = Uuid::now_v7();
    let key = command.key(&(id, &request), message_id)?;
    let author = author(&principal);
    let client_attachment_bytes = match ticket.client_id() {
        Some(client) => client_attachment_bytes(&state, client.as_uuid(), &author, &files).await?,
        None => 0,
    };
    let reply = TicketCommand::Reply {
        message: NewMessage {
            message_id: TicketMessageId::from_uuid(message_id),
            author,
            body: request.body.clone(),
            attachments: files.iter().map(|(a, _)| a.clone()).collect(),
            client_attachment_bytes,
        },
        hours,
        at: state.store.clock().now(),
    };
    // The ticket's rules (the client's quotas among them) before any byte is stored: a refused
    // message leaves no file behind.
    ticket.decide(reply.clone())?;
    store_files(&state, &files).await?;
    let committed = state
        .store
        .execute::<Ticket>(&id.to_string(), reply, &command.context, key.as_slice())
        .await?;
    Ok(accepted(message_id, &committed))
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
    let ticket = existing_ticket(&state, id).await?;
    let department_id = match (request.department_id, ticket.department_id()) {
        (Some(asked), _) => asked,
        (None, Some(own)) => own.as_uuid(),
        (None, None) => return Err(TicketError::NotFound.into()),
    };
    let department = ticket_department(&state, department_id).await?;
    if let Some(staff_id) = request.staff_id {
        let staff = state
            .store
            .load::<domain::access::StaffMember>(&staff_id.to_string())
            .await?
            .aggregate;
        if !staff.is_active() {
            return Err(ApiError::unprocessable(
                "staff_not_found",
                format!("staff_id: no active staff member {staff_id}"),
            ));
        }
    }
    let committed = state
        .store
        .execute::<Ticket>(
            &id.to_string(),
            TicketCommand::AssignTicket {
                department,
                staff_id: request.staff_id.map(StaffId::from_uuid),
                by: author(&principal),
                at: state.store.clock().now(),
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
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
    existing_ticket(&state, id).await?;
    let committed = state
        .store
        .execute::<Ticket>(
            &id.to_string(),
            TicketCommand::CloseTicket {
                by: author(&principal),
                at: state.store.clock().now(),
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
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
    existing_ticket(&state, id).await?;
    let committed = state
        .store
        .execute::<Ticket>(
            &id.to_string(),
            TicketCommand::ReopenTicket {
                by: author(&principal),
                at: state.store.clock().now(),
            },
            &command.context,
            &[],
        )
        .await?;
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
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    let filter = match params.status.as_deref().unwrap_or("open") {
        "open" => "status <> 'closed'",
        "archived" => "status = 'closed'",
        "all" => "true",
        other => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("status must be open, archived or all, not {other:?}"),
            ));
        }
    };
    let rows: Vec<TicketView> = sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
          WHERE client_id = $1 AND {filter}
            AND ($2::timestamptz IS NULL OR (updated_at, ticket_id) < ($2, $3))
          ORDER BY updated_at DESC, ticket_id DESC
          LIMIT $4"
    ))
    .bind(client_id)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(crate::http::answer::page(
        rows,
        limit,
        |last: &TicketView| crate::http::answer::time_cursor_of(last.updated_at, last.ticket_id),
    )))
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    message_id: Uuid,
    author_side: String,
    author: String,
    body: String,
    attachments: SqlJson<Vec<Attachment>>,
    at: DateTime<Utc>,
    response_seconds: Option<i64>,
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
    let ticket: Option<TicketView> = sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket_id = $1"
    ))
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    let ticket = ticket.ok_or_else(|| ApiError::from(TicketError::NotFound))?;
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT message_id, author_side, author, body, attachments, at, response_seconds
           FROM ticket_messages WHERE ticket_id = $1 ORDER BY position, message_id",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
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
    let not_found = || ApiError::not_found("attachment_not_found", "no such file on this ticket");
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let sha256 = sha256.to_ascii_lowercase();
    // The file must belong to a message of this ticket: a digest alone opens nothing.
    let file_name: Option<String> = sqlx::query_scalar(
        "SELECT a->>'file_name' FROM ticket_messages m,
                jsonb_array_elements(m.attachments) a
          WHERE m.ticket_id = $1 AND a->>'sha256' = $2
          LIMIT 1",
    )
    .bind(id)
    .bind(&sha256)
    .fetch_optional(&state.pool)
    .await?;
    let file_name = file_name.ok_or_else(not_found)?;
    let found: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT content_type, content FROM ticket_attachments WHERE sha256 = $1")
            .bind(&sha256)
            .fetch_optional(&state.pool)
            .await?;
    let (content_type, content) = found.ok_or_else(not_found)?;
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
    let limit = crate::http::answer::limit(params.limit)?;
    let departments = queues.narrow(params.department_id)?;
    let rows: Vec<TicketView> = sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
          WHERE awaiting_since IS NOT NULL
            AND ($1::uuid[] IS NULL OR department_id = ANY($1))
          ORDER BY awaiting_since, ticket_id
          LIMIT $2"
    ))
    .bind(departments)
    .bind(limit)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page {
        items: rows,
        next: None,
    }))
}

/// One weekday's hours in a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayHoursRequest {
    /// `mon` to `sun`.
    #[schema(value_type = String, example = "mon")]
    pub day: Weekday,
    /// Opening time, `HH:MM`.
    #[schema(example = "09:00")]
    pub open: String,
    /// Closing time, `HH:MM` (`24:00` for midnight), after `open`.
    #[schema(example = "17:00")]
    pub close: String,
}

/// `PUT /v1/departments/{id}/business-hours`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursRequest {
    /// An IANA time zone, such as `Europe/Berlin`.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// The open days; a day not listed is closed. `[]` with `always: true` clears the hours.
    pub days: Vec<DayHoursRequest>,
    /// Every hour of every day (the default of a department without hours).
    #[serde(default)]
    pub always: bool,
}

/// Sets when a department answers tickets; response times count only these hours.
#[utoipa::path(put, path = "/v1/departments/{id}/business-hours", tag = "tickets",
    request_body = BusinessHoursRequest,
    params(("id" = Uuid, Path, description = "the department")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such department", body = Problem),
        (status = 422, description = "hours that do not make sense", body = Problem)))]
pub async fn set_business_hours(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<BusinessHoursRequest>,
) -> Result<Response, ApiError> {
    let hours = if request.always {
        None
    } else {
        let time_zone: Zone = request.time_zone.parse()?;
        let days = request
            .days
            .iter()
            .map(|d| {
                Ok(DayHours {
                    day: d.day,
                    open: d.open.parse::<ClockTime>()?,
                    close: d.close.parse::<ClockTime>()?,
                })
            })
            .collect::<Result<Vec<_>, TicketError>>()?;
        Some(BusinessHours { time_zone, days }.checked()?)
    };
    let committed = state
        .store
        .execute::<Department>(
            &id.to_string(),
            DepartmentCommand::SetBusinessHours { hours },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `POST /v1/ticket-categories`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRequest {
    /// The caller's id for the category: sending it again creates nothing more.
    pub category_id: Uuid,
    /// Its name; 1 to 200 characters.
    #[schema(example = "Billing")]
    pub name: String,
    /// The department its tickets go to when the client names none.
    pub department_id: Option<Uuid>,
}

/// A ticket category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct CategoryView {
    /// Its id.
    pub category_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its default department.
    pub department_id: Option<Uuid>,
    /// Whether it is archived (no new ticket may choose it).
    pub archived: bool,
}

/// Creates a ticket category.
#[utoipa::path(post, path = "/v1/ticket-categories", tag = "tickets",
    request_body = CategoryRequest,
    responses(
        (status = 201, description = "created (or already so)", body = Accepted),
        (status = 409, description = "another category under this id", body = Problem),
        (status = 422, description = "an invalid name or department", body = Problem)))]
pub async fn create_category(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CategoryRequest>,
) -> Result<Response, ApiError> {
    let department = match request.department_id {
        Some(id) => {
            let department = ticket_department(&state, id).await?;
            Some((department.department_id, department.accepts_tickets))
        }
        None => None,
    };
    let committed = state
        .store
        .execute::<TicketCategory>(
            &request.category_id.to_string(),
            CategoryCommand::CreateCategory {
                category_id: TicketCategoryId::from_uuid(request.category_id),
                name: request.name.clone(),
                department,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted(request.category_id, &committed))
}

/// Archives a ticket category: no new ticket may choose it.
#[utoipa::path(post, path = "/v1/ticket-categories/{id}/archive", tag = "tickets",
    params(("id" = Uuid, Path, description = "the category")),
    responses(
        (status = 200, description = "archived (or already so)", body = Accepted),
        (status = 404, description = "no such category", body = Problem)))]
pub async fn archive_category(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = state
        .store
        .execute::<TicketCategory>(
            &id.to_string(),
            CategoryCommand::ArchiveCategory,
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The ticket categories, by name; clients see them to choose one.
#[utoipa::path(get, path = "/v1/ticket-categories", tag = "tickets",
    params(Consistency),
    responses((status = 200, description = "the categories", body = Page<CategoryView>)))]
pub async fn list_categories(
    State(state): State<AppState>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Page<CategoryView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], consistency.min_position)
        .await?;
    let items: Vec<CategoryView> = sqlx::query_as(
        "SELECT category_id, name, department_id, archived FROM ticket_categories
          ORDER BY name, category_id LIMIT 1000",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page { items, next: None }))
}

/// `POST /v1/answer-templates` and `PUT /v1/answer-templates/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerTemplateRequest {
    /// Its name, as staff pick it; 1 to 200 characters.
    #[schema(example = "Reboot instructions")]
    pub name: String,
    /// The text; 1 to 20,000 characters.
    pub body: String,
}

/// An answer template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AnswerTemplateView {
    /// Its id.
    pub template_id: Uuid,
    /// Its name.
    pub name: String,
    /// The text.
    pub body: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

async fn set_answer_template(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &AnswerTemplateRequest,
) -> Result<eventstore::Committed<AnswerTemplate>, ApiError> {
    Ok(state
        .store
        .execute::<AnswerTemplate>(
            &id.to_string(),
            AnswerTemplateCommand::SetAnswerTemplate {
                template_id: AnswerTemplateId::from_uuid(id),
                name: request.name.clone(),
                body: request.body.clone(),
            },
            &command.context,
            command.key(request, id)?.as_slice(),
        )
        .await?)
}

/// Creates an answer template.
#[utoipa::path(post, path = "/v1/answer-templates", tag = "tickets",
    request_body = AnswerTemplateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 422, description = "an invalid name or text", body = Problem)))]
pub async fn create_answer_template(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<AnswerTemplateRequest>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let committed = set_answer_template(&state, &command, id, &request).await?;
    Ok(accepted(id, &committed))
}

/// Replaces an answer template's name and text.
#[utoipa::path(put, path = "/v1/answer-templates/{id}", tag = "tickets",
    request_body = AnswerTemplateRequest,
    params(("id" = Uuid, Path, description = "the template")),
    responses(
        (status = 200, description = "changed (or already so)", body = Accepted),
        (status = 404, description = "no such template", body = Problem),
        (status = 422, description = "an invalid name or text", body = Problem)))]
pub async fn update_answer_template(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<AnswerTemplateRequest>,
) -> Result<Response, ApiError> {
    let template = state
        .store
        .load::<AnswerTemplate>(&id.to_string())
        .await?
        .aggregate;
    if !template.exists() {
        return Err(DeskError::NotFound.into());
    }
    let committed = set_answer_template(&state, &command, id, &request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Deletes an answer template.
#[utoipa::path(delete, path = "/v1/answer-templates/{id}", tag = "tickets",
    params(("id" = Uuid, Path, description = "the template")),
    responses(
        (status = 200, description = "deleted", body = Accepted),
        (status = 404, description = "no such template", body = Problem)))]
pub async fn delete_answer_template(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = state
        .store
        .execute::<AnswerTemplate>(
            &id.to_string(),
            AnswerTemplateCommand::DeleteAnswerTemplate,
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The answer templates, by name.
#[utoipa::path(get, path = "/v1/answer-templates", tag = "tickets",
    params(Consistency),
    responses((status = 200, description = "the templates", body = Page<AnswerTemplateView>)))]
pub async fn list_answer_templates(
    State(state): State<AppState>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Page<AnswerTemplateView>>, ApiError> {
    state
        .consistent(&[ReadModel::Support], consistency.min_position)
        .await?;
    let items: Vec<AnswerTemplateView> = sqlx::query_as(
        "SELECT template_id, name, body, updated_at FROM answer_templates
          ORDER BY name, template_id LIMIT 1000",
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page { items, next: None }))
}

/// `GET /v1/reports/response-times` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseTimesParams {
    /// The first day counted, `YYYY-MM-DD` (UTC); by default 30 days before `to`.
    pub from: Option<chrono::NaiveDate>,
    /// The first day not counted (half-open); by default tomorrow.
    pub to: Option<chrono::NaiveDate>,
    /// `json` (the default) or `csv`; `Accept: text/csv` also asks for CSV.
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Response times of one department.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct ResponseTimesRow {
    /// The department.
    pub department_id: Uuid,
    /// Its name.
    pub department: String,
    /// How many first answers fell in the range.
    pub answers: i64,
    /// Their mean wait within business hours, in whole seconds (rounded half away from zero).
    pub average_seconds: i64,
    /// Their median wait (the lower middle for an even count).
    pub median_seconds: i64,
    /// The longest wait.
    pub max_seconds: i64,
    /// Tickets waiting for an answer now.
    pub waiting_now: i64,
}

impl crate::http::routes::reports::CsvRow for ResponseTimesRow {
    const HEADER: &'static [&'static str] = &[
        "department_id",
        "department",
        "answers",
        "average_seconds",
        "median_seconds",
        "max_seconds",
        "waiting_now",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.department_id.to_string(),
            self.department.clone(),
            self.answers.to_string(),
            self.average_seconds.to_string(),
            self.median_seconds.to_string(),
            self.max_seconds.to_string(),
            self.waiting_now.to_string(),
        ]
    }
}

/// Response times per department: how long clients waited for a first answer, counted within
/// each department's business hours, for answers given in `[from, to)`; JSON or CSV.
#[utoipa::path(get, path = "/v1/reports/response-times", tag = "reports",
    params(ResponseTimesParams),
    responses(
        (status = 200, description = "one row per department, by name",
         content((crate::http::routes::reports::Report<ResponseTimesRow> = "application/json"),
                 (String = "text/csv"))),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn response_times(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(params): Query<ResponseTimesParams>,
) -> Result<Response, ApiError> {
    let csv = crate::http::routes::reports::wants_csv(params.format.as_deref(), &headers)?;
    state
        .consistent(
            &[ReadModel::Support, ReadModel::Access],
            params.min_position,
        )
        .await?;
    let today = state.today();
    let to = params.to.unwrap_or(today + chrono::Duration::days(1));
    let from = params.from.unwrap_or(to - chrono::Duration::days(30));
    if from >= to || (to - from).num_days() > 3660 {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("from ({from}) must be before to ({to}), at most ten years apart"),
        ));
    }
    let rows: Vec<ResponseTimesRow> = sqlx::query_as(
        "WITH answered AS (
            SELECT department_id, count(*) AS answers,
                   round(avg(response_seconds))::bigint AS average_seconds,
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds) AS median_seconds,
                   max(response_seconds) AS max_seconds
              FROM ticket_messages
             WHERE response_seconds IS NOT NULL
               AND at >= $1::date::timestamp AT TIME ZONE 'UTC'
               AND at < $2::date::timestamp AT TIME ZONE 'UTC'
             GROUP BY department_id),
         waiting AS (
            SELECT department_id, count(*) AS waiting_now FROM tickets
             WHERE awaiting_since IS NOT NULL GROUP BY department_id)
         SELECT d.id AS department_id, d.name AS department,
                coalesce(a.answers, 0) AS answers,
                coalesce(a.average_seconds, 0) AS average_seconds,
                coalesce(a.median_seconds, 0) AS median_seconds,
                coalesce(a.max_seconds, 0) AS max_seconds,
                coalesce(w.waiting_now, 0) AS waiting_now
           FROM departments d
           LEFT JOIN answered a ON a.department_id = d.id
           LEFT JOIN waiting w ON w.department_id = d.id
          WHERE d.accepts_tickets OR a.answers IS NOT NULL OR w.waiting_now IS NOT NULL
          ORDER BY d.name, d.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.pool)
    .await?;
    Ok(crate::http::routes::reports::respond(
        csv,
        "response-times",
        rows,
    ))
}
