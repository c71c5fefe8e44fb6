//! Contracts between a provider's company and a client (issue 20.2, ADR 31).
//!
//! Staff publish a company's contract templates (`POST /v1/contract-templates`, `GET` lists
//! them), create a client's contract from one (`POST /v1/clients/{id}/contracts`: numbered
//! `{prefix}-{year}-{n}` in the company's gap-free book, dated), sign and terminate it. A client's
//! users read their own contracts and download them as PDF; another client's contract is
//! unknown (404).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::contract::{ContractText, DraftedContract};
use projections::ReadModel;
use projections::contracts::{ContractRow, ContractTemplateRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::contracts as usecase;

/// The text of a template's version in one language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractTextBody {
    /// ISO 639-1, such as `en` or `ru`.
    #[schema(value_type = String, example = "en")]
    pub language: String,
    /// One line, 1 to 200 characters; placeholders allowed.
    #[schema(example = "Hosting contract No. {{contract_number}}")]
    pub title: String,
    /// 1 to 50,000 characters; line breaks are kept. Placeholders: `{{company_name}}`,
    /// `{{company_address}}`, `{{company_vat_number}}`, `{{client_name}}`,
    /// `{{client_address}}`, `{{client_email}}`, `{{client_vat_number}}`,
    /// `{{contract_number}}`, `{{contract_date}}`.
    pub body: String,
}

/// `POST /v1/contract-templates`: creates a company's contract template, or publishes the next
/// version of one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishContractTemplateRequest {
    /// The template to publish a new version of; absent to create one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<Uuid>,
    /// The company whose contracts it makes (fixed by the first version).
    pub company_id: Uuid,
    /// What staff call it; one line, 1 to 200 characters.
    #[schema(example = "Hosting contract")]
    pub name: String,
    /// The prefix of the contracts' numbers (`{prefix}-{year}-{n}`): 1 to 16 of `A-Z`, `0-9`.
    #[schema(example = "HC")]
    pub prefix: String,
    /// One text per language, 1 to 20.
    pub texts: Vec<ContractTextBody>,
}

/// A contract template's current version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractTemplateView {
    /// The template.
    pub id: Uuid,
    /// Its company.
    pub company_id: Uuid,
    /// Its name.
    pub name: String,
    /// The numbers' prefix.
    pub prefix: String,
    /// The current version, from 1.
    pub version: i32,
    /// The day it was published.
    pub published_on: NaiveDate,
    /// The texts, one per language: `{language, title, body}`.
    #[schema(value_type = Vec<Object>)]
    pub texts: serde_json::Value,
}

impl From<ContractTemplateRow> for ContractTemplateView {
    fn from(row: ContractTemplateRow) -> Self {
        ContractTemplateView {
            id: row.template_id,
            company_id: row.company_id,
            name: row.name,
            prefix: row.prefix,
            version: row.version,
            published_on: row.published_on,
            texts: row.texts,
        }
    }
}

/// Contract templates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractTemplateList {
    /// By name.
    pub items: Vec<ContractTemplateView>,
}

/// `GET /v1/contract-templates` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractTemplatesParams {
    /// Only this company's.
    pub company_id: Option<Uuid>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The texts of a request, as the domain takes them.
fn texts_of(texts: &[ContractTextBody]) -> Result<Vec<ContractText>, ApiError> {
    texts
        .iter()
        .map(|text| {
            Ok(ContractText {
                language: domain::notice::Language::parse(&text.language).map_err(|e| {
                    ApiError::unprocessable("invalid_language", format!("texts.language: {e}"))
                })?,
                title: text.title.clone(),
                body: text.body.clone(),
            })
        })
        .collect()
}

