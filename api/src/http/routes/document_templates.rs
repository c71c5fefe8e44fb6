//! A company's document template (BILLmanager's "Document templates"): the header, footer, logo
//! and payment details its invoices and credit notes print. Invoices copy the template when
//! they are drafted, so an edit never changes a document already issued.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use domain::company::{DocumentTemplate, LOGO_BYTES_MAX, LogoType, PaymentDetails};
use domain::ids::CompanyId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path};
use crate::http::state::AppState;
use crate::usecases::companies::{self, LogoChange};

/// The largest body of `PUT /v1/companies/{id}/document-template`: a 256 KiB logo in base64 and
/// the texts.
pub const TEMPLATE_BODY_LIMIT: usize = 512 * 1024;

/// The company's bank details, as printed; every field optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentDetailsBody {
    /// The bank's name; at most 200 characters.
    #[schema(example = "Berliner Bank")]
    pub bank_name: Option<String>,
    /// The IBAN; spaces allowed, its check digits are verified.
    #[schema(example = "DE89 3704 0044 0532 0130 00")]
    pub iban: Option<String>,
    /// The BIC (SWIFT code): 8 or 11 letters and digits.
    #[schema(example = "COBADEFFXXX")]
    pub bic: Option<String>,
    /// Whose account it is; at most 200 characters.
    pub account_holder: Option<String>,
    /// Anything else a payer needs; at most 1,000 characters, newlines allowed.
    pub text: Option<String>,
}

/// A new logo.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoUpload {
    /// The bytes of a PNG or JPEG picture (its type is read from its content), base64 (standard
    /// alphabet, padded); at most 256 KiB decoded.
    pub content_base64: String,
}

/// `PUT /v1/companies/{id}/document-template`: the whole template.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentTemplateRequest {
    /// Printed under the title; at most 1,000 characters, newlines allowed.
    pub header: Option<String>,
    /// Printed at the foot of every page; at most 1,000 characters, newlines allowed.
    pub footer: Option<String>,
    /// A new logo; without one the logo is removed, unless `keep_logo`.
    pub logo: Option<LogoUpload>,
    /// Keeps the logo the template has when no new one is sent.
    #[serde(default)]
    pub keep_logo: bool,
    /// How to pay the company.
    pub payment: Option<PaymentDetailsBody>,
}

/// A logo as the template names it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogoView {
    /// The SHA-256 of its bytes.
    pub sha256: String,
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    /// Its size.
    pub size_bytes: u64,
}

/// A company's document template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentTemplateView {
    /// The company.
    pub company_id: Uuid,
    /// Printed under the title.
    pub header: Option<String>,
    /// Printed at the foot of every page.
    pub footer: Option<String>,
    /// The logo.
    pub logo: Option<LogoView>,
    /// How to pay the company.
    pub payment: Option<PaymentDetailsBody>,
}

/// Replaces a company's document template, which the invoices drafted from now on print.
/// Setting the template it has records nothing.
#[utoipa::path(put, path = "/v1/companies/{id}/document-template", tag = "companies",
    request_body = DocumentTemplateRequest,
    params(("id" = Uuid, Path, description = "the company")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such company", body = Problem),
        (status = 413, description = "a logo over 256 KiB", body = Problem),
        (status = 422, description = "an invalid field, or a logo that is no PNG or JPEG", body = Problem)))]
pub async fn set_document_template(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<DocumentTemplateRequest>,
) -> Result<Response, ApiError> {
    run_set_document_template(&state, &command, id, request).await
}

/// What `PUT /v1/companies/{id}/document-template` runs, for the API and the panel's form.
pub async fn run_set_document_template(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: DocumentTemplateRequest,
) -> Result<Response, ApiError> {
    let logo = match (&request.logo, request.keep_logo) {
        (Some(upload), _) => {
            let (kind, bytes) = decode_logo(&upload.content_base64)?;
            LogoChange::Replace(kind, bytes)
        }
        (None, true) => LogoChange::Keep,
        (None, false) => LogoChange::Remove,
    };
    run_set_template_with(state, command, id, request, logo).await
}

/// What `PUT /v1/companies/{id}/document-template` runs once the logo is read (`logo`; the
/// request's own `logo` and `keep_logo` are not looked at): the panel's form, which uploads the
/// logo as a file, calls it with the file's bytes checked by [`logo_of`].
pub async fn run_set_template_with(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: DocumentTemplateRequest,
    logo: LogoChange,
) -> Result<Response, ApiError> {
    let payment = request.payment.map(|p| PaymentDetails {
        bank_name: p.bank_name,
        iban: p.iban,
        bic: p.bic,
        account_holder: p.account_holder,
        text: p.text,
    });
    let template = DocumentTemplate {
        header: request.header,
        footer: request.footer,
        logo: None,
        payment,
    };
    let committed = companies::set_document_template(
        state,
        &command.context,
        CompanyId::from_uuid(id),
        template,
        logo,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// The bytes of a logo and their type, read from the content; a file too large is refused
/// before it is decoded, one that is no PNG or JPEG after.
pub fn decode_logo(content_base64: &str) -> Result<(LogoType, Vec<u8>), ApiError> {
    let too_large = |size_bytes: u64| {
        ApiError::from(domain::company::CompanyError::LogoTooLarge {
            size_bytes,
            limit_bytes: LOGO_BYTES_MAX,
        })
    };
    // Base64 holds 3 bytes in 4 characters.
    let floor = u64::try_from((content_base64.len() / 4).saturating_mul(3))
        .unwrap_or(u64::MAX)
        .saturating_sub(2);
    if floor > LOGO_BYTES_MAX {
        return Err(too_large(floor));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content_base64.trim().as_bytes())
        .map_err(|e| ApiError::unprocessable("invalid_logo", format!("logo: not base64: {e}")))?;
    logo_of(bytes)
}

/// The bytes of a logo and their type, read from the content: a 422 `invalid_logo` for anything
/// but a PNG or JPEG, whatever its name or declared type. Its size is the company's rule
/// (`DocumentTemplate::checked`, a 413 `logo_too_large`).
pub fn logo_of(bytes: Vec<u8>) -> Result<(LogoType, Vec<u8>), ApiError> {
    let kind = LogoType::sniff(&bytes).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_logo",
            "logo: the content is not a PNG or JPEG picture",
        )
    })?;
    Ok((kind, bytes))
}

/// A company's document template; empty until one is set.
#[utoipa::path(get, path = "/v1/companies/{id}/document-template", tag = "companies",
    params(("id" = Uuid, Path, description = "the company")),
    responses(
        (status = 200, description = "the template", body = DocumentTemplateView),
        (status = 404, description = "no such company", body = Problem)))]
pub async fn get_document_template(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Json<DocumentTemplateView>, ApiError> {
    Ok(Json(document_template(&state, id).await?))
}

/// The template of company `id` as the API shows it.
pub async fn document_template(
    state: &AppState,
    id: Uuid,
) -> Result<DocumentTemplateView, ApiError> {
    let template = companies::document_template(state, CompanyId::from_uuid(id)).await?;
    Ok(DocumentTemplateView {
        company_id: id,
        header: template.header,
        footer: template.footer,
        logo: template.logo.map(|logo| LogoView {
            sha256: logo.sha256,
            content_type: logo.content_type.as_str().to_string(),
            size_bytes: logo.size_bytes,
        }),
        payment: template.payment.map(|p| PaymentDetailsBody {
            bank_name: p.bank_name,
            iban: p.iban,
            bic: p.bic,
            account_holder: p.account_holder,
            text: p.text,
        }),
    })
}
