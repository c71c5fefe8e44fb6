//! Companies: a provider's legal entities, with their tax rules and the payment methods they
//! accept.

use std::fmt;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use domain::account::PaymentMethod;
use domain::client::Country;
use domain::company::InvoiceNumbering;
use domain::ids::{CompanyId, ProviderId};
use domain::tax::{TaxRate, TaxRule, TaxRules, VatNumber};
use projections::ReadModel;
use projections::companies::{CompanyRow, PaymentMethodRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::companies::{self, NewCompany};

/// When a company's invoice sequence starts again at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberingReset {
    /// Every calendar year has its own sequence, and numbers carry the year: `INV2026-000001`.
    Yearly,
    /// One sequence for the company's whole life: `INV000001`.
    Never,
}

impl From<NumberingReset> for domain::company::NumberingReset {
    fn from(reset: NumberingReset) -> Self {
        match reset {
            NumberingReset::Yearly => Self::Yearly,
            NumberingReset::Never => Self::Never,
        }
    }
}

/// Whether prices under a tax rule already contain the tax or get it added on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// Prices are gross: the tax is taken out of them.
    Included,
    /// Prices are net: the tax is added on top.
    Added,
}

impl From<TaxMode> for domain::tax::TaxMode {
    fn from(mode: TaxMode) -> Self {
        match mode {
            TaxMode::Included => Self::Included,
            TaxMode::Added => Self::Added,
        }
    }
}

/// Who confirms the payments made by a payment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodKind {
    /// The client transfers money to the company's bank account; staff confirm it.
    BankTransfer,
    /// A card gateway takes the money and confirms it over HTTP.
    CardGateway,
    /// Staff record money received by other means; credited at once.
    Manual,
}

impl From<PaymentMethodKind> for domain::account::PaymentMethodKind {
    fn from(kind: PaymentMethodKind) -> Self {
        match kind {
            PaymentMethodKind::BankTransfer => Self::BankTransfer,
            PaymentMethodKind::CardGateway => Self::CardGateway,
            PaymentMethodKind::Manual => Self::Manual,
        }
    }
}

/// How a company numbers its invoices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberingRequest {
    /// 0 to 16 characters of `A-Z`, `0-9`, `-` and `/`.
    #[schema(pattern = "^[A-Z0-9/-]{0,16}$", example = "INV")]
    pub prefix: String,
    /// When the sequence starts again at 1.
    pub reset: NumberingReset,
}

/// `POST /v1/companies`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCompanyRequest {
    /// The caller-chosen id of the new company.
    pub company_id: Uuid,
    /// The provider the company belongs to.
    pub provider_id: Uuid,
    /// The legal name; 1 to 200 characters without control characters.
    #[schema(example = "Acme Hosting GmbH")]
    pub name: String,
    /// ISO 3166-1 alpha-2 code of the country the company is registered in.
    #[schema(pattern = "^[A-Z]{2}$", example = "DE")]
    pub country: String,
    /// The company's VAT number: two uppercase letters and 2 to 13 uppercase letters or digits.
    #[schema(pattern = "^[A-Z]{2}[A-Z0-9]{2,13}$", example = "DE123456789")]
    pub vat_number: Option<String>,
    /// The postal address printed on invoices; 1 to 500 characters, newlines allowed.
    #[schema(example = "Hauptstr. 1\n10115 Berlin")]
    pub address: String,
    /// How the company numbers its invoices.
    pub numbering: NumberingRequest,
}

/// One tax rule of `PUT /v1/companies/{id}/tax-rules`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRuleRequest {
    /// The clients' ISO 3166-1 alpha-2 country; absent or `null` for the default rule, which
    /// applies to every country without its own.
    #[serde(default)]
    #[schema(pattern = "^[A-Z]{2}$", example = "DE")]
    pub country: Option<String>,
    /// The rate in percent, 0 to 100 with at most 4 decimal places, as a string.
    #[schema(pattern = r"^[0-9]{1,3}(\.[0-9]{1,4})?$", example = "19")]
    pub rate: String,
    /// Whether prices include the tax or get it added.
    pub mode: TaxMode,
    /// Whether a business client with a VAT number pays no tax (reverse charge).
    pub reverse_charge: bool,
}

/// `PUT /v1/companies/{id}/tax-rules`: the whole set of rules as it is to be.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTaxRulesRequest {
    /// At most one rule per country and at most one default; an empty list taxes nobody.
    pub rules: Vec<TaxRuleRequest>,
    /// The tax document prepaid clients get: `on_payment` (a prepayment invoice for every
    /// payment credited, the default) or `monthly_consumption` (a monthly invoice of what was
    /// charged); unchanged when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, pattern = "^(on_payment|monthly_consumption)$")]
    pub tax_document: Option<domain::company::TaxDocument>,
}

