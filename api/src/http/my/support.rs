//! Support in the customer panel: the client's open and archived tickets, opening one with
//! files, reading the thread and its files, replying, closing and reopening. Each action is the
//! API route's own use case, as the client's user, with the form's idempotency key; files are
//! checked by the API's own `tickets::attachment_file` and stored only with the message.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ticket::{ATTACHMENTS_MAX, Subject, TicketError};
use projections::ReadModel;
use projections::support::TicketFilter;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Session, failed, forbidden_form, may_open, not_found};
use crate::http::answer::accepted_id;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pages::forms::{self, Fields, FormError, new_key};
use crate::http::pages::{Layout, render};
use crate::http::routes::tickets;
use crate::http::state::AppState;
use crate::usecases::attachments::File;
use crate::usecases::support::{self, NewReply, NewTicket, author};

/// The largest body of a form with files: five files of 5 MiB and the text.
pub(super) const UPLOAD_BODY_LIMIT: usize = 27 * 1024 * 1024;

#[derive(Deserialize, Default)]
pub(super) struct ListParams {
    /// `archived` for the closed tickets; the open ones otherwise.
    view: Option<String>,
}

#[derive(Template)]
#[template(path = "my/tickets.html")]
struct TicketsPage {
    layout: Layout,
    archived: bool,
    tickets: Vec<TicketLine>,
    /// The form to open a ticket, for a user whose roles may.
    form: Option<OpenForm>,
    error: Option<FormError>,
}

struct TicketLine {
    id: String,
    subject: String,
    status: String,
    updated: String,
}

struct OpenForm {
    csrf: String,
    key: String,
    categories: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "my/ticket.html")]
struct TicketPage {
    layout: Layout,
    id: String,
    status: String,
    opened: String,
    messages: Vec<MessageLine>,
    csrf: String,
    /// The reply form's key, while the ticket is open and the roles allow.
    reply_key: Option<String>,
    close_key: Option<String>,
    reopen_key: Option<String>,
    error: Option<FormError>,
}

struct MessageLine {
    /// `client` or `staff`.
    side: String,
    /// "You" for the client's side, else "Support".
    author: String,
    when: String,
    body: String,
    /// (name, link, size) of each file.
    files: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct TicketParams {
    /// The position of an action's last event, which the page's read model must have applied.
    at: Option<i64>,
}

/// The client's tickets, open or archived, and the form to open one.
pub(super) async fn tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/clients/{id}/tickets").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let archived = params.view.as_deref() == Some("archived");
    list_page(&state, &session, archived, None).await
}

async fn list_page(
    state: &AppState,
    session: &Session,
    archived: bool,
    error: Option<FormError>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let filter = if archived {
        TicketFilter::Archived
    } else {
        TicketFilter::Open
    };
    let page = async {
        let pool = &state.pool;
        let tickets = projections::support::tickets_of_client(
            pool,
            session.client_id.as_uuid(),
            filter,
            None,
            200,
        )
        .await?
        .into_iter()
        .map(|t| TicketLine {
            id: t.ticket_id.to_string(),
            subject: t.subject,
            status: session.lang.named(&t.status),
            updated: session.zone.time(t.updated_at),
        })
        .collect();
        let form = if session.may("POST", "/v1/clients/{id}/tickets") {
            let categories = projections::support::categories(pool, None, 100)
                .await?
                .into_iter()
                .filter(|c| !c.archived)
                .map(|c| (c.category_id.to_string(), c.name))
                .collect();
            Some(OpenForm {
                csrf: session.csrf(),
                key: new_key(),
                categories,
            })
        } else {
            None
        };
        Ok::<_, ApiError>(TicketsPage {
            layout: session.layout(session.lang.t("my-support-title")),
            archived,
            tickets,
            form,
            error,
        })
    }
    .await;
    match page {
        Ok(page) => render(status, &page),
        Err(error) => failed(Some(session), error),
    }
}

/// A form with files, read whole (within [`UPLOAD_BODY_LIMIT`]): its text fields and its files,
/// each checked as the API checks them.
struct Upload {
    fields: Fields,
    files: Vec<File>,
}

impl Upload {
    async fn read(multipart: Result<Multipart, MultipartRejection>) -> Result<Upload, ApiError> {
        // Not a form with files at all (another content type, no boundary): a 400 page, as the
        // API's problem says it.
        let mut multipart = multipart
            .map_err(|rejection| ApiError::bad_request("invalid_form", rejection.body_text()))?;
        let mut fields = Fields {
            csrf: String::new(),
            key: String::new(),
            rest: std::collections::BTreeMap::new(),
        };
        let mut files = Vec::new();
        // A body past the limit is 413, anything else unreadable 400.
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            let status = e.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "invalid_form"
            };
            ApiError::new(status, code, e.body_text())
        };
        while let Some(part) = multipart.next_field().await.map_err(unreadable)? {
            let name = part.name().unwrap_or_default().to_owned();
            if name == "files" {
                let file_name = part.file_name().unwrap_or_default().to_owned();
                let content_type = part.content_type().unwrap_or_default().to_owned();
                let bytes = part.bytes().await.map_err(unreadable)?;
                // A file input left empty sends a part with no name and no bytes.
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                if files.len() == ATTACHMENTS_MAX {
                    return Err(TicketError::TooManyAttachments(ATTACHMENTS_MAX).into());
                }
                files.push(tickets::attachment_file(
                    file_name,
                    &content_type,
                    bytes.to_vec(),
                )?);
                continue;
            }
            let text = part.text().await.map_err(unreadable)?;
            match name.as_str() {
                "csrf" => fields.csrf = text,
                "key" => fields.key = text,
                _ => {
                    fields.rest.insert(name, text);
                }
            }
        }
        Ok(Upload { fields, files })
    }
}

