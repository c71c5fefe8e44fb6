//! The catalog: tariffs (packages) with prices per period and currency, set-up fees and add-ons.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::TariffId;
use domain::money::Money;
use domain::tariff::{AddonSpec, ItemType, PeriodPrice};
use projections::ReadModel;
use projections::catalog::TariffRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/tariffs`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTariffRequest {
    /// The provider selling it.
    pub provider_id: Uuid,
    /// The tariff's name, such as "VDS Start".
    pub name: String,
    /// `domain`, `shared_hosting`, `vds`, `dedicated_server`, `ssl_certificate`, `dns_hosting`
    /// or `other`.
    #[schema(value_type = String, example = "vds")]
    pub item_type: ItemType,
    /// Prices per period and currency: `[{"period": "P1M", "price": {"amount": "10.00", "currency": "EUR"}}]`.
    /// Periods: `P1D`, or `P<n>M` for n months from 1 to 120 (`P1M`, `P3M`, `P12M`, `P36M`).
    #[schema(value_type = Vec<Object>)]
    pub prices: Vec<PeriodPrice>,
    /// One-time set-up fees, at most one per currency.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub setup_fees: Vec<Money>,
    /// Add-ons: `{"code", "name", "kind": "quantity", "unit", "min", "max", "prices"}`,
    /// `{"code", "name", "kind": "toggle", "prices"}` or
    /// `{"code", "name", "kind": "choice", "options": [{"code", "name", "prices"}]}`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub addons: Vec<AddonSpec>,
}

/// `POST /v1/tariffs/{id}/prices`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPriceRequest {
    /// `P1D`, or `P<n>M` for n months from 1 to 120 (`P12M` a year, `P36M` three years).
    #[schema(value_type = String, example = "P1M")]
    pub period: domain::period::BillingPeriod,
    /// The new price for that period in its currency. Services already ordered keep theirs.
    #[schema(value_type = Object)]
    pub price: Money,
}

/// `POST /v1/tariffs/{id}/price-changes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePriceRequest {
    /// The period whose price changes: one the tariff offers in the price's currency.
    #[schema(value_type = String, example = "P1M")]
    pub period: domain::period::BillingPeriod,
    /// The new price. New orders pay it at once; services already ordered from their first
    /// period starting on or after `effective_on`.
    #[schema(value_type = Object)]
    pub price: Money,
    /// The first day a period of an existing service may start at the new price: at least 30
    /// days after today, so that every client is told in advance (`price_change_too_soon`).
    #[schema(value_type = String, example = "2027-03-01")]
    pub effective_on: chrono::NaiveDate,
}

