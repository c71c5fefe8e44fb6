//! Clients: register, update, delete, search and read.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::client::{ClientKind, ClientName, Country, Email};
use domain::tax::VatNumber;
use projections::ReadModel;
use projections::clients::{ClientFilter, ClientRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted_with, json_with, like_pattern};
use crate::http::auth::Visible;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/clients`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterClientRequest {
    /// The provider the client buys from.
    pub provider_id: Uuid,
    /// The client's name (a person's or a company's).
    pub name: String,
    /// The client's e-mail address.
    pub email: String,
    /// `individual`, `company` or `sole_proprietor`.
    #[schema(value_type = String, example = "company")]
    pub kind: ClientKind,
    /// ISO 3166-1 alpha-2 country code, such as `DE`.
    pub country: String,
    /// The client's first user (an `owner` unless roles are given), who logs in at
    /// `POST /v1/auth/login`. Left out of the Idempotency-Key's fingerprint: the password goes
    /// nowhere but into its hash.
    #[serde(default, skip_serializing)]
    pub user: Option<crate::http::views::UserRequest>,
    /// The code of the referral link the client signed up through (affiliate programs): the
    /// client is referred to that link's affiliate. An unknown code, one of another provider or
    /// of a closed program refuses the registration (422) and nothing is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral_code: Option<String>,
}

/// `PATCH /v1/clients/{id}`: only the fields sent change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    /// A new name.
    pub name: Option<String>,
    /// A new e-mail address.
    pub email: Option<String>,
    /// A new kind.
    #[schema(value_type = Option<String>)]
    pub kind: Option<ClientKind>,
    /// A new country.
    pub country: Option<String>,
}

/// `DELETE /v1/clients/{id}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteClientParams {
    /// Why the client is deleted; kept in the log.
    pub reason: String,
}

/// A client as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    /// Its id.
    pub id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// Its provider's currency.
    pub currency: String,
    /// Its name.
    pub name: String,
    /// Its e-mail address.
    pub email: String,
    /// `individual`, `company` or `sole_proprietor`.
    pub kind: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// `active`, `inactive` (takes no new orders or payments), `merged` or `deleted`.
    pub status: String,
    /// The VAT identification number, if the client is a registered business.
    pub vat_number: Option<String>,
    /// The postal address printed on invoices.
    pub address: Option<String>,
    /// When it registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The client it was merged into, once merged.
    pub merged_into: Option<Uuid>,
    /// The groups it is in.
    pub groups: Vec<Uuid>,
}

/// `GET /v1/clients` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListClientsParams {
    /// A piece of the name or e-mail address, any case.
    pub q: Option<String>,
    /// Only clients in this group.
    pub group: Option<Uuid>,
    /// Only clients with this status: `active`, `inactive`, `merged` or `deleted`.
    #[param(pattern = "^(active|inactive|merged|deleted)$")]
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

impl From<ClientRow> for ClientView {
    fn from(row: ClientRow) -> Self {
        ClientView {
            id: row.id,
            provider_id: row.provider_id,
            currency: row.currency,
            name: row.name,
            email: row.email,
            kind: row.kind,
            country: row.country,
            status: row.status,
            vat_number: row.vat_number,
            address: row.address,
            created_at: row.created_at,
            updated_at: row.updated_at,
            merged_into: row.merged_into,
            groups: row.groups,
        }
    }
}

/// Registers a client of a provider. Its personal account in the provider's currency starts at
/// zero.
#[utoipa::path(post, path = "/v1/clients", tag = "clients",
    request_body = RegisterClientRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "registered", body = Accepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 422, description = "invalid, or the provider does not exist", body = Problem)))]
pub async fn register_client(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<RegisterClientRequest>,
) -> Result<Response, ApiError> {
    let registered = run_register_client(&state, &command, &request).await?;
    Ok(json_with(
        StatusCode::CREATED,
        &Accepted {
            id: registered.client_id,
            position: registered.position,
        },
        registered.replayed,
    ))
}

/// What `POST /v1/clients` does, and the staff panel's registration form with it: parses the
/// request into domain types, keys it and runs the one use case.
pub async fn run_register_client(
    state: &AppState,
    command: &Command,
    request: &RegisterClientRequest,
) -> Result<crate::usecases::clients::Registered, ApiError> {
    let name = ClientName::parse(&request.name)?;
    let email = Email::parse(&request.email)?;
    let country = Country::parse(&request.country)?;
    let user = request.user.as_ref().map(Into::into);
    let id = Uuid::now_v7();
    let key = command.key(request, id)?;
    let client = crate::usecases::clients::NewClient {
        client_id: id,
        provider_id: request.provider_id,
        name,
        email,
        kind: request.kind,
        country,
        user,
        referral_code: request.referral_code.clone(),
    };
    Ok(crate::usecases::clients::register_client(state, &command.context, key, client).await?)
}

