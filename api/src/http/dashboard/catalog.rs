//! The catalog's pages: every service (keyset pages, filtered by status and item type, sorted,
//! with client and tariff names, paid-until and price per period, and "N of M"), the tariffs
//! with one tariff's prices per period and currency, its announced price changes and the form
//! that announces one (through `POST /v1/tariffs/{id}/price-changes`' own code), and the promo
//! codes.

use std::collections::HashMap;

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use projections::clients::Keyset;
use projections::services::ServiceSort;
use serde::Deserialize;
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, request};
use super::clients::{KeysetPage, query_value};
use super::tables::{Cell, PageParams, Section, TablesPage, next_page};
use super::{Layout, Session, failed, may_open, message, render};
use crate::http::answer::id_cursor;
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::forms::{FormError, new_key};
use crate::http::routes::services::{ITEM_TYPES, STATUSES, run_list_services, service_filter};
use crate::http::routes::tariffs::{ChangePriceRequest, run_change_price};
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`) with a 400 problem.
use crate::http::extract::Query;

/// Services per page.
const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub(super) struct ServicesParams {
    status: Option<String>,
    item_type: Option<String>,
    sort: Option<String>,
    after: Option<Uuid>,
    before: Option<Uuid>,
}

/// The list of services.
#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    layout: Layout,
    status: String,
    item_type: String,
    sort: &'static str,
    statuses: &'static [&'static str],
    item_types: &'static [&'static str],
    rows: Vec<ServiceRow>,
    shown: usize,
    total: i64,
    previous: Option<String>,
    next: Option<String>,
}

struct ServiceRow {
    id: String,
    client_id: String,
    client: String,
    tariff: String,
    /// The tariff's page, for staff who may read the catalog.
    tariff_link: Option<String>,
    item_type: String,
    status: String,
    ordered: String,
    paid_until: String,
    price: String,
    period: String,
    /// The catalogue key of yes or no.
    renews: &'static str,
}

/// Every service, as `GET /v1/services` lists them: staff who may call that route.
pub(super) async fn services(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ServicesParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/services").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match services_page(&state, &session, params).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn services_page(
    state: &AppState,
    session: &Session,
    params: ServicesParams,
) -> Result<ServicesPage, ApiError> {
    // The route's own filter: an unknown status or item type is its 400 problem.
    let filter = service_filter(
        params.status.as_deref().map(str::trim),
        params.item_type.as_deref().map(str::trim),
        None,
    )?;
    let (sort, sort_name) = match params.sort.as_deref() {
        Some("paid_until") => (ServiceSort::PaidUntil, "paid_until"),
        Some("tariff") => (ServiceSort::Tariff, "tariff"),
        _ => (ServiceSort::Newest, "newest"),
    };
    let keyset = Keyset::of(params.after, params.before);
    let pool = &state.pool;
    let found = run_list_services(state, &filter, sort, keyset, PAGE + 1).await?;
    let total = projections::services::count_matching(pool, &filter).await?;
    let status = filter.status.clone().unwrap_or_default();
    let item_type = filter.item_type.clone().unwrap_or_default();
    let base = format!(
        "status={}&item_type={}&sort={sort_name}",
        query_value(&status),
        query_value(&item_type)
    );
    let KeysetPage {
        rows: found,
        previous,
        next,
    } = KeysetPage::cut(found, keyset, PAGE, &base, |row| row.id);
    let ids: Vec<Uuid> = found.iter().map(|s| s.client_id).collect();
    let clients: HashMap<Uuid, String> = projections::clients::names(pool, &ids)
        .await?
        .into_iter()
        .collect();
    let catalog = session.may("GET", "/v1/tariffs/{id}");
    let lang = session.lang;
    let rows: Vec<ServiceRow> = found
        .into_iter()
        .map(|service| ServiceRow {
            id: service.id.to_string(),
            client_id: service.client_id.to_string(),
            client: clients.get(&service.client_id).cloned().unwrap_or_default(),
            tariff: service.tariff_name,
            tariff_link: catalog.then(|| format!("/dashboard/tariffs/{}", service.tariff_id)),
            item_type: service.item_type,
            status: service.status,
            ordered: lang.date(service.ordered_on),
            paid_until: service
                .paid_until
                .map_or_else(|| lang.t("services-not-paid-yet"), |day| lang.date(day)),
            price: lang.money(service.price_per_period, &service.currency),
            period: lang.period(&service.period),
            renews: if service.auto_prolong {
                "word-yes"
            } else {
                "word-no"
            },
        })
        .collect();
    Ok(ServicesPage {
        layout: session.layout(session.lang.t("title-services")),
        status,
        item_type,
        sort: sort_name,
        statuses: &STATUSES,
        item_types: &ITEM_TYPES,
        shown: rows.len(),
        rows,
        total,
        previous,
        next,
    })
}

/// The providers' names.
async fn provider_names(state: &AppState) -> Result<HashMap<Uuid, String>, ApiError> {
    Ok(projections::clients::providers(&state.pool)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// A tariff's prices as stored (`PeriodPrice`s); an unreadable list is a bug of the projection.
fn prices(json: serde_json::Value) -> Result<Vec<domain::tariff::PeriodPrice>, ApiError> {
    serde_json::from_value(json).map_err(|e| ApiError::internal(&e))
}

/// A price per period: `10.00 EUR / 1 month` (`10,00 EUR / 1 месяц` in Russian).
fn per_period(lang: Lang, price: &domain::tariff::PeriodPrice) -> String {
    format!(
        "{} / {}",
        lang.money(price.price.amount(), price.price.currency().code()),
        lang.period_of(price.period)
    )
}

/// The tariffs, as `GET /v1/tariffs` lists them, by its keyset pages.
pub(super) async fn tariffs(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/tariffs").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match tariffs_page(&state, &session, params).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn tariffs_page(
    state: &AppState,
    session: &Session,
    params: PageParams,
) -> Result<TablesPage, ApiError> {
    let after = id_cursor(params.after.as_deref())?;
    let mut rows = projections::catalog::tariffs(&state.pool, None, None, after, PAGE + 1).await?;
    let next = next_page(&mut rows, "/dashboard/tariffs", |t| t.id.to_string());
    let providers = provider_names(state).await?;
    let mut table = Vec::with_capacity(rows.len());
    for tariff in rows {
        let prices = prices(tariff.prices)?
            .iter()
            .map(|price| per_period(session.lang, price))
            .collect::<Vec<_>>()
            .join("; ");
        table.push(vec![
            Cell::link(tariff.name, format!("/dashboard/tariffs/{}", tariff.id)),
            Cell::text(
                providers
                    .get(&tariff.provider_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            Cell::text(session.lang.named(&tariff.item_type)),
            Cell::text(session.lang.named(&tariff.status)),
            Cell::text(prices),
            Cell::text(session.zone.time(tariff.created_at)),
        ]);
    }
    let section = Section::new(
        "tariffs",
        session.lang.t("title-tariffs"),
        &[
            "col-name",
            "clients-provider",
            "col-item-type",
            "col-status",
            "col-prices",
            "col-created",
        ],
        table,
    )
    .with_next(next);
    Ok(TablesPage::of(
        session.layout(session.lang.t("title-tariffs")),
        vec![section],
    ))
}

/// The API route the price-change form stands for.
const CHANGE_PRICE_ROUTE: &str = "/v1/tariffs/{id}/price-changes";

/// `/dashboard/tariffs/{id}` parameters: `?done=price-change` after an announcement, with the
/// position its page waits for.
#[derive(Deserialize, Default)]
pub(super) struct TariffParams {
    done: Option<String>,
    min_position: Option<i64>,
}

/// One tariff: its prices per period and currency, set-up fees, add-ons and announced price
/// changes, and the form that announces a change.
#[derive(Template)]
#[template(path = "tariff.html")]
pub(super) struct TariffPage {
    layout: Layout,
    id: Uuid,
    intro: String,
    /// The catalogue key of what was just saved, after a form's redirect.
    saved: Option<&'static str>,
    sections: Vec<Section>,
    /// `None` for staff who may not change the tariff's prices.
    form: Option<PriceChangeForm>,
    /// `None` for staff who may not set its prices per hour, and for a domain's tariff.
    hourly_form: Option<super::hourly::HourlyForm>,
}

/// The form announcing a price change: the tariff's periods and currencies to choose from, what
/// was typed and why it was refused when it was.
struct PriceChangeForm {
    csrf: String,
    key: String,
    /// (code, in words).
    periods: Vec<(String, String)>,
    currencies: Vec<String>,
    period: String,
    currency: String,
    amount: String,
    effective_on: String,
    error: Option<String>,
}

/// A refused form: what was typed, and the problem in the page's language.
struct Refused {
    period: String,
    currency: String,
    amount: String,
    effective_on: String,
    error: String,
}

/// One tariff: its prices per period and currency, set-up fees, add-ons and price changes.
pub(super) async fn tariff(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(params): Query<TariffParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/tariffs/{id}").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let shown = async {
        state
            .consistent(&[projections::ReadModel::Tariffs], params.min_position)
            .await?;
        let saved = match params.done.as_deref() {
            Some("price-change") => Some("price-change-saved"),
            Some("hourly") => Some("hourly-saved"),
            _ => None,
        };
        tariff_page(&state, &session, id, saved, Refusals::default()).await
    }
    .await;
    show_tariff(&session, StatusCode::OK, shown)
}

/// The page, or the not-found page when there is no such tariff.
pub(super) fn show_tariff(
    session: &Session,
    status: StatusCode,
    shown: Result<Option<TariffPage>, ApiError>,
) -> Response {
    match shown {
        Ok(Some(page)) => render(status, &page),
        Ok(None) => message(
            Some(session),
            StatusCode::NOT_FOUND,
            &session.lang.t("tariff-none"),
            &session.lang.t("tariff-none-text"),
        ),
        Err(error) => failed(error),
    }
}

/// Announces a price change through the API route's own code (`run_change_price`): a success
/// shows the tariff with the change listed, a refusal the problem in the form, with its status,
/// having written nothing.
pub(super) async fn change_price(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "POST", CHANGE_PRICE_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(
            &session,
            &fields,
            format!("POST /v1/tariffs/{id}/price-changes"),
        )?;
        let request: ChangePriceRequest = request(serde_json::json!({
            "period": field(&fields, "period"),
            "price": {"amount": field(&fields, "amount"), "currency": field(&fields, "currency")},
            "effective_on": field(&fields, "effective_on"),
        }))?;
        run_change_price(&state, &command, id, request).await
    }
    .await;
    match outcome {
        Ok(committed) => Redirect::to(&format!(
            "/dashboard/tariffs/{id}?done=price-change&min_position={}",
            committed.position
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let refused = Refused {
                period: field(&fields, "period").to_owned(),
                currency: field(&fields, "currency").to_owned(),
                amount: field(&fields, "amount").to_owned(),
                effective_on: field(&fields, "effective_on").to_owned(),
                error: FormError::said(session.lang, "price-change", &error).detail,
            };
            let refusals = Refusals {
                price_change: Some(refused),
                hourly: None,
            };
            let shown = tariff_page(&state, &session, id, None, refusals).await;
            show_tariff(&session, error.status(), shown)
        }
    }
}

/// A set-up fee or an add-on as stored, read loosely: only what the page shows.
#[derive(Deserialize)]
struct Addon {
    code: String,
    name: String,
    kind: String,
}

/// What a refused form typed, for the page that shows the refusal.
#[derive(Default)]
pub(super) struct Refusals {
    price_change: Option<Refused>,
    hourly: Option<super::hourly::HourlyTyped>,
}

impl Refusals {
    /// The prices per hour form refused, as typed.
    pub(super) fn of_hourly(typed: super::hourly::HourlyTyped) -> Refusals {
        Refusals {
            price_change: None,
            hourly: Some(typed),
        }
    }
}

pub(super) async fn tariff_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    saved: Option<&'static str>,
    refusals: Refusals,
) -> Result<Option<TariffPage>, ApiError> {
    let refused = refusals.price_change;
    let Some(tariff) = projections::catalog::tariff(&state.pool, id).await? else {
        return Ok(None);
    };
    let providers = provider_names(state).await?;
    let provider = providers
        .get(&tariff.provider_id)
        .cloned()
        .unwrap_or_default();
    let lang = session.lang;
    let changes = tariff.price_changes().map_err(|e| ApiError::internal(&e))?;
    let mut offered = prices(tariff.prices)?;
    offered.sort_by_key(|p| (p.period, p.price.currency().code()));
    let price_rows = offered
        .iter()
        .map(|p| {
            vec![
                Cell::text(lang.period_of(p.period)),
                Cell::text(p.price.currency().code()),
                Cell::money(lang, p.price.amount(), p.price.currency().code()),
            ]
        })
        .collect();
    let change_rows = changes
        .iter()
        .map(|c| {
            let currency = c.price.price.currency().code();
            vec![
                Cell::text(lang.period_of(c.price.period)),
                Cell::money(lang, c.previous.amount(), currency),
                Cell::money(lang, c.price.price.amount(), currency),
                Cell::text(lang.date(c.effective_on)),
                Cell::text(lang.date(c.announced_on)),
            ]
        })
        .collect();
    let fees: Vec<domain::money::Money> =
        serde_json::from_value(tariff.setup_fees).map_err(|e| ApiError::internal(&e))?;
    let fee_rows = fees
        .into_iter()
        .map(|fee| {
            vec![
                Cell::text(fee.currency().code()),
                Cell::money(lang, fee.amount(), fee.currency().code()),
            ]
        })
        .collect();
    let hourly: Vec<domain::hourly::HourlyPrice> =
        serde_json::from_value(tariff.hourly_prices).map_err(|e| ApiError::internal(&e))?;
    let hourly_form = super::hourly::form(
        session,
        &tariff.status,
        &tariff.item_type,
        &offered,
        &hourly,
        refusals.hourly,
    );
    let hourly_rows = hourly
        .into_iter()
        .map(|price| {
            let currency = price.currency.code();
            vec![
                Cell::text(currency),
                Cell {
                    numeric: true,
                    ..Cell::text(lang.per_hour(price.per_hour, currency))
                },
                match price.monthly_cap {
                    Some(cap) => Cell::money(lang, cap.amount(), currency),
                    None => Cell::text(lang.t("tariff-no-cap")),
                },
            ]
        })
        .collect();
    let addons: Vec<Addon> =
        serde_json::from_value(tariff.addons).map_err(|e| ApiError::internal(&e))?;
    let addon_rows = addons
        .into_iter()
        .map(|a| {
            vec![
                Cell::text(a.name),
                Cell::text(a.code),
                Cell::text(lang.named(&a.kind)),
            ]
        })
        .collect();
    let form = (session.may("POST", CHANGE_PRICE_ROUTE) && tariff.status == "active").then(|| {
        let mut periods: Vec<(String, String)> = Vec::new();
        let mut currencies: Vec<String> = Vec::new();
        for p in &offered {
            let code = p.period.to_string();
            if !periods.iter().any(|(known, _)| *known == code) {
                periods.push((code, lang.period_of(p.period)));
            }
            let currency = p.price.currency().code().to_owned();
            if !currencies.contains(&currency) {
                currencies.push(currency);
            }
        }
        currencies.sort();
        let refused = refused.unwrap_or_else(|| Refused {
            period: periods
                .first()
                .map(|(code, _)| code.clone())
                .unwrap_or_default(),
            currency: currencies.first().cloned().unwrap_or_default(),
            amount: String::new(),
            effective_on: String::new(),
            error: String::new(),
        });
        PriceChangeForm {
            csrf: session.csrf(),
            key: new_key(),
            periods,
            currencies,
            period: refused.period,
            currency: refused.currency,
            amount: refused.amount,
            effective_on: refused.effective_on,
            error: (!refused.error.is_empty()).then_some(refused.error),
        }
    });
    let intro = lang.t_with(
        "tariff-intro",
        &[
            ("type", lang.named(&tariff.item_type).into()),
            ("status", lang.named(&tariff.status).into()),
            ("provider", provider.into()),
            ("created", session.zone.time(tariff.created_at).into()),
        ],
    );
    Ok(Some(TariffPage {
        layout: session.layout(tariff.name),
        id,
        intro,
        saved,
        sections: vec![
            Section::new(
                "prices",
                lang.t("tariff-prices"),
                &["col-period", "col-currency", "col-price#"],
                price_rows,
            ),
            Section::new(
                "hourly-prices",
                lang.t("tariff-hourly-prices"),
                &["col-currency", "col-per-hour#", "col-monthly-cap#"],
                hourly_rows,
            ),
            Section::new(
                "price-changes",
                lang.t("price-change-list"),
                &[
                    "col-period",
                    "price-change-col-previous#",
                    "price-change-col-new#",
                    "price-change-col-effective",
                    "price-change-col-announced",
                ],
                change_rows,
            ),
            Section::new(
                "setup-fees",
                lang.t("tariff-setup-fees"),
                &["col-currency", "col-fee#"],
                fee_rows,
            ),
            Section::new(
                "addons",
                lang.t("tariff-addons"),
                &["col-name", "col-code", "col-kind"],
                addon_rows,
            ),
        ],
        form,
        hourly_form,
    }))
}

/// The promo codes, as `GET /v1/promo-codes` lists them (code, discount, uses, validity), by its
/// keyset pages.
pub(super) async fn promo_codes(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/promo-codes").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match promo_codes_page(&state, &session, params).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn promo_codes_page(
    state: &AppState,
    session: &Session,
    params: PageParams,
) -> Result<TablesPage, ApiError> {
    let after = id_cursor(params.after.as_deref())?;
    let mut rows = projections::promos::promo_codes(&state.pool, None, after, PAGE + 1).await?;
    let next = next_page(&mut rows, "/dashboard/promo-codes", |p| {
        p.promo_code_id.to_string()
    });
    let providers = provider_names(state).await?;
    let lang = session.lang;
    let table: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|promo| {
            let discount = match &promo.discount.0 {
                domain::promo::Discount::Percent { percent } => format!("{}%", percent.normalize()),
                domain::promo::Discount::Fixed { amount } => {
                    lang.money(amount.amount(), amount.currency().code())
                }
            };
            let uses = match promo.max_uses {
                Some(max) => lang.t_with(
                    "promo-uses-of",
                    &[("uses", promo.uses.into()), ("max", max.into())],
                ),
                None => lang.t1("promo-uses-unlimited", "uses", &promo.uses.to_string()),
            };
            let validity = match (promo.valid_from, promo.valid_until) {
                (None, None) => lang.t("promo-always"),
                (Some(from), None) => lang.t1("promo-from", "from", &lang.date(from)),
                (None, Some(until)) => lang.t1("promo-through", "until", &lang.date(until)),
                (Some(from), Some(until)) => lang.t_with(
                    "promo-from-through",
                    &[
                        ("from", lang.date(from).into()),
                        ("until", lang.date(until).into()),
                    ],
                ),
            };
            vec![
                Cell::text(promo.code),
                Cell::text(
                    providers
                        .get(&promo.provider_id)
                        .cloned()
                        .unwrap_or_default(),
                ),
                Cell::text(discount),
                Cell::text(lang.t(if promo.recurring {
                    "promo-every-charge"
                } else {
                    "promo-first-charge"
                })),
                Cell::text(uses),
                Cell::text(validity),
                Cell::text(lang.named(if promo.disabled { "disabled" } else { "active" })),
            ]
        })
        .collect();
    let section = Section::new(
        "promo-codes",
        lang.t("title-promo-codes"),
        &[
            "col-code",
            "clients-provider",
            "col-discount",
            "col-applies-to",
            "col-uses",
            "col-valid",
            "col-status",
        ],
        table,
    )
    .with_next(next);
    Ok(TablesPage::of(
        session.layout(session.lang.t("title-promo-codes")),
        vec![section],
    ))
}
