//! For auditors: the sealed head, verification of the log against its seal, and the whole log
//! as an NDJSON stream in safe order with each event's chain hash.

use std::io::Write;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use eventstore::log::{self, LogPosition, StoredEvent};
use projections::seal::{self, Anchor, Hash};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};

use crate::http::error::{ApiError, Problem};
use crate::http::extract::Query;
use crate::http::state::AppState;

/// Events per read of the log while streaming: bounded memory whatever the log's size.
const STREAM_BATCH: i64 = 5000;

/// The latest link of the chain. Keep it: verifying later with it proves that nothing up to
/// its position was rewritten since, even together with the chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeadView {
    /// The global position of the last sealed event (0 when nothing is sealed yet).
    pub position: i64,
    /// Its transaction id.
    pub tx_id: i64,
    /// The chain's SHA-256 after it, 64 hexadecimal digits (zeros when nothing is sealed).
    pub hash: String,
    /// Events sealed.
    pub sealed_events: i64,
}

/// The sealed head of the log.
pub async fn head_view(pool: &PgPool) -> Result<HeadView, ApiError> {
    Ok(match seal::head(pool).await? {
        Some((link, sealed_events)) => HeadView {
            position: link.at.position,
            tx_id: link.at.tx_id,
            hash: seal::to_hex(&link.hash),
            sealed_events,
        },
        None => HeadView {
            position: 0,
            tx_id: 0,
            hash: seal::to_hex(&seal::GENESIS),
            sealed_events: 0,
        },
    })
}

/// The latest link of the audit chain, to export and hold the provider to.
#[utoipa::path(get, path = "/v1/audit/head", tag = "audit",
    responses((status = 200, description = "the sealed head", body = HeadView)))]
pub async fn get_head(State(state): State<AppState>) -> Result<Json<HeadView>, ApiError> {
    Ok(Json(head_view(&state.pool).await?))
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

/// A link as exported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkView {
    /// The sealed event's global position.
    pub position: i64,
    /// Its transaction id.
    pub tx_id: i64,
    /// The chain's hash after it.
    pub hash: String,
}

/// The first place where the log and its seal part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingView {
    /// The global position.
    pub position: i64,
    /// `altered`, `removed`, `inserted`, `chain_broken` or `link_not_in_chain`.
    pub kind: String,
    /// In words.
    pub detail: String,
}

/// The verdict on the log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationView {
    /// True when every sealed event is in the log exactly as sealed, none is missing, none was
    /// slipped in between, and the given link (if any) is still in the chain.
    pub clean: bool,
    /// Events recomputed and compared.
    pub events_checked: u64,
    /// The head verified up to.
    pub sealed_head: Option<LinkView>,
    /// Events after the sealed head, not sealed yet.
    pub unsealed: i64,
    /// The first mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_problem: Option<FindingView>,
}

impl From<seal::Verification> for VerificationView {
    fn from(v: seal::Verification) -> Self {
        Self {
            clean: v.clean,
            events_checked: v.events_checked,
            sealed_head: v.sealed_head.map(|l| LinkView {
                position: l.position,
                tx_id: l.tx_id,
                hash: l.hash,
            }),
            unsealed: v.unsealed,
            first_problem: v.first_problem.map(|f| FindingView {
                position: f.position,
                kind: serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                detail: f.detail,
            }),
        }
    }
}

/// Parses an exported link: both `position` and `hash`, or neither.
pub fn anchor(position: Option<i64>, hash: Option<&str>) -> Result<Option<Anchor>, ApiError> {
    match (position, hash) {
        (None, None) => Ok(None),
        (Some(position), Some(hash)) => {
            if position < 0 {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("position must not be negative, not {position}"),
                ));
            }
            let hash: Hash = seal::from_hex(hash).ok_or_else(|| {
                ApiError::bad_request("invalid_query", "hash: not 64 hexadecimal digits")
            })?;
            Ok(Some(Anchor { position, hash }))
        }
        _ => Err(ApiError::bad_request(
            "invalid_query",
            "give both position and hash of an exported link, or neither",
        )),
    }
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
async fn start_of(pool: &PgPool, after: Option<&str>) -> Result<LogPosition, ApiError> {
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
    log::log_position_of(pool, position).await?.ok_or_else(bad)
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
    pool: &PgPool,
    after: LogPosition,
    limit: i64,
) -> Result<Option<(Bytes, LogPosition)>, ApiError> {
    let events = log::read_after(pool, after, limit).await?;
    let Some(last) = events.last().map(StoredEvent::log_position) else {
        return Ok(None);
    };
    let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
    let links: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT position, hash FROM audit_chain WHERE position = ANY($1)")
            .bind(&positions)
            .fetch_all(pool)
            .await?;
    let links: std::collections::HashMap<i64, Hash> = links
        .into_iter()
        .filter_map(|(position, hash)| Hash::try_from(hash.as_slice()).ok().map(|h| (position, h)))
        .collect();
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
    let start = start_of(&state.pool, params.after.as_deref()).await?;
    let pool = state.pool.clone();
    let stream = futures::stream::unfold(Some(start), move |after| {
        let pool = pool.clone();
        async move {
            let after = after?;
            match next_chunk(&pool, after, STREAM_BATCH).await {
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
