//! Services (ordered items): order, read, prolong, suspend, resume, close, change tariff, switch
//! automatic renewal.

use crate::usecases::process::settlement::{self, Charged};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::{
    Account, AccountCommand, AccountError, CreditedCharge, ExpenseDiscount, ExpenseLine,
};
use domain::ids::{AccountId, ClientId, OperationId, PromoCodeId, ServiceId};
use domain::period::BillingPeriod;
use domain::promo::{PromoCode, PromoCommand, PromoError};
use domain::service::{Service, ServiceCommand, ServiceDiscount, SuspendReason};
use domain::tariff::{AddonSelection, OrderSelection, ServiceTerms, Tariff};
use eventstore::{CommandError, CommandKey};
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/clients/{id}/services`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderServiceRequest {
    /// The tariff to order.
    pub tariff_id: Uuid,
    /// `P1D`, `P1M`, `P3M`, `P6M` or `P12M`; the tariff must have a price for it.
    #[schema(value_type = String, example = "P1M")]
    pub period: BillingPeriod,
    /// Add-ons: `[{"code": "ram", "value": 4}, {"code": "backup", "value": true},
    /// {"code": "os", "value": "debian"}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub addons: Vec<AddonSelection>,
    /// Prolong automatically from the personal account at the end of each period (default on).
    #[serde(default = "yes")]
    pub auto_prolong: bool,
    /// A promo code of the client's provider (lowercase letters are taken as uppercase). It is
    /// redeemed with the order: an unknown, disabled, expired, used-up or inapplicable code
    /// refuses the order. Its discount comes off the price per period of the first charge, or
    /// of every charge for a recurring code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "SPRING25")]
    pub promo_code: Option<String>,
}

fn yes() -> bool {
    true
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
    /// Its provisioning operations, newest first (only on `GET /v1/services/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<Vec<OperationView>>,
}

/// A provisioning operation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationView {
    /// Its id.
    pub id: Uuid,
    /// The service.
    pub service_id: Uuid,
    /// The service's client.
    pub client_id: Uuid,
    /// `activate`, `suspend`, `resume` or `delete`.
    pub kind: String,
    /// `pending`, `failed`, `retried` or `done`.
    pub status: String,
    /// Which attempt this is.
    pub attempt: i32,
    /// Why it failed.
    pub reason: Option<String>,
    /// The day it was requested for.
    pub requested_on: NaiveDate,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: Uuid,
    client_id: Uuid,
    provider_id: Uuid,
    tariff_id: Uuid,
    tariff_name: String,
    item_type: String,
    period: String,
    currency: String,
    price_per_period: Decimal,
    terms: serde_json::Value,
    auto_prolong: bool,
    status: String,
    ordered_on: NaiveDate,
    paid_until: Option<NaiveDate>,
    suspend_reason: Option<String>,
    suspended_since: Option<NaiveDate>,
    close_at_period_end: bool,
}

const SERVICE_COLUMNS: &str = "id, client_id, provider_id, tariff_id, tariff_name, item_type, \
     period, currency, price_per_period, terms, auto_prolong, status, ordered_on, paid_until, \
     suspend_reason, suspended_since, close_at_period_end";

fn service_view(row: ServiceRow) -> ServiceView {
    ServiceView {
        id: row.id,
        client_id: row.client_id,
        provider_id: row.provider_id,
        tariff_id: row.tariff_id,
        tariff_name: row.tariff_name,
        item_type: row.item_type,
        period: row.period,
        price_per_period: crate::http::answer::format_amount(row.price_per_period, &row.currency),
        currency: row.currency,
        terms: row.terms,
        auto_prolong: row.auto_prolong,
        status: row.status,
        ordered_on: row.ordered_on,
        paid_until: row.paid_until,
        suspend_reason: row.suspend_reason,
        suspended_since: row.suspended_since,
        close_at_period_end: row.close_at_period_end,
        operations: None,
    }
}

/// The operations columns.
pub const OPERATION_COLUMNS: &str =
    "id, service_id, client_id, kind, status, attempt, reason, requested_on, created_at";

/// A row of `operations`.
pub type OperationRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    i32,
    Option<String>,
    NaiveDate,
    DateTime<Utc>,
);

/// Shapes an operation row.
pub fn operation_view(row: OperationRow) -> OperationView {
    let (id, service_id, client_id, kind, status, attempt, reason, requested_on, created_at) = row;
    OperationView {
        id,
        service_id,
        client_id,
        kind,
        status,
        attempt,
        reason,
        requested_on,
        created_at,
    }
}

