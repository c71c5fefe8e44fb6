//! The billing day over HTTP.

use crate::usecases::process::billing_day::{self, BillingDayReport};
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command};
use crate::http::state::AppState;

/// `POST /v1/billing/runs`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingRunRequest {
    /// The billing day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date, example = "2027-01-31")]
    pub as_of: NaiveDate,
}

/// The billing day's report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BillingRunView {
    /// The day.
    #[schema(value_type = String)]
    pub as_of: NaiveDate,
    /// Services looked at.
    pub services: u64,
    /// Periods charged.
    pub charged: u64,
    /// Charges the accounts could not pay.
    pub refused: u64,
    /// Suspensions requested.
    pub suspensions: u64,
    /// Deletions requested.
    pub deletions: u64,
    /// Services closed.
    pub closed: u64,
    /// Expiry notices recorded.
    pub notices: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

impl From<BillingDayReport> for BillingRunView {
    fn from(r: BillingDayReport) -> Self {
        Self {
            as_of: r.as_of,
            services: r.services,
            charged: r.charged,
            refused: r.refused,
            suspensions: r.suspensions,
            deletions: r.deletions,
            closed: r.closed,
            notices: r.notices,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

/// Runs the billing day for `as_of`: prolongs and charges what is due, suspends what could not be
/// paid, closes and deletes what is due, records notices. Running it again for the same day
/// changes nothing.
#[utoipa::path(post, path = "/v1/billing/runs", tag = "billing",
    request_body = BillingRunRequest,
    responses(
        (status = 200, description = "done", body = BillingRunView),
        (status = 422, description = "bad date", body = Problem)))]
pub async fn run_billing(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<BillingRunRequest>,
) -> Result<Json<BillingRunView>, ApiError> {
    use chrono::Datelike;
    if !(1970..=9999).contains(&request.as_of.year()) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!(
                "as_of: {} is outside the billing calendar (1970 to 9999)",
                request.as_of
            ),
        ));
    }
    let report = billing_day::run(
        &state.store,
        &state.pool,
        &state.progress,
        request.as_of,
        &command.context,
        8,
    )
    .await?;
    Ok(Json(report.into()))
}
