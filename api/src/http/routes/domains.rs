//! Domains (issue 20.4): staff set the prices of a top-level domain (`PUT /v1/tlds/{tld}`,
//! `GET /v1/tlds`); a client orders a domain (`POST /v1/clients/{id}/domains`) and lists its
//! own; staff renew one (`POST /v1/domains/{id}/renew`); the registrar polls the operations
//! (`GET /v1/domain-operations`) and answers each (`POST /v1/domains/{id}/registrar-answer`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::contact::{DomainContacts, DomainName};
use domain::domains::RegistrarAnswer;
use domain::ids::ContactId;
use domain::money::{Currency, Money};
use domain::tld::{RegistrarOperationKind, TldName, TldPrice};
use projections::ReadModel;
use projections::domains::{DomainOperationRow, DomainRow, TldRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::domains as usecase;

/// The most price lines of one TLD: one per number of years.
const PRICE_LINES_MAX: usize = 10;

/// The prices of one number of years, amounts as decimal strings in the TLD's currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TldPriceBody {
    /// 1 to 10.
    #[schema(minimum = 1, maximum = 10)]
    pub years: u32,
    /// Registering for that many years.
    #[schema(example = "10.00")]
    pub register: String,
    /// Renewing for that many years.
    #[schema(example = "12.00")]
    pub renew: String,
    /// A transfer adding that many years.
    #[schema(example = "8.00")]
    pub transfer: String,
}

/// `PUT /v1/tlds/{tld}`: the prices of a TLD at a provider in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTldPricesRequest {
    /// The provider selling it.
    pub provider_id: Uuid,
    /// ISO 4217.
    #[schema(example = "EUR")]
    pub currency: String,
    /// One line per number of years, 1 to 10 lines.
    pub prices: Vec<TldPriceBody>,
}

/// A TLD's prices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TldView {
    /// The TLD, without its dot.
    pub tld: String,
    /// The provider.
    pub provider_id: Uuid,
    /// The currency.
    pub currency: String,
    /// The lines by years.
    pub prices: Vec<TldPriceBody>,
}

impl TldView {
    fn of(row: TldRow) -> Result<Self, ApiError> {
        let lines: Vec<TldPrice> =
            serde_json::from_value(row.prices).map_err(|e| ApiError::internal(&e))?;
        Ok(TldView {
            tld: row.tld,
            provider_id: row.provider_id,
            currency: row.currency,
            prices: lines
                .into_iter()
                .map(|line| TldPriceBody {
                    years: line.years,
                    register: line.register.amount().to_string(),
                    renew: line.renew.amount().to_string(),
                    transfer: line.transfer.amount().to_string(),
                })
                .collect(),
        })
    }
}

/// The TLDs on sale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TldList {
    /// By provider, TLD and currency.
    pub items: Vec<TldView>,
}

/// `GET /v1/tlds` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TldsParams {
    /// Only this provider's.
    pub provider_id: Option<Uuid>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

fn tld_name(text: &str) -> Result<TldName, ApiError> {
    TldName::parse(text).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))
}

/// Sets the prices of a top-level domain at a provider in one currency (the first call puts it
/// on sale); orders and renewals are charged at them from then on. The same prices record
/// nothing.
#[utoipa::path(put, path = "/v1/tlds/{tld}", tag = "domains",
    request_body = SetTldPricesRequest,
    params(("tld" = String, Path, description = "the TLD without its dot, such as com"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "set; `id` is the TLD prices'", body = Accepted),
        (status = 404, description = "no such provider", body = Problem),
        (status = 422, description = "a bad TLD, currency, amount or number of years", body = Problem)))]
