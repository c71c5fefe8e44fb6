//! The settings' pages, each what its API routes read: currencies and exchange rates, companies
//! with their tax rules and payment methods, staff and departments, and notifications (the
//! notifier's outbox, the message templates and the announcements).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::tables::{Cell, PAGE, PageParams, Section, TablesPage, next_page};
use super::{Session, failed, may_open, render};
use crate::http::answer::{id_cursor, time_cursor, time_cursor_of};
use crate::http::error::ApiError;
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`) with a 400 problem.
use crate::http::extract::Query;

/// The most departments the staff page lists: there are a handful.
const DEPARTMENTS_MAX: i64 = 500;

/// Renders the page `build` makes for a staff member who may `GET` `route`.
async fn page_of<F, Fut>(state: AppState, headers: HeaderMap, route: &str, build: F) -> Response
where
    F: FnOnce(AppState, Session) -> Fut,
    Fut: Future<Output = Result<TablesPage, ApiError>>,
{
    let session = match may_open(&state, &headers, route).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match build(state, session).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

/// The currencies amounts are kept in, and the exchange rates in effect today of every base
/// currency that has rates.
pub(super) async fn currencies(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page_of(state, headers, "/v1/currencies", currencies_page).await
}

async fn currencies_page(state: AppState, session: Session) -> Result<TablesPage, ApiError> {
    let lang = session.lang;
    let mut sections = Vec::new();
    if session.may("GET", "/v1/currencies/{code}/rates") {
        let today = state.today();
        let mut rows = Vec::new();
        for base in projections::rates::bases(&state.pool).await? {
            for rate in projections::rates::in_effect(&state.pool, &base, today).await? {
                rows.push(vec![
                    Cell::text(format!("1 {base}")),
                    Cell::text(&rate.quote),
                    Cell::count(rate.rate.normalize()),
                    Cell::text(lang.date(rate.effective_from)),
                ]);
            }
        }
        sections.push(Section::new(
            "rates",
            lang.t1("currencies-rates", "day", &lang.date(today)),
            &["col-base", "col-quote", "col-rate#", "col-since"],
            rows,
        ));
    }
    let directory = domain::money::Currency::all()
        .into_iter()
        .map(|c| {
            vec![
                Cell::text(c.code()),
                Cell::text(c.name()),
                Cell::count(c.minor_units()),
            ]
        })
        .collect();
    sections.push(Section::new(
        "currencies",
        lang.t("currencies-kept-in"),
        &["col-code", "col-name", "col-minor-units#"],
        directory,
    ));
    Ok(TablesPage::of(
        session.layout(session.lang.t("title-currencies")),
        sections,
    ))
}

/// The companies, with their tax rules and payment methods.
pub(super) async fn companies(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    page_of(state, headers, "/v1/companies", |state, session| {
        companies_page(state, session, params)
    })
    .await
}

async fn companies_page(
    state: AppState,
    session: Session,
    params: PageParams,
) -> Result<TablesPage, ApiError> {
    let pool = &state.pool;
    let lang = session.lang;
    let after = time_cursor(params.after.as_deref())?;
    let mut rows = projections::companies::companies(pool, None, after, PAGE + 1).await?;
    let next = next_page(&mut rows, "/dashboard/companies", |c| {
        time_cursor_of(c.created_at, c.company_id)
    });
    let ids: Vec<Uuid> = rows.iter().map(|c| c.company_id).collect();
    let methods = projections::companies::payment_methods(pool, &ids).await?;
    let providers: HashMap<Uuid, String> = projections::clients::providers(pool)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut companies = Vec::with_capacity(rows.len());
    let mut rules = Vec::new();
    for company in rows {
        let own: Vec<String> = methods
            .iter()
            .filter(|m| m.company_id == company.company_id)
            .map(|m| {
                let state = lang.t(if m.enabled { "word-on" } else { "word-off" });
                format!("{} ({}, {state})", m.display_name, lang.named(&m.kind))
            })
            .collect();
        companies.push(vec![
            Cell::text(&company.name),
            Cell::text(
                providers
                    .get(&company.provider_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            Cell::text(&company.country),
            Cell::text(company.vat_number.clone().unwrap_or_default()),
            Cell::text(lang.t_with(
                "companies-numbering",
                &[
                    ("prefix", company.numbering_prefix.clone().into()),
                    ("reset", lang.named(&company.numbering_reset).into()),
                ],
            )),
            Cell::text(own.join(", ")),
            Cell::link(
                lang.t("companies-edit"),
                format!(
                    "/dashboard/companies/{}/document-template",
                    company.company_id
                ),
            ),
        ]);
        // The API's own view of a rule, read as its `GET /v1/companies` reads it.
        let tax_rules: Vec<crate::http::routes::companies::TaxRuleView> =
            serde_json::from_value(company.tax_rules).map_err(|e| ApiError::internal(&e))?;
        for rule in tax_rules {
            rules.push(vec![
                Cell::text(&company.name),
                Cell::text(
                    rule.country
                        .unwrap_or_else(|| lang.t("companies-every-other-country")),
                ),
                Cell::text(format!("{}%", rule.rate)),
                Cell::text(lang.named(&rule.mode)),
                Cell::text(if rule.reverse_charge {
                    lang.t("companies-reverse-charge")
                } else {
                    String::new()
                }),
            ]);
        }
    }
    Ok(TablesPage::of(
        session.layout(session.lang.t("title-companies")),
        vec![
            Section::new(
                "companies",
                lang.t("title-companies"),
                &[
                    "col-name",
                    "clients-provider",
                    "col-country",
                    "col-vat",
                    "col-invoice-numbers",
                    "col-payment-methods",
                    "col-document-template",
                ],
                companies,
            )
            .with_next(next),
            Section::new(
                "tax-rules",
                lang.t("companies-tax-rules"),
                &[
                    "client-company",
                    "col-clients-in",
                    "col-tax-rate",
                    "col-tax-is",
                    "col-reverse-charge",
                ],
                rules,
            ),
        ],
    ))
}

/// The staff and the departments, with their permissions.
pub(super) async fn staff(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    page_of(state, headers, "/v1/staff", |state, session| {
        staff_page(state, session, params)
    })
    .await
}

async fn staff_page(
    state: AppState,
    session: Session,
    params: PageParams,
) -> Result<TablesPage, ApiError> {
    let pool = &state.pool;
    let lang = session.lang;
    let after = id_cursor(params.after.as_deref())?;
    let mut members = projections::access::staff(pool, after, PAGE + 1).await?;
    let next = next_page(&mut members, "/dashboard/staff", |m| m.id.to_string());
    let mut sections = Vec::new();
    let departments = if session.may("GET", "/v1/departments") {
        projections::access::departments(pool, None, DEPARTMENTS_MAX).await?
    } else {
        Vec::new()
    };
    let ids: Vec<Uuid> = members
        .iter()
        .flat_map(|m| m.departments.0.iter().copied())
        .collect();
    let names: HashMap<Uuid, String> = projections::access::department_names(pool, &ids)
        .await?
        .into_iter()
        .collect();
    let rows = members
        .into_iter()
        .map(|member| {
            let in_departments: Vec<String> = member
                .departments
                .0
                .iter()
                .filter_map(|id| names.get(id).cloned())
                .collect();
            vec![
                Cell::text(member.name),
                Cell::text(member.login),
                Cell::text(in_departments.join(", ")),
                Cell::text(permissions(&member.grants.0)),
                Cell::text(if member.administrator {
                    lang.t("word-yes")
                } else {
                    String::new()
                }),
                Cell::text(lang.named(&member.status)),
                Cell::text(session.zone.time(member.created_at)),
            ]
        })
        .collect();
    sections.push(
        Section::new(
            "staff",
            lang.t("staff-staff"),
            &[
                "col-name",
                "col-login",
                "col-departments",
                "col-own-permissions",
                "col-administrator",
                "col-status",
                "col-since",
            ],
            rows,
        )
        .with_next(next),
    );
    if session.may("GET", "/v1/departments") {
        let rows = departments
            .into_iter()
            .map(|d| {
                vec![
                    Cell::text(d.name),
                    Cell::text(permissions(&d.permissions.0)),
                    Cell::text(lang.t(if d.accepts_tickets {
                        "word-yes"
                    } else {
                        "word-no"
                    })),
                ]
            })
            .collect();
        sections.push(Section::new(
            "departments",
            lang.t("col-departments"),
            &["col-name", "col-permissions", "col-takes-tickets"],
            rows,
        ));
    }
    Ok(TablesPage::of(
        session.layout(session.lang.t("title-staff")),
        sections,
    ))
}

/// Permissions as the API writes them, `resource:action`, comma separated.
fn permissions(permissions: &domain::access::Permissions) -> String {
    permissions
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The notifier's outbox (what was e-mailed to whom, or why not), newest first, by keyset
/// pages; the message templates written; the announcements.
pub(super) async fn notifications(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    page_of(state, headers, "/v1/notifications", |state, session| {
        notifications_page(state, session, params)
    })
    .await
}

async fn notifications_page(
    state: AppState,
    session: Session,
    params: PageParams,
) -> Result<TablesPage, ApiError> {
    let pool = &state.pool;
    let lang = session.lang;
    let before = time_cursor(params.after.as_deref())?;
    let mut notices =
        projections::notify::notifications(pool, (None, None), None, before, PAGE + 1).await?;
    let next = next_page(&mut notices, "/dashboard/notifications", |last| {
        time_cursor_of(last.queued_at, last.event_id)
    });
    let ids: Vec<Uuid> = notices.iter().filter_map(|n| n.client_id).collect();
    let clients: HashMap<Uuid, String> = projections::clients::names(pool, &ids)
        .await?
        .into_iter()
        .collect();
    let rows = notices
        .into_iter()
        .map(|n| {
            let client = n
                .client_id
                .map(|id| {
                    Cell::link(
                        clients.get(&id).cloned().unwrap_or_default(),
                        format!("/dashboard/clients/{id}"),
                    )
                })
                .unwrap_or_else(|| Cell::text(""));
            vec![
                Cell::text(session.zone.time(n.queued_at)),
                client,
                Cell::text(lang.named(&n.kind)),
                Cell::text(lang.named(&n.status)),
                Cell::text(n.to_address.unwrap_or_default()),
                Cell::text(n.subject.unwrap_or_default()),
                Cell::count(n.attempts),
                Cell::text(n.last_error.unwrap_or_default()),
            ]
        })
        .collect();
    let mut sections = vec![
        Section::new(
            "outbox",
            lang.t("notifications-outbox"),
            &[
                "col-queued",
                "col-client",
                "col-kind",
                "col-status",
                "col-to",
                "col-subject",
                "col-attempts#",
                "col-last-error",
            ],
            rows,
        )
        .with_next(next),
    ];
    if session.may("GET", "/v1/message-templates") {
        let rows = projections::support::message_templates(pool)
            .await?
            .into_iter()
            .map(|t| {
                vec![
                    Cell::text(lang.named(&t.kind)),
                    Cell::text(t.language),
                    Cell::text(t.subject),
                    Cell::text(session.zone.time(t.updated_at)),
                ]
            })
            .collect();
        sections.push(Section::new(
            "templates",
            lang.t("notifications-templates"),
            &["col-kind", "col-language", "col-subject", "col-changed"],
            rows,
        ));
    }
    if session.may("GET", "/v1/announcements") {
        let rows = crate::usecases::messages::announcements(&state, false, None, None, PAGE)
            .await?
            .into_iter()
            .map(|a| {
                vec![
                    Cell::text(a.title),
                    Cell::text(
                        a.language
                            .unwrap_or_else(|| lang.t("notifications-every-language")),
                    ),
                    Cell::text(session.zone.time(a.valid_from)),
                    Cell::text(session.zone.time(a.valid_until)),
                    Cell::text(
                        a.withdrawn_at
                            .map(|at| session.zone.time(at))
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect();
        sections.push(Section::new(
            "announcements",
            lang.t("notifications-announcements"),
            &[
                "col-title",
                "col-language",
                "col-from",
                "col-until",
                "col-withdrawn",
            ],
            rows,
        ));
    }
    Ok(TablesPage::of(
        session.layout(session.lang.t("title-notifications")),
        sections,
    ))
}
