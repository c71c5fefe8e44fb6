//! Usage-based charging (issue 20.3): `PUT /v1/tariffs/{id}/metered` sets a tariff's metered
//! parameters, `PUT /v1/tariffs/{id}/hourly-prices` its prices per hour (ADR 37), and
//! `POST /v1/usage` takes a batch of up to 1,000 usage records from the provisioning side.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::hourly::HourlyPrice;
use domain::money::{Currency, Money};
use domain::usage::{Aggregation, MeteredParameter, MetricCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path};
use crate::http::state::AppState;
use crate::usecases::usage::RecordInput;

/// The largest `POST /v1/usage` body: 1,000 records of up to about 1 KiB each.
pub const USAGE_BODY_LIMIT: usize = 1024 * 1024;

/// One metered parameter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeteredParameterBody {
    /// The metric: a-z, 0-9 and `_`, starting with a letter, 1 to 32 characters.
    #[schema(example = "traffic_gb")]
    pub code: String,
    /// `sum`, `max`, `last` or `count_unique`.
    #[schema(example = "sum")]
    pub aggregation: String,
    /// The quantity each period includes, a plain decimal string.
    #[schema(example = "100")]
    pub included: String,
    /// The price of one unit beyond it.
    #[schema(value_type = Object)]
    pub unit_price: Money,
}

/// `PUT /v1/tariffs/{id}/metered`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMeteredRequest {
    /// The parameters, replacing the ones there are; at most 20, codes unique.
    pub parameters: Vec<MeteredParameterBody>,
}

/// One price per hour.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HourlyPriceBody {
    /// The price of one clock hour the service runs, a plain decimal string, zero or more, at
    /// most 6 decimals (below the currency's minor unit; each day's amount is rounded once).
    #[schema(example = "0.0137")]
    pub per_hour: String,
    /// The currency; the tariff must have a period price in it.
    #[schema(example = "EUR")]
    pub currency: String,
    /// The most one calendar month (UTC) of hours costs, in the same currency, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "10.00")]
    pub monthly_cap: Option<String>,
}

/// `PUT /v1/tariffs/{id}/hourly-prices`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetHourlyPricesRequest {
    /// The prices, replacing the ones there are: at most one per currency; empty to sell new
    /// orders without hourly billing.
    pub prices: Vec<HourlyPriceBody>,
}

/// One usage record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageRecordBody {
    /// The idempotency id, unique forever: a record sent again with it is ignored.
    pub id: String,
    /// The service measured.
    pub service_id: Uuid,
    /// The metric code.
    #[schema(example = "traffic_gb")]
    pub metric: String,
    /// The quantity, a plain decimal string, zero or more (at most 6 decimals).
    #[schema(example = "1.5")]
    pub quantity: String,
    /// What `count_unique` counts (such as an IP address); without it, the quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_key: Option<String>,
    /// When it was measured, RFC 3339.
    #[schema(example = "2027-01-15T10:00:00Z")]
    pub at: String,
}

/// `POST /v1/usage`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageBatchRequest {
    /// 1 to 1,000 records.
    pub records: Vec<UsageRecordBody>,
}

/// What a batch did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsageBatchAnswer {
    /// Records in the batch.
    pub received: usize,
    /// Records stored now; the others had been stored before (duplicates).
    pub stored: usize,
}

/// Sets a tariff's metered parameters: each usage period of a service sold from it is charged
/// the quantity beyond `included` of each metric at `unit_price`.
#[utoipa::path(put, path = "/v1/tariffs/{id}/metered", tag = "usage",
    request_body = SetMeteredRequest,
    params(("id" = Uuid, Path, description = "the tariff"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "set", body = Accepted),
        (status = 404, description = "no such tariff", body = Problem),
        (status = 422, description = "a bad code, aggregation or quantity, two parameters for one code, a negative price, an archived tariff", body = Problem)))]
