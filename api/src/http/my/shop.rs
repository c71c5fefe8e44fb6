//! The catalog and ordering (`/my/order`): the tariffs the client's provider offers, grouped by
//! item type, with their prices in the client's account currency; a chosen tariff, period,
//! add-ons and promo code are quoted by the order's own rules (`usecases::services::quote_order`)
//! before the user confirms, and the confirmed order runs the API's use case under the form's
//! key, which is also the new service's id, so a second submit orders nothing more.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::tariff::{AddonKind, AddonSelection, AddonValue, PeriodPrice, Tariff};
use uuid::Uuid;

use super::{Session, failed, forbidden, forbidden_form, may_open, message, not_found};
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;
use crate::usecases::services as usecase;

/// The API route whose rule lets a user order.
const ORDER: &str = "/v1/clients/{id}/services";

/// A form's or a query's fields, in order.
pub(super) type Fields = Vec<(String, String)>;

/// The field `name`, trimmed; empty when absent.
pub(super) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.trim())
}

/// Shows `money` as the panel does.
pub(super) fn shown(lang: Lang, amount: Money) -> String {
    lang.money(amount.amount(), amount.currency().code())
}

/// The page of a refusal: the problem in the page's language (`problems`) with its status (4xx),
/// nothing written; a server error shows its status only.
pub(super) fn refusal(session: &Session, error: ApiError) -> Response {
    if error.status().is_server_error() {
        return failed(Some(session), error);
    }
    message(
        Some(session),
        error.status(),
        &session.lang.t("my-problem-title"),
        &super::problems::text(session.lang, &error),
    )
}

/// The add-ons chosen in `fields` (`addon.<code>`) for `tariff`, read by each add-on's kind:
/// a quantity as a whole number, a toggle ticked as on, a choice by its option's code. An
/// add-on left empty is not selected (a quantity then gets its minimum).
pub(super) fn addons_of(tariff: &Tariff, fields: &Fields) -> Result<Vec<AddonSelection>, ApiError> {
    let mut chosen = Vec::new();
    for addon in tariff.addons() {
        let code = addon.code.as_str();
        let value = field(fields, &format!("addon.{code}"));
        if value.is_empty() {
            continue;
        }
        let value = match addon.kind {
            AddonKind::Quantity { .. } => AddonValue::Quantity(value.parse().map_err(|_| {
                ApiError::unprocessable(
                    "invalid_field",
                    format!("addons.{code}: give a whole number"),
                )
            })?),
            AddonKind::Toggle { .. } => AddonValue::Toggle(value == "true"),
            AddonKind::Choice { .. } => AddonValue::Choice(value.to_owned()),
        };
        chosen.push(AddonSelection {
            code: code.to_owned(),
            value,
        });
    }
    Ok(chosen)
}

