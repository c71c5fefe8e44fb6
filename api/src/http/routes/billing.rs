//! The billing day over HTTP.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command};
use crate::http::state::AppState;
use crate::usecases::billing::BillingDayReport;

/// `POST /v1/billing/runs`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingRunRequest {
    /// The billing day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date, example = "2027-01-31")]
    pub as_of: NaiveDate,
}

/// The billing day's report in the OpenAPI document: the answer is the use case's
/// `BillingDayReport` itself, and this schema is read from how the report serializes, so its
/// fields are written once, in the use case. What each field means to a caller is said here
/// (a test checks every field has its sentence and no sentence outlives its field).
pub struct BillingRunView;

/// The caller's description of each field of the report.
const FIELD_DESCRIPTIONS: &[(&str, &str)] = &[
    ("as_of", "The day."),
    ("services", "Services looked at."),
    ("charged", "Periods charged."),
    ("refused", "Charges the accounts could not pay."),
    ("suspensions", "Suspensions requested."),
    ("deletions", "Deletions requested."),
    ("closed", "Services closed."),
    ("notices", "Expiry notices recorded."),
    ("elapsed_ms", "Wall time in milliseconds."),
    (
        "usage_periods",
        "Usage periods charged (metered parameters).",
    ),
    ("usage_expenses", "Usage expenses charged to accounts."),
    (
        "hourly_days",
        "Days of services billed by the hour charged (their hours recorded).",
    ),
    (
        "hourly_expenses",
        "Hourly expenses charged to accounts (days above zero).",
    ),
    (
        "domain_renewals",
        "Domain renewals asked of the registrar (automatic, a year each).",
    ),
    ("domain_charges", "Domain renewals charged to accounts."),
    (
        "domain_renewals_refused",
        "Domain renewals the accounts could not pay.",
    ),
    ("domain_expiries", "Domains expired unrenewed."),
    ("domain_notices", "Domain expiry notices recorded."),
];

fn report_fields() -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(BillingDayReport::default()) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    }
}

impl utoipa::PartialSchema for BillingRunView {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new().description(Some(
            "The billing day's report: what it looked at, charged and requested, and how long it \
             took.",
        ));
        for (name, value) in report_fields() {
            let description = FIELD_DESCRIPTIONS
                .iter()
                .find(|(field, _)| *field == name)
                .map(|(_, description)| *description);
            // The counters are `u64`; the only other field is the day, a string.
            let property = if value.is_number() {
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0))
            } else {
                ObjectBuilder::new().schema_type(Type::String)
            };
            object = object
                .property(&name, property.description(description))
                .required(&name);
        }
        object.into()
    }
}

impl utoipa::ToSchema for BillingRunView {}

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
) -> Result<Json<BillingDayReport>, ApiError> {
    Ok(Json(run_billing_day(&state, &command, &request).await?))
}

/// What `POST /v1/billing/runs` does, and the staff panel's "run billing day" with it: checks
/// the day is in the billing calendar and runs the billing day.
pub async fn run_billing_day(
    state: &AppState,
    command: &Command,
    request: &BillingRunRequest,
) -> Result<BillingDayReport, ApiError> {
    use chrono::Datelike;
    // The calendar the core keeps (and PostgreSQL holds) is an input format, checked here like
    // every other date parameter (`currencies::in_calendar`).
    if !(1970..=9999).contains(&request.as_of.year()) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!(
                "as_of: {} is outside the billing calendar (1970 to 9999)",
                request.as_of
            ),
        ));
    }
    Ok(crate::usecases::billing::run_billing(state, &command.context, request.as_of).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_the_report_is_described_and_every_description_has_its_field() {
        let fields: Vec<String> = report_fields().keys().cloned().collect();
        let described: Vec<String> = FIELD_DESCRIPTIONS
            .iter()
            .map(|(field, _)| (*field).to_owned())
            .collect();
        let mut sorted_fields = fields.clone();
        sorted_fields.sort();
        let mut sorted_described = described.clone();
        sorted_described.sort();
        assert_eq!(sorted_fields, sorted_described);
    }
}