/// Creates a company's contract template (version 1), or publishes the next version of
/// `template_id`. Contracts drafted from then on are made from it, and contracts signed from
/// then on say its text; a contract signed earlier keeps the text it was signed with. The same
/// name, prefix and texts again publish nothing.
#[utoipa::path(post, path = "/v1/contract-templates", tag = "contracts",
    request_body = PublishContractTemplateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "published; `id` is the template's", body = Accepted),
        (status = 400, description = "no texts, two in one language, a bad name, title, body, prefix or an unknown placeholder", body = Problem),
        (status = 404, description = "no such company", body = Problem),
        (status = 409, description = "the template belongs to another company", body = Problem),
        (status = 422, description = "a language that is not ISO 639-1", body = Problem)))]
pub async fn publish_contract_template(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<PublishContractTemplateRequest>,
) -> Result<Response, ApiError> {
    let texts = texts_of(&request.texts)?;
    let id = request.template_id.unwrap_or_else(Uuid::now_v7);
    let key = command.key(&request, id)?;
    let committed = usecase::publish_template(
        &state,
        &command.context,
        key,
        id,
        request.company_id,
        request.name,
        request.prefix,
        texts,
    )
    .await?;
    Ok(accepted(id, &committed))
}

/// The contract templates with their current versions.
#[utoipa::path(get, path = "/v1/contract-templates", tag = "contracts",
    params(ContractTemplatesParams),
    responses(
        (status = 200, description = "the templates", body = ContractTemplateList),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_contract_templates(
    State(state): State<AppState>,
    Query(params): Query<ContractTemplatesParams>,
) -> Result<Json<ContractTemplateList>, ApiError> {
    state
        .consistent(&[ReadModel::Contracts], params.min_position)
        .await?;
    let rows = projections::contracts::templates(&state.pool, params.company_id).await?;
    Ok(Json(ContractTemplateList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// `POST /v1/clients/{id}/contracts`: a contract of the client from a template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContractRequest {
    /// The template (its company is the provider's party).
    pub template_id: Uuid,
    /// The contract's id, chosen by the caller so that a retry names the same contract (and
    /// its number); absent, the server makes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<Uuid>,
    /// The contract's date, `YYYY-MM-DD`; absent, today by the provider's clock. Its year is the
    /// number's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
}

/// The answer to a contract's creation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractCreated {
    /// The contract.
    pub id: Uuid,
    /// Its number, `{prefix}-{year}-{n}`.
    #[schema(example = "HC-2026-1")]
    pub number: String,
    /// The global position of its draft; pass it as `min_position` to read your own write.
    pub position: i64,
}

/// A contract of a client.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractView {
    /// The contract.
    pub id: Uuid,
    /// Its number, `{prefix}-{year}-{n}`.
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// `draft`, `signed` or `terminated`.
    #[schema(example = "signed")]
    pub status: String,
    /// The provider's company, a party.
    pub company_id: Uuid,
    /// The client, the other party.
    pub client_id: Uuid,
    /// The template it is made from.
    pub template_id: Uuid,
    /// The template's version it was drafted from, or signed with once signed.
    pub template_version: i64,
    /// The day it was signed.
    pub signed_on: Option<NaiveDate>,
    /// The day it ended.
    pub terminated_on: Option<NaiveDate>,
    /// The company's name.
    pub company_name: Option<String>,
    /// The client's name.
    pub client_name: Option<String>,
}

impl From<ContractRow> for ContractView {
    fn from(row: ContractRow) -> Self {
        ContractView {
            id: row.contract_id,
            number: row.number,
            date: row.dated_on,
            status: row.status,
            company_id: row.company_id,
            client_id: row.client_id,
            template_id: row.template_id,
            template_version: i64::from(row.template_version),
            signed_on: row.signed_on,
            terminated_on: row.terminated_on,
            company_name: row.company_name,
            client_name: row.client_name,
        }
    }
}

/// One contract with its text: as signed once signed, rendered from the template's current
/// version while a draft.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractDetail {
    /// The contract.
    pub id: Uuid,
    /// Its number.
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// `draft`, `signed` or `terminated`.
    pub status: String,
    /// The provider's company.
    pub company_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The template.
    pub template_id: Uuid,
    /// The template's version the text is of.
    pub template_version: i64,
    /// The day it was signed.
    pub signed_on: Option<NaiveDate>,
    /// The day it ended.
    pub terminated_on: Option<NaiveDate>,
    /// The text, one per language: `{language, title, body}`.
    #[schema(value_type = Vec<Object>)]
    pub texts: serde_json::Value,
}

