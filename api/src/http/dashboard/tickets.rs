//! One ticket's page: its thread, and the forms to answer it, assign it to a department or a
//! member of staff, and close it, each through its API route's `run_*` function.

use std::collections::HashMap;

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use projections::ReadModel;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, request};
use super::clients::FormError;
use super::{Layout, Session, failed, may_open, message, render};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::i18n::Lang;
use crate::http::pages::forms::new_key;
use crate::http::routes::tickets;
use crate::http::state::AppState;

#[derive(Deserialize, Default)]
pub(super) struct TicketParams {
    done: Option<String>,
    /// The position of an action's last event, which the page's read models must have applied.
    at: Option<i64>,
}

/// One ticket.
#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    layout: Layout,
    id: String,
    client_id: String,
    client: String,
    department: String,
    assignee: String,
    status: String,
    opened: String,
    messages: Vec<MessageRow>,
    csrf: String,
    /// The answer form's key, for staff who may answer an open ticket.
    answer_key: Option<String>,
    /// The assign form: its key, the departments taking tickets and the staff, as (id, name).
    assign: Option<AssignForm>,
    /// The close form's key, for staff who may close an open ticket.
    close_key: Option<String>,
    error: Option<FormError>,
    /// The catalogue key of what was just done.
    done: Option<&'static str>,
}

struct AssignForm {
    key: String,
    departments: Vec<(String, String, bool)>,
    staff: Vec<(String, String, bool)>,
}

struct MessageRow {
    /// Who wrote it, in the page's language.
    side: String,
    /// The same as a class name: `user` or `staff`.
    side_class: String,
    author: String,
    when: String,
    body: String,
    files: usize,
}

/// The ticket's page.
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
        return message(
            Some(&session),
            StatusCode::NOT_FOUND,
            &session.lang.t("ticket-none"),
            "",
        );
    };
    let reads = [ReadModel::Support, ReadModel::Clients];
    if let Err(error) = state.consistent(&reads, params.at).await {
        return failed(error);
    }
    let done = params.done.as_deref().map(|done| match done {
        "answer" => "done-answer",
        "assign" => "ticket-done-assign",
        "close" => "ticket-done-close",
        _ => "done-other",
    });
    ticket_page(&state, &session, id, None, done).await
}

/// The ticket's page, with a refused form's error or a done action's note.
async fn ticket_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    error: Option<FormError>,
    done: Option<&'static str>,
) -> Response {
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    match body(state, session, id, error, done).await {
        Ok(Some(page)) => render(status, &page),
        Ok(None) => message(
            Some(session),
            StatusCode::NOT_FOUND,
            &session.lang.t("ticket-none"),
            "",
        ),
        Err(error) => failed(error),
    }
}