/// A tariff as the catalog shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TariffView {
    /// Its id.
    pub id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// Its name.
    pub name: String,
    /// The kind of item.
    pub item_type: String,
    /// `active` or `archived`.
    pub status: String,
    /// Prices per period and currency.
    #[schema(value_type = Vec<Object>)]
    pub prices: serde_json::Value,
    /// Set-up fees.
    #[schema(value_type = Vec<Object>)]
    pub setup_fees: serde_json::Value,
    /// Add-ons.
    #[schema(value_type = Vec<Object>)]
    pub addons: serde_json::Value,
    /// The prices per hour of new orders (`PUT /v1/tariffs/{id}/hourly-prices`), each
    /// `{"per_hour": "0.0137", "currency": "EUR", "monthly_cap": {"amount", "currency"}}` (the
    /// cap only when there is one); empty for a tariff not billed by the hour.
    #[schema(value_type = Vec<Object>)]
    pub hourly_prices: serde_json::Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/tariffs` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTariffsParams {
    /// Only this provider's tariffs.
    pub provider_id: Option<Uuid>,
    /// `active` or `archived`.
    pub status: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

impl From<TariffRow> for TariffView {
    fn from(row: TariffRow) -> Self {
        TariffView {
            id: row.id,
            provider_id: row.provider_id,
            name: row.name,
            item_type: row.item_type,
            status: row.status,
            prices: row.prices,
            setup_fees: row.setup_fees,
            addons: row.addons,
            hourly_prices: row.hourly_prices,
            created_at: row.created_at,
        }
    }
}

/// Creates a tariff.
#[utoipa::path(post, path = "/v1/tariffs", tag = "catalog",
    request_body = CreateTariffRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn create_tariff(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreateTariffRequest>,
) -> Result<Response, ApiError> {
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let tariff = crate::usecases::catalog::NewTariff {
        tariff_id: TariffId::from_uuid(id),
        provider_id: request.provider_id,
        name: request.name,
        item_type: request.item_type,
        prices: request.prices,
        setup_fees: request.setup_fees,
        addons: request.addons,
    };
    let committed =
        crate::usecases::catalog::create_tariff(&state, &command.context, key, tariff).await?;
    Ok(accepted(id, &committed))
}

/// Sets a price of a tariff (adds the period and currency, or replaces its price).
#[utoipa::path(post, path = "/v1/tariffs/{id}/prices", tag = "catalog",
    request_body = SetPriceRequest,
    params(("id" = Uuid, Path, description = "the tariff")),
    responses(
        (status = 200, description = "set", body = Accepted),
        (status = 404, description = "no such tariff", body = Problem),
        (status = 422, description = "invalid or archived", body = Problem)))]
pub async fn set_price(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetPriceRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let price = PeriodPrice {
        period: request.period,
        price: request.price,
    };
    let committed =
        crate::usecases::catalog::set_price(&state, &command.context, key, id, price).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Changes a tariff's price from a day announced in advance: new orders pay it at once, each
/// service sold from the tariff for that period from its first period starting on or after
/// `effective_on`, and its client gets a `price_change` notice.
#[utoipa::path(post, path = "/v1/tariffs/{id}/price-changes", tag = "catalog",
    request_body = ChangePriceRequest,
    params(("id" = Uuid, Path, description = "the tariff"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "announced", body = Accepted),
        (status = 404, description = "no such tariff", body = Problem),
        (status = 422, description = "too soon, unchanged, not offered, negative or archived", body = Problem)))]
pub async fn change_price(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ChangePriceRequest>,
) -> Result<Response, ApiError> {
    let committed = run_change_price(&state, &command, id, request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `POST /v1/tariffs/{id}/price-changes` runs, shared with the tariff's staff page.
pub(crate) async fn run_change_price(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: ChangePriceRequest,
) -> Result<eventstore::Committed<domain::tariff::Tariff>, ApiError> {
    let key = command.key(&request, id)?;
    let price = PeriodPrice {
        period: request.period,
        price: request.price,
    };
    Ok(crate::usecases::catalog::change_price(
        state,
        &command.context,
        key,
        id,
        price,
        request.effective_on,
    )
    .await?)
}

/// Archives a tariff: it can no longer be ordered; services on it go on.
#[utoipa::path(post, path = "/v1/tariffs/{id}/archive", tag = "catalog",
    params(("id" = Uuid, Path, description = "the tariff")),
    responses(
        (status = 200, description = "archived", body = Accepted),
        (status = 404, description = "no such tariff", body = Problem),
        (status = 422, description = "already archived", body = Problem)))]
pub async fn archive_tariff(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = command.key(&(), id)?;
    let committed =
        crate::usecases::catalog::archive_tariff(&state, &command.context, key, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Lists tariffs, oldest first.
#[utoipa::path(get, path = "/v1/tariffs", tag = "catalog",
    params(ListTariffsParams),
    responses((status = 200, description = "a page of tariffs", body = Page<TariffView>)))]
pub async fn list_tariffs(
    State(state): State<AppState>,
    Query(params): Query<ListTariffsParams>,
) -> Result<Json<Page<TariffView>>, ApiError> {
    state
        .consistent(&[ReadModel::Tariffs], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows = projections::catalog::tariffs(
        &state.pool,
        params.provider_id,
        params.status.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let items = rows.into_iter().map(TariffView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |t: &TariffView| t.id.to_string(),
    )))
}

/// One tariff.
#[utoipa::path(get, path = "/v1/tariffs/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "the tariff"), crate::http::answer::Consistency),
    responses(
        (status = 200, description = "the tariff", body = TariffView),
        (status = 404, description = "no such tariff", body = Problem)))]
pub async fn get_tariff(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<crate::http::answer::Consistency>,
) -> Result<Json<TariffView>, ApiError> {
    state
        .consistent(&[ReadModel::Tariffs], consistency.min_position)
        .await?;
    projections::catalog::tariff(&state.pool, id)
        .await?
        .map(|row| Json(TariffView::from(row)))
        .ok_or_else(|| ApiError::not_found("tariff_not_found", format!("no tariff {id}")))
}