/// Prices an order or a change on `tariff_id` for `currency`.
async fn quote(
    state: &AppState,
    tariff_id: Uuid,
    provider: domain::ids::ProviderId,
    period: BillingPeriod,
    currency: domain::money::Currency,
    addons: Vec<AddonSelection>,
) -> Result<ServiceTerms, ApiError> {
    let tariff = state
        .store
        .load::<Tariff>(&tariff_id.to_string())
        .await?
        .aggregate;
    if tariff.provider_id() != Some(provider) {
        return Err(ApiError::unprocessable(
            "tariff_not_found",
            format!("tariff_id: the client's provider has no tariff {tariff_id}"),
        ));
    }
    Ok(tariff.quote(&OrderSelection {
        period,
        currency,
        addons,
    })?)
}

/// Redeems `code` for the service `id` ordered on `terms`, and returns the id the service is
/// ordered under with the discount it keeps.
///
/// The redemption is keyed by the service id (scope `promo`), and with an `Idempotency-Key` also
/// by that key (`idempotency`, the order's own key, moved to a scope of its own): a retried
/// request gets the first request's service id back instead of redeeming the code again, and
/// then finishes that order if the first request stopped after redeeming.
async fn redeem(
    state: &AppState,
    command: &Command,
    idempotency: Option<CommandKey>,
    code: &str,
    provider_id: domain::ids::ProviderId,
    terms: &ServiceTerms,
    id: Uuid,
) -> Result<(Uuid, ServiceDiscount), ApiError> {
    let code = crate::http::routes::promo_codes::parse_code(code)?;
    let promo_id = PromoCodeId::of(provider_id, code.as_str()).to_string();
    let promo = state.store.load::<PromoCode>(&promo_id).await?.aggregate;
    let (Some(discount), Some(recurring), Some(limits)) =
        (promo.discount().cloned(), promo.recurring(), promo.limits())
    else {
        return Err(PromoError::NotFound.into());
    };
    // The service keeps the code's tariff and item-type limits, so that a tariff change can
    // recheck them.
    let (tariffs, item_types) = (limits.tariffs.clone(), limits.item_types.clone());
    let answer = serde_json::json!({ "id": id });
    let mut keys = vec![
        CommandKey::new("promo", id.to_string(), &(&promo_id, id), answer.clone())
            .map_err(|e| ApiError::internal(&e))?,
    ];
    if let Some(key) = idempotency {
        keys.push(CommandKey {
            scope: format!("promo:{}", key.scope),
            answer,
            ..key
        });
    }
    let committed = state
        .store
        .execute::<PromoCode>(
            &promo_id,
            PromoCommand::RedeemPromoCode {
                service_id: ServiceId::from_uuid(id),
                tariff_id: terms.tariff_id,
                item_type: terms.item_type,
                period: terms.period,
                on: state.today(),
                price: terms.price_per_period,
            },
            &command.context,
            &keys,
        )
        .await?;
    let id = committed
        .answer
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(id);
    Ok((
        id,
        ServiceDiscount {
            code: code.as_str().to_owned(),
            discount,
            recurring,
            tariffs,
            item_types,
        },
    ))
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
    let (provider_id, currency) = crate::usecases::clients::trading(&state, client_id).await?;
    let terms = quote(
        &state,
        request.tariff_id,
        provider_id,
        request.period,
        currency,
        request.addons.clone(),
    )
    .await?;
    let mut id = Uuid::now_v7();
    let discount = match &request.promo_code {
        None => None,
        Some(code) => {
            let idempotency = command.key(&request, id)?;
            let (redeemed_for, discount) =
                redeem(&state, &command, idempotency, code, provider_id, &terms, id).await?;
            id = redeemed_for;
            Some(discount)
        }
    };
    let key = command.key(&request, id)?;
    let client = ClientId::from_uuid(client_id);
    let committed = state
        .store
        .execute::<Service>(
            &id.to_string(),
            ServiceCommand::OrderService {
                service_id: ServiceId::from_uuid(id),
                client_id: client,
                provider_id,
                account_id: AccountId::of(client, provider_id, currency),
                terms,
                auto_prolong: request.auto_prolong,
                ordered_on: state.today(),
                discount,
            },
            &command.context,
            key.as_slice(),
        )
        .await?;
    if !committed.replayed {
        // Charge it now if the money is there; the settlement process does it otherwise.
        settlement::charge_due(
            &state.store,
            ServiceId::from_uuid(id),
            state.today(),
            &command.context,
        )
        .await?;
    }
    Ok(accepted(id, &committed))
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
    let service = load(&state, id).await?;
    let Some(due) = service.prolong_period() else {
        return Err(ApiError::unprocessable(
            "service_not_active",
            format!("service {id} cannot be prolonged in its state"),
        ));
    };
    let key = command.key(&(), id)?;
    match settlement::charge_period_keyed(
        &state.store,
        &service,
        ServiceId::from_uuid(id),
        due,
        &command.context,
        key,
    )
    .await?
    {
        Charged::Refused => Err(ApiError::unprocessable(
            "insufficient_funds",
            "the balance and credit limit do not cover the next period",
        )),
        Charged::Charged | Charged::NothingDue => {
            let position = state.store.load::<Service>(&id.to_string()).await?.position;
            Ok(position_answer(id, position))
        }
    }
}