/// A client's contracts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContractList {
    /// Newest first, at most 500.
    pub items: Vec<ContractView>,
}

/// `POST /v1/clients/{id}/contracts/{contract}/sign`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignContractRequest {
    /// The day it was signed, `YYYY-MM-DD`, not before the contract's date; absent, today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_on: Option<NaiveDate>,
}

/// `POST /v1/clients/{id}/contracts/{contract}/terminate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateContractRequest {
    /// Why; 1 to 1000 characters.
    #[schema(example = "The client moved to another provider")]
    pub reason: String,
    /// The day it ends, `YYYY-MM-DD`, not before its signing; absent, today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated_on: Option<NaiveDate>,
}

/// Creates a contract between the template's company and the client: numbered in the company's
/// own gap-free sequence of the contract's year (`{prefix}-{year}-{n}`; two created at once get
/// two consecutive numbers), dated, a draft until signed.
#[utoipa::path(post, path = "/v1/clients/{id}/contracts", tag = "contracts",
    request_body = CreateContractRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created and numbered", body = ContractCreated),
        (status = 404, description = "no such client or template", body = Problem),
        (status = 409, description = "a contract with this `contract_id` exists", body = Problem),
        (status = 422, description = "the template's company is not the client's provider's", body = Problem)))]
pub async fn create_contract(
    State(state): State<AppState>,
    command: Command,
    Path(client_id): Path<Uuid>,
    Body(request): Body<CreateContractRequest>,
) -> Result<Response, ApiError> {
    let contract_id = request.contract_id.unwrap_or_else(Uuid::now_v7);
    let created = usecase::create(
        &state,
        &command.context,
        client_id,
        request.template_id,
        contract_id,
        request.date,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ContractCreated {
            id: contract_id,
            number: created.number,
            position: created.committed.position,
        }),
    )
        .into_response())
}

/// The client's contracts, newest first.
#[utoipa::path(get, path = "/v1/clients/{id}/contracts", tag = "contracts",
    params(("id" = Uuid, Path, description = "the client"), Consistency),
    responses(
        (status = 200, description = "the contracts", body = ContractList),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_client_contracts(
    State(state): State<AppState>,
    Path(client_id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<ContractList>, ApiError> {
    state
        .consistent(&[ReadModel::Contracts], consistency.min_position)
        .await?;
    let rows = projections::contracts::list(&state.pool, Some(client_id), 500).await?;
    Ok(Json(ContractList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// The detail of `contract` with its wording.
async fn detail(state: &AppState, contract: &DraftedContract) -> Result<ContractDetail, ApiError> {
    let wording = usecase::wording(state, contract).await?;
    Ok(ContractDetail {
        id: contract.contract_id.as_uuid(),
        number: contract.number.clone(),
        date: contract.dated_on,
        status: contract.status.as_str().to_owned(),
        company_id: contract.company_id.as_uuid(),
        client_id: contract.client_id.as_uuid(),
        template_id: contract.template_id.as_uuid(),
        template_version: i64::from(wording.template_version),
        signed_on: contract.signed_on,
        terminated_on: contract.terminated_on,
        texts: serde_json::to_value(&wording.texts).map_err(|e| ApiError::internal(&e))?,
    })
}

/// One contract of the client, with its text (as signed, or as a draft would be signed now).
#[utoipa::path(get, path = "/v1/clients/{id}/contracts/{contract}", tag = "contracts",
    params(("id" = Uuid, Path, description = "the client"),
           ("contract" = Uuid, Path, description = "the contract")),
    responses(
        (status = 200, description = "the contract", body = ContractDetail),
        (status = 404, description = "no such contract of this client", body = Problem)))]
pub async fn get_contract(
    State(state): State<AppState>,
    Path((client_id, contract_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<ContractDetail>, ApiError> {
    let contract = usecase::of_client(&state, client_id, contract_id).await?;
    Ok(Json(detail(&state, &contract).await?))
}

/// The PDF of `contract`, in `lang`.
pub(crate) async fn pdf_of(
    state: &AppState,
    contract: &DraftedContract,
    lang: crate::http::i18n::Lang,
) -> Result<Response, ApiError> {
    let wording = usecase::wording(state, contract).await?;
    let template = usecase::document_template(state, contract).await?;
    let document =
        crate::http::document::Document::contract(lang, contract, &wording, template.as_ref());
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.pdf\"", contract.number),
            ),
        ],
        document.pdf()?,
    )
        .into_response())
}

/// The language of `client`'s documents: its notice settings' language when the documents are
/// written in it, English otherwise.
pub(crate) async fn client_lang(
    state: &AppState,
    client: Uuid,
) -> Result<crate::http::i18n::Lang, ApiError> {
    let language = projections::support::notice_language(&state.pool, client).await?;
    Ok(language
        .as_deref()
        .map_or(crate::http::i18n::Lang::En, crate::http::i18n::Lang::of_tag))
}

/// The contract printed as PDF in the client's language: the company, the client, the number,
/// the date and the text (as signed, or as a draft would be signed now).
#[utoipa::path(get, path = "/v1/clients/{id}/contracts/{contract}/pdf", tag = "contracts",
    params(("id" = Uuid, Path, description = "the client"),
           ("contract" = Uuid, Path, description = "the contract")),
    responses(
        (status = 200, description = "the contract as PDF", content_type = "application/pdf"),
        (status = 404, description = "no such contract of this client", body = Problem)))]
