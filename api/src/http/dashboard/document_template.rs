//! A company's document template on the panel (`/dashboard/companies/{id}/document-template`):
//! a form of the header, the footer and the payment details, posting through the same
//! `run_set_document_template` as `PUT /v1/companies/{id}/document-template`. A logo is sent
//! through the API (base64 in JSON); the form keeps it or removes it.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field};
use super::{Session, failed, may_open};
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::pages::{Layout, render};
use crate::http::routes::document_templates::{
    DocumentTemplateRequest, DocumentTemplateView, PaymentDetailsBody, document_template,
    run_set_document_template,
};
use crate::http::state::AppState;

/// The API route the form stands for.
const ROUTE: &str = "/v1/companies/{id}/document-template";

/// The form's page.
#[derive(Template)]
#[template(path = "document_template.html")]
struct TemplatePage {
    layout: Layout,
    company_id: Uuid,
    template: DocumentTemplateView,
    csrf: String,
    key: String,
    saved: bool,
    error: Option<String>,
}

/// Whether the page follows a save.
#[derive(serde::Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// The form, filled with the company's template.
pub(super) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Response {
    let session = match may_open(&state, &headers, ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    show(
        &state,
        &session,
        id,
        done.done.is_some(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    session: &Session,
    id: Uuid,
    saved: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let template = match document_template(state, id).await {
        Ok(template) => template,
        Err(error) => return failed(error),
    };
    render(
        status,
        &TemplatePage {
            layout: session.layout("Document template"),
            company_id: id,
            template,
            csrf: session.csrf(),
            key: new_key(),
            saved,
            error,
        },
    )
}

/// Saves the form: `PUT /v1/companies/{id}/document-template`.
pub(super) async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "PUT", ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome: Result<Response, ApiError> = async {
        let command = command(&session, &fields, format!("PUT {ROUTE}"))?;
        let text = |name: &str| Some(field(&fields, name).to_owned()).filter(|v| !v.is_empty());
        let request = DocumentTemplateRequest {
            header: text("header"),
            footer: text("footer"),
            logo: None,
            keep_logo: field(&fields, "remove_logo").is_empty(),
            payment: Some(PaymentDetailsBody {
                bank_name: text("bank_name"),
                iban: text("iban"),
                bic: text("bic"),
                account_holder: text("account_holder"),
                text: text("payment_text"),
            }),
        };
        run_set_document_template(&state, &command, id, request).await
    }
    .await;
    match outcome {
        Ok(_) => Redirect::to(&format!(
            "/dashboard/companies/{id}/document-template?done=saved"
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let status = error.status();
            show(
                &state,
                &session,
                id,
                false,
                Some(error.detail().to_owned()),
                status,
            )
            .await
        }
    }
}