async fn body(
    state: &AppState,
    session: &Session,
    id: Uuid,
    error: Option<FormError>,
    done: Option<&'static str>,
) -> Result<Option<TicketPage>, ApiError> {
    let pool = &state.pool;
    let Some(ticket) = projections::support::ticket(pool, id).await? else {
        return Ok(None);
    };
    let client = projections::clients::names(pool, &[ticket.client_id])
        .await?
        .into_iter()
        .next()
        .map(|(_, name)| name)
        .unwrap_or_default();
    let department = projections::access::department_names(pool, &[ticket.department_id])
        .await?
        .into_iter()
        .next()
        .map(|(_, name)| name)
        .unwrap_or_default();
    let open = ticket.status != "closed";
    let staff_shown = session.may("GET", "/v1/staff");
    let staff = if staff_shown {
        projections::access::staff(pool, None, 500).await?
    } else {
        Vec::new()
    };
    let staff_names: HashMap<Uuid, String> = staff.iter().map(|s| (s.id, s.name.clone())).collect();
    let assignee = match ticket.staff_id {
        None => session.lang.t("ticket-nobody"),
        Some(staff_id) => staff_names
            .get(&staff_id)
            .cloned()
            .unwrap_or_else(|| session.lang.t("ticket-a-staff-member")),
    };
    let assign = if open
        && session.may("POST", "/v1/tickets/{id}/assign")
        && session.may("GET", "/v1/departments")
        && staff_shown
    {
        let departments = projections::access::departments(pool, None, 500).await?;
        Some(AssignForm {
            key: new_key(),
            departments: departments
                .into_iter()
                .filter(|d| d.accepts_tickets)
                .map(|d| (d.id.to_string(), d.name, d.id == ticket.department_id))
                .collect(),
            staff: staff
                .into_iter()
                .filter(|s| s.status == "active")
                .map(|s| (s.id.to_string(), s.name, Some(s.id) == ticket.staff_id))
                .collect(),
        })
    } else {
        None
    };
    let users: HashMap<Uuid, String> = if session.may("GET", "/v1/clients/{id}/users") {
        projections::access::users_of_client(pool, ticket.client_id, None, 500)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    } else {
        HashMap::new()
    };
    let messages = projections::support::messages_of_ticket(pool, id)
        .await?
        .into_iter()
        .map(|m| MessageRow {
            author: author_name(session.lang, &m.author, &users, &staff_names),
            side: session.lang.named(&m.author_side),
            side_class: m.author_side,
            when: session.zone.time(m.at),
            body: m.body,
            files: m.attachments.0.len(),
        })
        .collect();
    Ok(Some(TicketPage {
        layout: session.layout(ticket.subject),
        id: id.to_string(),
        client_id: ticket.client_id.to_string(),
        client,
        department,
        assignee,
        status: session.lang.named(&ticket.status),
        opened: session.zone.time(ticket.opened_at),
        messages,
        csrf: session.csrf(),
        answer_key: (open && session.may("POST", "/v1/tickets/{id}/messages")).then(new_key),
        assign,
        close_key: (open && session.may("POST", "/v1/tickets/{id}/close")).then(new_key),
        error,
        done,
    }))
}

/// The name of a message's author (an actor such as `user:<id>` or `staff:<id>`): the client's
/// user or the member of staff by name where the staff member may read it, never a bare id.
fn author_name(
    lang: Lang,
    actor: &str,
    users: &HashMap<Uuid, String>,
    staff: &HashMap<Uuid, String>,
) -> String {
    let (kind, rest) = actor.split_once(':').unwrap_or(("", actor));
    let Ok(id) = Uuid::parse_str(rest) else {
        // `staff:admin`, the bootstrap administrator, has no id.
        return actor.to_owned();
    };
    let (names, unknown) = match kind {
        "user" => (users, "ticket-a-user"),
        "staff" => (staff, "ticket-a-staff-member"),
        _ => return lang.t("ticket-someone"),
    };
    names.get(&id).cloned().unwrap_or_else(|| lang.t(unknown))
}

/// Back to the ticket's page after an action, or the page with the problem as the form's error.
async fn back(
    state: &AppState,
    session: &Session,
    id: Uuid,
    done: &'static str,
    outcome: Result<i64, ApiError>,
) -> Response {
    match outcome {
        Ok(position) => Redirect::to(&format!(
            "/dashboard/tickets/{id}?done={done}&at={position}"
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            ticket_page(
                state,
                session,
                id,
                Some(FormError::said(session.lang, done, &error)),
                None,
            )
            .await
        }
    }
}

/// Answers the ticket: `POST /v1/tickets/{id}/messages`.
pub(super) async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/tickets/{id}/messages";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = super::actions::reply(&state, &session, &fields, id).await;
    back(&state, &session, id, "answer", outcome).await
}

/// Assigns the ticket to a department and, optionally, one of its staff:
/// `POST /v1/tickets/{id}/assign`.
pub(super) async fn assign(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/tickets/{id}/assign";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, format!("POST /v1/tickets/{id}/assign"))?;
        let optional = |name: &str| Some(field(&fields, name)).filter(|v| !v.is_empty());
        let request: tickets::AssignRequest = request(json!({
            "department_id": optional("department_id"),
            "staff_id": optional("staff_id"),
        }))?;
        tickets::run_assign_ticket(&state, &session.principal, &command, id, &request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    back(&state, &session, id, "assign", outcome).await
}

/// Closes the ticket: `POST /v1/tickets/{id}/close`.
pub(super) async fn close(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/tickets/{id}/close";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, format!("POST /v1/tickets/{id}/close"))?;
        tickets::run_close_ticket(&state, &session.principal, &command, id).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    back(&state, &session, id, "close", outcome).await
}
