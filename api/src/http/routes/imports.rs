//! Import over HTTP: `POST /v1/imports` takes a bundle (`docs/import.md`) and brings it over
//! through the one use case `billing import` runs too.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command};
use crate::http::state::AppState;
use crate::usecases::imports::{self, BadRow, Bundle, ImportError, ImportReport};

/// The largest bundle `POST /v1/imports` takes: 64 MiB, about 150,000 services with their
/// clients. Larger moves are split by provider or go through `billing import`.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// One bad row of a refused bundle.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BadRowView {
    /// `bundle`, `providers`, `tariffs`, `clients`, `services`, `companies`, `payers`, `users`
    /// or `invoices`.
    pub entity: String,
    /// The row's place in its list, from 1 (0 for the bundle itself).
    pub row: usize,
    /// The row's id in the source system.
    pub source_id: String,
    /// The field.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}

/// A refused bundle: the problem and every bad row. Nothing was written. A body that is not a
/// bundle at all gets the same shape without `errors` (`code` `invalid_field` or `malformed_json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportProblem {
    /// `/problems/invalid_bundle` (or the problem of a body that is not a bundle).
    #[serde(rename = "type")]
    pub kind: String,
    /// `Unprocessable Entity`.
    pub title: String,
    /// 422.
    pub status: u16,
    /// How many rows are bad, or what is wrong with the body.
    pub detail: String,
    /// `invalid_bundle`, or `invalid_field`/`malformed_json` for a body that is not a bundle.
    pub code: String,
    /// Every bad row. Absent when the body is not a bundle at all (malformed JSON, a missing
    /// field): then `detail` says what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<BadRowView>>,
}

/// What one kind of thing did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountedView {
    /// Brought over by this import.
    pub imported: u64,
    /// There already: nothing written.
    pub unchanged: u64,
    /// Left out by design (closed services): nothing written.
    pub skipped: u64,
}

/// What an import did (the use case's `ImportReport`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReportView {
    /// The source system.
    pub source: String,
    /// Providers created.
    pub providers: CountedView,
    /// Tariffs created.
    pub tariffs: CountedView,
    /// Clients imported.
    pub clients: CountedView,
    /// Opening balances imported.
    pub balances: CountedView,
    /// Services imported.
    pub services: CountedView,
    /// Companies imported.
    pub companies: CountedView,
    /// Payers imported.
    pub payers: CountedView,
    /// Client users imported.
    pub users: CountedView,
    /// The bundle's users without an argon2 hash: they must reset their password to sign in.
    pub users_reset_required: u64,
    /// Open invoices imported.
    pub invoices: CountedView,
    /// Events written.
    pub events: u64,
    /// The position of the last event written: `min_position` for queries.
    pub position: i64,
    /// Wall time of the writing, in milliseconds.
    pub elapsed_ms: u64,
    /// Services per second of writing.
    pub services_per_second: f64,
}

fn refused(rows: Vec<BadRow>) -> Response {
    let problem = ImportProblem {
        kind: "/problems/invalid_bundle".to_owned(),
        title: "Unprocessable Entity".to_owned(),
        status: 422,
        detail: format!(
            "the bundle has {} bad row(s); nothing was imported",
            rows.len()
        ),
        code: "invalid_bundle".to_owned(),
        errors: Some(
            rows.into_iter()
                .map(|row| BadRowView {
                    entity: row.entity,
                    row: row.row,
                    source_id: row.source_id,
                    field: row.field,
                    problem: row.problem,
                })
                .collect(),
        ),
    };
    let mut response = (StatusCode::UNPROCESSABLE_ENTITY, Json(problem)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Imports a bundle from another billing system (WHMCS, BILLmanager, …): providers, tariffs,
/// clients with their balances and credit limits, services with their paid time, each as an
/// `…Imported` event; nothing is charged. The bundle is checked whole first: with any bad row,
/// the answer lists every one and nothing is written. Importing the same bundle again writes
/// nothing; after a failure, sending it again finishes it.
#[utoipa::path(post, path = "/v1/imports", tag = "imports",
    request_body(content = Object, description = "the bundle, as docs/import.md describes it"),
    responses(
        (status = 200, description = "imported (or already so)", body = ImportReportView),
        (status = 413, description = "a bundle over 64 MiB", body = Problem),
        (status = 422, description = "bad rows, each listed, or not a bundle at all; nothing written",
            body = ImportProblem)))]
pub async fn import_bundle(
    State(state): State<AppState>,
    command: Command,
    Body(bundle): Body<Bundle>,
) -> Result<Response, ApiError> {
    match imports::import(&state.store, &command.context, &bundle).await {
        Ok(report) => Ok(Json(view(report)).into_response()),
        Err(ImportError::Invalid(rows)) => Ok(refused(rows)),
        Err(ImportError::Failed(error)) => Err(error.into()),
    }
}

fn view(report: ImportReport) -> ImportReportView {
    let counted = |c: imports::Counted| CountedView {
        imported: c.imported,
        unchanged: c.unchanged,
        skipped: c.skipped,
    };
    ImportReportView {
        source: report.source,
        providers: counted(report.providers),
        tariffs: counted(report.tariffs),
        clients: counted(report.clients),
        balances: counted(report.balances),
        services: counted(report.services),
        companies: counted(report.companies),
        payers: counted(report.payers),
        users: counted(report.users),
        users_reset_required: report.users_reset_required,
        invoices: counted(report.invoices),
        events: report.events,
        position: report.position,
        elapsed_ms: report.elapsed_ms,
        services_per_second: report.services_per_second,
    }
}