pub async fn set_tld_prices(
    State(state): State<AppState>,
    command: Command,
    Path(tld): Path<String>,
    Body(request): Body<SetTldPricesRequest>,
) -> Result<Response, ApiError> {
    let tld = tld_name(&tld)?;
    let currency = Currency::parse(&request.currency)
        .map_err(|e| ApiError::unprocessable("invalid_currency", format!("currency: {e}")))?;
    if request.prices.len() > PRICE_LINES_MAX {
        return Err(ApiError::unprocessable(
            "too_many_prices",
            "prices: at most 10 lines, one per number of years",
        ));
    }
    let amount = |field: &str, text: &str| {
        Money::parse(text, currency)
            .map_err(|e| ApiError::unprocessable("invalid_amount", format!("prices.{field}: {e}")))
    };
    let prices = request
        .prices
        .iter()
        .map(|line| {
            Ok(TldPrice {
                years: line.years,
                register: amount("register", &line.register)?,
                renew: amount("renew", &line.renew)?,
                transfer: amount("transfer", &line.transfer)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let id = domain::ids::TldId::of(
        domain::ids::ProviderId::from_uuid(request.provider_id),
        &tld,
        currency,
    );
    let key = command.key(&(&tld, &request), id.as_uuid())?;
    let (id, committed) = usecase::set_tld_prices(
        &state,
        &command.context,
        key,
        request.provider_id,
        tld,
        currency,
        prices,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id.as_uuid(), &committed))
}

/// The TLDs on sale with their prices.
#[utoipa::path(get, path = "/v1/tlds", tag = "domains",
    params(TldsParams),
    responses(
        (status = 200, description = "the TLDs", body = TldList),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_tlds(
    State(state): State<AppState>,
    Query(params): Query<TldsParams>,
) -> Result<Json<TldList>, ApiError> {
    state
        .consistent(&[ReadModel::Domains], params.min_position)
        .await?;
    let rows = projections::domains::tlds(&state.pool, params.provider_id).await?;
    Ok(Json(TldList {
        items: rows
            .into_iter()
            .map(TldView::of)
            .collect::<Result<_, _>>()?,
    }))
}

/// The contacts of an order by role: ids of the client's domain contacts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsBody {
    /// The owner of the domain.
    pub registrant: Uuid,
    /// The administrative contact.
    pub admin: Uuid,
    /// The technical contact.
    pub tech: Uuid,
}

/// `POST /v1/clients/{id}/domains`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderDomainRequest {
    /// The caller's id for the domain, so that a retry names the same one; the server makes one
    /// if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_id: Option<Uuid>,
    /// The domain name, one label under the TLD, such as `example.com`.
    #[schema(example = "example.com")]
    pub name: String,
    /// The TLD, such as `com`.
    #[schema(example = "com")]
    pub tld: String,
    /// 1 to 10.
    #[schema(minimum = 1, maximum = 10)]
    pub years: u32,
    /// `register` or `transfer`.
    #[schema(example = "register")]
    pub operation: String,
    /// The contacts by role.
    pub contacts: ContactsBody,
    /// Whether the billing day renews it 30 days before its expiry (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
}

/// Orders a domain for a client: charged at once at the TLD's price (refused for want of money,
/// writing nothing), then the registration or transfer waits for the registrar's answer.
#[utoipa::path(post, path = "/v1/clients/{id}/domains", tag = "domains",
    request_body = OrderDomainRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "ordered; `id` is the domain's", body = Accepted),
        (status = 404, description = "no such client, contact, or TLD price", body = Problem),
        (status = 409, description = "a domain with this id exists", body = Problem),
        (status = 422, description = "a bad name, TLD, operation or years, or not enough money", body = Problem)))]
pub async fn order_domain(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<OrderDomainRequest>,
) -> Result<Response, ApiError> {
    let name = DomainName::parse(&request.name).map_err(|_| {
        ApiError::unprocessable(
            "invalid_domain_name",
            "name: not a domain name such as example.com",
        )
    })?;
    let tld = tld_name(&request.tld)?;
    let kind = match RegistrarOperationKind::parse(&request.operation) {
        Ok(kind @ (RegistrarOperationKind::Register | RegistrarOperationKind::Transfer)) => kind,
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_operation",
                "operation: must be register or transfer",
            ));
        }
    };
    let id = request.domain_id.unwrap_or_else(Uuid::now_v7);
    let key = command.key(&request, id)?;
    let order = usecase::DomainOrder {
        client_id,
        domain_id: id,
        name,
        tld,
        years: request.years,
        kind,
        contacts: DomainContacts {
            registrant: ContactId::from_uuid(request.contacts.registrant),
            admin: ContactId::from_uuid(request.contacts.admin),
            tech: ContactId::from_uuid(request.contacts.tech),
        },
        auto_renew: request.auto_renew.unwrap_or(true),
    };
    let committed = usecase::order_domain(&state, &command.context, key, order).await?;
    Ok(accepted(id, &committed))
}

