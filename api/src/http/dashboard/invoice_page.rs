//! The invoice's page: the API's printable document (`http::document`) under the panel's path,
//! so that the session cookie goes with the request, with the "Send to client" form of
//! `invoice_send` above it for staff who may send documents (hidden when printed).

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use projections::invoices::InvoiceRow;

use super::clients::FormError;
use super::{Session, failed};
use crate::http::error::ApiError;
use crate::http::i18n::Lang;
use crate::http::pages::forms::new_key;
use crate::http::state::AppState;

/// The API route the "Send to client" forms stand for.
pub(super) const ROUTE: &str = "/v1/invoices/{id}/send";

/// The form put above the printable document on the invoice's page.
#[derive(Template)]
#[template(path = "invoice_send.html")]
struct SendForm<'a> {
    /// The language of the form's texts, the session's.
    lang: Lang,
    id: String,
    client_id: String,
    to: String,
    csrf: String,
    key: String,
    error: Option<&'a FormError>,
}

/// The `?lang=` of the invoice's page: the document in another language than the client's.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct DocumentLang {
    #[serde(default)]
    lang: Option<String>,
}

impl DocumentLang {
    /// The language asked for, when the documents are written in it.
    pub(super) fn lang(&self) -> Option<Lang> {
        self.lang.as_deref().and_then(Lang::parse)
    }
}

/// The invoice's page: the printable document of `row` (in the client's language unless `lang`
/// asks for another) and, for a staff member who may send it, the "Send to client" form above
/// it (with `error`, a refused sending's problem).
pub(super) async fn page(
    state: &AppState,
    session: &Session,
    row: &InvoiceRow,
    lang: Option<Lang>,
    error: Option<FormError>,
) -> Response {
    let html = match crate::http::document::Document::read_in(
        state,
        row,
        crate::http::document::Audience::Staff,
        lang,
    )
    .await
    {
        Ok(document) => document.html(),
        Err(error) => Err(error),
    };
    let html = match html {
        Ok(html) => html,
        Err(error) => return failed(error),
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let html = if session.may("POST", ROUTE) {
        let client = match projections::clients::client(&state.pool, row.client_id).await {
            Ok(client) => client,
            Err(error) => return failed(error.into()),
        };
        let form = SendForm {
            lang: session.lang,
            id: row.invoice_id.to_string(),
            client_id: row.client_id.to_string(),
            to: client.map(|c| c.email).unwrap_or_default(),
            csrf: session.csrf(),
            key: new_key(),
            error: error.as_ref(),
        };
        match form.render() {
            Ok(form) => with_form(html, &form),
            Err(error) => return failed(ApiError::internal(&error)),
        }
    } else {
        html
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// `html` with `form` at the start of its body.
fn with_form(mut html: String, form: &str) -> String {
    let at = html
        .find("<body")
        .and_then(|body| html[body..].find('>').map(|end| body + end + 1))
        .unwrap_or(0);
    html.insert_str(at, form);
    html
}
