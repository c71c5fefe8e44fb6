//! Payers: the people and legal entities of a client's to whom payments and documents are made
//! out. An invoice for a payer freezes the payer's details and is taxed by the payer's country,
//! kind and VAT number.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::client::{ClientKind, ClientName, Country, Email};
use domain::payer::PayerProfile;
use domain::tax::VatNumber;
use projections::ReadModel;
use projections::payers::PayerRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with, time_cursor, time_cursor_of};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::payers as usecase;

/// `POST /v1/clients/{id}/payers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePayerRequest {
    /// The caller's id for the payer: sending it again creates nothing more.
    pub payer_id: Uuid,
    /// `individual`, `company` or `sole_proprietor`.
    #[schema(value_type = String, example = "company")]
    pub kind: ClientKind,
    /// The legal name; 1 to 200 characters.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code, such as `AT`.
    pub country: String,
    /// The VAT identification number, such as `ATU12345678`.
    pub vat_number: Option<String>,
    /// The company registration number; 1 to 64 characters.
    pub registration_number: Option<String>,
    /// The postal address; 1 to 500 characters, newlines allowed.
    pub address: Option<String>,
    /// Where documents are sent; the client's address when absent.
    pub email: Option<String>,
}

/// `PATCH /v1/payers/{id}`: only the fields sent change; `null` clears an optional one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePayerRequest {
    /// A new kind.
    #[schema(value_type = Option<String>)]
    pub kind: Option<ClientKind>,
    /// A new legal name.
    pub name: Option<String>,
    /// A new country.
    pub country: Option<String>,
    /// A new VAT number, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub vat_number: Option<Option<String>>,
    /// A new registration number, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub registration_number: Option<Option<String>>,
    /// A new address, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// A new e-mail address, or `null` to use the client's.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

/// A payer as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayerView {
    /// Its id.
    pub payer_id: Uuid,
    /// The client it belongs to.
    pub client_id: Uuid,
    /// The client's provider.
    pub provider_id: Uuid,
    /// `individual`, `company` or `sole_proprietor`.
    pub kind: String,
    /// The legal name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The VAT identification number.
    pub vat_number: Option<String>,
    /// The company registration number.
    pub registration_number: Option<String>,
    /// The postal address.
    pub address: Option<String>,
    /// Where documents are sent, when not the client's address.
    pub email: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<PayerRow> for PayerView {
    fn from(row: PayerRow) -> Self {
        PayerView {
            payer_id: row.payer_id,
            client_id: row.client_id,
            provider_id: row.provider_id,
            kind: row.kind,
            name: row.name,
            country: row.country,
            vat_number: row.vat_number,
            registration_number: row.registration_number,
            address: row.address,
            email: row.email,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// `GET /v1/clients/{id}/payers` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPayersParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait (bounded) until the read model has applied the event at this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A field that is present, `null` or not: absent is `None` (by `default`), `null` is
/// `Some(None)`, a value is `Some(Some(value))`.
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

fn vat(text: Option<&str>) -> Result<Option<VatNumber>, ApiError> {
    Ok(text.map(VatNumber::parse).transpose()?)
}

fn email(text: Option<&str>) -> Result<Option<Email>, ApiError> {
    Ok(text.map(Email::parse).transpose()?)
}

/// The payer's details a creation asks for, parsed into domain values.
pub fn profile_of(request: &CreatePayerRequest) -> Result<PayerProfile, ApiError> {
    Ok(PayerProfile {
        kind: request.kind,
        name: ClientName::parse(&request.name)?,
        country: Country::parse(&request.country)?,
        vat_number: vat(request.vat_number.as_deref())?,
        registration_number: request.registration_number.clone(),
        address: request.address.clone(),
        email: email(request.email.as_deref())?,
    })
}

/// The change of a payer's details an update asks for, parsed into domain values.
pub fn change_of(request: UpdatePayerRequest) -> Result<usecase::PayerChange, ApiError> {
    Ok(usecase::PayerChange {
        kind: request.kind,
        name: request.name.as_deref().map(ClientName::parse).transpose()?,
        country: request.country.as_deref().map(Country::parse).transpose()?,
        vat_number: request
            .vat_number
            .as_ref()
            .map(|value| vat(value.as_deref()))
            .transpose()?,
        registration_number: request.registration_number,
        address: request.address,
        email: request
            .email
            .as_ref()
            .map(|value| email(value.as_deref()))
            .transpose()?,
    })
}

/// Creates a payer of a client.
#[utoipa::path(post, path = "/v1/clients/{id}/payers", tag = "payers",
    request_body = CreatePayerRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 403, description = "a client's user asked for a VAT number (staff add it)", body = Problem),
        (status = 409, description = "a payer with this id exists", body = Problem),
        (status = 422, description = "invalid details, or the client is merged or deleted", body = Problem)))]
pub async fn create_payer(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<CreatePayerRequest>,
) -> Result<Response, ApiError> {
    let profile = profile_of(&request)?;
    let committed = usecase::create_payer(
        &state,
        &command.context,
        client_id,
        request.payer_id,
        profile,
        &request,
    )
    .await?;
    Ok(accepted(request.payer_id, &committed))
}

/// Changes a payer's details. Documents already issued keep the details they froze. A client's
/// own user (its owner) may change its payers' details but not the VAT number, nor the country
/// or kind of a payer that has one.
#[utoipa::path(patch, path = "/v1/payers/{id}", tag = "payers",
    request_body = UpdatePayerRequest,
    params(("id" = Uuid, Path, description = "the payer")),
    responses(
        (status = 200, description = "updated (or nothing to change)", body = Accepted),
        (status = 403, description = "a client's user changed the VAT number, or the country or kind of a payer with one", body = Problem),
        (status = 404, description = "no such payer", body = Problem),
        (status = 422, description = "invalid details", body = Problem)))]
pub async fn update_payer(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<UpdatePayerRequest>,
) -> Result<Response, ApiError> {
    let change = change_of(request)?;
    let committed = usecase::update_payer(&state, &command.context, id, change).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// A client's payers, oldest first, a page at a time.
#[utoipa::path(get, path = "/v1/clients/{id}/payers", tag = "payers",
    params(("id" = Uuid, Path, description = "the client"), ListPayersParams),
    responses((status = 200, description = "the payers", body = Page<PayerView>)))]
pub async fn list_payers(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ListPayersParams>,
) -> Result<Json<Page<PayerView>>, ApiError> {
    state
        .consistent(&[ReadModel::Payers], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = time_cursor(params.after.as_deref())?;
    let rows = projections::payers::of_client(&state.pool, client_id, after, limit + 1).await?;
    let items = rows.into_iter().map(PayerView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &PayerView| time_cursor_of(last.created_at, last.payer_id),
    )))
}