pub async fn set_metered(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetMeteredRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let parameters = request
        .parameters
        .iter()
        .enumerate()
        .map(|(index, body)| {
            let field = |e: &dyn std::fmt::Display| {
                ApiError::unprocessable(
                    "invalid_metered_parameter",
                    format!("parameters[{index}].{e}"),
                )
            };
            Ok(MeteredParameter {
                code: MetricCode::parse(&body.code).map_err(|e| field(&e))?,
                aggregation: Aggregation::parse(&body.aggregation).map_err(|e| field(&e))?,
                included: domain::decimal::parse_plain(
                    &body.included,
                    domain::usage::QUANTITY_INTEGER_DIGITS_MAX,
                    domain::usage::QUANTITY_FRACTION_DIGITS_MAX,
                )
                .map_err(|e| field(&format!("included: {e}")))?,
                unit_price: body.unit_price,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let committed =
        crate::usecases::usage::set_metered(&state, &command.context, key, id, parameters).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Sets a tariff's prices per hour (hourly billing of VDS, ADR 37). A service ordered from the
/// tariff in one of their currencies keeps that price in its terms: besides its period price
/// (zero for a tariff sold by the hour only), each ended UTC day is charged the clock hours the
/// service was active in it, at most the monthly cap a month. The hours are owed once used, so
/// they are charged even into debt, and an account in debt has its hourly services suspended by
/// their item type's rule after its grace days.
#[utoipa::path(put, path = "/v1/tariffs/{id}/hourly-prices", tag = "usage",
    request_body = SetHourlyPricesRequest,
    params(("id" = Uuid, Path, description = "the tariff"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "set", body = Accepted),
        (status = 404, description = "no such tariff", body = Problem),
        (status = 422, description = "a bad price, cap or currency, two prices in one currency, a currency the tariff has no period price in, a domain tariff, a tariff with a free trial (trial_of_hourly_tariff), an archived tariff", body = Problem)))]
pub async fn set_hourly_prices(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetHourlyPricesRequest>,
) -> Result<Response, ApiError> {
    let committed = run_set_hourly_prices(&state, &command, id, &request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `PUT /v1/tariffs/{id}/hourly-prices` runs, shared with the tariff's staff page.
pub(crate) async fn run_set_hourly_prices(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &SetHourlyPricesRequest,
) -> Result<eventstore::Committed<domain::tariff::Tariff>, ApiError> {
    let key = command.key(request, id)?;
    let prices = request
        .prices
        .iter()
        .enumerate()
        .map(|(index, body)| hourly_price(index, body))
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(crate::usecases::usage::set_hourly_prices(state, &command.context, key, id, prices).await?)
}

/// `body` as a price per hour, or a problem naming `prices[index]`'s bad field.
fn hourly_price(index: usize, body: &HourlyPriceBody) -> Result<HourlyPrice, ApiError> {
    let field = |name: &str, e: &dyn std::fmt::Display| {
        ApiError::unprocessable(
            "invalid_hourly_price",
            format!("prices[{index}].{name}: {e}"),
        )
    };
    let currency = Currency::parse(&body.currency).map_err(|e| field("currency", &e))?;
    let per_hour =
        domain::hourly::parse_per_hour(&body.per_hour).map_err(|e| field("per_hour", &e))?;
    let monthly_cap = body
        .monthly_cap
        .as_deref()
        .map(|cap| Money::parse(cap, currency).map_err(|e| field("monthly_cap", &e)))
        .transpose()?;
    HourlyPrice::new(per_hour, currency, monthly_cap).map_err(|e| match e {
        domain::hourly::HourlyError::InvalidCap(_) => field("monthly_cap", &e),
        _ => field("per_hour", &e),
    })
}

/// Stores a batch of usage records from the provisioning side. The answer comes once they are
/// committed. Records already stored (by id) are ignored, so a batch may be sent again after a
/// lost answer. One bad record refuses the whole batch, naming every bad record, and stores
/// nothing.
#[utoipa::path(post, path = "/v1/usage", tag = "usage",
    request_body = UsageBatchRequest,
    responses(
        (status = 200, description = "stored", body = UsageBatchAnswer),
        (status = 413, description = "more than 1,000 records, or a body above 1 MiB", body = Problem),
        (status = 422, description = "bad records, each named; nothing stored", body = Problem)))]
pub async fn post_usage(
    State(state): State<AppState>,
    Body(request): Body<UsageBatchRequest>,
) -> Result<Response, ApiError> {
    let records: Vec<RecordInput> = request
        .records
        .into_iter()
        .map(|body| RecordInput {
            id: body.id,
            service_id: body.service_id,
            metric: body.metric,
            quantity: body.quantity,
            unique_key: body.unique_key,
            at: body.at,
        })
        .collect();
    let ingested = crate::usecases::usage::ingest(&state, &records).await?;
    Ok(Json(UsageBatchAnswer {
        received: ingested.received,
        stored: ingested.stored,
    })
    .into_response())
}