/// The tariff `id` of the session's provider (the same refusal for another provider's).
pub(super) async fn tariff_of(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Tariff, ApiError> {
    let unknown = || ApiError::unprocessable("tariff_not_found", "no such tariff in the catalog");
    let id = Uuid::parse_str(id).map_err(|_| unknown())?;
    let (provider, _) =
        crate::usecases::clients::trading(state, session.client_id.as_uuid()).await?;
    let tariff = crate::usecases::catalog::tariff(state, id).await?;
    if tariff.provider_id() != Some(provider) {
        return Err(unknown());
    }
    Ok(tariff)
}

/// The command of a form sent with the idempotency key `key`, standing for the API's `route`.
pub(super) fn form_command(
    session: &Session,
    key: Uuid,
    route: String,
) -> crate::http::extract::Command {
    crate::http::pages::forms::keyed_command(session.principal.context(), key, route)
}

/// The form's idempotency key.
pub(super) fn key_of(fields: &Fields) -> Result<Uuid, ApiError> {
    crate::http::pages::forms::form_key(field(fields, "key"))
}

/// One price of a period.
pub(super) struct PriceLine {
    pub(super) period: String,
    pub(super) price: String,
}

/// The prices of `prices` in `currency`, in the order of the periods.
fn prices_in(lang: Lang, prices: &[PeriodPrice], currency: Currency) -> Vec<PriceLine> {
    let mut lines: Vec<&PeriodPrice> = prices
        .iter()
        .filter(|p| p.price.currency() == currency)
        .collect();
    lines.sort_by_key(|p| p.period);
    lines
        .into_iter()
        .map(|p| PriceLine {
            period: p.period.to_string(),
            price: shown(lang, p.price),
        })
        .collect()
}

/// One add-on of a tariff, as the order form asks for it.
pub(super) struct AddonInput {
    pub(super) code: String,
    pub(super) name: String,
    /// `quantity`, `toggle` or `choice`.
    pub(super) kind: &'static str,
    pub(super) unit: String,
    pub(super) min: u32,
    pub(super) max: u32,
    pub(super) prices: Vec<PriceLine>,
    /// A choice's options: code, name and prices.
    pub(super) options: Vec<(String, String, Vec<PriceLine>)>,
}

/// The add-ons of `tariff` as inputs, priced in `currency`.
pub(super) fn addon_inputs(lang: Lang, tariff: &Tariff, currency: Currency) -> Vec<AddonInput> {
    tariff
        .addons()
        .iter()
        .map(|addon| {
            let mut input = AddonInput {
                code: addon.code.as_str().to_owned(),
                name: addon.name.clone(),
                kind: "toggle",
                unit: String::new(),
                min: 0,
                max: 0,
                prices: Vec::new(),
                options: Vec::new(),
            };
            match &addon.kind {
                AddonKind::Quantity {
                    unit,
                    min,
                    max,
                    prices,
                } => {
                    input.kind = "quantity";
                    input.unit.clone_from(unit);
                    input.min = *min;
                    input.max = *max;
                    input.prices = prices_in(lang, prices, currency);
                }
                AddonKind::Toggle { prices } => input.prices = prices_in(lang, prices, currency),
                AddonKind::Choice { options } => {
                    input.kind = "choice";
                    input.options = options
                        .iter()
                        .map(|o| {
                            (
                                o.code.as_str().to_owned(),
                                o.name.clone(),
                                prices_in(lang, &o.prices, currency),
                            )
                        })
                        .collect();
                }
            }
            input
        })
        .collect()
}

struct TariffCard {
    id: String,
    name: String,
    prices: Vec<PriceLine>,
    setup_fee: Option<String>,
    addons: Vec<AddonInput>,
    /// Priced only in other currencies, which an order does not convert.
    other_currencies: Vec<String>,
}

struct ItemGroup {
    item_type: String,
    tariffs: Vec<TariffCard>,
}

#[derive(Template)]
#[template(path = "my/order.html")]
struct CatalogPage {
    layout: Layout,
    currency: String,
    groups: Vec<ItemGroup>,
    /// The client's domain contacts, which a domain's order form offers for its roles.
    domain_contacts: Vec<super::domain_contacts::ContactChoice>,
}

/// `GET /my/order`: the catalog.
pub(super) async fn catalog(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, ORDER).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    if !session.may("POST", ORDER) {
        return forbidden(&session);
    }
    match catalog_page(&state, &session).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => refusal(&session, error),
    }
}

