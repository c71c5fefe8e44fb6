//! Group and personal discounts: staff set a client group's percent per item type and a
//! client's personal percent; charges take the best single discount (`usecases::discounts`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use domain::client::Client;
use domain::discount::{DiscountError, DiscountPercent, PersonalDiscount};
use domain::tariff::ItemType;
use eventstore::Committed;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `PUT /v1/client-groups/{id}/discounts`: the group's discount on one item type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetGroupDiscountRequest {
    /// The item type (a built-in one or one staff defined).
    #[schema(value_type = String, example = "vds")]
    pub item_type: ItemType,
    /// Above 0 and at most 100, with at most 2 decimal places, as a decimal string; `null`
    /// removes the discount.
    #[schema(example = "10")]
    pub percent: Option<String>,
}

/// `PUT /v1/clients/{id}/personal-discount`: the client's personal discount.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPersonalDiscountRequest {
    /// Above 0 and at most 100, with at most 2 decimal places, as a decimal string; `null`
    /// removes the discount.
    #[schema(example = "15")]
    pub percent: Option<String>,
    /// The item types it applies to, each once; empty or absent for every type.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub item_types: Vec<ItemType>,
    /// The last day a discounted period may start (inclusive); absent for no end.
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

/// A client's personal discount as the read model has it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonalDiscountView {
    /// The discount (`percent`, `item_types`, `until`); `null` when the client has none.
    #[schema(value_type = Option<Object>)]
    pub discount: Option<serde_json::Value>,
}

/// `GET /v1/clients/{id}/personal-discount` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonalDiscountParams {
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A percent as the API reads it: plain digits only (no `1e1`); the range and the decimal
/// places are the domain's rule (`DiscountPercent::parse`).
fn percent(text: &str) -> Result<DiscountPercent, ApiError> {
    let value = domain::decimal::parse_plain(text, 3, 20)
        .map_err(|_| ApiError::from(DiscountError::InvalidPercent(Default::default())))?;
    Ok(DiscountPercent::parse(value)?)
}

/// Sets or removes a client group's discount on one item type.
#[utoipa::path(put, path = "/v1/client-groups/{id}/discounts", tag = "clients",
    request_body = SetGroupDiscountRequest,
    params(("id" = Uuid, Path, description = "the client group")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such group", body = Problem),
        (status = 422, description = "a bad percent or an unknown item type", body = Problem)))]
pub async fn set_group_discount(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetGroupDiscountRequest>,
) -> Result<Response, ApiError> {
    let committed = run_set_group_discount(&state, &command, id, request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `PUT /v1/client-groups/{id}/discounts` does, and the staff panel's group discount form
/// with it.
pub async fn run_set_group_discount(
    state: &AppState,
    command: &Command,
    group_id: Uuid,
    request: SetGroupDiscountRequest,
) -> Result<Committed<domain::group::ClientGroup>, ApiError> {
    let percent = request.percent.as_deref().map(percent).transpose()?;
    Ok(crate::usecases::discounts::set_group_discount(
        state,
        &command.context,
        group_id,
        request.item_type,
        percent,
    )
    .await?)
}

/// Sets or removes a client's personal discount.
#[utoipa::path(put, path = "/v1/clients/{id}/personal-discount", tag = "clients",
    request_body = SetPersonalDiscountRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "a bad percent, an item type named twice or unknown, or the client is merged or deleted", body = Problem)))]
pub async fn set_personal_discount(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetPersonalDiscountRequest>,
) -> Result<Response, ApiError> {
    let committed = run_set_personal_discount(&state, &command, id, request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `PUT /v1/clients/{id}/personal-discount` does, and the staff panel's personal discount
/// form with it.
pub async fn run_set_personal_discount(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    request: SetPersonalDiscountRequest,
) -> Result<Committed<Client>, ApiError> {
    let discount = match request.percent.as_deref() {
        None => None,
        Some(text) => {
            let discount = PersonalDiscount {
                percent: percent(text)?,
                item_types: request.item_types,
                until: request.until,
            };
            discount.check()?;
            Some(discount)
        }
    };
    Ok(crate::usecases::discounts::set_personal_discount(
        state,
        &command.context,
        client_id,
        discount,
    )
    .await?)
}

/// A client's personal discount.
#[utoipa::path(get, path = "/v1/clients/{id}/personal-discount", tag = "clients",
    params(("id" = Uuid, Path, description = "the client"), PersonalDiscountParams),
    responses((status = 200, description = "the discount, or null", body = PersonalDiscountView)))]
pub async fn personal_discount(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(params): Query<PersonalDiscountParams>,
) -> Result<Json<PersonalDiscountView>, ApiError> {
    state
        .consistent(&[ReadModel::Clients], params.min_position)
        .await?;
    let discount = projections::clients::personal_discount(&state.pool, id).await?;
    Ok(Json(PersonalDiscountView { discount }))
}