/// What a ticket's opening is keyed by: the form's text and the files' digests.
#[derive(Serialize)]
struct Opening<'a> {
    client_id: Uuid,
    subject: &'a str,
    body: &'a str,
    category_id: Option<Uuid>,
    files: Vec<&'a str>,
}

/// Opens a ticket: `POST /v1/clients/{id}/tickets`, as the client's user.
pub(super) async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/clients/{id}/tickets").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let outcome = async {
        let upload = Upload::read(multipart).await?;
        if !session.verify(&upload.fields.csrf) {
            return Ok(None);
        }
        if !session.may("POST", "/v1/clients/{id}/tickets") {
            return Err(ApiError::forbidden("your role may not open tickets"));
        }
        let client_id = session.client_id.as_uuid();
        let fields = &upload.fields;
        let subject = forms::field(fields, "subject");
        let body = forms::field(fields, "body");
        let category_id = Some(forms::field(fields, "category_id"))
            .filter(|v| !v.is_empty())
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|e| ApiError::unprocessable("invalid_field", format!("category: {e}")))?;
        let parsed_subject = Subject::parse(subject)?;
        domain::ticket::message_body(body)?;
        let command = forms::command(
            session.principal.context(),
            fields,
            format!("POST /v1/clients/{client_id}/tickets"),
        )?;
        let ticket_id = Uuid::now_v7();
        let opening = Opening {
            client_id,
            subject,
            body,
            category_id,
            files: upload
                .files
                .iter()
                .map(|f| f.attachment.sha256.as_str())
                .collect(),
        };
        let key = command.key(&opening, ticket_id)?;
        let ticket = NewTicket {
            ticket_id,
            client_id,
            subject: parsed_subject,
            body: body.to_owned(),
            department_id: None,
            category_id,
            files: upload.files,
        };
        let committed = support::open_ticket(
            &state,
            &command.context,
            key,
            author(&session.principal),
            ticket,
        )
        .await?;
        Ok(Some((
            accepted_id(ticket_id, &committed),
            committed.position,
        )))
    }
    .await;
    match outcome {
        Ok(Some((id, position))) => {
            Redirect::to(&format!("/my/tickets/{id}?at={position}")).into_response()
        }
        Ok(None) => forbidden_form(&session),
        Err(error) if error.status().is_server_error() => failed(Some(&session), error),
        Err(error) => {
            list_page(
                &state,
                &session,
                false,
                Some(super::problems::form_error(session.lang, "open", &error)),
            )
            .await
        }
    }
}

/// The session's own ticket `id`, or `None` when it is another client's or does not exist.
async fn own_ticket(
    state: &AppState,
    session: &Session,
    id: Uuid,
) -> Result<Option<projections::support::TicketRow>, ApiError> {
    Ok(projections::support::ticket(&state.pool, id)
        .await?
        .filter(|t| t.client_id == session.client_id.as_uuid()))
}

/// One ticket's thread and its forms.
pub(super) async fn ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<TicketParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/tickets/{id}").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found(&session);
    };
    if let Err(error) = state.consistent(&[ReadModel::Support], params.at).await {
        return failed(Some(&session), error);
    }
    ticket_page(&state, &session, id, None).await
}

async fn ticket_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    error: Option<FormError>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = async {
        let Some(ticket) = own_ticket(state, session, id).await? else {
            return Ok(None);
        };
        let messages = projections::support::messages_of_ticket(&state.pool, id)
            .await?
            .into_iter()
            .map(|m| MessageLine {
                author: session.lang.t(if m.author_side == "client" {
                    "my-you"
                } else {
                    "my-support-title"
                }),
                side: m.author_side,
                when: session.zone.time(m.at),
                body: m.body,
                files: m
                    .attachments
                    .0
                    .into_iter()
                    .map(|a| {
                        let link = format!("/my/tickets/{id}/attachments/{}", a.sha256);
                        let size = format!("{} KiB", a.size_bytes.div_ceil(1024));
                        (a.file_name, link, size)
                    })
                    .collect(),
            })
            .collect();
        let open = ticket.status != "closed";
        let may = |route: &str| session.may("POST", route);
        Ok::<_, ApiError>(Some(TicketPage {
            layout: session.layout(ticket.subject),
            id: id.to_string(),
            status: session.lang.named(&ticket.status),
            opened: session.zone.time(ticket.opened_at),
            messages,
            csrf: session.csrf(),
            reply_key: (open && may("/v1/tickets/{id}/messages")).then(new_key),
            close_key: (open && may("/v1/tickets/{id}/close")).then(new_key),
            reopen_key: (!open && may("/v1/tickets/{id}/reopen")).then(new_key),
            error,
        }))
    }
    .await;
    match page {
        Ok(Some(page)) => render(status, &page),
        Ok(None) => not_found(session),
        Err(error) => failed(Some(session), error),
    }
}

