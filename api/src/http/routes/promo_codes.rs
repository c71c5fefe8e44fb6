//! Promo codes: create, list, read, disable. Orders redeem them (`usecases::services`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{PromoCodeId, ProviderId, TariffId};
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::promo::{Discount, PromoError};
use domain::tariff::ItemType;
use projections::ReadModel;
use projections::promos::PromoCodeRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// What a promo code takes off a price, as the API reads and shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DiscountBody {
    /// A share of the price per period, rounded half away from zero to the cent.
    Percent {
        /// Above 0 and at most 100, with at most 2 decimal places, as a decimal string.
        #[schema(example = "10")]
        percent: String,
    },
    /// A fixed amount off the price per period, never more than the price.
    Fixed {
        /// Above zero, at the currency's scale, as a decimal string.
        #[schema(example = "5.00")]
        amount: String,
        /// ISO 4217 code; orders in other currencies cannot redeem the code.
        #[schema(example = "EUR")]
        currency: String,
    },
}

impl DiscountBody {
    /// The domain's discount; a percent that is no decimal is `invalid_discount`, the rules are
    /// the domain's (`Discount::check`).
    fn parse(&self) -> Result<Discount, ApiError> {
        let discount = match self {
            DiscountBody::Percent { percent } => Discount::Percent {
                // Plain digits only (no `1e1`); the range and the decimal places are the
                // domain's rule (`Discount::check`).
                percent: domain::decimal::parse_plain(percent, 3, 20)
                    .map_err(|_| ApiError::from(PromoError::InvalidDiscount))?,
            },
            DiscountBody::Fixed { amount, currency } => Discount::Fixed {
                amount: Money::parse(amount, Currency::parse(currency)?)?,
            },
        };
        discount.check()?;
        Ok(discount)
    }

    /// The API's shape of a stored discount.
    fn of(discount: &Discount) -> DiscountBody {
        match discount {
            Discount::Percent { percent } => DiscountBody::Percent {
                percent: percent.normalize().to_string(),
            },
            Discount::Fixed { amount } => DiscountBody::Fixed {
                amount: amount.amount().to_string(),
                currency: amount.currency().code().to_owned(),
            },
        }
    }
}

/// What kind of thing a tariff sells, as a promo code's limit names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemTypeName {
    /// A domain name registration.
    Domain,
    /// A shared web hosting plan.
    SharedHosting,
    /// A virtual dedicated server.
    Vds,
    /// A physical server.
    DedicatedServer,
    /// A TLS certificate.
    SslCertificate,
    /// DNS hosting for a zone.
    DnsHosting,
    /// Anything else.
    Other,
}

impl From<ItemTypeName> for ItemType {
    fn from(name: ItemTypeName) -> ItemType {
        match name {
            ItemTypeName::Domain => ItemType::Domain,
            ItemTypeName::SharedHosting => ItemType::SharedHosting,
            ItemTypeName::Vds => ItemType::Vds,
            ItemTypeName::DedicatedServer => ItemType::DedicatedServer,
            ItemTypeName::SslCertificate => ItemType::SslCertificate,
            ItemTypeName::DnsHosting => ItemType::DnsHosting,
            ItemTypeName::Other => ItemType::Other,
        }
    }
}

impl From<ItemType> for ItemTypeName {
    fn from(item_type: ItemType) -> ItemTypeName {
        match item_type {
            ItemType::Domain => ItemTypeName::Domain,
            ItemType::SharedHosting => ItemTypeName::SharedHosting,
            ItemType::Vds => ItemTypeName::Vds,
            ItemType::DedicatedServer => ItemTypeName::DedicatedServer,
            ItemType::SslCertificate => ItemTypeName::SslCertificate,
            ItemType::DnsHosting => ItemTypeName::DnsHosting,
            // A promo code names only the built-in types (the names above), so no other comes
            // back from one.
            _ => ItemTypeName::Other,
        }
    }
}

/// `POST /v1/promo-codes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePromoCodeRequest {
    /// The provider offering the code; its clients redeem it when they order.
    pub provider_id: Uuid,
    /// 3 to 32 characters of `A-Z`, `0-9`, `_` and `-`; lowercase letters are taken as
    /// uppercase.
    #[schema(example = "SPRING25")]
    pub code: String,
    /// What the code takes off the price per period (never off a setup fee).
    pub discount: DiscountBody,
    /// The tariffs the code applies to, at most 200; empty or absent means any.
    #[serde(default)]
    pub tariffs: Vec<Uuid>,
    /// The kinds of item the code applies to; empty or absent means any.
    #[serde(default)]
    pub item_types: Vec<ItemTypeName>,
    /// The billing periods the code applies to (`P1D` or `P<n>M`, n from 1 to 120); empty or
    /// absent means any.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["P1M", "P36M"]))]
    pub periods: Vec<BillingPeriod>,
    /// The first day the code may be redeemed.
    pub valid_from: Option<NaiveDate>,
    /// The last day the code may be redeemed (inclusive).
    pub valid_until: Option<NaiveDate>,
    /// How many services may redeem the code, at least 1; absent means no limit.
    #[schema(minimum = 1)]
    pub max_uses: Option<u32>,
    /// `false` (the default): only a service's first charge is discounted; `true`: every charge.
    #[serde(default)]
    pub recurring: bool,
}

