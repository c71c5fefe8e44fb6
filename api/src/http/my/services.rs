//! The client's services (`/my/services` and `/my/services/{id}`): status, tariff, period,
//! paid-until, automatic renewal and add-ons, and what the user may do with one, as the
//! service's status (`ServiceStatus::allowed_actions` and the service's own periods) and the
//! user's roles allow: prolong by a period (its price shown), change tariff (the prorated quote
//! shown before confirming, from `usecases::tariff_changes::plan_tariff_change`, which the change
//! itself runs), close at the end of the paid period, switch automatic renewal. Each action runs
//! the API route's use case under the form's idempotency key.
//!
//! A domain service also shows its domain name and contacts, and changes them
//! (`domain_contacts`).

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::service::{Service, ServiceAction, ServiceStatus};
use uuid::Uuid;

use super::shop::{
    Fields, QuotedAddon, addons_of, field, form_command, key_of, refusal, shown, tariff_of,
};
use super::{Session, failed, forbidden, may_open, not_found, permitted, posted};
use crate::http::error::ApiError;
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;
use crate::usecases::services as usecase;

/// The API route whose rule lets a user see a client's services.
const LIST: &str = "/v1/clients/{id}/services";

struct ServiceLine {
    id: String,
    name: String,
    item_type: String,
    status: String,
    period: String,
    price: String,
    paid_until: String,
    auto_prolong: bool,
    closing: bool,
}

#[derive(Template)]
#[template(path = "my/services.html")]
struct ServicesPage {
    layout: Layout,
    services: Vec<ServiceLine>,
    may_order: bool,
}

/// `GET /my/services`.
pub(super) async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, LIST).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let rows = match projections::services::of_client(
        &state.pool,
        session.client_id.as_uuid(),
        None,
        None,
        500,
    )
    .await
    {
        Ok(rows) => rows,
        Err(error) => return failed(Some(&session), error.into()),
    };
    let services = rows
        .into_iter()
        .map(|s| ServiceLine {
            id: s.id.to_string(),
            price: session.lang.money(s.price_per_period, &s.currency),
            name: s.tariff_name,
            item_type: session.lang.named(&s.item_type),
            status: session.lang.named(&s.status),
            period: s.period,
            paid_until: s
                .paid_until
                .map(|d| session.lang.date(d))
                .unwrap_or_default(),
            auto_prolong: s.auto_prolong,
            closing: s.close_at_period_end,
        })
        .collect();
    let page = ServicesPage {
        layout: session.layout(session.lang.t("my-services-title")),
        services,
        may_order: session.may("POST", LIST),
    };
    render(StatusCode::OK, &page)
}

/// The service `id` if it is the session's client's: its read-model row and its state.
async fn own(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Option<(projections::services::ServiceRecord, Service)>, ApiError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    let Some(row) = projections::services::service(&state.pool, id).await? else {
        return Ok(None);
    };
    if row.client_id != session.client_id.as_uuid() {
        return Ok(None);
    }
    let service = usecase::service(state, id).await?;
    if service.client_id() != Some(session.client_id) {
        return Ok(None);
    }
    Ok(Some((row, service)))
}

struct TariffChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "my/service.html")]
struct ServicePage {
    layout: Layout,
    id: String,
    item_type: String,
    status: String,
    period: String,
    price: String,
    /// The price per hour of a service billed by the hour (ADR 37), in words.
    per_hour: Option<String>,
    paid_until: String,
    auto_prolong: bool,
    closing: bool,
    addons: Vec<QuotedAddon>,
    promo_code: Option<String>,
    /// The price of the next period, when the user may prolong now.
    prolong: Option<String>,
    may_close: bool,
    may_switch: bool,
    /// The tariffs the service may move to, when the user may change it.
    tariffs: Option<Vec<TariffChoice>>,
    /// A domain service's domain and contacts.
    domain: Option<super::domain_contacts::DomainSection>,
    key: String,
    csrf: String,
}