/// Changes a client's details.
#[utoipa::path(patch, path = "/v1/clients/{id}", tag = "clients",
    request_body = UpdateClientRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "updated (or nothing to change)", body = Accepted),
        (status = 403, description = "a client's user asked to change the country or kind (staff do)", body = Problem),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn update_client(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<UpdateClientRequest>,
) -> Result<Response, ApiError> {
    let committed = run_update_client(&state, &command, id, &request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `PATCH /v1/clients/{id}` does, and the staff panel's client form with it: parses the
/// fields given and runs the one use case; answers the last event's position.
pub async fn run_update_client(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &UpdateClientRequest,
) -> Result<eventstore::Committed<domain::client::Client>, ApiError> {
    let change = crate::usecases::clients::ClientChange {
        name: request.name.as_deref().map(ClientName::parse).transpose()?,
        email: request.email.as_deref().map(Email::parse).transpose()?,
        kind: request.kind,
        country: request.country.as_deref().map(Country::parse).transpose()?,
    };
    Ok(crate::usecases::clients::update_client(state, &command.context, id, change).await?)
}

/// `PUT /v1/clients/{id}/billing-details`: both fields as they are to be; `null` clears one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingDetailsRequest {
    /// The VAT identification number: two uppercase letters and 2 to 13 uppercase letters or
    /// digits, such as `DE123456789`.
    #[schema(pattern = "^[A-Z]{2}[A-Z0-9]{2,13}$", example = "DE123456789")]
    pub vat_number: Option<String>,
    /// The postal address as printed on invoices; 1 to 500 characters, newlines allowed.
    #[schema(example = "Hauptstr. 1\n10115 Berlin")]
    pub address: Option<String>,
}

/// Sets the details printed on the client's invoices and used for its taxes.
#[utoipa::path(put, path = "/v1/clients/{id}/billing-details", tag = "clients",
    request_body = BillingDetailsRequest,
    params(("id" = Uuid, Path, description = "the client")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 403, description = "a client's user asked to change the VAT number (staff do)", body = Problem),
        (status = 422, description = "invalid VAT number or address, or the client is deleted", body = Problem)))]
pub async fn set_billing_details(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<BillingDetailsRequest>,
) -> Result<Response, ApiError> {
    let vat_number = request
        .vat_number
        .as_deref()
        .map(VatNumber::parse)
        .transpose()?;
    let committed = crate::usecases::clients::set_billing_details(
        &state,
        &command.context,
        id,
        vat_number,
        request.address,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Deletes a client. Its history stays in the log; it takes no new payments.
#[utoipa::path(delete, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "the client"), DeleteClientParams),
    responses(
        (status = 200, description = "deleted", body = Accepted),
        (status = 404, description = "no such client", body = Problem),
        (status = 422, description = "already deleted, or no reason", body = Problem)))]
pub async fn delete_client(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Query(params): Query<DeleteClientParams>,
) -> Result<Response, ApiError> {
    let committed =
        crate::usecases::clients::delete_client(&state, &command.context, id, params.reason)
            .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Searches clients by a piece of their name or e-mail address, newest last.
#[utoipa::path(get, path = "/v1/clients", tag = "clients",
    params(ListClientsParams),
    responses(
        (status = 200, description = "a page of clients", body = Page<ClientView>),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_clients(
    State(state): State<AppState>,
    visible: Visible,
    Query(params): Query<ListClientsParams>,
) -> Result<Json<Page<ClientView>>, ApiError> {
    state
        .consistent(&[ReadModel::Clients], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    let pattern = params.q.as_deref().map(like_pattern);
    if let Some(status) = params.status.as_deref()
        && !matches!(status, "active" | "inactive" | "merged" | "deleted")
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("status must be active, inactive, merged or deleted, not {status:?}"),
        ));
    }
    let filter = ClientFilter {
        pattern,
        status: params.status,
        group: params.group,
        only: visible.narrow(None),
    };
    let rows = projections::clients::clients(&state.pool, &filter, after, limit + 1).await?;
    let items = rows.into_iter().map(ClientView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &ClientView| crate::http::answer::time_cursor_of(last.created_at, last.id),
    )))
}

/// One client.
#[utoipa::path(get, path = "/v1/clients/{id}", tag = "clients",
    params(("id" = Uuid, Path, description = "the client"), Consistency),
    responses(
        (status = 200, description = "the client", body = ClientView),
        (status = 404, description = "no such client", body = Problem)))]
pub async fn get_client(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<ClientView>, ApiError> {
    state
        .consistent(&[ReadModel::Clients], consistency.min_position)
        .await?;
    projections::clients::client(&state.pool, id)
        .await?
        .map(|row| Json(ClientView::from(row)))
        .ok_or_else(|| ApiError::not_found("client_not_found", format!("no client {id}")))
}
