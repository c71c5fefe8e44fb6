//! The client's contracts with the provider's company (issue 20.2, ADR 31): a list with each
//! contract's number, date and status, and its PDF in the client's language. Another client's
//! contract answers 404, as the API does.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use uuid::Uuid;

use super::{failed, may_open, not_found};
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;

/// The API route whose rule opens the list.
pub(super) const LIST_ROUTE: &str = "/v1/clients/{id}/contracts";
/// The API route whose rule opens one contract's PDF.
const PDF_ROUTE: &str = "/v1/clients/{id}/contracts/{contract}/pdf";

#[derive(Template)]
#[template(path = "my/contracts.html")]
struct ContractsPage {
    layout: Layout,
    contracts: Vec<ContractLine>,
}

struct ContractLine {
    id: String,
    number: String,
    date: String,
    status: String,
    company: String,
}

/// `/my/contracts`: the client's contracts, newest first.
pub(super) async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, LIST_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let rows =
        match projections::contracts::list(&state.pool, Some(session.client_id.as_uuid()), 500)
            .await
        {
            Ok(rows) => rows,
            Err(error) => return failed(Some(&session), error.into()),
        };
    let contracts = rows
        .into_iter()
        .map(|row| ContractLine {
            id: row.contract_id.to_string(),
            number: row.number,
            date: session.lang.date(row.dated_on),
            status: session.lang.t(&format!("doc-contract-{}", row.status)),
            company: row.company_name.unwrap_or_default(),
        })
        .collect();
    render(
        StatusCode::OK,
        &ContractsPage {
            layout: session.layout(session.lang.t("my-contracts-title")),
            contracts,
        },
    )
}

/// `/my/contracts/{id}/pdf`: one of the client's contracts as PDF, in the session's language.
pub(super) async fn pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match may_open(&state, &headers, PDF_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found(&session);
    };
    let contract = match crate::usecases::contracts::of_client(
        &state,
        session.client_id.as_uuid(),
        id,
    )
    .await
    {
        Ok(contract) => contract,
        Err(error) if error.kind == crate::usecases::Kind::NotFound => {
            return not_found(&session);
        }
        Err(error) => return failed(Some(&session), error.into()),
    };
    match crate::http::routes::contracts::pdf_of(&state, &contract, session.lang).await {
        Ok(response) => response,
        Err(error) => failed(Some(&session), error),
    }
}
