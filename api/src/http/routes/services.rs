//! Services (ordered items): order, read, list for staff, prolong, suspend, resume, close, change tariff, switch
//! automatic renewal, move to another client.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::period::BillingPeriod;
use domain::service::{Service, SuspendReason};
use domain::tariff::AddonSelection;
use eventstore::Committed;
use projections::ReadModel;
use projections::clients::Keyset;
use projections::services::{ServiceFilter, ServiceRecord, ServiceSort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{
    Accepted, Consistency, Page, accepted, accepted_with, format_amount, id_cursor, time_cursor,
    time_cursor_of,
};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::routes::agreements::AcceptedAgreement;
use crate::http::routes::domain_contacts::{DomainOrderBody, ServiceDomainView};
use crate::http::state::AppState;
use crate::http::views::OperationView;
use crate::usecases::services as usecase;

/// `POST /v1/clients/{id}/services`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderServiceRequest {
    /// The tariff to order.
    pub tariff_id: Uuid,
    /// `P1D`, or `P<n>M` for n months from 1 to 120; the tariff must have a price for it.
    #[schema(value_type = String, example = "P1M")]
    pub period: BillingPeriod,
    /// Add-ons: `[{"code": "ram", "value": 4}, {"code": "backup", "value": true},
    /// {"code": "os", "value": "debian"}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub addons: Vec<AddonSelection>,
    /// Prolong automatically from the personal account at the end of each period; without it,
    /// as the tariff's item type says (`GET /v1/item-types`; on for the built-in types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_prolong: Option<bool>,
    /// A promo code of the client's provider (lowercase letters are taken as uppercase). It is
    /// redeemed with the order: an unknown, disabled, expired, used-up or inapplicable code
    /// refuses the order. Its discount comes off the price per period of the first charge, or
    /// of every charge for a recurring code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "SPRING25")]
    pub promo_code: Option<String>,
    /// For a tariff of item type `domain`: the domain name and its registrant, admin and tech
    /// contacts, the client's own (`/v1/clients/{id}/domain-contacts`; one may hold several
    /// roles). Another item type takes none. A domain may be ordered without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainOrderBody>,
    /// The agreement (offer) the client accepted: when one covers the tariff
    /// (`GET /v1/tariffs/{id}/agreement`), the order must name its current version, or it is
    /// refused (`agreement_not_accepted`, `agreement_outdated`) and nothing is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AcceptedAgreement>,
}

/// `POST /v1/services/{id}/suspend`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// `staff` or `abuse` (a suspension for lack of money is the billing day's).
    #[schema(value_type = String, example = "abuse")]
    pub reason: SuspendReason,
}

/// `POST /v1/services/{id}/close`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Close at the end of the paid period instead of now.
    #[serde(default)]
    pub at_period_end: bool,
}

/// `POST /v1/services/{id}/change-tariff`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeTariffRequest {
    /// The new tariff, priced for the same period and currency.
    pub tariff_id: Uuid,
    /// The add-ons on the new tariff.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub addons: Vec<AddonSelection>,
}

/// A service as staff and its client see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceView {
    /// Its id.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The tariff it is on.
    pub tariff_id: Uuid,
    /// The tariff's name when ordered.
    pub tariff_name: String,
    /// The kind of item.
    pub item_type: String,
    /// The billing period.
    pub period: String,
    /// The currency it is charged in.
    pub currency: String,
    /// The price per period it was sold at, add-ons included.
    pub price_per_period: String,
    /// The prices frozen into the order.
    #[schema(value_type = Object)]
    pub terms: serde_json::Value,
    /// Whether it prolongs itself.
    pub auto_prolong: bool,
    /// `ordered`, `provisioning`, `active`, `suspended`, `closed` or `deleted`.
    pub status: String,
    /// When it was ordered.
    pub ordered_on: NaiveDate,
    /// The end (exclusive) of the paid time.
    pub paid_until: Option<NaiveDate>,
    /// Why it is suspended.
    pub suspend_reason: Option<String>,
    /// Since when.
    pub suspended_since: Option<NaiveDate>,
    /// Whether it closes at the end of the paid period.
    pub close_at_period_end: bool,
    /// A domain service's domain name and contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<ServiceDomainView>,
    /// The agreement version its order accepted (only on `GET /v1/services/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AcceptedAgreement>,
    /// Its provisioning operations, newest first (only on `GET /v1/services/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<OperationView>>,
}

