//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::http::state::AppState;

/// The health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up. Needs no token.
#[utoipa::path(get, path = "/v1/health", tag = "operations",
    responses((status = 200, description = "the process is up", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can reach its database and serve. Needs no token.
#[utoipa::path(get, path = "/v1/ready", tag = "operations",
    responses(
        (status = 200, description = "ready", body = Health),
        (status = 503, description = "the database cannot be reached", body = crate::http::error::Problem)))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    // A probe must answer quickly: a database that does not answer within a second is down for
    // the purpose of routing traffic here.
    match tokio::time::timeout(
        std::time::Duration::from_secs(1),
        eventstore::log::ping(&state.pool),
    )
    .await
    {
        Ok(done) => {
            done?;
            Ok(Json(Health { status: "ok" }))
        }
        Err(_) => Err(ApiError::unavailable(
            "unavailable",
            "the database did not answer within a second",
            1,
        )),
    }
}

/// Prometheus metrics in text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state
        .metrics
        .as_ref()
        .map(|handle| handle.render())
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