/// A promo code as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PromoCodeView {
    /// Its id, derived from the provider and the code.
    pub id: Uuid,
    /// The provider offering it.
    pub provider_id: Uuid,
    /// What clients type.
    pub code: String,
    /// What it takes off the price per period.
    pub discount: DiscountBody,
    /// The tariffs it applies to; empty means any.
    pub tariffs: Vec<Uuid>,
    /// The kinds of item it applies to; empty means any.
    pub item_types: Vec<ItemTypeName>,
    /// The billing periods it applies to; empty means any.
    #[schema(value_type = Vec<String>)]
    pub periods: Vec<BillingPeriod>,
    /// The first day it may be redeemed.
    pub valid_from: Option<NaiveDate>,
    /// The last day it may be redeemed (inclusive).
    pub valid_until: Option<NaiveDate>,
    /// How many services may redeem it; absent means no limit.
    pub max_uses: Option<i32>,
    /// How many services have redeemed it.
    pub uses: i32,
    /// Whether every charge of a service is discounted, not only the first.
    pub recurring: bool,
    /// Whether it has been disabled.
    pub disabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<PromoCodeRow> for PromoCodeView {
    fn from(row: PromoCodeRow) -> Self {
        PromoCodeView {
            id: row.promo_code_id,
            provider_id: row.provider_id,
            code: row.code,
            discount: DiscountBody::of(&row.discount.0),
            tariffs: row.tariffs.0,
            item_types: row.item_types.0.into_iter().map(Into::into).collect(),
            periods: row.periods.0,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            max_uses: row.max_uses,
            uses: row.uses,
            recurring: row.recurring,
            disabled: row.disabled,
            created_at: row.created_at,
        }
    }
}

/// Creates a promo code. Its id is derived from the provider and the code, so a provider cannot
/// create the same code twice (`409 promo_code_exists`).
#[utoipa::path(post, path = "/v1/promo-codes", tag = "promo codes",
    request_body = CreatePromoCodeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 409, description = "the provider has this code already", body = Problem),
        (status = 422, description = "unknown provider, invalid code, discount or limits", body = Problem)))]
pub async fn create_promo_code(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreatePromoCodeRequest>,
) -> Result<Response, ApiError> {
    let code = crate::http::answer::promo_code(&request.code)?;
    let discount = request.discount.parse()?;
    let id = PromoCodeId::of(ProviderId::from_uuid(request.provider_id), code.as_str());
    let key = command.key(&request, id.as_uuid())?;
    let promo = crate::usecases::catalog::NewPromoCode {
        provider_id: request.provider_id,
        code,
        discount,
        tariffs: request
            .tariffs
            .iter()
            .copied()
            .map(TariffId::from_uuid)
            .collect(),
        item_types: request.item_types.iter().copied().map(Into::into).collect(),
        periods: request.periods.clone(),
        valid_from: request.valid_from,
        valid_until: request.valid_until,
        max_uses: request.max_uses,
        recurring: request.recurring,
    };
    let committed =
        crate::usecases::catalog::create_promo_code(&state, &command.context, key, promo).await?;
    Ok(accepted(id.as_uuid(), &committed))
}

/// Disables a promo code: it can no longer be redeemed. Services that redeemed it keep their
/// discount. Disabling a disabled code changes nothing.
#[utoipa::path(post, path = "/v1/promo-codes/{id}/disable", tag = "promo codes",
    params(("id" = Uuid, Path, description = "the promo code")),
    responses(
        (status = 200, description = "disabled", body = Accepted),
        (status = 404, description = "no such promo code", body = Problem)))]
pub async fn disable_promo_code(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = command.key(&(), id)?;
    let committed =
        crate::usecases::catalog::disable_promo_code(&state, &command.context, key, id).await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// `GET /v1/promo-codes` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPromoCodesParams {
    /// Only this provider's codes.
    pub provider_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// Lists promo codes, oldest first.
#[utoipa::path(get, path = "/v1/promo-codes", tag = "promo codes",
    params(ListPromoCodesParams),
    responses((status = 200, description = "a page of promo codes", body = Page<PromoCodeView>)))]
pub async fn list_promo_codes(
    State(state): State<AppState>,
    Query(params): Query<ListPromoCodesParams>,
) -> Result<Json<Page<PromoCodeView>>, ApiError> {
    state
        .consistent(&[ReadModel::PromoCodes], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::id_cursor(params.after.as_deref())?;
    let rows =
        projections::promos::promo_codes(&state.pool, params.provider_id, after, limit + 1).await?;
    let items = rows.into_iter().map(PromoCodeView::from).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |p: &PromoCodeView| p.id.to_string(),
    )))
}

/// One promo code, with its uses.
#[utoipa::path(get, path = "/v1/promo-codes/{id}", tag = "promo codes",
    params(("id" = Uuid, Path, description = "the promo code"), crate::http::answer::Consistency),
    responses(
        (status = 200, description = "the promo code", body = PromoCodeView),
        (status = 404, description = "no such promo code", body = Problem)))]
pub async fn get_promo_code(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<crate::http::answer::Consistency>,
) -> Result<Json<PromoCodeView>, ApiError> {
    state
        .consistent(&[ReadModel::PromoCodes], consistency.min_position)
        .await?;
    projections::promos::promo_code(&state.pool, id)
        .await?
        .map(|row| Json(PromoCodeView::from(row)))
        .ok_or_else(|| ApiError::not_found("promo_code_not_found", format!("no promo code {id}")))
}
