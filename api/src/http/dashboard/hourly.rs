//! The form on a tariff's staff page that sets its prices per hour (hourly billing of VDS,
//! ADR 37): one row per currency the tariff has a period price in, each with its price per hour
//! and monthly cap; an empty price leaves that currency without hourly billing. It sends the
//! whole list through `PUT /v1/tariffs/{id}/hourly-prices`' own code (`run_set_hourly_prices`),
//! so the tariff decides and a refusal is shown in the form, having written nothing.

use crate::http::pages::forms::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use domain::hourly::HourlyPrice;
use domain::tariff::PeriodPrice;
use uuid::Uuid;

use super::Session;
use super::actions::{Fields, allowed, command, field};
use super::catalog::{Refusals, show_tariff, tariff_page};
use super::failed;
use crate::http::pages::forms::{FormError, new_key};
use crate::http::routes::usage::{HourlyPriceBody, SetHourlyPricesRequest, run_set_hourly_prices};
use crate::http::state::AppState;

/// The API route the form stands for.
const ROUTE: &str = "/v1/tariffs/{id}/hourly-prices";

/// The form: a row per priced currency, and the refusal when there was one.
pub(super) struct HourlyForm {
    pub(super) csrf: String,
    pub(super) key: String,
    pub(super) rows: Vec<HourlyRow>,
    pub(super) error: Option<String>,
}

/// One currency's row, as the tariff has it or as it was typed.
pub(super) struct HourlyRow {
    pub(super) currency: String,
    pub(super) per_hour: String,
    pub(super) monthly_cap: String,
}

/// A refused form: the rows as typed and the problem in the page's language.
pub(super) struct HourlyTyped {
    rows: Vec<HourlyRow>,
    error: String,
}

/// The form for a tariff of `item_type` in `status` with the period prices `offered` and the
/// prices per hour `hourly`, for staff who may set them; `None` otherwise (and for a domain's
/// tariff, which the tariff would refuse).
pub(super) fn form(
    session: &Session,
    status: &str,
    item_type: &str,
    offered: &[PeriodPrice],
    hourly: &[HourlyPrice],
    typed: Option<HourlyTyped>,
) -> Option<HourlyForm> {
    let shown = session.may("PUT", ROUTE) && status == "active" && item_type != "domain";
    if !shown {
        return None;
    }
    let (rows, error) = match typed {
        Some(typed) => (typed.rows, Some(typed.error)),
        None => {
            let mut currencies: Vec<String> = offered
                .iter()
                .map(|p| p.price.currency().code().to_owned())
                .collect();
            currencies.sort();
            currencies.dedup();
            let rows = currencies
                .into_iter()
                .map(|currency| {
                    let price = hourly.iter().find(|p| p.currency.code() == currency);
                    HourlyRow {
                        per_hour: price
                            .map(|p| p.per_hour.normalize().to_string())
                            .unwrap_or_default(),
                        monthly_cap: price
                            .and_then(|p| p.monthly_cap)
                            .map(|cap| cap.amount().to_string())
                            .unwrap_or_default(),
                        currency,
                    }
                })
                .collect();
            (rows, None)
        }
    };
    Some(HourlyForm {
        csrf: session.csrf(),
        key: new_key(),
        rows,
        error,
    })
}

/// The rows the form sent: each `per_hour_{currency}` with its `monthly_cap_{currency}`.
fn typed_rows(fields: &Fields) -> Vec<HourlyRow> {
    fields
        .rest
        .keys()
        .filter_map(|name| name.strip_prefix("per_hour_"))
        .map(|currency| HourlyRow {
            currency: currency.to_owned(),
            per_hour: field(fields, &format!("per_hour_{currency}")).to_owned(),
            monthly_cap: field(fields, &format!("monthly_cap_{currency}")).to_owned(),
        })
        .collect()
}

/// Sets the prices per hour through the API route's own code: a success shows the tariff with
/// them, a refusal the problem in the form, with its status, having written nothing.
pub(super) async fn set_hourly_prices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "PUT", ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let rows = typed_rows(&fields);
    let request = SetHourlyPricesRequest {
        prices: rows
            .iter()
            .filter(|row| !row.per_hour.is_empty())
            .map(|row| HourlyPriceBody {
                per_hour: row.per_hour.clone(),
                currency: row.currency.clone(),
                monthly_cap: (!row.monthly_cap.is_empty()).then(|| row.monthly_cap.clone()),
            })
            .collect(),
    };
    let outcome = async {
        let command = command(
            &session,
            &fields,
            format!("PUT /v1/tariffs/{id}/hourly-prices"),
        )?;
        run_set_hourly_prices(&state, &command, id, &request).await
    }
    .await;
    match outcome {
        Ok(committed) => Redirect::to(&format!(
            "/dashboard/tariffs/{id}?done=hourly&min_position={}",
            committed.position
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let refusals = Refusals::of_hourly(HourlyTyped {
                rows,
                error: FormError::said(session.lang, "hourly", &error).detail,
            });
            let shown = tariff_page(&state, &session, id, None, refusals).await;
            show_tariff(&session, error.status(), shown)
        }
    }
}