/// A domain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DomainView {
    /// Its id.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The name.
    pub name: String,
    /// The TLD.
    pub tld: String,
    /// `pending`, `active`, `failed` or `expired`.
    pub status: String,
    /// Whether the billing day renews it.
    pub auto_renew: bool,
    /// The expiry the registrar answered last.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was ordered.
    pub ordered_at: DateTime<Utc>,
}

impl From<DomainRow> for DomainView {
    fn from(row: DomainRow) -> Self {
        DomainView {
            id: row.domain_id,
            client_id: row.client_id,
            provider_id: row.provider_id,
            name: row.name,
            tld: row.tld,
            status: row.status,
            auto_renew: row.auto_renew,
            expires_at: row.expires_at,
            ordered_at: row.ordered_at,
        }
    }
}

/// `GET /v1/clients/{id}/domains` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDomainsParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A client's domains.
#[utoipa::path(get, path = "/v1/clients/{id}/domains", tag = "domains",
    params(("id" = Uuid, Path, description = "the client"), ListDomainsParams),
    responses((status = 200, description = "the domains", body = Page<DomainView>)))]
pub async fn list_client_domains(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ListDomainsParams>,
) -> Result<Json<Page<DomainView>>, ApiError> {
    state
        .consistent(&[ReadModel::Domains], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows = projections::domains::of_client(&state.pool, client_id, after, limit + 1).await?;
    let items = rows.into_iter().map(DomainView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |d: &DomainView| d.id.to_string(),
    )))
}

/// A registrar operation with the contacts it sends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DomainOperationView {
    /// Its id: what the registrar answers.
    pub id: Uuid,
    /// The domain.
    pub domain_id: Uuid,
    /// The domain's name.
    pub name: String,
    /// `register`, `transfer` or `renew`.
    pub kind: String,
    /// How many years.
    pub years: i32,
    /// `pending`, `done` or `failed`.
    pub status: String,
    /// The price charged, before tax.
    #[schema(example = "10.00")]
    pub price: String,
    /// Its currency.
    pub currency: String,
    /// The contacts by role (registrant, admin, tech), each with its details as they were
    /// when the operation was asked.
    #[schema(value_type = Object)]
    pub contacts: serde_json::Value,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// When the registrar answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// The expiry the registrar answered.
    pub expires_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub reason: Option<String>,
}

impl From<DomainOperationRow> for DomainOperationView {
    fn from(row: DomainOperationRow) -> Self {
        DomainOperationView {
            id: row.operation_id,
            domain_id: row.domain_id,
            name: row.name,
            kind: row.kind,
            years: row.years,
            status: row.status,
            price: row.price.to_string(),
            currency: row.currency,
            contacts: row.contacts,
            requested_at: row.requested_at,
            answered_at: row.answered_at,
            expires_at: row.expires_at,
            reason: row.reason,
        }
    }
}

/// A domain with its registrar operations.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DomainDetail {
    /// The domain.
    #[serde(flatten)]
    pub domain: DomainView,
    /// Its operations, oldest first (at most 500).
    pub operations: Vec<DomainOperationView>,
}

/// A domain and its registrar operations.
#[utoipa::path(get, path = "/v1/domains/{id}", tag = "domains",
    params(("id" = Uuid, Path, description = "the domain"), Consistency),
    responses(
        (status = 200, description = "the domain", body = DomainDetail),
        (status = 404, description = "no such domain", body = Problem)))]
