//! A company's document template on the panel (`/dashboard/companies/{id}/document-template`):
//! a form of the header, the footer, the payment details and the logo, posting through the same
//! code as `PUT /v1/companies/{id}/document-template` (`run_set_template_with`). The form is
//! `multipart/form-data`: a new logo is a file, checked by the API's own `logo_of` (PNG or JPEG
//! by its content) and the company's rules (at most 256 KiB, a 413); a refusal is shown on the
//! form with its status and writes nothing. Without a file the logo is kept, or removed when
//! asked. A form without files (`application/x-www-form-urlencoded`) is read as well.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fluent_bundle::FluentValue;
use uuid::Uuid;

use domain::company::LOGO_BYTES_MAX;

use super::actions::{Fields, allowed, command, field};
use super::{Session, failed, may_open};
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::pages::{Layout, render};
use crate::http::routes::document_templates::{
    DocumentTemplateRequest, DocumentTemplateView, PaymentDetailsBody, TEMPLATE_BODY_LIMIT,
    document_template, logo_of, run_set_template_with,
};
use crate::http::state::AppState;
use crate::usecases::companies::LogoChange;

/// The API route the form stands for.
const ROUTE: &str = "/v1/companies/{id}/document-template";

/// The largest body the form's POST reads: the API's (a 256 KiB logo in base64 and the texts),
/// so that a file somewhat too large is read and refused by the company's rule, and one far too
/// large stops the reading.
pub(super) const FORM_BODY_LIMIT: usize = TEMPLATE_BODY_LIMIT;

/// The name of the form's file field.
const LOGO_FIELD: &str = "logo";

/// The form's page.
#[derive(Template)]
#[template(path = "document_template.html")]
struct TemplatePage {
    layout: Layout,
    company_id: Uuid,
    template: DocumentTemplateView,
    /// What the template's logo is, in the page's language.
    logo: Option<String>,
    csrf: String,
    key: String,
    saved: bool,
    error: Option<String>,
}

/// Whether the page follows a save (`?done=`), shared by the settings pages.
pub(super) use super::forms::Saved as Done;

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
    let logo = template.logo.as_ref().map(|logo| {
        session.lang.t_with(
            "template-logo",
            &[
                ("type", FluentValue::from(logo.content_type.as_str())),
                ("size", FluentValue::from(logo.size_bytes.to_string())),
            ],
        )
    });
    render(
        status,
        &TemplatePage {
            layout: session.layout(session.lang.t("template-title")),
            company_id: id,
            template,
            logo,
            csrf: session.csrf(),
            key: new_key(),
            saved,
            error,
        },
    )
}

/// A posted form: its fields, the logo file's bytes if one was chosen, and why the rest of the
/// body could not be read, if it could not (a body past the limit: 413).
struct Posted {
    fields: Fields,
    logo: Option<Vec<u8>>,
    unreadable: Option<ApiError>,
}

impl Posted {
    /// Reads the form, `multipart/form-data` or not. The fields read before a part that could
    /// not be read are kept, so that the CSRF token (the form's first field) is checked first
    /// and the refusal shown on the form.
    async fn read(state: &AppState, request: Request) -> Result<Posted, ApiError> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(fields) = Form::<Fields>::from_request(request, state).await?;
            return Ok(Posted {
                fields,
                logo: None,
                unreadable: None,
            });
        }
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::bad_request("invalid_form", rejection.body_text()))?;
        let mut posted = Posted {
            fields: Fields {
                csrf: String::new(),
                key: String::new(),
                rest: std::collections::BTreeMap::new(),
            },
            logo: None,
            unreadable: None,
        };
        if let Err(error) = posted.read_parts(&mut multipart).await {
            let status = error.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "invalid_form"
            };
            posted.unreadable = Some(ApiError::new(status, code, error.body_text()));
        }
        Ok(posted)
    }

    async fn read_parts(&mut self, multipart: &mut Multipart) -> Result<(), MultipartError> {
        while let Some(part) = multipart.next_field().await? {
            let name = part.name().unwrap_or_default().to_owned();
            if name == LOGO_FIELD {
                let file_name = part.file_name().unwrap_or_default().to_owned();
                let bytes = part.bytes().await?;
                // A file input left empty sends a part with no name and no bytes.
                if !(file_name.is_empty() && bytes.is_empty()) {
                    self.logo = Some(bytes.to_vec());
                }
                continue;
            }
            let text = part.text().await?;
            match name.as_str() {
                "csrf" => self.fields.csrf = text,
                "key" => self.fields.key = text,
                _ => {
                    self.fields.rest.insert(name, text);
                }
            }
        }
        Ok(())
    }
}

/// Saves the form: `PUT /v1/companies/{id}/document-template`, with the uploaded logo if any.
pub(super) async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    request: Request,
) -> Response {
    let posted = match Posted::read(&state, request).await {
        Ok(posted) => posted,
        Err(error) => return failed(error),
    };
    let fields = &posted.fields;
    let session = match allowed(&state, &headers, fields, "PUT", ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let size = posted.logo.as_ref().map(Vec::len);
    let outcome: Result<Response, ApiError> = async {
        if let Some(unreadable) = posted.unreadable {
            return Err(unreadable);
        }
        let logo = match posted.logo {
            Some(bytes) => {
                let (kind, bytes) = logo_of(bytes)?;
                LogoChange::Replace(kind, bytes)
            }
            None if field(fields, "remove_logo").is_empty() => LogoChange::Keep,
            None => LogoChange::Remove,
        };
        let command = command(&session, fields, format!("PUT {ROUTE}"))?;
        let text = |name: &str| Some(field(fields, name).to_owned()).filter(|v| !v.is_empty());
        let request = DocumentTemplateRequest {
            header: text("header"),
            footer: text("footer"),
            logo: None,
            keep_logo: true,
            payment: Some(PaymentDetailsBody {
                bank_name: text("bank_name"),
                iban: text("iban"),
                bic: text("bic"),
                account_holder: text("account_holder"),
                text: text("payment_text"),
            }),
        };
        run_set_template_with(&state, &command, id, request, logo).await
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
            let detail = refusal_text(&session, &error, size);
            show(&state, &session, id, false, Some(detail), status).await
        }
    }
}

/// What the form says of a refusal: a logo's in the page's language (`size`, the uploaded
/// file's bytes, when it was read whole), any other as the API's problem names it (the field and
/// the rule).
fn refusal_text(session: &Session, error: &ApiError, size: Option<usize>) -> String {
    match error.code() {
        "logo_too_large" | "body_too_large" => {
            session.lang.t_with(
                "template-logo-too-large",
                &[
                    (
                        "size",
                        FluentValue::from(size.map_or_else(
                            || format!("> {FORM_BODY_LIMIT}"),
                            |size| size.to_string(),
                        )),
                    ),
                    ("limit", FluentValue::from(LOGO_BYTES_MAX.to_string())),
                ],
            )
        }
        "invalid_logo" => session.lang.t("template-logo-not-image"),
        _ => error.detail().to_owned(),
    }
}