async fn catalog_page(state: &AppState, session: &Session) -> Result<CatalogPage, ApiError> {
    let (provider, currency) =
        crate::usecases::clients::trading(state, session.client_id.as_uuid()).await?;
    let rows = projections::catalog::tariffs(
        &state.pool,
        Some(provider.as_uuid()),
        Some("active"),
        None,
        500,
    )
    .await?;
    let mut groups: Vec<ItemGroup> = Vec::new();
    for row in rows {
        let tariff = crate::usecases::catalog::tariff(state, row.id).await?;
        if tariff.is_archived() || !tariff.is_created() {
            continue;
        }
        let prices = prices_in(session.lang, tariff.prices(), currency);
        let mut other: Vec<String> = tariff
            .prices()
            .iter()
            .map(|p| p.price.currency())
            .filter(|c| *c != currency)
            .map(|c| c.code().to_owned())
            .collect();
        other.sort();
        other.dedup();
        let card = TariffCard {
            id: row.id.to_string(),
            name: row.name.clone(),
            setup_fee: tariff
                .setup_fees()
                .iter()
                .find(|fee| fee.currency() == currency && fee.is_positive())
                .map(|fee| shown(session.lang, *fee)),
            addons: addon_inputs(session.lang, &tariff, currency),
            other_currencies: if prices.is_empty() { other } else { Vec::new() },
            prices,
        };
        match groups.iter_mut().find(|g| g.item_type == row.item_type) {
            Some(group) => group.tariffs.push(card),
            None => groups.push(ItemGroup {
                item_type: row.item_type.clone(),
                tariffs: vec![card],
            }),
        }
    }
    groups.sort_by(|a, b| a.item_type.cmp(&b.item_type));
    Ok(CatalogPage {
        layout: session.layout(session.lang.t("my-order-title")),
        currency: currency.code().to_owned(),
        groups,
        domain_contacts: super::domain_contacts::choices(state, session).await?,
    })
}

/// One add-on line of a quote.
pub(super) struct QuotedAddon {
    pub(super) name: String,
    pub(super) price: String,
}

#[derive(Template)]
#[template(path = "my/order_quote.html")]
struct QuotePage {
    layout: Layout,
    tariff_name: String,
    period: String,
    period_start: String,
    period_end: String,
    base_price: String,
    addons: Vec<QuotedAddon>,
    setup_fee: Option<String>,
    list_amount: String,
    discount: Option<String>,
    promo_code: String,
    /// What the order charges: the figure the account records.
    charge: String,
    missing: Option<String>,
    /// The agreement the order must accept, in the session's language: the confirm form shows
    /// it with a checkbox.
    agreement: Option<super::agreement::QuotedAgreement>,
    /// The fields the confirm form sends back (tariff, period, add-ons, promo code).
    hidden: Vec<(String, String)>,
    key: String,
    csrf: String,
}

/// The order the fields describe, for the session's client.
async fn order_of(
    state: &AppState,
    session: &Session,
    fields: &Fields,
) -> Result<usecase::Order, ApiError> {
    let tariff = tariff_of(state, session, field(fields, "tariff_id")).await?;
    let period = BillingPeriod::parse(field(fields, "period"))
        .map_err(|e| ApiError::unprocessable("invalid_field", format!("period: {e}")))?;
    let promo = field(fields, "promo_code");
    let promo_code = if promo.is_empty() {
        None
    } else {
        Some(crate::http::answer::promo_code(promo)?)
    };
    Ok(usecase::Order {
        client_id: session.client_id.as_uuid(),
        tariff_id: tariff.tariff_id().map_or_else(Uuid::nil, |id| id.as_uuid()),
        period,
        addons: addons_of(&tariff, fields)?,
        // Ticked "do not renew" says no; otherwise the item type's default decides.
        auto_prolong: (field(fields, "auto_prolong") == "false").then_some(false),
        promo_code,
        domain: super::domain_contacts::domain_of(fields)?,
        accepted_agreement: super::agreement::accepted_of(fields)?,
    })
}

/// The fields a confirm form repeats: what describes the order, nothing the server knows.
fn order_fields(fields: &Fields) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "tariff_id" | "period" | "promo_code" | "auto_prolong"
            ) || k.starts_with("addon.")
                || super::domain_contacts::is_domain_field(k)
        })
        .cloned()
        .collect()
}