impl From<ServiceRecord> for ServiceView {
    fn from(row: ServiceRecord) -> Self {
        ServiceView {
            id: row.id,
            client_id: row.client_id,
            provider_id: row.provider_id,
            tariff_id: row.tariff_id,
            tariff_name: row.tariff_name,
            item_type: row.item_type,
            period: row.period,
            price_per_period: format_amount(row.price_per_period, &row.currency),
            currency: row.currency,
            terms: row.terms,
            auto_prolong: row.auto_prolong,
            status: row.status,
            ordered_on: row.ordered_on,
            paid_until: row.paid_until,
            suspend_reason: row.suspend_reason,
            suspended_since: row.suspended_since,
            close_at_period_end: row.close_at_period_end,
            domain: None,
            agreement: None,
            operations: None,
        }
    }
}

/// Orders a service for a client at the tariff's current prices, which the order keeps. It is
/// charged from the personal account right away if the balance (plus credit limit) covers the
/// set-up fee and the first period, and otherwise as soon as a payment does.
///
/// With a `promo_code`, the order is first priced completely, then the code is redeemed (one
/// use), then the service is ordered with the discount; a code that cannot be redeemed refuses
/// the order and nothing is written.
#[utoipa::path(post, path = "/v1/clients/{id}/services", tag = "services",
    request_body = OrderServiceRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "ordered", body = Accepted),
        (status = 404, description = "no such client, or no such promo code", body = Problem),
        (status = 422, description = "archived tariff, period not offered, add-on out of limits; promo code disabled, expired, used up or not applicable", body = Problem)))]
pub async fn order_service(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<OrderServiceRequest>,
) -> Result<Response, ApiError> {
    let (id, committed) = run_order_service(&state, &command, client_id, request).await?;
    Ok(accepted(id, &committed))
}

/// What `POST /v1/clients/{id}/services` does, and the staff panel's order form with it: reads
/// the promo code, keys the order and runs the one use case; answers the service's id.
pub async fn run_order_service(
    state: &AppState,
    command: &Command,
    client_id: Uuid,
    request: OrderServiceRequest,
) -> Result<(Uuid, Committed<Service>), ApiError> {
    let promo_code = request
        .promo_code
        .as_deref()
        .map(crate::http::answer::promo_code)
        .transpose()?;
    let id = Uuid::now_v7();
    let key = command.key(&request, id)?;
    let order = usecase::Order {
        client_id,
        tariff_id: request.tariff_id,
        period: request.period,
        addons: request.addons,
        auto_prolong: request.auto_prolong,
        promo_code,
        domain: request
            .domain
            .as_ref()
            .map(DomainOrderBody::registration)
            .transpose()?,
        accepted_agreement: request.agreement.map(AcceptedAgreement::version),
    };
    Ok(usecase::order_service(state, &command.context, key, id, order).await?)
}

/// Prolongs a service by one period now, charging the personal account.
#[utoipa::path(post, path = "/v1/services/{id}/prolong", tag = "services",
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "prolonged", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "not active, or not enough money", body = Problem)))]
pub async fn prolong_service(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = command.key(&(), id)?;
    let position = usecase::prolong_service(&state, &command.context, key, id).await?;
    Ok(position_answer(id, position))
}

fn position_answer(id: Uuid, position: i64) -> Response {
    (StatusCode::OK, Json(Accepted { id, position })).into_response()
}