fn position_answer(id: Uuid, position: i64) -> Response {
    use axum::response::IntoResponse;
    (StatusCode::OK, Json(Accepted { id, position })).into_response()
}

async fn load(state: &AppState, id: Uuid) -> Result<Service, ApiError> {
    let service = state
        .store
        .load::<Service>(&id.to_string())
        .await?
        .aggregate;
    if service.status().is_none() {
        return Err(ApiError::not_found(
            "service_not_found",
            format!("no service {id}"),
        ));
    }
    Ok(service)
}

async fn run(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &impl Serialize,
    cmd: ServiceCommand,
) -> Result<Response, ApiError> {
    let key = command.key(request, id)?;
    let committed = state
        .store
        .execute::<Service>(&id.to_string(), cmd, &command.context, key.as_slice())
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
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
    load(&state, id).await?;
    let cmd = ServiceCommand::SuspendService {
        reason: request.reason,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: state.today(),
    };
    run(&state, &command, id, &request, cmd).await
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
    load(&state, id).await?;
    let cmd = ServiceCommand::ResumeService {
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: state.today(),
    };
    run(&state, &command, id, &(), cmd).await
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
    load(&state, id).await?;
    let cmd = ServiceCommand::CloseService {
        at_period_end: request.at_period_end,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: state.today(),
    };
    run(&state, &command, id, &request, cmd).await
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
    let service = load(&state, id).await?;
    let (Some(client_id), Some(provider_id), Some(account_id), Some(terms)) = (
        service.client_id(),
        service.provider_id(),
        service.account_id(),
        service.terms(),
    ) else {
        return Err(ApiError::not_found(
            "service_not_found",
            format!("no service {id}"),
        ));
    };
    let today = state.today();
    let new_terms = quote(
        &state,
        request.tariff_id,
        provider_id,
        terms.period,
        terms.currency(),
        request.addons.clone(),
    )
    .await?;
    // What corrections already gave back of the charge the credit draws on is the account's
    // fact; the service prices the change with it, and the account refuses a credit above it.
    // The charge was made on the service's own account: a moved service changes tariff only
    // from its next period.
    let currency = terms.currency();
    let zero = domain::money::Money::zero(currency);
    let rest = service.quote_tariff_change(&new_terms, today, zero)?;
    let charged_on = state
        .store
        .load::<Account>(&account_id.to_string())
        .await?
        .aggregate;
    let treatment = crate::usecases::process::invoicing::treatment_for_client(
        &state.store,
        provider_id,
        client_id,
    )
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let returned =
        charged_on.returned_of_expense_priced(rest.credited_expense_id, zero, &treatment)?;
    let change = service.quote_tariff_change(&new_terms, today, returned)?;
    let service_id = ServiceId::from_uuid(id);
    let line = |expense_id, amount, what: &str| ExpenseLine {
        expense_id,
        service_id,
        period_start: today,
        period_end: change.period_end,
        amount,
        description: format!("{what}, {today} to {}", change.period_end),
        discount: None,
        tax: None,
    };
    let credit = line(
        change.credit_expense_id,
        change.credit,
        &format!("unused part of {}", terms.tariff_name),
    );
    let charge = ExpenseLine {
        discount: change
            .charge_discount
            .zip(service.discount())
            .map(|(amount, discount)| ExpenseDiscount {
                code: discount.code.clone(),
                list_amount: change.charge_list,
                amount,
            }),
        ..line(
            change.charge_expense_id,
            change.charge,
            &new_terms.tariff_name,
        )
    };
    // The key names this change (the service's next one), so a retry after the account moved the
    // money but before the service recorded the change replays the money instead of moving it
    // again.
    let key = CommandKey::new(
        "tariff-change",
        format!("{id}/{}", change.charge_expense_id),
        &(&request.tariff_id, &credit.amount, &charge.amount),
        serde_json::Value::Null,
    )
    .map_err(|e| ApiError::internal(&e))?;
    let replaced = state
        .store
        .execute::<Account>(
            &account_id.to_string(),
            AccountCommand::ReplaceCharge {
                client_id,
                provider_id,
                credit: credit.clone(),
                charge: charge.clone(),
                treatment,
                credited_charge: Some(CreditedCharge {
                    expense_id: change.credited_expense_id,
                    charged: change.credited_paid,
                }),
            },
            &command.context,
            std::slice::from_ref(&key),
        )
        .await;
    match replaced {
        Ok(_) => {}
        Err(CommandError::Rejected(AccountError::InsufficientFunds { needed, available })) => {
            return Err(ApiError::unprocessable(
                "insufficient_funds",
                format!("the change needs {needed}, the account has {available}"),
            ));
        }
        Err(other) => return Err(other.into()),
    }
    let cmd = ServiceCommand::ChangeTariff {
        new_terms,
        on: today,
        returned,
        credit_expense_id: credit.expense_id,
        charge_expense_id: charge.expense_id,
    };
    run(&state, &command, id, &request, cmd).await
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
    load(&state, id).await?;
    let cmd = ServiceCommand::SetAutoProlong {
        auto_prolong: request.auto_prolong,
    };
    let answer = run(&state, &command, id, &request, cmd).await?;
    if request.auto_prolong {
        settlement::charge_due(
            &state.store,
            ServiceId::from_uuid(id),
            state.today(),
            &command.context,
        )
        .await?;
    }
    Ok(answer)
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
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A client's services, oldest first; with `as_of`, as they were then.
#[utoipa::path(get, path = "/v1/clients/{id}/services", tag = "services",
    params(("id" = Uuid, Path, description = "the client"), ListServicesParams),
    responses((status = 200, description = "the services", body = Page<ServiceView>)))]
