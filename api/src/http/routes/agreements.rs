//! Agreements (offers, issue 20.2): `POST /v1/agreements` publishes a version of a tariff's or
//! an item type's agreement, `GET /v1/agreements` and `GET /v1/agreements/{id}` read them, and
//! `GET /v1/tariffs/{id}/agreement` answers the version an order of the tariff must accept.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use domain::agreement::{AgreementScope, AgreementText, AgreementVersion, PublishedAgreement};
use domain::ids::{AgreementId, ProviderId, TariffId};
use domain::item_type::ItemType;
use projections::ReadModel;
use projections::agreements::AgreementRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, accepted};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// The agreement version an order accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedAgreement {
    /// The agreement (`GET /v1/tariffs/{id}/agreement`).
    pub agreement_id: Uuid,
    /// Its version, from 1.
    #[schema(minimum = 1)]
    pub version: u32,
}

impl AcceptedAgreement {
    /// As the domain names it.
    pub fn version(self) -> AgreementVersion {
        AgreementVersion {
            agreement_id: AgreementId::from_uuid(self.agreement_id),
            version: self.version,
        }
    }
}

/// The text of a version in one language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementTextBody {
    /// ISO 639-1, such as `en` or `ru`.
    #[schema(value_type = String, example = "en")]
    pub language: String,
    /// One line, 1 to 200 characters.
    #[schema(example = "Public offer")]
    pub title: String,
    /// 1 to 100,000 characters; line breaks are kept.
    pub body: String,
}

/// `POST /v1/agreements`: publishes the next version of the agreement of a tariff or of an item
/// type (the first creates it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishAgreementRequest {
    /// The provider whose clients accept it.
    pub provider_id: Uuid,
    /// A tariff of the provider; give this or `item_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff_id: Option<Uuid>,
    /// An item type code: the agreement of every tariff of this type that has none of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "vds")]
    pub item_type: Option<String>,
    /// One text per language, 1 to 20 (at least the provider's languages, such as en and ru).
    pub texts: Vec<AgreementTextBody>,
}

/// An agreement's current version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgreementView {
    /// The agreement.
    pub id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// The tariff it covers, for a tariff's agreement.
    pub tariff_id: Option<Uuid>,
    /// The item type it covers, for an item type's agreement.
    pub item_type: Option<String>,
    /// The version an order must accept now.
    pub version: u32,
    /// The day it was published.
    pub published_on: NaiveDate,
    /// The texts, one per language.
    #[schema(value_type = Vec<Object>)]
    pub texts: serde_json::Value,
}

impl From<AgreementRow> for AgreementView {
    fn from(row: AgreementRow) -> Self {
        AgreementView {
            id: row.agreement_id,
            provider_id: row.provider_id,
            tariff_id: row.tariff_id,
            item_type: row.item_type,
            version: u32::try_from(row.version).unwrap_or(0),
            published_on: row.published_on,
            texts: row.texts,
        }
    }
}

impl AgreementView {
    /// The view of an agreement as its aggregate says now.
    pub fn of(published: &PublishedAgreement) -> Result<Self, ApiError> {
        let (tariff_id, item_type) = match published.scope {
            AgreementScope::Tariff { tariff_id } => (Some(tariff_id.as_uuid()), None),
            AgreementScope::ItemType { item_type } => (None, Some(item_type.as_str().to_owned())),
        };
        Ok(AgreementView {
            id: published.agreement_id.as_uuid(),
            provider_id: published.provider_id.as_uuid(),
            tariff_id,
            item_type,
            version: published.version,
            published_on: published.published_on,
            texts: serde_json::to_value(&published.texts).map_err(|e| ApiError::internal(&e))?,
        })
    }
}

/// A provider's agreements.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgreementList {
    /// By id.
    pub items: Vec<AgreementView>,
}

/// `GET /v1/agreements` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementsParams {
    /// Only this provider's.
    pub provider_id: Option<Uuid>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// `GET /v1/agreements/{id}` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementParams {
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The scope and texts of a request, as the domain takes them.
pub(crate) fn parse_publication(
    request: &PublishAgreementRequest,
) -> Result<(AgreementScope, Vec<AgreementText>), ApiError> {
    let scope = match (request.tariff_id, request.item_type.as_deref()) {
        (Some(tariff_id), None) => AgreementScope::Tariff {
            tariff_id: TariffId::from_uuid(tariff_id),
        },
        (None, Some(code)) => AgreementScope::ItemType {
            item_type: ItemType::parse(code).map_err(|e| {
                ApiError::unprocessable("invalid_item_type", format!("item_type: {e}"))
            })?,
        },
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_agreement_scope",
                "give either tariff_id or item_type",
            ));
        }
    };
    let texts = request
        .texts
        .iter()
        .map(|text| {
            Ok(AgreementText {
                language: domain::notice::Language::parse(&text.language).map_err(|e| {
                    ApiError::unprocessable("invalid_language", format!("texts.language: {e}"))
                })?,
                title: text.title.clone(),
                body: text.body.clone(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((scope, texts))
}

/// Publishes the next version of the agreement of a tariff or an item type of a provider. From
/// then on an order it covers must accept this version (`agreement` in the order); orders that
/// accepted an older one are refused with `agreement_outdated`. The same texts as the current
/// version publish nothing.
#[utoipa::path(post, path = "/v1/agreements", tag = "agreements",
    request_body = PublishAgreementRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "published; `id` is the agreement's", body = Accepted),
        (status = 404, description = "no such provider or tariff", body = Problem),
        (status = 422, description = "no texts, two in one language, a bad title or body, an unknown item type", body = Problem)))]