/// `GET /my/order/quote`: the price of the chosen order, and the form that confirms it.
pub(super) async fn quote(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(fields): Query<Fields>,
) -> Response {
    let session = match may_open(&state, &headers, ORDER).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    if !session.may("POST", ORDER) {
        return forbidden(&session);
    }
    let quoted = async {
        let order = order_of(&state, &session, &fields).await?;
        let quote = usecase::quote_order(&state, &order).await?;
        let agreement = super::agreement::quoted(&state, session.lang, order.tariff_id).await?;
        Ok::<_, ApiError>((order, quote, agreement))
    }
    .await;
    let (order, quote, agreement) = match quoted {
        Ok(quoted) => quoted,
        Err(error) => return refusal(&session, error),
    };
    let terms = &quote.terms;
    let page = QuotePage {
        layout: session.layout(session.lang.t("my-quote-title")),
        tariff_name: terms.tariff_name.clone(),
        period: terms.period.to_string(),
        period_start: session.lang.date(quote.due.period_start),
        period_end: session.lang.date(quote.due.period_end),
        base_price: shown(session.lang, terms.base_price),
        addons: terms
            .addons
            .iter()
            .map(|a| QuotedAddon {
                name: a.name.clone(),
                price: shown(session.lang, a.price),
            })
            .collect(),
        setup_fee: terms
            .setup_fee
            .is_positive()
            .then(|| shown(session.lang, terms.setup_fee)),
        list_amount: shown(session.lang, quote.due.list_amount),
        discount: quote.due.discount.map(|m| shown(session.lang, m)),
        promo_code: order
            .promo_code
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        charge: shown(session.lang, quote.charge),
        missing: quote.missing.map(|m| shown(session.lang, m)),
        agreement,
        hidden: order_fields(&fields),
        key: Uuid::now_v7().to_string(),
        csrf: session.csrf(),
    };
    let status = if quote.missing.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// `POST /my/order`: orders what the confirm form describes, under the form's key as the
/// service's id. The order is quoted again first: an order the account cannot pay is refused
/// with what is missing, and nothing is written.
pub(super) async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match super::signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    if !session.verify(field(&fields, "csrf")) {
        return forbidden_form(&session);
    }
    if !session.may("POST", ORDER) {
        return forbidden(&session);
    }
    let key = match key_of(&fields) {
        Ok(key) => key,
        Err(error) => return refusal(&session, error),
    };
    // The same form sent again: its service was ordered the first time.
    match usecase::service(&state, key).await {
        Ok(service) if service.is_ordered() => {
            return if service.client_id() == Some(session.client_id) {
                Redirect::to(&format!("/my/services/{key}")).into_response()
            } else {
                not_found(&session)
            };
        }
        Ok(_) => {}
        Err(error) => return refusal(&session, error.into()),
    }
    let ordered = async {
        let order = order_of(&state, &session, &fields).await?;
        let quote = usecase::quote_order(&state, &order).await?;
        if let Some(missing) = quote.missing {
            return Ok(Err(missing));
        }
        let client = session.client_id.as_uuid();
        let command = form_command(&session, key, format!("POST /v1/clients/{client}/services"));
        let request = crate::http::routes::services::OrderServiceRequest {
            tariff_id: order.tariff_id,
            period: order.period,
            addons: order.addons.clone(),
            auto_prolong: order.auto_prolong,
            promo_code: order.promo_code.as_ref().map(|c| c.as_str().to_owned()),
            domain: order
                .domain
                .as_ref()
                .map(super::domain_contacts::order_body),
            agreement: order.accepted_agreement.map(|accepted| {
                crate::http::routes::agreements::AcceptedAgreement {
                    agreement_id: accepted.agreement_id.as_uuid(),
                    version: accepted.version,
                }
            }),
        };
        let idempotency = command.key(&request, key)?;
        let (id, _) =
            usecase::order_service(&state, &command.context, idempotency, key, order).await?;
        let seen = usecase::written(&state).await?;
        Ok::<_, ApiError>(Ok((id, seen)))
    }
    .await;
    match ordered {
        Ok(Ok((id, seen))) => {
            Redirect::to(&format!("/my/services/{id}?min_position={seen}")).into_response()
        }
        Ok(Err(missing)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ShortPage {
                layout: session.layout(session.lang.t("my-short-title")),
                missing: shown(session.lang, missing),
            },
        ),
        Err(error) => refusal(&session, error),
    }
}

#[derive(Template)]
#[template(path = "my/order_short.html")]
struct ShortPage {
    layout: Layout,
    missing: String,
}
