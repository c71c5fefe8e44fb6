//! The item type directory: `GET /v1/item-types` and `PUT /v1/item-types/{code}` (ADR 15).

use axum::Json;
use axum::extract::State;
use domain::item_type::{ItemType, ItemTypePolicy, ItemTypeSettings, SuspensionRule};
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `PUT /v1/item-types/{code}`: the whole settings of the type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineItemTypeRequest {
    /// The name, such as "Virtual server"; 1 to 200 characters.
    #[schema(example = "Virtual server")]
    pub name: String,
    /// Days a suspended (or ended) service waits before it is deleted, 0 to 3650.
    #[schema(minimum = 0, maximum = 3650, example = 7)]
    pub deletion_delay_days: u32,
    /// What happens once an unpaid service's grace days are over: `suspend` (then deleted after
    /// the delay unless paid), `delete` (closed and deleted at once) or `never` (keeps running).
    #[schema(value_type = String, example = "suspend")]
    pub suspension: SuspensionRule,
    /// Days an unpaid service keeps running after its paid time ended, 0 to 3650.
    #[schema(minimum = 0, maximum = 3650, example = 3)]
    pub grace_days: u32,
    /// Whether a new service renews itself unless its order says otherwise.
    pub auto_prolong: bool,
}

/// One item type with the settings in effect.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemTypeView {
    /// The code tariffs name it by.
    #[schema(example = "vds")]
    pub code: String,
    /// The name.
    pub name: String,
    /// Whether it is one of the seven built-in types.
    pub built_in: bool,
    /// Days before a suspended or ended service is deleted.
    pub deletion_delay_days: u32,
    /// `suspend`, `delete` or `never`.
    #[schema(value_type = String)]
    pub suspension: SuspensionRule,
    /// Days an unpaid service keeps running.
    pub grace_days: u32,
    /// Whether new services renew themselves by default.
    pub auto_prolong: bool,
}

/// Every item type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemTypeList {
    /// The built-in types first, then those staff defined, by code.
    pub items: Vec<ItemTypeView>,
}

/// The answer to `PUT /v1/item-types/{code}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemTypeDefined {
    /// The code.
    pub code: String,
    /// The global position of the command's last event; pass it as `min_position`.
    pub position: i64,
}

/// `GET /v1/item-types` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemTypesParams {
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

fn view(code: ItemType, settings: ItemTypeSettings) -> ItemTypeView {
    let policy = settings.policy;
    ItemTypeView {
        code: code.as_str().to_owned(),
        name: settings.name,
        built_in: code.is_built_in(),
        deletion_delay_days: policy.deletion_delay_days,
        suspension: policy.suspension,
        grace_days: policy.grace_days,
        auto_prolong: policy.auto_prolong,
    }
}

/// Every item type with its lifecycle policy: the seven built in (with today's values until
/// staff change them) and those staff defined.
#[utoipa::path(get, path = "/v1/item-types", tag = "tariffs",
    params(ItemTypesParams),
    responses(
        (status = 200, description = "the directory", body = ItemTypeList),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_item_types(
    State(state): State<AppState>,
    Query(params): Query<ItemTypesParams>,
) -> Result<Json<ItemTypeList>, ApiError> {
    Ok(Json(
        run_list_item_types(&state, params.min_position).await?,
    ))
}

/// What `GET /v1/item-types` answers, for the API and the staff panel's page.
pub(crate) async fn run_list_item_types(
    state: &AppState,
    min_position: Option<i64>,
) -> Result<ItemTypeList, ApiError> {
    state
        .consistent(&[ReadModel::ItemTypes], min_position)
        .await?;
    let items = crate::usecases::item_types::list(state)
        .await?
        .into_iter()
        .map(|(code, settings)| view(code, settings))
        .collect();
    Ok(ItemTypeList { items })
}

/// Creates an item type or replaces its settings. The policy reaches services already sold at
/// their next billing day (grace, suspension rule, deletion delay); the auto-renewal default
/// applies to new orders.
#[utoipa::path(put, path = "/v1/item-types/{code}", tag = "tariffs",
    request_body = DefineItemTypeRequest,
    params(("code" = String, Path, description = "1 to 32 characters of a-z, 0-9 and _", example = "vds")),
    responses(
        (status = 200, description = "defined (or already so)", body = ItemTypeDefined),
        (status = 400, description = "malformed", body = Problem),
        (status = 404, description = "not a valid code", body = Problem),
        (status = 422, description = "an invalid name or number of days", body = Problem)))]
pub async fn define_item_type(
    State(state): State<AppState>,
    command: Command,
    Path(code): Path<String>,
    Body(request): Body<DefineItemTypeRequest>,
) -> Result<Json<ItemTypeDefined>, ApiError> {
    Ok(Json(
        run_define_item_type(&state, &command, &code, request).await?,
    ))
}

/// What `PUT /v1/item-types/{code}` does, for the API and the staff panel's form.
pub(crate) async fn run_define_item_type(
    state: &AppState,
    command: &Command,
    code: &str,
    request: DefineItemTypeRequest,
) -> Result<ItemTypeDefined, ApiError> {
    let code = ItemType::parse(code)
        .map_err(|e| ApiError::not_found("item_type_not_found", e.to_string()))?;
    let settings = ItemTypeSettings {
        name: request.name,
        policy: ItemTypePolicy {
            deletion_delay_days: request.deletion_delay_days,
            suspension: request.suspension,
            grace_days: request.grace_days,
            auto_prolong: request.auto_prolong,
        },
    };
    // A PUT of the whole settings: sending it again records nothing, so it needs no key.
    let committed =
        crate::usecases::item_types::define(state, &command.context, code, settings).await?;
    Ok(ItemTypeDefined {
        code: code.as_str().to_owned(),
        position: committed.position,
    })
}
