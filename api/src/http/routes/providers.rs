//! Providers: the hosting businesses whose money this core keeps.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::ProviderId;
use domain::money::Currency;
use projections::ReadModel;
use projections::clients::ProviderRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, accepted};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/providers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProviderRequest {
    /// The provider's name.
    pub name: String,
    /// The ISO 4217 currency its personal accounts keep, such as `EUR`.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// A sandbox provider lives on its own clock that staff move forward
    /// (`POST /v1/providers/{id}/clock`); it never mixes with live providers in reports.
    #[serde(default)]
    pub sandbox: bool,
}

/// A provider as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its currency.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Whether it is a sandbox provider, on its own clock.
    pub sandbox: bool,
    /// The time a sandbox provider's clock shows; absent for a live one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<DateTime<Utc>>,
}

impl From<ProviderRow> for ProviderView {
    fn from(row: ProviderRow) -> Self {
        ProviderView {
            id: row.id,
            name: row.name,
            currency: row.currency,
            created_at: row.created_at,
            sandbox: row.sandbox,
            clock: row.clock,
        }
    }
}

/// `POST /v1/providers/{id}/clock`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClockRequest {
    /// Where the clock goes: a day `YYYY-MM-DD` (its start, UTC) or an RFC 3339 time. Never
    /// before the time the clock shows.
    #[schema(example = "2027-03-01")]
    pub to: String,
}

/// What moving a sandbox clock did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockAdvancedView {
    /// The provider.
    pub provider_id: Uuid,
    /// The time the clock showed.
    pub from: DateTime<Utc>,
    /// The time it shows now.
    pub to: DateTime<Utc>,
    /// The position of the last event written, for `min_position`.
    pub position: i64,
    /// The billing day run for each day the clock passed, in order (the report of
    /// `POST /v1/billing/runs`).
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<serde_json::Value>,
}

/// A provider's clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClockView {
    /// The provider.
    pub provider_id: Uuid,
    /// Whether it is a sandbox provider.
    pub sandbox: bool,
    /// The time its commands are dated by: its own clock for a sandbox, real time for a live
    /// provider.
    pub now: DateTime<Utc>,
}

/// The time `to` names: a day is its start in UTC.
pub(crate) fn clock_time(to: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(to)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::from(crate::usecases::Error::invalid(
                "invalid_clock",
                format!("to: {to:?} is neither a day YYYY-MM-DD nor an RFC 3339 time"),
            ))
        })
}

/// Moves a sandbox provider's clock forward and runs that provider's billing day for each day
/// it passes.
#[utoipa::path(post, path = "/v1/providers/{id}/clock", tag = "providers",
    request_body = AdvanceClockRequest,
    params(("id" = Uuid, Path, description = "the sandbox provider"),
        ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "the clock moved", body = ClockAdvancedView),
        (status = 400, description = "malformed", body = Problem),
        (status = 404, description = "no such provider", body = Problem),
        (status = 422, description = "a live provider, or a move back", body = Problem)))]
pub async fn advance_clock(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<AdvanceClockRequest>,
) -> Result<Json<ClockAdvancedView>, ApiError> {
    let to = clock_time(&request.to)?;
    let moved =
        crate::usecases::provider_clocks::advance_clock(&state, &command.context, id, to).await?;
    Ok(Json(ClockAdvancedView {
        provider_id: id,
        from: moved.from,
        to: moved.to,
        position: moved.position,
        days: moved
            .days
            .iter()
            .filter_map(|day| serde_json::to_value(day).ok())
            .collect(),
    }))
}

/// A provider's clock: a sandbox provider's own, real time for a live one.
#[utoipa::path(get, path = "/v1/providers/{id}/clock", tag = "providers",
    params(("id" = Uuid, Path, description = "the provider")),
    responses(
        (status = 200, description = "the clock", body = ClockView),
        (status = 404, description = "no such provider", body = Problem)))]
pub async fn get_clock(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<ClockView>, ApiError> {
    let clock = crate::usecases::providers::clock(&state, id).await?;
    Ok(Json(ClockView {
        provider_id: id,
        sandbox: clock.is_sandbox(),
        now: clock.now(),
    }))
}

/// Creates a provider.
#[utoipa::path(post, path = "/v1/providers", tag = "providers",
    request_body = CreateProviderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn create_provider(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreateProviderRequest>,
) -> Result<Response, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let committed = crate::usecases::providers::create_provider(
        &state,
        &command.context,
        key,
        ProviderId::from_uuid(id),
        request.name,
        currency,
        request.sandbox,
    )
    .await?;
    Ok(accepted(id, &committed))
}

/// Lists providers.
#[utoipa::path(get, path = "/v1/providers", tag = "providers",
    params(Consistency),
    responses((status = 200, description = "the providers", body = Vec<ProviderView>)))]
pub async fn list_providers(
    State(state): State<AppState>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Vec<ProviderView>>, ApiError> {
    state
        .consistent(&[ReadModel::Providers], consistency.min_position)
        .await?;
    let rows = projections::clients::providers(&state.pool).await?;
    Ok(Json(rows.into_iter().map(ProviderView::from).collect()))
}