pub async fn list_client_services(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(params): Query<ListServicesParams>,
) -> Result<Json<Page<ServiceView>>, ApiError> {
    let as_of = crate::http::answer::as_of(params.as_of.as_deref())?;
    state
        .consistent(&[ReadModel::Services], params.min_position)
        .await?;
    if let Some(as_of) = as_of {
        return services_as_of(&state, client_id, params.status.as_deref(), as_of)
            .await
            .map(Json);
    }
    let rows: Vec<ServiceRow> = sqlx::query_as(&format!(
        "SELECT {SERVICE_COLUMNS} FROM services
          WHERE client_id = $1 AND ($2::text IS NULL OR status = $2)
          ORDER BY created_at, id LIMIT 1000"
    ))
    .bind(client_id)
    .bind(params.status)
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(service_view).collect(),
        next: None,
    }))
}

/// The client's services at `as_of`: the read model names the services ordered by then, and
/// each one's state is folded from its own events up to that moment.
async fn services_as_of(
    state: &AppState,
    client_id: Uuid,
    status: Option<&str>,
    as_of: DateTime<Utc>,
) -> Result<Page<ServiceView>, ApiError> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM services WHERE client_id = $1 AND created_at <= $2
          ORDER BY created_at, id LIMIT 1000",
    )
    .bind(client_id)
    .bind(as_of)
    .fetch_all(&state.pool)
    .await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let service = state
            .store
            .load_as_of::<Service>(&id.to_string(), as_of)
            .await?
            .aggregate;
        let Some(view) = folded_view(id, &service)? else {
            continue;
        };
        if status.is_none_or(|s| s == view.status) {
            items.push(view);
        }
    }
    Ok(Page { items, next: None })
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
        period: terms.period.as_str().to_owned(),
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
        .consistent(&[ReadModel::Services], consistency.min_position)
        .await?;
    let row: Option<ServiceRow> = sqlx::query_as(&format!(
        "SELECT {SERVICE_COLUMNS} FROM services WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    let mut view = row
        .map(service_view)
        .ok_or_else(|| ApiError::not_found("service_not_found", format!("no service {id}")))?;
    let operations: Vec<OperationRow> = sqlx::query_as(&format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE service_id = $1
          ORDER BY created_at DESC, id DESC"
    ))
    .bind(id)
    .fetch_all(&state.pool)
    .await?;
    view.operations = Some(operations.into_iter().map(operation_view).collect());
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
    let service = load(&state, id).await?;
    let client = state
        .store
        .load::<domain::client::Client>(&request.client_id.to_string())
        .await?
        .aggregate;
    if !client.is_registered() {
        return Err(ApiError::unprocessable(
            "client_not_found",
            format!("client_id: no client {}", request.client_id),
        ));
    }
    let (provider_id, currency) =
        crate::usecases::clients::active(&state, request.client_id).await?;
    if service.provider_id() != Some(provider_id) {
        return Err(ApiError::unprocessable(
            "service_of_another_provider",
            format!(
                "client_id: client {} belongs to another provider than the service",
                request.client_id
            ),
        ));
    }
    let to_client = ClientId::from_uuid(request.client_id);
    let key = command.key(&request, id)?;
    let position = crate::usecases::process::merging::transfer_service(
        &state.store,
        ServiceId::from_uuid(id),
        to_client,
        AccountId::of(to_client, provider_id, currency),
        None,
        &command.context,
        key.as_slice(),
    )
    .await?;
    Ok(position_answer(id, position))
}
