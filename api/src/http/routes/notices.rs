//! Notifications: message templates per notice kind and language, each client's language and
//! subscriptions, and the notifier's outbox (what was sent to whom, or why not).

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::access::{Action, Permission};
use domain::notice::{Language, NoticeKind};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted_with};
use crate::http::auth::{Principal, Visible};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::notices;

/// `PUT /v1/message-templates/{kind}/{language}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplateRequest {
    /// The e-mail's subject, with `{{placeholders}}`; 1 to 200 characters.
    #[schema(example = "Ihr Dienst {{service}} läuft in {{days}} Tagen ab")]
    pub subject: String,
    /// The e-mail's text, with `{{placeholders}}`.
    pub body: String,
}

/// A message template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageTemplateView {
    /// The notice kind.
    pub kind: String,
    /// The language.
    pub language: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A notice kind with the placeholders its templates may use and its built-in English text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeKindView {
    /// The kind.
    pub kind: String,
    /// The placeholders, `client_name` first.
    pub placeholders: Vec<String>,
    /// The subject used when no template is written.
    pub default_subject: String,
    /// The text used when no template is written.
    pub default_body: String,
}

/// The templates written and the kinds there are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageTemplates {
    /// The templates, by kind and language.
    pub items: Vec<MessageTemplateView>,
    /// Every notice kind.
    pub kinds: Vec<NoticeKindView>,
}

/// Writes the template of a notice kind in a language. A client is written to in its language,
/// else in English, else with the built-in text.
#[utoipa::path(put, path = "/v1/message-templates/{kind}/{language}", tag = "notifications",
    request_body = MessageTemplateRequest,
    params(("kind" = String, Path, description = "the notice kind, such as service_expiring"),
           ("language" = String, Path, description = "ISO 639-1 code, such as de")),
    responses(
        (status = 200, description = "written (or already so)", body = Accepted),
        (status = 404, description = "no such notice kind", body = Problem),
        (status = 422, description = "an invalid language, text, or a placeholder the kind does not know", body = Problem)))]
pub async fn set_message_template(
    State(state): State<AppState>,
    command: Command,
    Path((kind, language)): Path<(String, String)>,
    Body(request): Body<MessageTemplateRequest>,
) -> Result<Response, ApiError> {
    let kind: NoticeKind = kind.parse()?;
    let language = Language::parse(&language)?;
    let (id, committed) = notices::set_message_template(
        &state,
        &command.context,
        kind,
        language,
        request.subject,
        request.body,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id.as_uuid(), &committed))
}

/// The message templates written, and every notice kind with its placeholders.
#[utoipa::path(get, path = "/v1/message-templates", tag = "notifications",
    params(Consistency),
    responses((status = 200, description = "the templates", body = MessageTemplates)))]
pub async fn list_message_templates(
    State(state): State<AppState>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<MessageTemplates>, ApiError> {
    state
        .consistent(&[ReadModel::Support], consistency.min_position)
        .await?;
    let items = projections::support::message_templates(&state.pool)
        .await?
        .into_iter()
        .map(|row| MessageTemplateView {
            kind: row.kind,
            language: row.language,
            subject: row.subject,
            body: row.body,
            updated_at: row.updated_at,
        })
        .collect();
    let kinds = NoticeKind::ALL
        .into_iter()
        .map(|kind| {
            let (subject, body) = kind.default_template();
            NoticeKindView {
                kind: kind.as_str().to_owned(),
                placeholders: std::iter::once("client_name")
                    .chain(kind.placeholders().iter().copied())
                    .map(str::to_owned)
                    .collect(),
                default_subject: subject.to_owned(),
                default_body: body.to_owned(),
            }
        })
        .collect();
    Ok(Json(MessageTemplates { items, kinds }))
}

/// `PUT /v1/clients/{id}/notice-settings` and its answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettingsBody {
    /// The language of the client's messages, ISO 639-1.
    #[schema(example = "de")]
    pub language: String,
    /// The notice kinds the client is e-mailed about (every kind when never set).
    #[schema(example = json!(["service_expiring", "payment_credited"]))]
    pub subscriptions: Vec<String>,
}