/// `PUT /v1/companies/{id}/payment-methods/{method}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigurePaymentMethodRequest {
    /// Who confirms payments by this method.
    pub kind: PaymentMethodKind,
    /// What clients see; 1 to 100 characters without control characters.
    #[schema(example = "Bank transfer (SEPA)")]
    pub display_name: String,
    /// Whether clients can pay by it now.
    pub enabled: bool,
    /// For a card gateway only: where the customer panel sends the client to pay, an
    /// `http(s)://` address naming `{payment_id}` (and, if the gateway sends the client back,
    /// `{return_url}`), which the panel fills in; absent, the method takes payments over the API
    /// only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "https://pay.example.com/checkout/{payment_id}?return={return_url}")]
    pub redirect_url: Option<String>,
}

/// A company's invoice numbering as read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NumberingView {
    /// The prefix, possibly empty.
    pub prefix: String,
    /// `yearly` or `never`.
    pub reset: String,
}

/// A tax rule as read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaxRuleView {
    /// The clients' country; `null` for the default rule.
    pub country: Option<String>,
    /// The rate in percent, as a string without trailing zeros.
    pub rate: String,
    /// `included` or `added`.
    pub mode: String,
    /// Whether a business client with a VAT number pays no tax.
    pub reverse_charge: bool,
}

/// A payment method as read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentMethodView {
    /// The method's name, such as `bank_transfer`.
    pub method: String,
    /// `bank_transfer`, `card_gateway` or `manual`.
    pub kind: String,
    /// What clients see.
    pub display_name: String,
    /// Whether clients can pay by it now.
    pub enabled: bool,
    /// For a card gateway: where the customer panel sends the client to pay, with
    /// `{payment_id}` and `{return_url}` in it; absent for other kinds and API-only gateways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

/// A company as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompanyView {
    /// Its id.
    pub id: Uuid,
    /// Its provider.
    pub provider_id: Uuid,
    /// Its legal name.
    pub name: String,
    /// ISO 3166-1 alpha-2 code of its country.
    pub country: String,
    /// Its VAT number, if it has one.
    pub vat_number: Option<String>,
    /// Its postal address, lines separated by `\n`.
    pub address: String,
    /// How it numbers its invoices.
    pub numbering: NumberingView,
    /// Its tax rules, countries by code and the default last.
    pub tax_rules: Vec<TaxRuleView>,
    /// The payment methods it has configured, enabled or not, by name.
    pub payment_methods: Vec<PaymentMethodView>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `GET /v1/companies` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCompaniesParams {
    /// Only this provider's companies.
    pub provider_id: Option<Uuid>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// A 422 naming `field`, for domain errors whose message does not name it.
fn field_error(field: &str, code: &'static str, error: &impl fmt::Display) -> ApiError {
    ApiError::unprocessable(code, format!("{field}: {error}"))
}

/// Creates a company of a provider, without tax rules (nobody is taxed) and without payment
/// methods.
#[utoipa::path(post, path = "/v1/companies", tag = "companies",
    request_body = CreateCompanyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes a retry safe")),
    responses(
        (status = 201, description = "created", body = Accepted),
        (status = 400, description = "malformed", body = Problem),
        (status = 404, description = "no such provider", body = Problem),
        (status = 409, description = "a company with this id exists", body = Problem),
        (status = 422, description = "invalid", body = Problem)))]
pub async fn create_company(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreateCompanyRequest>,
) -> Result<Response, ApiError> {
    let country =
        Country::parse(&request.country).map_err(|e| field_error("country", e.code(), &e))?;
    let vat_number = request
        .vat_number
        .as_deref()
        .map(VatNumber::parse)
        .transpose()?;
    let numbering =
        InvoiceNumbering::new(&request.numbering.prefix, request.numbering.reset.into())?;
    let id = request.company_id;
    let key = command.key(&request, id)?;
    let company = NewCompany {
        company_id: CompanyId::from_uuid(id),
        provider_id: ProviderId::from_uuid(request.provider_id),
        name: request.name,
        country,
        vat_number,
        address: request.address,
        numbering,
    };
    let committed = companies::create_company(&state, &command.context, key, company).await?;
    Ok(accepted(id, &committed))
}

/// Replaces a company's tax rules. Setting the rules it already has records nothing.
#[utoipa::path(put, path = "/v1/companies/{id}/tax-rules", tag = "companies",
    request_body = SetTaxRulesRequest,
    params(("id" = Uuid, Path, description = "the company")),
    responses(
        (status = 200, description = "set (or already so)", body = Accepted),
        (status = 404, description = "no such company", body = Problem),
        (status = 422, description = "an invalid rule, or two rules for one country", body = Problem)))]