pub async fn contract_pdf(
    State(state): State<AppState>,
    Path((client_id, contract_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let contract = usecase::of_client(&state, client_id, contract_id).await?;
    let lang = client_lang(&state, client_id).await?;
    pdf_of(&state, &contract, lang).await
}

/// Signs a draft contract: its text, rendered now from the template's current version for the
/// company and the client as they are, is frozen; later versions of the template and changes
/// of the parties never change it.
#[utoipa::path(post, path = "/v1/clients/{id}/contracts/{contract}/sign", tag = "contracts",
    request_body = SignContractRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("contract" = Uuid, Path, description = "the contract"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "signed", body = Accepted),
        (status = 404, description = "no such contract of this client", body = Problem),
        (status = 422, description = "signed or terminated already, or dated before the contract", body = Problem)))]
pub async fn sign_contract(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, contract_id)): Path<(Uuid, Uuid)>,
    Body(request): Body<SignContractRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, contract_id)?;
    let committed = usecase::sign(
        &state,
        &command.context,
        key,
        client_id,
        contract_id,
        request.signed_on,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, contract_id, &committed))
}

/// Terminates a signed contract.
#[utoipa::path(post, path = "/v1/clients/{id}/contracts/{contract}/terminate", tag = "contracts",
    request_body = TerminateContractRequest,
    params(("id" = Uuid, Path, description = "the client"),
           ("contract" = Uuid, Path, description = "the contract"),
           ("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 200, description = "terminated", body = Accepted),
        (status = 400, description = "an empty or too long reason", body = Problem),
        (status = 404, description = "no such contract of this client", body = Problem),
        (status = 422, description = "not signed, terminated already, or dated before the signing", body = Problem)))]
pub async fn terminate_contract(
    State(state): State<AppState>,
    command: Command,
    Path((client_id, contract_id)): Path<(Uuid, Uuid)>,
    Body(request): Body<TerminateContractRequest>,
) -> Result<Response, ApiError> {
    let key = command.key(&request, contract_id)?;
    let committed = usecase::terminate(
        &state,
        &command.context,
        key,
        client_id,
        contract_id,
        request.terminated_on,
        request.reason,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, contract_id, &committed))
}