/// Sets a client's language and the notices it wants.
#[utoipa::path(put, path = "/v1/clients/{id}/notice-settings", tag = "notifications",
    request_body = NoticeSettingsBody,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "an invalid language or notice kind", body = Problem)))]
pub async fn set_notice_settings(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<NoticeSettingsBody>,
) -> Result<Response, ApiError> {
    let language = Language::parse(&request.language)?;
    let subscriptions = request
        .subscriptions
        .iter()
        .map(|kind| {
            kind.parse::<NoticeKind>().map_err(|e| {
                ApiError::unprocessable("unknown_notice_kind", format!("subscriptions: {e}"))
            })
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    let committed =
        notices::set_notice_settings(&state, &command.context, client_id, language, subscriptions)
            .await?;
    Ok(accepted_with(StatusCode::OK, client_id, &committed))
}

/// A client's language and subscriptions (English and every kind when never set).
#[utoipa::path(get, path = "/v1/clients/{id}/notice-settings", tag = "notifications",
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "the settings", body = NoticeSettingsBody),
        (status = 404, description = "no such client", body = Problem)))]
pub async fn get_notice_settings(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
) -> Result<Json<NoticeSettingsBody>, ApiError> {
    // From the store: a client sees its own change at once.
    let settings = notices::notice_settings(&state, client_id).await?;
    Ok(Json(NoticeSettingsBody {
        language: settings.language().to_string(),
        subscriptions: settings
            .subscriptions()
            .into_iter()
            .map(|k| k.as_str().to_owned())
            .collect(),
    }))
}

/// `GET /v1/notifications` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsParams {
    /// One client's (a client's user sees only its own).
    pub client_id: Option<Uuid>,
    /// `pending`, `sending`, `sent`, `skipped`, `not_configured`, `failed` or `stale`.
    pub status: Option<String>,
    /// The cursor of the next page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
}

/// One notice of the outbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    /// The event it is about.
    pub event_id: Uuid,
    /// The notice kind.
    pub kind: String,
    /// What became of it.
    pub status: String,
    /// The client.
    pub client_id: Option<Uuid>,
    /// The address it went to.
    pub to_address: Option<String>,
    /// The language it was rendered in.
    pub language: Option<String>,
    /// The rendered subject.
    pub subject: Option<String>,
    /// The rendered text.
    pub body: Option<String>,
    /// The e-mail's `Message-ID`, the same on every attempt.
    pub message_id: String,
    /// How many times it was tried.
    pub attempts: i32,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The notifier's outbox, newest first: what was e-mailed to whom, or why not.
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications",
    params(NotificationsParams),
    responses((status = 200, description = "a page of notices", body = Page<NotificationView>)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    visible: Visible,
    axum::Extension(principal): axum::Extension<Principal>,
    Query(params): Query<NotificationsParams>,
) -> Result<Json<Page<NotificationView>>, ApiError> {
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    // A client's user reads the notices of what its roles may read.
    let kinds: Vec<&str> = NoticeKind::ALL
        .into_iter()
        .filter(|kind| principal.allows(Permission::new(kind.about(), Action::Read)))
        .map(NoticeKind::as_str)
        .collect();
    let kinds = (kinds.len() < NoticeKind::ALL.len()).then_some(kinds.as_slice());
    let rows = projections::notify::notifications(
        &state.pool,
        (visible.narrow(params.client_id), kinds),
        params.status.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| NotificationView {
            event_id: row.event_id,
            kind: row.kind,
            status: row.status,
            client_id: row.client_id,
            to_address: row.to_address,
            language: row.language,
            subject: row.subject,
            body: row.body,
            message_id: row.message_id,
            attempts: row.attempts,
            queued_at: row.queued_at,
            sent_at: row.sent_at,
            last_error: row.last_error,
        })
        .collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &NotificationView| {
            crate::http::answer::time_cursor_of(last.queued_at, last.event_id)
        },
    )))
}