pub async fn set_tax_rules(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SetTaxRulesRequest>,
) -> Result<Response, ApiError> {
    let mut rules = Vec::with_capacity(request.rules.len());
    for (index, rule) in request.rules.into_iter().enumerate() {
        let country = rule
            .country
            .as_deref()
            .map(Country::parse)
            .transpose()
            .map_err(|e| field_error(&format!("rules[{index}].country"), e.code(), &e))?;
        // The rate's message starts with its field's name.
        let rate = TaxRate::parse(&rule.rate)
            .map_err(|e| ApiError::unprocessable(e.code(), format!("rules[{index}].{e}")))?;
        rules.push(TaxRule {
            country,
            rate,
            mode: rule.mode.into(),
            reverse_charge: rule.reverse_charge,
        });
    }
    let rules = TaxRules::new(rules)?;
    let committed = companies::set_tax_rules(
        &state,
        &command.context,
        CompanyId::from_uuid(id),
        rules,
        request.tax_document,
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Adds or changes one payment method of a company. Configuring it as it is records nothing.
#[utoipa::path(put, path = "/v1/companies/{id}/payment-methods/{method}", tag = "companies",
    request_body = ConfigurePaymentMethodRequest,
    params(
        ("id" = Uuid, Path, description = "the company"),
        ("method" = String, Path, description = "the method's name: 1 to 64 characters of a-z, 0-9, _ and -",
         example = "bank_transfer")),
    responses(
        (status = 200, description = "configured (or already so)", body = Accepted),
        (status = 404, description = "no such company", body = Problem),
        (status = 422, description = "an invalid method or display name, or too many methods", body = Problem)))]
pub async fn configure_payment_method(
    State(state): State<AppState>,
    command: Command,
    Path((id, method)): Path<(Uuid, String)>,
    Body(request): Body<ConfigurePaymentMethodRequest>,
) -> Result<Response, ApiError> {
    let method = PaymentMethod::parse(&method).map_err(|e| field_error("method", e.code(), &e))?;
    let committed = companies::configure_payment_method(
        &state,
        &command.context,
        CompanyId::from_uuid(id),
        method,
        domain::company::PaymentMethodConfig {
            kind: request.kind.into(),
            display_name: request.display_name,
            enabled: request.enabled,
            redirect_url: request.redirect_url,
        },
    )
    .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Lists companies, oldest first.
#[utoipa::path(get, path = "/v1/companies", tag = "companies",
    params(ListCompaniesParams),
    responses(
        (status = 200, description = "a page of companies", body = Page<CompanyView>),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_companies(
    State(state): State<AppState>,
    Query(params): Query<ListCompaniesParams>,
) -> Result<Json<Page<CompanyView>>, ApiError> {
    state
        .consistent(&[ReadModel::Companies], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    let rows = projections::companies::companies(&state.pool, params.provider_id, after, limit + 1)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.company_id).collect();
    let mut methods = projections::companies::payment_methods(&state.pool, &ids).await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let own = methods
                .extract_if(.., |method| method.company_id == row.company_id)
                .collect();
            view(row, own)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &CompanyView| crate::http::answer::time_cursor_of(last.created_at, last.id),
    )))
}

/// One company, with its tax rules and payment methods.
#[utoipa::path(get, path = "/v1/companies/{id}", tag = "companies",
    params(("id" = Uuid, Path, description = "the company"), Consistency),
    responses(
        (status = 200, description = "the company", body = CompanyView),
        (status = 404, description = "no such company", body = Problem)))]
pub async fn get_company(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<CompanyView>, ApiError> {
    state
        .consistent(&[ReadModel::Companies], consistency.min_position)
        .await?;
    let row = projections::companies::company(&state.pool, id).await?;
    let row =
        row.ok_or_else(|| ApiError::not_found("company_not_found", format!("no company {id}")))?;
    let methods = projections::companies::payment_methods(&state.pool, &[id]).await?;
    Ok(Json(view(row, methods)?))
}

fn view(row: CompanyRow, methods: Vec<PaymentMethodRow>) -> Result<CompanyView, ApiError> {
    // The projection writes the rules as the domain serializes them; anything else is a bug.
    let tax_rules: Vec<TaxRuleView> =
        serde_json::from_value(row.tax_rules).map_err(|e| ApiError::internal(&e))?;
    Ok(CompanyView {
        id: row.company_id,
        provider_id: row.provider_id,
        name: row.name,
        country: row.country,
        vat_number: row.vat_number,
        address: row.address,
        numbering: NumberingView {
            prefix: row.numbering_prefix,
            reset: row.numbering_reset,
        },
        tax_rules,
        payment_methods: methods
            .into_iter()
            .map(|row| PaymentMethodView {
                method: row.method,
                kind: row.kind,
                display_name: row.display_name,
                enabled: row.enabled,
                redirect_url: row.redirect_url,
            })
            .collect(),
        created_at: row.created_at,
    })
}