/// Suspends a service (staff decision or abuse); the provisioning service carries it out.
#[utoipa::path(post, path = "/v1/services/{id}/suspend", tag = "services",
    request_body = SuspendRequest,
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "suspension requested", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "not active, or an operation is in progress", body = Problem)))]
pub async fn suspend_service(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SuspendRequest>,
) -> Result<Response, ApiError> {
    let committed = run_suspend_service(&state, &command, id, &request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `POST /v1/services/{id}/suspend` does, and the staff panel's suspend button with it.
pub async fn run_suspend_service(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &SuspendRequest,
) -> Result<Committed<Service>, ApiError> {
    let key = command.key(request, id)?;
    Ok(usecase::suspend_service(state, &command.context, key, id, request.reason).await?)
}

/// Resumes a suspended service; one suspended for lack of money resumes by itself when paid.
#[utoipa::path(post, path = "/v1/services/{id}/resume", tag = "services",
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "resumption requested", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "not suspended, closed, or unpaid", body = Problem)))]
pub async fn resume_service(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let committed = run_resume_service(&state, &command, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `POST /v1/services/{id}/resume` does, and the staff panel's resume button with it.
pub async fn run_resume_service(
    state: &AppState,
    command: &Command,
    id: Uuid,
) -> Result<Committed<Service>, ApiError> {
    let key = command.key(&(), id)?;
    Ok(usecase::resume_service(state, &command.context, key, id).await?)
}

/// Closes a service now or at the end of its paid period; it is then deleted.
#[utoipa::path(post, path = "/v1/services/{id}/close", tag = "services",
    request_body = CloseRequest,
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "closed or scheduled", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "already closed", body = Problem)))]
pub async fn close_service(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<CloseRequest>,
) -> Result<Response, ApiError> {
    let committed = run_close_service(&state, &command, id, &request).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What `POST /v1/services/{id}/close` does, and the staff panel's close button with it.
pub async fn run_close_service(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &CloseRequest,
) -> Result<Committed<Service>, ApiError> {
    let key = command.key(request, id)?;
    Ok(usecase::close_service(state, &command.context, key, id, request.at_period_end).await?)
}

/// Moves a service to another tariff today: what was paid for the rest of the period is credited
/// and the new price charged for it, by days (see `Service::quote_tariff_change`).
///
/// The credit is at most what the client actually paid for the remaining days: net of the promo
/// code discount, without the setup fee, and less what corrections already gave back of that
/// charge. The new price keeps the discount the service carries where the code applies (a
/// recurring code; a one-time code within the first period; within the code's tariff limits).
/// Each amount is price × remaining days / days in the period, rounded once to the cent, half
/// away from zero. Changing back and forth never creates money: each change gives back exactly
/// what the previous one charged for the same days.
#[utoipa::path(post, path = "/v1/services/{id}/change-tariff", tag = "services",
    request_body = ChangeTariffRequest,
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "changed", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "not allowed now, or not enough money", body = Problem)))]
pub async fn change_tariff(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ChangeTariffRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let committed = crate::usecases::tariff_changes::change_tariff(
        &state,
        &command.context,
        key,
        id,
        request.tariff_id,
        request.addons,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `PUT /v1/services/{id}/auto-prolong`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoProlongRequest {
    /// Whether the service is charged for each next period by itself.
    pub auto_prolong: bool,
}

/// Switches a service's automatic renewal on or off. A service without it is not charged for a
/// next period (neither by the billing day nor when money arrives) and ends with its paid time:
/// it is closed then, and deleted after its item type's delay, unless the client prolongs it
/// before. Switched on for a service suspended for non-payment, it is charged at once if the
/// money is there.
#[utoipa::path(put, path = "/v1/services/{id}/auto-prolong", tag = "services",
    request_body = AutoProlongRequest,
    params(("id" = Uuid, Path, description = "the service")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "the service is closed", body = Problem)))]
pub async fn set_auto_prolong(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<AutoProlongRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let committed =
        usecase::set_auto_prolong(&state, &command.context, key, id, request.auto_prolong).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `GET /v1/clients/{id}/services` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListServicesParams {
    /// Only services in this status.
    pub status: Option<String>,
    /// The services as they were at this moment (RFC 3339), each folded from its events that
    /// occurred by then; the current read model when absent.
    #[param(value_type = Option<String>, format = DateTime, example = "2027-01-01T09:00:00Z")]
    pub as_of: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A client's services, oldest first, a page at a time; with `as_of`, as they were then.
#[utoipa::path(get, path = "/v1/clients/{id}/services", tag = "services",
    params(("id" = Uuid, Path, description = "the client"), ListServicesParams),
    responses((status = 200, description = "the services", body = Page<ServiceView>)))]
