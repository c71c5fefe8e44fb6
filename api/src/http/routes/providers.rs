//! Providers: the hosting businesses whose money this core keeps.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::ids::ProviderId;
use domain::money::Currency;
use projections::ReadModel;
use projections::clients::ProviderRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, accepted};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Query};
use crate::http::state::AppState;

/// `POST /v1/providers`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProviderRequest {
    /// The provider's name.
    pub name: String,
    /// The ISO 4217 currency its personal accounts keep, such as `EUR`.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
}

/// A provider as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its currency.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<ProviderRow> for ProviderView {
    fn from(row: ProviderRow) -> Self {
        ProviderView {
            id: row.id,
            name: row.name,
            currency: row.currency,
            created_at: row.created_at,
        }
    }
}

/// Creates a provider.
#[utoipa::path(post, path = "/v1/providers", tag = "providers",
    request_body = CreateProviderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn create_provider(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreateProviderRequest>,
) -> Result<Response, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let committed = crate::usecases::providers::create_provider(
        &state,
        &command.context,
        key,
        ProviderId::from_uuid(id),
        request.name,
        currency,
    )
    .await?;
    Ok(accepted(id, &committed))
}

/// Lists providers.
#[utoipa::path(get, path = "/v1/providers", tag = "providers",
    params(Consistency),
    responses((status = 200, description = "the providers", body = Vec<ProviderView>)))]
pub async fn list_providers(
    State(state): State<AppState>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<Vec<ProviderView>>, ApiError> {
    state
        .consistent(&[ReadModel::Providers], consistency.min_position)
        .await?;
    let rows = projections::clients::providers(&state.pool).await?;
    Ok(Json(rows.into_iter().map(ProviderView::from).collect()))
}
