//! The action log: every event with who caused it, in the order the log can be read safely.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::Page;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::Query;
use crate::http::state::AppState;

/// `GET /v1/action-log` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionLogParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Only events about this client (its own and its accounts').
    pub client_id: Option<Uuid>,
    /// Only events caused by this actor, such as `staff:admin`.
    pub actor: Option<String>,
    /// Only events of this type, such as `PaymentPosted`.
    pub event_type: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// One entry of the action log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionLogEntry {
    /// The event's global position.
    pub position: i64,
    /// When the command ran.
    pub occurred_at: DateTime<Utc>,
    /// When the database recorded the event.
    pub recorded_at: DateTime<Utc>,
    /// Who caused it: `staff:<id>`, `user:<id>`, `service:<id>` or `system:<job>`.
    pub actor: String,
    /// The client a staff member acted for.
    pub on_behalf_of: Option<String>,
    /// The request that carried the command.
    pub request_id: Option<String>,
    /// The command, such as `PostPayment`.
    pub command: Option<String>,
    /// The aggregate's type, such as `Account`.
    pub aggregate_type: String,
    /// The aggregate's id.
    pub aggregate_id: String,
    /// The event's number within its aggregate.
    pub sequence: i64,
    /// The event, such as `PaymentPosted`.
    pub event_type: String,
    /// The client the event concerns, where there is one.
    pub client_id: Option<Uuid>,
    /// The event's payload as stored: an object, or a string for an event without fields (such
    /// as `TariffArchived`).
    #[schema(value_type = Value)]
    pub payload: serde_json::Value,
}

/// Lists the action log, oldest first, with filters.
#[utoipa::path(get, path = "/v1/action-log", tag = "audit",
    params(ActionLogParams),
    responses(
        (status = 200, description = "a page of the log", body = Page<ActionLogEntry>),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_action_log(
    State(state): State<AppState>,
    Query(params): Query<ActionLogParams>,
) -> Result<Json<Page<ActionLogEntry>>, ApiError> {
    state
        .consistent(&[ReadModel::ActionLog], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after: i64 = match params.after.as_deref().filter(|a| !a.is_empty()) {
        None => 0,
        Some(cursor) => cursor.parse().map_err(|_| {
            ApiError::bad_request("invalid_cursor", "after: not a cursor this API gave")
        })?,
    };
    let filter = projections::action_log::Filter {
        client_id: params.client_id,
        actor: params.actor.as_deref(),
        event_type: params.event_type.as_deref(),
    };
    let rows = projections::action_log::page(&state.pool, filter, after, limit + 1).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let mut last_seq = None;
    let items = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|row| {
            last_seq = Some(row.seq);
            ActionLogEntry {
                position: row.position,
                occurred_at: row.occurred_at,
                recorded_at: row.recorded_at,
                actor: row.actor,
                on_behalf_of: row.on_behalf_of,
                request_id: row.request_id,
                command: row.command,
                aggregate_type: row.aggregate_type,
                aggregate_id: row.aggregate_id,
                sequence: row.sequence,
                event_type: row.event_type,
                client_id: row.client_id,
                payload: redacted(row.payload),
            }
        })
        .collect();
    let next = if more {
        last_seq.map(|s| s.to_string())
    } else {
        None
    };
    Ok(Json(Page { items, next }))
}

/// The fields of stored events that the log keeps but no answer shows: a password's hash and a
/// token's digest are of no use to a reader and of some to an attacker.
const SECRET_FIELDS: [&str; 2] = ["password_hash", "secret_sha256"];

/// `payload` with every secret field's value replaced by `"[redacted]"`.
fn redacted(mut payload: serde_json::Value) -> serde_json::Value {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, field) in fields.iter_mut() {
                    if SECRET_FIELDS.contains(&name.as_str()) {
                        *field = serde_json::Value::String("[redacted]".to_owned());
                    } else {
                        walk(field);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut payload);
    payload
}
