//! The staff panel's contracts page (issue 20.2, ADR 31): every client's contracts, newest
//! first, with the client, the company, the date and the status as the `contracts` read model
//! holds them, and the companies' contract templates with their current versions.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::tables::{Cell, Section, TablesPage};
use super::{Session, failed, may_open, render};
use crate::http::error::ApiError;
use crate::http::state::AppState;

/// The API route whose rule opens the page.
pub(super) const ROUTE: &str = "/v1/clients/{id}/contracts";

/// How many contracts the page shows at most.
const SHOWN: i64 = 500;

/// `/dashboard/contracts`.
pub(super) async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match contracts_page(&state, &session).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(error),
    }
}

async fn contracts_page(state: &AppState, session: &Session) -> Result<TablesPage, ApiError> {
    let lang = session.lang;
    let rows = projections::contracts::list(&state.pool, None, SHOWN).await?;
    let contracts: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|row| {
            vec![
                Cell::text(row.number),
                Cell::link(
                    row.client_name.unwrap_or_else(|| row.client_id.to_string()),
                    format!("/dashboard/clients/{}", row.client_id),
                ),
                Cell::text(row.company_name.unwrap_or_default()),
                Cell::text(lang.date(row.dated_on)),
                Cell::text(lang.t(&format!("doc-contract-{}", row.status))),
                Cell::text(row.signed_on.map(|d| lang.date(d)).unwrap_or_default()),
                Cell::text(row.terminated_on.map(|d| lang.date(d)).unwrap_or_default()),
            ]
        })
        .collect();
    let mut sections = vec![Section::new(
        "contracts",
        lang.t("contracts-title"),
        &[
            "col-number",
            "contracts-client",
            "contracts-company",
            "contracts-date",
            "col-status",
            "contracts-signed-on",
            "contracts-terminated-on",
        ],
        contracts,
    )];
    if session.may("GET", "/v1/contract-templates") {
        let templates = projections::contracts::templates(&state.pool, None).await?;
        let templates: Vec<Vec<Cell>> = templates
            .into_iter()
            .map(|row| {
                vec![
                    Cell::text(row.name),
                    Cell::text(row.prefix),
                    Cell::count(row.version),
                    Cell::text(lang.date(row.published_on)),
                ]
            })
            .collect();
        sections.push(Section::new(
            "contract-templates",
            lang.t("contracts-templates"),
            &[
                "contracts-template-name",
                "contracts-prefix",
                "contracts-version",
                "contracts-published",
            ],
            templates,
        ));
    }
    Ok(TablesPage::of(
        session.layout(lang.t("contracts-title")),
        sections,
    ))
}