pub async fn get_domain(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<DomainDetail>, ApiError> {
    state
        .consistent(&[ReadModel::Domains], consistency.min_position)
        .await?;
    let Some(row) = projections::domains::one(&state.pool, id).await? else {
        return Err(ApiError::not_found(
            "domain_not_found",
            format!("no domain {id}"),
        ));
    };
    let operations =
        projections::domains::operations(&state.pool, None, Some(id), None, 500).await?;
    Ok(Json(DomainDetail {
        domain: row.into(),
        operations: operations.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /v1/domains/{id}/renew`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewDomainRequest {
    /// 1 to 10; the domain may not reach more than 10 years ahead.
    #[schema(minimum = 1, maximum = 10)]
    pub years: u32,
}

/// Renews an active domain at the TLD's renewal price, charged at once; the registrar is asked
/// with the domain's contacts and answers the new expiry.
#[utoipa::path(post, path = "/v1/domains/{id}/renew", tag = "domains",
    request_body = RenewDomainRequest,
    params(("id" = Uuid, Path, description = "the domain"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "asked; `id` is the domain's", body = Accepted),
        (status = 404, description = "no such domain, or the TLD is not renewed for that long", body = Problem),
        (status = 409, description = "an operation waits for the registrar", body = Problem),
        (status = 422, description = "not active, bad years, too far ahead, or not enough money", body = Problem)))]
pub async fn renew_domain(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<RenewDomainRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, id)?;
    let committed =
        usecase::renew_domain(&state, &command.context, key, id, request.years, false).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `POST /v1/domains/{id}/registrar-answer`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrarAnswerRequest {
    /// The operation answered.
    pub operation_id: Uuid,
    /// `ok` or `failed`.
    #[schema(example = "ok")]
    pub result: String,
    /// With `ok`: the expiry the registry now holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// With `failed`: why, 1 to 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The registrar answers an operation: `ok` with the expiry it holds (kept as it is), or
/// `failed` with a reason, which gives the operation's charge back to the client's balance.
#[utoipa::path(post, path = "/v1/domains/{id}/registrar-answer", tag = "domains",
    request_body = RegistrarAnswerRequest,
    params(("id" = Uuid, Path, description = "the domain"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "recorded; `id` is the operation's", body = Accepted),
        (status = 404, description = "no such domain or operation", body = Problem),
        (status = 409, description = "the operation was answered otherwise", body = Problem),
        (status = 422, description = "a bad result, or its expiry or reason missing", body = Problem)))]
pub async fn registrar_answer(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<RegistrarAnswerRequest>,
) -> Result<Response, ApiError> {
    let answer = match (request.result.as_str(), request.expires_at, &request.reason) {
        ("ok", Some(expires_at), None) => RegistrarAnswer::Done { expires_at },
        ("failed", None, Some(reason)) => RegistrarAnswer::Failed {
            reason: reason.clone(),
        },
        ("ok", _, _) => {
            return Err(ApiError::unprocessable(
                "invalid_answer",
                "expires_at: an ok answer gives the expiry, and no reason",
            ));
        }
        ("failed", _, _) => {
            return Err(ApiError::unprocessable(
                "invalid_answer",
                "reason: a failed answer gives the reason, and no expiry",
            ));
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_answer",
                "result: must be ok or failed",
            ));
        }
    };
    let key = command.key(&request, request.operation_id)?;
    let committed = usecase::record_answer(
        &state,
        &command.context,
        key,
        id,
        request.operation_id,
        answer,
    )
    .await?;
    Ok(accepted_with(
        StatusCode::OK,
        request.operation_id,
        &committed,
    ))
}

/// `GET /v1/domain-operations` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListDomainOperationsParams {
    /// `pending`, `done` or `failed`.
    pub status: Option<String>,
    /// Only this domain's.
    pub domain_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The registrar operations, oldest first: what the registrar polls (`?status=pending`), each
/// with the contacts to send.
#[utoipa::path(get, path = "/v1/domain-operations", tag = "domains",
    params(ListDomainOperationsParams),
    responses(
        (status = 200, description = "a page of operations", body = Page<DomainOperationView>),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_domain_operations(
    State(state): State<AppState>,
    Query(params): Query<ListDomainOperationsParams>,
) -> Result<Json<Page<DomainOperationView>>, ApiError> {
    state
        .consistent(&[ReadModel::Domains], params.min_position)
        .await?;
    if let Some(status) = params.status.as_deref()
        && !["pending", "done", "failed"].contains(&status)
    {
        return Err(ApiError::unprocessable(
            "invalid_status",
            "status: must be pending, done or failed",
        ));
    }
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows = projections::domains::operations(
        &state.pool,
        params.status.as_deref(),
        params.domain_id,
        after,
        limit + 1,
    )
    .await?;
    let items = rows.into_iter().map(DomainOperationView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |o: &DomainOperationView| o.id.to_string(),
    )))
}