pub async fn list_client_services(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ListServicesParams>,
) -> Result<Json<Page<ServiceView>>, ApiError> {
    let as_of = crate::http::answer::as_of(params.as_of.as_deref())?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = time_cursor(params.after.as_deref())?;
    state
        .consistent(&[ReadModel::Services], params.min_position)
        .await?;
    if let Some(as_of) = as_of {
        let (services, next) =
            usecase::services_as_of(&state, client_id, as_of, after, limit).await?;
        let mut items = Vec::with_capacity(services.len());
        for (id, service) in services {
            let Some(view) = folded_view(id, &service)? else {
                continue;
            };
            if params.status.as_deref().is_none_or(|s| s == view.status) {
                items.push(view);
            }
        }
        let next = next.map(|(at, id)| time_cursor_of(at, id));
        return Ok(Json(Page { items, next }));
    }
    let rows = projections::services::of_client(
        &state.pool,
        client_id,
        params.status.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let page = crate::http::answer::page(rows, limit, |last: &ServiceRecord| {
        time_cursor_of(last.created_at, last.id)
    });
    Ok(Json(Page {
        items: page.items.into_iter().map(ServiceView::from).collect(),
        next: page.next,
    }))
}

/// The statuses of a service, as the domain names them (`ServiceStatus`).
pub(crate) const STATUSES: [&str; 6] = [
    "ordered",
    "provisioning",
    "active",
    "suspended",
    "closed",
    "deleted",
];

/// The item types of a tariff, as the domain names them (`ItemType`).
pub(crate) const ITEM_TYPES: [&str; 7] = [
    "domain",
    "shared_hosting",
    "vds",
    "dedicated_server",
    "ssl_certificate",
    "dns_hosting",
    "other",
];

/// `GET /v1/services` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAllServicesParams {
    /// Only services in this status.
    #[param(pattern = "^(ordered|provisioning|active|suspended|closed|deleted)$")]
    pub status: Option<String>,
    /// Only services of this item type.
    #[param(
        pattern = "^(domain|shared_hosting|vds|dedicated_server|ssl_certificate|dns_hosting|other)$"
    )]
    pub item_type: Option<String>,
    /// Only this client's services.
    pub client_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The filter of a list of services from its parameters: a status and an item type must be
/// ones the domain knows (a 400 problem otherwise); empty is all.
pub(crate) fn service_filter(
    status: Option<&str>,
    item_type: Option<&str>,
    client_id: Option<Uuid>,
) -> Result<ServiceFilter, ApiError> {
    let one_of =
        |name: &str, value: Option<&str>, known: &[&str]| match value.filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) if known.contains(&v) => Ok(Some(v.to_owned())),
            Some(v) => Err(ApiError::bad_request(
                "invalid_query",
                format!("{name}: expected one of {}, not {v:?}", known.join(", ")),
            )),
        };
    Ok(ServiceFilter {
        status: one_of("status", status, &STATUSES)?,
        item_type: one_of("item_type", item_type, &ITEM_TYPES)?,
        client_id,
    })
}

/// What `GET /v1/services` reads, and the staff panel's list of services with it (in the
/// panel's sort, in both directions): up to `limit` services matching `filter` on the page
/// `keyset` names.
pub(crate) async fn run_list_services(
    state: &AppState,
    filter: &ServiceFilter,
    sort: ServiceSort,
    keyset: Keyset,
    limit: i64,
) -> Result<Vec<ServiceRecord>, ApiError> {
    Ok(projections::services::page_sorted(&state.pool, filter, sort, keyset, limit).await?)
}

/// Every client's services, the newest ordered first, a page at a time, for staff; narrowed by
/// status, item type and client.
#[utoipa::path(get, path = "/v1/services", tag = "services",
    params(ListAllServicesParams),
    responses(
        (status = 200, description = "the services", body = Page<ServiceView>),
        (status = 400, description = "an unknown status or item type, a bad cursor or limit", body = Problem)))]
pub async fn list_services(
    State(state): State<AppState>,
    Query(params): Query<ListAllServicesParams>,
) -> Result<Json<Page<ServiceView>>, ApiError> {
    let filter = service_filter(
        params.status.as_deref(),
        params.item_type.as_deref(),
        params.client_id,
    )?;
    let limit = crate::http::answer::limit(params.limit)?;
    let keyset = id_cursor(params.after.as_deref())?.map_or(Keyset::First, Keyset::After);
    state
        .consistent(&[ReadModel::Services], params.min_position)
        .await?;
    let rows = run_list_services(&state, &filter, ServiceSort::Newest, keyset, limit + 1).await?;
    let page = crate::http::answer::page(rows, limit, |last: &ServiceRecord| last.id.to_string());
    Ok(Json(Page {
        items: page.items.into_iter().map(ServiceView::from).collect(),
        next: page.next,
    }))
}

