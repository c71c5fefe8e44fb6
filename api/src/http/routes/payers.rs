//! Payers: the people and legal entities of a client's to whom payments and documents are made
//! out. An invoice for a payer freezes the payer's details and is taxed by the payer's country,
//! kind and VAT number.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::client::{Client, ClientKind, ClientName, Country, Email};
use domain::ids::{ClientId, PayerId};
use domain::invoice::PayerDetails;
use domain::payer::{Payer, PayerCommand, PayerProfile};
use domain::tax::VatNumber;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::payers::payer_of;

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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
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
    let profile = PayerProfile {
        kind: request.kind,
        name: ClientName::parse(&request.name)?,
        country: Country::parse(&request.country)?,
        vat_number: vat(request.vat_number.as_deref())?,
        registration_number: request.registration_number.clone(),
        address: request.address.clone(),
        email: email(request.email.as_deref())?,
    };
    let (provider_id, _) = crate::usecases::clients::active(&state, client_id).await?;
    let key = eventstore::CommandKey::new(
        "payer",
        request.payer_id.to_string(),
        &(client_id, &request),
        serde_json::json!({ "id": request.payer_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let committed = state
        .store
        .execute::<Payer>(
            &request.payer_id.to_string(),
            PayerCommand::CreatePayer {
                payer_id: PayerId::from_uuid(request.payer_id),
                client_id: ClientId::from_uuid(client_id),
                provider_id,
                profile,
                requested_by: crate::http::routes::clients::requested_by(&command),
            },
            &command.context,
            &[key],
        )
        .await?;
    Ok(accepted(request.payer_id, &committed))
}

/// Changes a payer's details. Documents already issued keep the details they froze.
#[utoipa::path(patch, path = "/v1/payers/{id}", tag = "payers",
    request_body = UpdatePayerRequest,
    params(("id" = Uuid, Path, description = "the payer")),
    responses(
        (status = 200, description = "updated (or nothing to change)", body = Accepted),
        (status = 404, description = "no such payer", body = Problem),
        (status = 422, description = "invalid details", body = Problem)))]
pub async fn update_payer(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<UpdatePayerRequest>,
) -> Result<Response, ApiError> {
    let payer = state.store.load::<Payer>(&id.to_string()).await?.aggregate;
    let (Some(current), Some(client_id)) = (payer.profile(), payer.client_id()) else {
        return Err(ApiError::not_found(
            "payer_not_found",
            format!("no payer {id}"),
        ));
    };
    crate::usecases::clients::active(&state, client_id.as_uuid()).await?;
    let profile = PayerProfile {
        kind: request.kind.unwrap_or(current.kind),
        name: match request.name.as_deref() {
            Some(name) => ClientName::parse(name)?,
            None => current.name.clone(),
        },
        country: match request.country.as_deref() {
            Some(country) => Country::parse(country)?,
            None => current.country,
        },
        vat_number: match &request.vat_number {
            Some(value) => vat(value.as_deref())?,
            None => current.vat_number.clone(),
        },
        registration_number: match &request.registration_number {
            Some(value) => value.clone(),
            None => current.registration_number.clone(),
        },
        address: match &request.address {
            Some(value) => value.clone(),
            None => current.address.clone(),
        },
        email: match &request.email {
            Some(value) => email(value.as_deref())?,
            None => current.email.clone(),
        },
    };
    let committed = state
        .store
        .execute::<Payer>(
            &id.to_string(),
            PayerCommand::UpdatePayer { profile },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// A client's payers, oldest first.
#[utoipa::path(get, path = "/v1/clients/{id}/payers", tag = "payers",
    params(("id" = Uuid, Path, description = "the client"), Consistency),
    responses((status = 200, description = "the payers", body = Page<PayerView>)))]
pub async fn list_payers(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Page<PayerView>>, ApiError> {
    state
        .consistent(&[ReadModel::Payers], consistency.min_position)
        .await?;
    let items: Vec<PayerView> = sqlx::query_as(
        "SELECT payer_id, client_id, provider_id, kind, name, country, vat_number,
                registration_number, address, email, created_at, updated_at
           FROM payers WHERE client_id = $1
          ORDER BY created_at, payer_id LIMIT 1000",
    )
    .bind(client_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page { items, next: None }))
}

/// The details a document for `client_id` is made out to: the payer's when `payer_id` names
/// one (it must belong to the client), the client's otherwise.
pub async fn payer_details(
    state: &AppState,
    client: &Client,
    client_id: Uuid,
    payer_id: Option<Uuid>,
) -> Result<PayerDetails, ApiError> {
    let own = payer_of(client, client_id)?;
    let Some(payer_id) = payer_id else {
        return Ok(own);
    };
    let payer = state
        .store
        .load::<Payer>(&payer_id.to_string())
        .await?
        .aggregate;
    let Some(profile) = payer.profile() else {
        return Err(ApiError::unprocessable(
            "payer_not_found",
            format!("payer_id: no payer {payer_id}"),
        ));
    };
    if payer.client_id() != Some(ClientId::from_uuid(client_id)) {
        return Err(ApiError::unprocessable(
            "payer_of_another_client",
            format!("payer_id: payer {payer_id} belongs to another client"),
        ));
    }
    Ok(PayerDetails {
        client_id: own.client_id,
        name: profile.name.as_str().to_string(),
        email: profile
            .email
            .as_ref()
            .map_or(own.email, |e| e.as_str().to_string()),
        country: profile.country,
        kind: profile.kind,
        vat_number: profile.vat_number.clone(),
        address: profile.address.clone(),
        payer_id: Some(PayerId::from_uuid(payer_id)),
    })
}
