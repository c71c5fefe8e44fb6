//! Lifecycle policies a provider offers (issue 19.2): a tariff's trial
//! (`PUT /v1/tariffs/{id}/trial`) and a client's promised payment
//! (`POST /v1/clients/{id}/promised-payments`). The rules are the aggregates' (`Tariff`,
//! `Client`, `Account`, `Service`); these routes parse and call the use cases.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::tariff::Trial;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path};
use crate::http::state::AppState;

/// `PUT /v1/tariffs/{id}/trial`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTrialRequest {
    /// The free first period of new orders: `{"days": 14}` (1 to 366 days) or
    /// `{"period": "P1M"}` (1 to 12 months); `null` switches the trial off.
    #[schema(value_type = Option<Object>)]
    pub trial: Option<Trial>,
}

/// Sets the trial of a tariff: an order of it starts with a free first period (no price, no
/// setup fee), once per client and tariff; at the trial's end the billing day charges the
/// period at the tariff's price. Setting what is already set changes nothing.
#[utoipa::path(put, path = "/v1/tariffs/{id}/trial", tag = "catalog",
    request_body = SetTrialRequest,
    params(("id" = Uuid, Path, description = "the tariff"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "set", body = Accepted),
        (status = 404, description = "no such tariff", body = Problem),
        (status = 422, description = "a trial out of bounds (invalid_trial), a tariff sold by the hour (trial_of_hourly_tariff) or an archived tariff", body = Problem)))]
pub async fn set_trial(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetTrialRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let committed =
        crate::usecases::trials::set_trial(&state, &command.context, key, id, request.trial)
            .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The answer to `POST /v1/clients/{id}/promised-payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentPromisedView {
    /// The client's personal account that holds the promise.
    pub account_id: Uuid,
    /// The global position of the last event written; pass it as `min_position`.
    pub position: i64,
    /// The day the promise was made, by the provider's clock.
    #[schema(value_type = String, example = "2027-03-01")]
    pub promised_on: NaiveDate,
    /// The first day it no longer holds: the services are not suspended for lack of money
    /// before it.
    #[schema(value_type = String, example = "2027-03-08")]
    pub until: NaiveDate,
}

/// Promises a payment: the client's services are not suspended for lack of money for 7 days
/// (`PROMISED_PAYMENT_DAYS`); once per 30 days (`promise_too_soon`). No money moves; the
/// billing day keeps charging, and suspends what is still unpaid on the day the promise ends.
/// Asking again on the day of a promise answers it again.
#[utoipa::path(post, path = "/v1/clients/{id}/promised-payments", tag = "payments",
    params(("id" = Uuid, Path, description = "the client"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "promised", body = PaymentPromisedView),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "a promise within 30 days of the last one (promise_too_soon), or a client not trading", body = Problem)))]
pub async fn promise_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = command.key(&(), id)?;
    let (account_id, committed) =
        crate::usecases::promises::promise_payment(&state, &command.context, key, id).await?;
    let Some((promised_on, until)) = crate::usecases::promises::last_promise(&state, id).await?
    else {
        return Err(ApiError::not_found(
            "promise_not_found",
            "the promise was not recorded",
        ));
    };
    let view = PaymentPromisedView {
        account_id: account_id.as_uuid(),
        position: committed.position,
        promised_on,
        until,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}