/// A service's view from its folded state, shaped as the read model shows it.
fn folded_view(id: Uuid, service: &Service) -> Result<Option<ServiceView>, ApiError> {
    let (Some(client_id), Some(provider_id), Some(terms), Some(status), Some(ordered_on)) = (
        service.client_id(),
        service.provider_id(),
        service.terms(),
        service.status(),
        service.ordered_on(),
    ) else {
        return Ok(None);
    };
    let currency = terms.currency().code().to_owned();
    Ok(Some(ServiceView {
        id,
        client_id: client_id.as_uuid(),
        provider_id: provider_id.as_uuid(),
        tariff_id: terms.tariff_id.as_uuid(),
        tariff_name: terms.tariff_name.clone(),
        item_type: terms.item_type.as_str().to_owned(),
        period: terms.period.to_string(),
        price_per_period: crate::http::answer::format_amount(
            terms.price_per_period.amount(),
            &currency,
        ),
        currency,
        terms: serde_json::to_value(terms).map_err(|e| ApiError::internal(&e))?,
        auto_prolong: service.auto_prolong(),
        status: status.as_str().to_owned(),
        ordered_on,
        paid_until: service.paid_until(),
        suspend_reason: service
            .suspension()
            .map(|(reason, _)| projections::services::reason_name(reason).to_owned()),
        suspended_since: service.suspension().map(|(_, since)| since),
        close_at_period_end: service.close_at_period_end(),
        domain: service.domain().map(ServiceDomainView::from),
        agreement: None,
        operations: None,
    }))
}

/// One service with its operations.
#[utoipa::path(get, path = "/v1/services/{id}", tag = "services",
    params(("id" = Uuid, Path, description = "the service"), Consistency),
    responses(
        (status = 200, description = "the service", body = ServiceView),
        (status = 404, description = "no such service", body = Problem)))]
pub async fn get_service(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<ServiceView>, ApiError> {
    state
        .consistent(
            &[
                ReadModel::Services,
                ReadModel::DomainContacts,
                ReadModel::Agreements,
            ],
            consistency.min_position,
        )
        .await?;
    let (service, operations) = projections::services::service_with_operations(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("service_not_found", format!("no service {id}")))?;
    let mut view = ServiceView::from(service);
    view.operations = Some(operations.into_iter().map(Into::into).collect());
    view.domain = crate::http::routes::domain_contacts::of_service(&state, id).await?;
    view.agreement = crate::http::routes::agreements::of_service(&state, id).await?;
    Ok(Json(view))
}

/// `POST /v1/services/{id}/transfer`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferServiceRequest {
    /// The new owner: a client of the service's provider that is neither merged nor deleted.
    pub client_id: Uuid,
}

/// Moves a service to another client of the same provider (BILLmanager's "clone items"). Its
/// past expenses stay on the old owner's account and statement; its next charges go to the new
/// owner's account. Moving it to the client that owns it changes nothing.
#[utoipa::path(post, path = "/v1/services/{id}/transfer", tag = "services",
    request_body = TransferServiceRequest,
    params(("id" = Uuid, Path, description = "the service"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "moved (or already the client's)", body = Accepted),
        (status = 404, description = "no such service", body = Problem),
        (status = 422, description = "no such client, a client of another provider, merged or deleted, or the service is deleted", body = Problem)))]
pub async fn transfer_service(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<TransferServiceRequest>,
) -> Result<Response, ApiError> {
    let position = run_transfer_service(&state, &command, id, &request).await?;
    Ok(position_answer(id, position))
}

/// What `POST /v1/services/{id}/transfer` does, and the staff panel's transfer form with it;
/// answers the position of the last event written.
pub async fn run_transfer_service(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &TransferServiceRequest,
) -> Result<i64, ApiError> {
    let key = command.key(request, id)?;
    Ok(usecase::transfer_service(state, &command.context, key, id, request.client_id).await?)
}
