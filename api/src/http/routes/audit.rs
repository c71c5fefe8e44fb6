//! For auditors: the sealed head, verification of the log against its seal, and the whole log
//! as an NDJSON stream in safe order with each event's chain hash.

use std::io::Write;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use eventstore::log::{self, LogPosition, StoredEvent};
use projections::seal::{self, Hash};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::chain::{HeadView, VerificationView, anchor};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::Query;
use crate::http::state::AppState;

/// Events per read of the log while streaming: bounded memory whatever the log's size.
const STREAM_BATCH: i64 = 5000;

/// The latest link of the audit chain, to export and hold the provider to.
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit",
    responses((status = 200, description = "the sealed head", body = HeadView)))]
pub async fn get_head(State(state): State<AppState>) -> Result<Json<HeadView>, ApiError> {
    Ok(Json(HeadView::of(seal::head(&state.pool).await?)))
}

/// `GET /v1/audit/verify` parameters: optionally a link exported earlier.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// The position of an exported link (with `hash`).
    #[param(minimum = 0)]
    pub position: Option<i64>,
    /// The hash of that link, 64 hexadecimal digits.
    #[param(pattern = "^[0-9a-fA-F]{64}$")]
    pub hash: Option<String>,
}

/// Recomputes the audit chain from the events and reports the first position where an event
/// was altered, removed or inserted, or that the log verifies clean up to the sealed head. With
/// `position` and `hash` (a link from `GET /v1/audit/head`), also checks that link is still in
/// the chain.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit",
    params(VerifyParams),
    responses(
        (status = 200, description = "the verdict, clean or not", body = VerificationView),
        (status = 400, description = "a malformed link", body = Problem)))]
pub async fn verify(
    State(state): State<AppState>,
    Query(params): Query<VerifyParams>,
) -> Result<Json<VerificationView>, ApiError> {
    let anchor = anchor(params.position, params.hash.as_deref())?;
    let verification = seal::verify(&state.pool, anchor).await?;
    Ok(Json(verification.into()))
}

/// `GET /v1/audit/events` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// The `position` of the last event already received; the stream starts after it in safe
    /// order. From the start of the log when absent or 0.
    #[param(value_type = Option<i64>, minimum = 0)]
    pub after: Option<String>,
}

/// One line of the NDJSON stream.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventLine {
    /// The global position.
    pub position: i64,
    /// The writing transaction; the stream is ordered by (tx_id, position).
    pub tx_id: i64,
    /// `{"type": "Account", "id": "…"}`.
    #[schema(value_type = Object)]
    pub aggregate: serde_json::Value,
    /// The event's number within its aggregate.
    pub sequence: i64,
    /// The event's stored name.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The payload's shape version.
    pub version: String,
    /// The payload as stored: an object, or a string for an event without fields.
    #[schema(value_type = Value)]
    pub payload: serde_json::Value,
    /// The metadata as stored.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// When the database recorded it.
    pub recorded_at: String,
    /// The chain's hash after this event; null when not sealed yet.
    pub hash: Option<String>,
}

/// Where the stream starts: after the event at `after` in safe order.
async fn start_of(state: &AppState, after: Option<&str>) -> Result<LogPosition, ApiError> {
    let Some(after) = after.filter(|a| !a.is_empty()) else {
        return Ok(LogPosition::default());
    };
    let bad = || {
        ApiError::bad_request(
            "invalid_cursor",
            "after: not the position of an event in the log",
        )
    };
    let position: i64 = after.parse().map_err(|_| bad())?;
    if position < 0 {
        return Err(bad());
    }
    if position == 0 {
        return Ok(LogPosition::default());
    }
    log::log_position_of(state.pool.primary(), position)
        .await?
        .ok_or_else(bad)
}

/// Appends one event as a JSON line.
fn write_line(out: &mut Vec<u8>, event: &StoredEvent, hash: Option<&Hash>) {
    // Stored JSON is embedded as it is; text a superuser wrote with line breaks is compacted so
    // that each event stays on one line.
    let raw = |text: &str| -> String {
        if text.contains(['\n', '\r']) {
            serde_json::from_str::<serde_json::Value>(text)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| serde_json::Value::String(text.to_owned()).to_string())
        } else {
            text.to_owned()
        }
    };
    let string = |text: &str| serde_json::Value::String(text.to_owned()).to_string();
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{{\"position\":{},\"tx_id\":{},\"aggregate\":{{\"type\":{},\"id\":{}}},\"sequence\":{},\
         \"type\":{},\"version\":{},\"payload\":{},\"metadata\":{},\"recorded_at\":\"{}\",\
         \"hash\":",
        event.position,
        event.tx_id,
        string(&event.aggregate_type),
        string(&event.aggregate_id),
        event.sequence,
        string(&event.event_type),
        string(&event.event_version),
        raw(&event.payload),
        raw(&event.metadata),
        event
            .recorded_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    );
    match hash {
        Some(hash) => {
            out.push(b'"');
            out.extend_from_slice(seal::to_hex(hash).as_bytes());
            out.extend_from_slice(b"\"}\n");
        }
        None => out.extend_from_slice(b"null}\n"),
    }
}

/// One batch of the stream as NDJSON bytes, and where the next one starts; `None` at the end.
pub async fn next_chunk(
    state: &AppState,
    after: LogPosition,
    limit: i64,
) -> Result<Option<(Bytes, LogPosition)>, ApiError> {
    let events = log::read_after(state.pool.primary(), after, limit).await?;
    let Some(last) = events.last().map(StoredEvent::log_position) else {
        return Ok(None);
    };
    let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
    let links = seal::hashes_at(&state.pool, &positions).await?;
    let mut out = Vec::with_capacity(events.len() * 700);
    for event in &events {
        write_line(&mut out, event, links.get(&event.position));
    }
    Ok(Some((Bytes::from(out), last)))
}

/// The whole log as NDJSON, one event per line, in safe order (by transaction, then position),
/// with payload, metadata and chain hash. Streamed in batches: memory stays bounded however long
/// the log is. Resume after a broken connection with `after` = the last position received.
#[utoipa::path(get, path = "/v1/audit/events", tag = "audit",
    params(EventsParams),
    responses(
        (status = 200, description = "one JSON object per line", content_type = "application/x-ndjson", body = AuditEventLine),
        (status = 400, description = "a bad after", body = Problem)))]
pub async fn stream_events(
    State(state): State<AppState>,
    Query(params): Query<EventsParams>,
) -> Result<Response, ApiError> {
    let start = start_of(&state, params.after.as_deref()).await?;
    let stream = futures::stream::unfold(Some(start), move |after| {
        let state = state.clone();
        async move {
            let after = after?;
            match next_chunk(&state, after, STREAM_BATCH).await {
                Ok(Some((bytes, next))) => Some((Ok::<Bytes, std::io::Error>(bytes), Some(next))),
                Ok(None) => None,
                Err(error) => {
                    // The status is sent already: breaking the body tells the client.
                    tracing::warn!(?error, "the audit stream stopped");
                    Some((Err(std::io::Error::other("the audit stream stopped")), None))
                }
            }
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response())
}