/// `GET /my/services/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(fields): Query<Fields>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/services/{id}").await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    // After an action, the page waits until the services read model has applied it.
    let seen = field(&fields, "min_position").parse::<i64>().ok();
    if let Err(error) = state
        .consistent(&[projections::ReadModel::Services], seen)
        .await
    {
        return failed(Some(&session), error);
    }
    match service_page(&state, &session, &id).await {
        Ok(Some(page)) => render(StatusCode::OK, &page),
        Ok(None) => not_found(&session),
        Err(error) => failed(Some(&session), error),
    }
}

async fn service_page(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Option<ServicePage>, ApiError> {
    let Some((row, service)) = own(state, session, id).await? else {
        return Ok(None);
    };
    let status = ServiceStatus::parse(&row.status);
    let allowed = status.map_or(&[][..], ServiceStatus::allowed_actions);
    let active = matches!(
        status,
        Some(ServiceStatus::Active | ServiceStatus::Provisioning)
    );
    let prolong = if session.may("POST", "/v1/services/{id}/prolong") {
        service
            .prolong_period()
            .map(|due| shown(session.lang, due.amount))
    } else {
        None
    };
    let may_close = session.may("POST", "/v1/services/{id}/close")
        && allowed.contains(&ServiceAction::Close)
        && !row.close_at_period_end
        && row.paid_until.is_some();
    let may_switch = session.may("PUT", "/v1/services/{id}/auto-prolong")
        && !matches!(
            status,
            Some(ServiceStatus::Closed | ServiceStatus::Deleted) | None
        );
    let tariffs = if active && session.may("POST", "/v1/services/{id}/change-tariff") {
        let rows = projections::catalog::tariffs(
            &state.pool,
            Some(row.provider_id),
            Some("active"),
            None,
            500,
        )
        .await?;
        Some(
            rows.into_iter()
                .filter(|t| t.item_type == row.item_type && t.id != row.tariff_id)
                .map(|t| TariffChoice {
                    id: t.id.to_string(),
                    name: t.name,
                })
                .collect(),
        )
    } else {
        None
    };
    let addons = service
        .terms()
        .map(|terms| {
            terms
                .addons
                .iter()
                .map(|a| QuotedAddon {
                    name: a.name.clone(),
                    price: shown(session.lang, a.price),
                })
                .collect()
        })
        .unwrap_or_default();
    let domain = super::domain_contacts::section(state, session, &service).await?;
    Ok(Some(ServicePage {
        layout: session.layout(row.tariff_name),
        id: row.id.to_string(),
        price: session.lang.money(row.price_per_period, &row.currency),
        per_hour: service
            .terms()
            .and_then(|terms| terms.hourly)
            .map(|price| session.lang.per_hour(price.per_hour, price.currency.code())),
        item_type: session.lang.named(&row.item_type),
        status: session.lang.named(&row.status),
        period: row.period,
        paid_until: row
            .paid_until
            .map(|d| session.lang.date(d))
            .unwrap_or_default(),
        auto_prolong: row.auto_prolong,
        closing: row.close_at_period_end,
        addons,
        promo_code: service.discount().map(|d| d.code.clone()),
        prolong,
        may_close,
        may_switch,
        tariffs,
        domain,
        key: Uuid::now_v7().to_string(),
        csrf: session.csrf(),
    }))
}

#[derive(Template)]
#[template(path = "my/change_quote.html")]
struct ChangePage {
    layout: Layout,
    id: String,
    from: String,
    to: String,
    period_end: String,
    credit: String,
    charge: String,
    missing: Option<String>,
    hidden: Vec<(String, String)>,
    key: String,
    csrf: String,
}

/// `GET /my/services/{id}/change`: the prorated quote of moving the service to the chosen
/// tariff today, and the form that confirms it.
pub(super) async fn change_quote(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(fields): Query<Fields>,
) -> Response {
    let session = match permitted(&state, &headers, "POST", "/v1/services/{id}/change-tariff").await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (row, _) = match own(&state, &session, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    };
    let planned = async {
        let tariff = tariff_of(&state, &session, field(&fields, "tariff_id")).await?;
        let addons = addons_of(&tariff, &fields)?;
        let tariff_id = tariff.tariff_id().map_or_else(Uuid::nil, |t| t.as_uuid());
        let plan =
            crate::usecases::tariff_changes::plan_tariff_change(&state, row.id, tariff_id, addons)
                .await?;
        let figures = plan.figures()?;
        Ok::<_, ApiError>((plan, figures))
    }
    .await;
    let (plan, figures) = match planned {
        Ok(planned) => planned,
        Err(error) => return refusal(&session, error),
    };
    let hidden = fields
        .iter()
        .filter(|(k, _)| k == "tariff_id" || k.starts_with("addon."))
        .cloned()
        .collect();
    let page = ChangePage {
        layout: session.layout(session.lang.t("my-change-title")),
        id: row.id.to_string(),
        from: row.tariff_name,
        to: plan.new_terms().tariff_name.clone(),
        period_end: session.lang.date(plan.period_end()),
        credit: shown(session.lang, figures.credit),
        charge: shown(session.lang, figures.charge),
        missing: figures.missing.map(|m| shown(session.lang, m)),
        hidden,
        key: Uuid::now_v7().to_string(),
        csrf: session.csrf(),
    };
    let status = if figures.missing.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// `POST /my/services/{id}/{action}`: `prolong`, `close` (at the end of the paid period),
/// `auto-prolong` (`on` true or false) and `change-tariff`, each through its API route's rule
/// and use case, under the form's idempotency key.
pub(super) async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match posted(&state, &headers, field(&fields, "csrf")).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (method, route) = match action.as_str() {
        "prolong" => ("POST", "/v1/services/{id}/prolong"),
        "close" => ("POST", "/v1/services/{id}/close"),
        "auto-prolong" => ("PUT", "/v1/services/{id}/auto-prolong"),
        "change-tariff" => ("POST", "/v1/services/{id}/change-tariff"),
        _ => return not_found(&session),
    };
    if !session.may(method, route) {
        return forbidden(&session);
    }
    let (row, _) = match own(&state, &session, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    };
    let id = row.id;
    let done = async {
        let key = key_of(&fields)?;
        let path = format!("{method} /v1/services/{id}/{action}");
        let command = form_command(&session, key, path);
        let context = &command.context;
        match action.as_str() {
            "prolong" => {
                let idempotency = command.key(&(), id)?;
                usecase::prolong_service(&state, context, idempotency, id).await?;
            }
            "close" => {
                let request = crate::http::routes::services::CloseRequest {
                    at_period_end: true,
                };
                let idempotency = command.key(&request, id)?;
                usecase::close_service(&state, context, idempotency, id, true).await?;
            }
            "auto-prolong" => {
                let on = field(&fields, "on") == "true";
                let request =
                    crate::http::routes::services::AutoProlongRequest { auto_prolong: on };
                let idempotency = command.key(&request, id)?;
                usecase::set_auto_prolong(&state, context, idempotency, id, on).await?;
            }
            _ => {
                let tariff = tariff_of(&state, &session, field(&fields, "tariff_id")).await?;
                let addons = addons_of(&tariff, &fields)?;
                let tariff_id = tariff.tariff_id().map_or_else(Uuid::nil, |t| t.as_uuid());
                let request = crate::http::routes::services::ChangeTariffRequest {
                    tariff_id,
                    addons: addons.clone(),
                };
                let idempotency = command.key(&request, id)?;
                crate::usecases::tariff_changes::change_tariff(
                    &state,
                    context,
                    idempotency,
                    id,
                    tariff_id,
                    addons,
                )
                .await?;
            }
        }
        Ok::<_, ApiError>(usecase::written(&state).await?)
    }
    .await;
    match done {
        Ok(seen) => Redirect::to(&format!("/my/services/{id}?min_position={seen}")).into_response(),
        Err(error) => refusal(&session, error),
    }
}