pub async fn publish_agreement(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<PublishAgreementRequest>,
) -> Result<Response, ApiError> {
    let (id, committed) = run_publish_agreement(&state, &command, &request).await?;
    Ok(accepted(id, &committed))
}

/// What `POST /v1/agreements` does, for the API and the staff panel's form.
pub(crate) async fn run_publish_agreement(
    state: &AppState,
    command: &Command,
    request: &PublishAgreementRequest,
) -> Result<(Uuid, eventstore::Committed<domain::agreement::Agreement>), ApiError> {
    let (scope, texts) = parse_publication(request)?;
    let id = scope.agreement_id(ProviderId::from_uuid(request.provider_id));
    let key = command.key(request, id.as_uuid())?;
    let (id, committed) = crate::usecases::agreements::publish(
        state,
        &command.context,
        key,
        request.provider_id,
        scope,
        texts,
    )
    .await?;
    Ok((id.as_uuid(), committed))
}

/// The agreements with their current versions.
#[utoipa::path(get, path = "/v1/agreements", tag = "agreements",
    params(AgreementsParams),
    responses(
        (status = 200, description = "the agreements", body = AgreementList),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_agreements(
    State(state): State<AppState>,
    Query(params): Query<AgreementsParams>,
) -> Result<Json<AgreementList>, ApiError> {
    state
        .consistent(&[ReadModel::Agreements], params.min_position)
        .await?;
    let rows = projections::agreements::list(&state.pool, params.provider_id).await?;
    Ok(Json(AgreementList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// One agreement's current version.
#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "agreements",
    params(("id" = Uuid, Path, description = "the agreement"), AgreementParams),
    responses(
        (status = 200, description = "the agreement", body = AgreementView),
        (status = 404, description = "no such agreement", body = Problem)))]
pub async fn get_agreement(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(params): Query<AgreementParams>,
) -> Result<Json<AgreementView>, ApiError> {
    state
        .consistent(&[ReadModel::Agreements], params.min_position)
        .await?;
    let row = projections::agreements::agreement(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agreement_not_found", format!("no agreement {id}")))?;
    Ok(Json(row.into()))
}

/// The agreement an order of the tariff must accept now (the tariff's own, else its item
/// type's), as its aggregate says: send its `id` and `version` as the order's `agreement`.
#[utoipa::path(get, path = "/v1/tariffs/{id}/agreement", tag = "agreements",
    params(("id" = Uuid, Path, description = "the tariff")),
    responses(
        (status = 200, description = "the agreement to accept", body = AgreementView),
        (status = 404, description = "no such tariff, or no agreement covers it", body = Problem)))]
pub async fn tariff_agreement(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<AgreementView>, ApiError> {
    let published = of_tariff(&state, id).await?.ok_or_else(|| {
        ApiError::not_found(
            "agreement_not_found",
            format!("no agreement covers tariff {id}"),
        )
    })?;
    Ok(Json(AgreementView::of(&published)?))
}

/// The agreement covering orders of the tariff `id`, if one does (for the API and /my).
pub(crate) async fn of_tariff(
    state: &AppState,
    id: Uuid,
) -> Result<Option<PublishedAgreement>, ApiError> {
    let tariff = crate::usecases::catalog::tariff(state, id).await?;
    let (Some(provider), Some(item_type)) = (tariff.provider_id(), tariff.item_type()) else {
        return Err(ApiError::not_found(
            "tariff_not_found",
            format!("no tariff {id}"),
        ));
    };
    Ok(
        crate::usecases::agreements::covering(state, provider, TariffId::from_uuid(id), item_type)
            .await?,
    )
}

/// The agreement version a service's order accepted, from the `agreements` read model.
pub async fn of_service(state: &AppState, id: Uuid) -> Result<Option<AcceptedAgreement>, ApiError> {
    Ok(projections::agreements::acceptance(&state.pool, id)
        .await?
        .map(|row| AcceptedAgreement {
            agreement_id: row.agreement_id,
            version: u32::try_from(row.version).unwrap_or(0),
        }))
}
