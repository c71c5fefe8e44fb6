//! Currencies: the ISO 4217 directory and the exchange rates of each base currency by the day
//! they take effect.

use projections::ReadModel;
use std::fmt;

use axum::Json;
use axum::extract::State;
use chrono::{Datelike, NaiveDate};
use domain::money::Currency;
use domain::rates::{ExchangeRate, QuotedRate};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// One currency of the directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CurrencyView {
    /// The ISO 4217 alphabetic code.
    #[schema(example = "EUR")]
    pub code: String,
    /// The English name.
    #[schema(example = "Euro")]
    pub name: String,
    /// The ISO 4217 numeric code, three digits with leading zeros.
    #[schema(pattern = "^[0-9]{3}$", example = "978")]
    pub numeric_code: String,
    /// The decimal places of the minor unit: 2 for EUR, 0 for JPY, 3 for BHD.
    pub minor_units: u32,
}

/// The currencies amounts can be kept in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CurrencyDirectory {
    /// Every ISO 4217 currency with a minor unit, by code.
    pub items: Vec<CurrencyView>,
}

/// The quotes of `PUT /v1/currencies/{code}/rates`, in the order sent. Kept as pairs rather than
/// a map so that a quote sent twice is refused instead of silently keeping the last one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteRates(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for QuoteRates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;

        impl<'de> Visitor<'de> for Pairs {
            type Value = QuoteRates;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of currency codes to rates as strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<QuoteRates, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(QuoteRates(pairs))
            }
        }

        deserializer.deserialize_map(Pairs)
    }
}

/// `PUT /v1/currencies/{code}/rates`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRatesRequest {
    /// The first day the rates apply to, from 1970 to 9999.
    #[schema(value_type = String, format = Date, example = "2026-11-01")]
    pub effective_from: NaiveDate,
    /// How many units of each quote currency one unit of `{code}` is worth: 1 to 200 quotes,
    /// each a positive decimal string below 1000000000 with at most 10 decimal places. A quote
    /// left out keeps its earlier rate; a set for a date that has one replaces it whole.
    #[schema(value_type = std::collections::HashMap<String, String>, example = json!({"EUR": "0.9234", "JPY": "151.37"}))]
    pub rates: QuoteRates,
}

/// The answer to `PUT /v1/currencies/{code}/rates`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatesAccepted {
    /// The base currency.
    #[schema(example = "USD")]
    pub currency: String,
    /// The first day the rates apply to.
    #[schema(value_type = String, format = Date)]
    pub effective_from: NaiveDate,
    /// The global position of the last event the command wrote (of the base's last event when
    /// the set was already recorded); pass it as `min_position` to read your own write.
    pub position: i64,
}

/// `GET /v1/currencies/{code}/rates` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesParams {
    /// The rates in effect on this day; without it, every rate ever set.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-15")]
    pub on: Option<NaiveDate>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// One rate of one quote currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RateView {
    /// The quote currency.
    #[schema(example = "EUR")]
    pub quote: String,
    /// Units of the quote per unit of the base, as a string without trailing zeros.
    #[schema(example = "0.9234")]
    pub rate: String,
    /// The day the rate took effect.
    #[schema(value_type = String, format = Date)]
    pub effective_from: NaiveDate,
}

/// The rates of one base currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatesView {
    /// The base currency.
    #[schema(example = "USD")]
    pub base: String,
    /// The day asked for; `null` for the whole history.
    #[schema(value_type = Option<String>, format = Date)]
    pub on: Option<NaiveDate>,
    /// With `on`: the rate of each quote in effect that day, by quote (empty before any set).
    /// Without: every rate ever set, by day and quote.
    pub rates: Vec<RateView>,
}

/// The currency named by the path, or a 404.
fn path_currency(code: &str) -> Result<Currency, ApiError> {
    Currency::parse(code)
        .map_err(|_| ApiError::not_found("currency_not_found", format!("no currency {code:?}")))
}

/// Whether `date` lies in the calendar the core keeps (1970 to 9999), which PostgreSQL can hold.
fn in_calendar(date: NaiveDate) -> bool {
    (1970..=9999).contains(&date.year())
}