/// Back to the ticket after an action, or its page with the problem as the form's error.
async fn back(
    state: &AppState,
    session: &Session,
    id: Uuid,
    form: &'static str,
    outcome: Result<Option<i64>, ApiError>,
) -> Response {
    match outcome {
        Ok(Some(position)) => {
            Redirect::to(&format!("/my/tickets/{id}?at={position}")).into_response()
        }
        Ok(None) => not_found(session),
        Err(error) if error.status().is_server_error() => failed(Some(session), error),
        Err(error) => {
            ticket_page(
                state,
                session,
                id,
                Some(super::problems::form_error(session.lang, form, &error)),
            )
            .await
        }
    }
}

/// What a reply is keyed by: its text and the files' digests.
#[derive(Serialize)]
struct Replying<'a> {
    ticket_id: Uuid,
    body: &'a str,
    files: Vec<&'a str>,
}

/// Replies: `POST /v1/tickets/{id}/messages`, as the client's user.
pub(super) async fn reply(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/tickets/{id}").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    // Another client's ticket (or none) is a 404 before its body is even read.
    match own_ticket(&state, &session, id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    }
    let upload = match Upload::read(multipart).await {
        Ok(upload) => upload,
        Err(error) => return back(&state, &session, id, "reply", Err(error)).await,
    };
    if !session.verify(&upload.fields.csrf) {
        return forbidden_form(&session);
    }
    let outcome = async {
        if !session.may("POST", "/v1/tickets/{id}/messages") {
            return Err(ApiError::forbidden("your role may not write to support"));
        }
        let body = forms::field(&upload.fields, "body");
        domain::ticket::message_body(body)?;
        let command = forms::command(
            session.principal.context(),
            &upload.fields,
            format!("POST /v1/tickets/{id}/messages"),
        )?;
        let message_id = Uuid::now_v7();
        let replying = Replying {
            ticket_id: id,
            body,
            files: upload
                .files
                .iter()
                .map(|f| f.attachment.sha256.as_str())
                .collect(),
        };
        let key = command.key(&replying, message_id)?;
        let message = NewReply {
            message_id,
            body: body.to_owned(),
            files: upload.files,
        };
        let committed = support::reply(
            &state,
            &command.context,
            key,
            author(&session.principal),
            id,
            message,
        )
        .await?;
        Ok(Some(committed.position))
    }
    .await;
    back(&state, &session, id, "reply", outcome).await
}

/// Closes the ticket (`POST /v1/tickets/{id}/close`) or reopens it
/// (`POST /v1/tickets/{id}/reopen`), as the client's user.
pub(super) async fn close_or_reopen(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/tickets/{id}").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    if !session.verify(&fields.csrf) {
        return forbidden_form(&session);
    }
    let (route, form) = match action.as_str() {
        "close" => ("/v1/tickets/{id}/close", "close"),
        "reopen" => ("/v1/tickets/{id}/reopen", "reopen"),
        _ => return not_found(&session),
    };
    let outcome = async {
        if !session.may("POST", route) {
            return Err(ApiError::forbidden("your role may not change this ticket"));
        }
        if own_ticket(&state, &session, id).await?.is_none() {
            return Ok(None);
        }
        let command = forms::command(
            session.principal.context(),
            &fields,
            format!("POST /v1/tickets/{id}/{action}"),
        )?;
        let committed = if form == "close" {
            tickets::run_close_ticket(&state, &session.principal, &command, id).await?
        } else {
            support::reopen_ticket(&state, &command.context, id, author(&session.principal)).await?
        };
        Ok(Some(committed.position))
    }
    .await;
    back(&state, &session, id, form, outcome).await
}

/// One file of the session's own ticket, as a download.
pub(super) async fn attachment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, sha256)): Path<(Uuid, String)>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/tickets/{id}/attachments/{sha256}").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match own_ticket(&state, &session, id).await {
        Ok(Some(_)) => match tickets::run_get_attachment(&state, id, &sha256).await {
            Ok(response) => response,
            Err(error) if error.status() == StatusCode::NOT_FOUND => not_found(&session),
            Err(error) => failed(Some(&session), error),
        },
        Ok(None) => not_found(&session),
        Err(error) => failed(Some(&session), error),
    }
}