/// The ISO 4217 currencies amounts can be kept in, with their minor units.
#[utoipa::path(get, path = "/v1/currencies", tag = "currencies",
    responses((status = 200, description = "the directory", body = CurrencyDirectory)))]
pub async fn list_currencies() -> Json<CurrencyDirectory> {
    let items = Currency::all()
        .into_iter()
        .map(|currency| CurrencyView {
            code: currency.code().to_owned(),
            name: currency.name().to_owned(),
            numeric_code: format!("{:03}", currency.numeric()),
            minor_units: currency.minor_units(),
        })
        .collect();
    Json(CurrencyDirectory { items })
}

/// Sets the rates of a base currency from a day on: one unit of `{code}` is worth `rate` units of
/// each quote. Sending the same set again records nothing; another set for the same day
/// replaces it (a correction).
#[utoipa::path(put, path = "/v1/currencies/{code}/rates", tag = "currencies",
    request_body = SetRatesRequest,
    params(("code" = String, Path, description = "the base currency", example = "USD")),
    responses(
        (status = 200, description = "set (or already so)", body = RatesAccepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 404, description = "no such currency", body = Problem),
        (status = 422, description = "an invalid date, quote or rate", body = Problem)))]
pub async fn set_rates(
    State(state): State<AppState>,
    command: Command,
    Path(code): Path<String>,
    Body(request): Body<SetRatesRequest>,
) -> Result<Json<RatesAccepted>, ApiError> {
    let base = path_currency(&code)?;
    if !in_calendar(request.effective_from) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!(
                "effective_from: {} is outside the calendar (1970 to 9999)",
                request.effective_from
            ),
        ));
    }
    let mut rates = Vec::with_capacity(request.rates.0.len());
    for (quote, rate) in &request.rates.0 {
        let quote = Currency::parse(quote)
            .map_err(|e| ApiError::unprocessable(e.code(), format!("rates.{quote}: {e}")))?;
        let rate = ExchangeRate::parse(rate).map_err(|e| {
            // The rate's message starts with its own field's name; the quote names it better.
            let message = e.to_string();
            let reason = message.strip_prefix("rate: ").unwrap_or(&message);
            ApiError::unprocessable(e.code(), format!("rates.{quote}: {reason}"))
        })?;
        rates.push(QuotedRate { quote, rate });
    }
    let committed = crate::usecases::currencies::set_rates(
        &state,
        &command.context,
        base,
        request.effective_from,
        rates,
    )
    .await?;
    Ok(Json(RatesAccepted {
        currency: base.code().to_owned(),
        effective_from: request.effective_from,
        position: committed.position,
    }))
}

/// The rates of a base currency: those in effect on a day, or the whole history.
#[utoipa::path(get, path = "/v1/currencies/{code}/rates", tag = "currencies",
    params(("code" = String, Path, description = "the base currency", example = "USD"), RatesParams),
    responses(
        (status = 200, description = "the rates", body = RatesView),
        (status = 400, description = "bad parameters", body = Problem),
        (status = 404, description = "no such currency", body = Problem)))]
pub async fn get_rates(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(params): Query<RatesParams>,
) -> Result<Json<RatesView>, ApiError> {
    let base = path_currency(&code)?;
    if let Some(on) = params.on.filter(|on| !in_calendar(*on)) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("on: {on} is outside the calendar (1970 to 9999)"),
        ));
    }
    state
        .consistent(&[ReadModel::ExchangeRates], params.min_position)
        .await?;
    let rows = match params.on {
        Some(on) => projections::rates::in_effect(&state.pool, base.code(), on).await?,
        None => projections::rates::history(&state.pool, base.code()).await?,
    };
    Ok(Json(RatesView {
        base: base.code().to_owned(),
        on: params.on,
        rates: rows
            .into_iter()
            .map(|row| RateView {
                quote: row.quote,
                rate: row.rate.normalize().to_string(),
                effective_from: row.effective_from,
            })
            .collect(),
    }))
}
