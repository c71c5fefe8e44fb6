//! Invoices and credit notes: issued by staff, for payments (proformas) and monthly for
//! post-paid clients; numbered gap-free per company, series and year; printable as HTML or PDF.
//! An invoice is never edited: a credit note corrects it.

use crate::usecases::process::invoicing;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::client::Client;
use domain::company::{Company, SellerDetails};
use domain::ids::{ClientId, CompanyId, InvoiceId, PaymentId, ProviderId};
use domain::invoice::{Invoice, InvoiceCommand, InvoiceKind, InvoicePeriod, PayerDetails};
use domain::money::{Currency, Money};
use domain::tax::{
    InvoiceLine, LineInput, QUANTITY_DECIMALS_MAX, QUANTITY_MAX, RecordedLine, TaxTreatment,
    TaxedAmount, Totals, price_lines, recorded_lines,
};
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::Page;
use crate::http::answer::format_amount;
use crate::http::auth::Visible;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// One line of an invoice as asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    /// What is sold; 1 to 500 characters.
    pub description: String,
    /// How many units; greater than zero, at most 4 decimals.
    #[schema(example = "1")]
    pub quantity: String,
    /// The price of one unit in the invoice's currency.
    #[schema(example = "9.99")]
    pub unit_price: String,
    /// Taken off the line; zero when absent.
    #[schema(example = "0.00")]
    pub discount: Option<String>,
}

/// `POST /v1/invoices`: an invoice issued by staff.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInvoiceRequest {
    /// The caller's id for this invoice: sending it again issues nothing more.
    pub invoice_id: Uuid,
    /// The client invoiced.
    pub client_id: Uuid,
    /// The company issuing it.
    pub company_id: Uuid,
    /// The client's payer it is made out to (its details are frozen and it is taxed by its
    /// country, kind and VAT number); the client itself when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_id: Option<Uuid>,
    /// ISO 4217 code; the client's account currency when absent.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// The lines, 1 to 1,000.
    pub lines: Vec<LineRequest>,
    /// The day of issue; today when absent.
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<NaiveDate>,
    /// When it is due; 14 days after issue when absent.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<NaiveDate>,
    /// A note printed on it.
    pub note: Option<String>,
}

/// `POST /v1/invoices/{id}/credit-notes`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteRequest {
    /// The caller's id for the credit note: sending it again issues nothing more.
    pub credit_note_id: Uuid,
    /// The lines credited; absent credits the whole invoice (only while nothing of it was
    /// credited before).
    pub lines: Option<Vec<LineRequest>>,
    /// Why; printed on the credit note.
    pub reason: String,
}

/// `POST /v1/invoices/monthly`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthlyRunRequest {
    /// The month invoiced, `YYYY-MM`.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-10")]
    pub month: String,
}

/// What the monthly run issued.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthlyRunView {
    /// Invoices issued by this run (a repeated run issues none again).
    pub issued: Vec<IssuedView>,
    /// The global position after the run; pass it as `min_position`.
    pub position: i64,
}

/// An issued document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedView {
    /// Its id.
    pub id: Uuid,
    /// Its number.
    pub number: String,
    /// The global position of its `InvoiceIssued` event; pass it as `min_position`.
    pub position: i64,
}

/// Totals of a list, per currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CurrencyTotals {
    /// ISO 4217 code.
    pub currency: String,
    /// How many documents.
    pub count: i64,
    /// The sum of their net amounts.
    pub net: String,
    /// The sum of their taxes.
    pub tax: String,
    /// The sum of their gross amounts.
    pub gross: String,
}

/// An invoice as the read model holds it; `document` is what was issued, frozen.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvoiceView {
    /// Its id.
    pub id: Uuid,
    /// `proforma`, `monthly`, `manual` or `credit_note`.
    pub kind: String,
    /// `draft`, `issued`, `paid`, `partially_credited`, `credited` or `cancelled`.
    pub status: String,
    /// Its number once issued (a draft has none for an instant).
    pub number: Option<String>,
    /// The issuing company.
    pub company_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The day of issue.
    #[schema(value_type = String, format = Date)]
    pub issued_on: NaiveDate,
    /// When it is due.
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    /// ISO 4217 code.
    pub currency: String,
    /// Total without tax.
    pub net: String,
    /// Total tax.
    pub tax: String,
    /// Total with tax.
    pub gross: String,
    /// How much of it credit notes corrected.
    pub credited: String,
    /// The payment a proforma is for.
    pub payment_id: Option<Uuid>,
    /// The invoice a credit note corrects.
    pub corrects: Option<Uuid>,
    /// The seller, the payer, the lines with their tax, the totals, as issued.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// The global position of its last change.
    pub position: i64,
}

/// A page of invoices with the totals of everything the filter matches.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvoiceList {
    /// The invoices of this page.
    pub items: Vec<InvoiceView>,
    /// Pass as `after` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Totals per currency over all matching invoices, not only this page.
    pub totals: Vec<CurrencyTotals>,
}

/// `GET /v1/invoices` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListInvoicesParams {
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only this company's.
    pub company_id: Option<Uuid>,
    /// Only those with this status.
    #[param(pattern = "^(draft|issued|paid|partially_credited|credited|cancelled)$")]
    pub status: Option<String>,
    /// Only this kind.
    #[param(pattern = "^(proforma|monthly|manual|credit_note)$")]
    pub kind: Option<String>,
    /// Only the one with this number.
    pub number: Option<String>,
    /// Issued on or after this day.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Issued before this day.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// `GET /v1/invoices/{id}` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetInvoiceParams {
    /// `json` (the default), `html` or `pdf`; overrides the `Accept` header.
    #[param(pattern = "^(json|html|pdf)$")]
    pub format: Option<String>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The payer's details as they are now, frozen into a document.
pub fn payer_of(client: &Client, client_id: Uuid) -> Result<PayerDetails, ApiError> {
    let (Some(name), Some(email), Some(country), Some(kind)) = (
        client.name(),
        client.email(),
        client.country(),
        client.kind(),
    ) else {
        return Err(ApiError::not_found(
            "client_not_found",
            format!("no client {client_id}"),
        ));
    };
    Ok(PayerDetails {
        client_id: ClientId::from_uuid(client_id),
        name: name.as_str().to_string(),
        email: email.as_str().to_string(),
        country,
        kind,
        vat_number: client.vat_number().cloned(),
        address: client.address().map(str::to_string),
        payer_id: None,
    })
}

fn parse_lines(lines: &[LineRequest], currency: Currency) -> Result<Vec<LineInput>, ApiError> {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let field = |name: &str, e: &dyn std::fmt::Display| {
                ApiError::unprocessable("invalid_line", format!("lines[{index}].{name}: {e}"))
            };
            // Plain digits only (`Decimal`'s parser also takes `1e5` and `1_000`), as many as
            // the domain's largest quantity and its decimal places can use; the range is the
            // domain's rule.
            let quantity = domain::decimal::parse_plain(
                &line.quantity,
                QUANTITY_MAX.to_string().len(),
                usize::try_from(QUANTITY_DECIMALS_MAX).unwrap_or(usize::MAX),
            )
            .map_err(|e| field("quantity", &e))?;
            let unit_price =
                Money::parse(&line.unit_price, currency).map_err(|e| field("unit_price", &e))?;
            let discount = line
                .discount
                .as_deref()
                .map(|d| Money::parse(d, currency))
                .transpose()
                .map_err(|e| field("discount", &e))?
                .unwrap_or_else(|| Money::zero(currency));
            Ok(LineInput::new(&line.description, quantity, unit_price).with_discount(discount))
        })
        .collect()
}

/// The company of `company_id`, which must belong to the client's provider.
async fn issuing_company(
    state: &AppState,
    company_id: Uuid,
    provider_id: ProviderId,
) -> Result<(Company, SellerDetails), ApiError> {
    let company = crate::http::routes::payments::company_of(state, company_id, provider_id).await?;
    let seller = company.seller().ok_or_else(|| {
        ApiError::not_found("company_not_found", format!("no company {company_id}"))
    })?;
    Ok((company, seller))
}

/// The tax treatment of `payer` under the company's rules.
pub fn treatment_of(company: &Company, payer: &PayerDetails) -> TaxTreatment {
    company.tax_rules().map_or(TaxTreatment::NotTaxed, |rules| {
        rules.treatment_for(&payer.tax_customer())
    })
}

/// Issues an invoice with the lines given, taxed by the company's rules for the client, and
/// numbered gap-free in the company's book. Idempotent by `invoice_id`.
#[utoipa::path(post, path = "/v1/invoices", tag = "invoices",
    request_body = IssueInvoiceRequest,
    responses(
        (status = 201, description = "issued", body = IssuedView),
        (status = 404, description = "no such client or company", body = Problem),
        (status = 422, description = "invalid lines, dates or currency", body = Problem)))]
pub async fn issue_invoice(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<IssueInvoiceRequest>,
) -> Result<Response, ApiError> {
    let (provider_id, account_currency) =
        crate::usecases::clients::active(&state, request.client_id).await?;
    let currency = request
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()?
        .unwrap_or(account_currency);
    let lines = parse_lines(&request.lines, currency)?;
    let (company, seller) = issuing_company(&state, request.company_id, provider_id).await?;
    let client = state
        .store
        .load::<Client>(&request.client_id.to_string())
        .await?
        .aggregate;
    let payer = crate::usecases::payers::payer_details(
        &state,
        &client,
        request.client_id,
        request.payer_id,
    )
    .await?;
    let issued_on = request
        .issued_on
        .unwrap_or_else(|| state.store.clock().now().date_naive());
    let due_on = request.due_on.unwrap_or_else(|| issued_on + Days::new(14));
    let invoice_id = InvoiceId::from_uuid(request.invoice_id);
    let draft = InvoiceCommand::DraftInvoice {
        invoice_id,
        kind: InvoiceKind::Manual,
        provider_id,
        company_id: CompanyId::from_uuid(request.company_id),
        client_id: ClientId::from_uuid(request.client_id),
        treatment: treatment_of(&company, &payer),
        seller,
        payer,
        currency,
        lines,
        recorded: Vec::new(),
        drafted_on: state.today(),
        issued_on,
        due_on,
        payment_id: None,
        period: None,
        corrects: None,
        note: request.note.clone(),
    };
    let keys: Vec<_> = command
        .key(&request, request.invoice_id)?
        .into_iter()
        .collect();
    let issued = invoicing::issue(&state.store, invoice_id, draft, &command.context, &keys).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedView {
            id: request.invoice_id,
            number: issued.number,
            position: issued.position,
        }),
    )
        .into_response())
}

/// Issues a credit note that corrects an issued invoice, in its own numbering series. The
/// invoice itself is never edited; its status shows how much was credited. Idempotent by
/// `credit_note_id`.
#[utoipa::path(post, path = "/v1/invoices/{id}/credit-notes", tag = "invoices",
    request_body = CreditNoteRequest,
    params(("id" = Uuid, Path, description = "the invoice corrected")),
    responses(
        (status = 201, description = "issued", body = IssuedView),
        (status = 404, description = "no such invoice", body = Problem),
        (status = 422, description = "more than is left of the invoice, a proforma or a credit note, or invalid lines", body = Problem)))]
pub async fn credit_invoice(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<CreditNoteRequest>,
) -> Result<Response, ApiError> {
    let original = state
        .store
        .load::<Invoice>(&id.to_string())
        .await?
        .aggregate;
    let (Some(kind), Some(currency), Some(seller), Some(payer), Some(treatment)) = (
        original.kind(),
        original.currency(),
        original.seller().cloned(),
        original.payer().cloned(),
        original.treatment(),
    ) else {
        return Err(ApiError::not_found(
            "invoice_not_found",
            format!("no invoice {id}"),
        ));
    };
    if kind == InvoiceKind::Proforma {
        return Err(ApiError::unprocessable(
            "proforma_not_creditable",
            "a proforma is not a tax document; cancel its payment instead",
        ));
    }
    let credit_note_id = InvoiceId::from_uuid(request.credit_note_id);
    let whole = original.credit_notes().is_empty() || original.credit_notes() == [credit_note_id];
    // A monthly invoice's lines were copied from what the account recorded (credits negative);
    // crediting all of it copies them again rather than pricing them anew.
    let recorded: Vec<RecordedLine> =
        if request.lines.is_none() && whole && kind == InvoiceKind::Monthly {
            original.lines().iter().map(recorded_line).collect()
        } else {
            Vec::new()
        };
    let lines = match &request.lines {
        Some(lines) => parse_lines(lines, currency)?,
        None if !recorded.is_empty() => Vec::new(),
        None if whole => original.lines().iter().map(line_input).collect(),
        None => {
            return Err(ApiError::unprocessable(
                "lines_required",
                "lines: the invoice was partly credited before; name the lines to credit",
            ));
        }
    };
    // Price the note as it will be drafted, then reserve its total on the invoice first: two
    // notes at once can never credit more than the invoice.
    let (_, totals) = if recorded.is_empty() {
        price_lines(lines.clone(), &treatment, currency)?
    } else {
        recorded_lines(recorded.clone(), currency)?
    };
    state
        .store
        .execute::<Invoice>(
            &id.to_string(),
            InvoiceCommand::RecordCreditNote {
                credit_note_id,
                gross: totals.gross,
            },
            &command.context,
            &[],
        )
        .await?;
    let issued_on = state.store.clock().now().date_naive();
    let (Some(provider_id), Some(company_id), Some(client_id)) = (
        original.provider_id(),
        original.company_id(),
        original.client_id(),
    ) else {
        return Err(ApiError::not_found(
            "invoice_not_found",
            format!("no invoice {id}"),
        ));
    };
    let draft = InvoiceCommand::DraftInvoice {
        invoice_id: credit_note_id,
        kind: InvoiceKind::CreditNote,
        provider_id,
        company_id,
        client_id,
        seller,
        payer,
        currency,
        lines,
        recorded,
        drafted_on: issued_on,
        treatment,
        issued_on,
        due_on: issued_on,
        payment_id: None,
        period: None,
        corrects: Some(InvoiceId::from_uuid(id)),
        note: Some(request.reason.clone()),
    };
    let keys: Vec<_> = command
        .key(&request, request.credit_note_id)?
        .into_iter()
        .collect();
    let issued =
        invoicing::issue(&state.store, credit_note_id, draft, &command.context, &keys).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedView {
            id: request.credit_note_id,
            number: issued.number,
            position: issued.position,
        }),
    )
        .into_response())
}

/// An issued line as it was recorded (for a credit note of a whole monthly invoice).
fn recorded_line(line: &InvoiceLine) -> RecordedLine {
    RecordedLine {
        description: line.description.clone(),
        amounts: TaxedAmount {
            rate: line.tax_rate,
            net: line.net,
            tax: line.tax,
            gross: line.gross,
        },
    }
}

/// An issued line as a line to price again (for a credit note of the whole invoice).
fn line_input(line: &InvoiceLine) -> LineInput {
    LineInput::new(&line.description, line.quantity, line.unit_price).with_discount(line.discount)
}

/// One movement of an account in the month, for its monthly invoice: account, client,
/// provider, currency, whether the account is post-paid, the line's description, and its net,
/// tax, rate and gross as the account recorded them (negative for what was given back).
type MonthlyMovement = (
    Uuid,
    Uuid,
    Uuid,
    String,
    bool,
    String,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
);

/// A provider's issuing company: its id, its state and its details as a seller.
type Issuer = (Uuid, (Company, SellerDetails));

/// Issues the monthly invoices for a month that has ended, one per account, from the provider's
/// first company: to post-paid clients (accounts with a credit limit), and to prepaid clients when
/// the company's tax document is `monthly_consumption`. Every movement of the month is a line:
/// the charges and credits of periods that start in it (credits negative) and the corrections
/// and voids made in it (negative), each with the tax the account recorded. A repeated run
/// issues nothing twice: each invoice's id is derived from the account and the month.
#[utoipa::path(post, path = "/v1/invoices/monthly", tag = "invoices",
    request_body = MonthlyRunRequest,
    responses(
        (status = 200, description = "the invoices issued", body = MonthlyRunView),
        (status = 400, description = "malformed month", body = Problem),
        (status = 422, description = "the month has not ended", body = Problem)))]
pub async fn run_monthly(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<MonthlyRunRequest>,
) -> Result<Json<MonthlyRunView>, ApiError> {
    let month_start = NaiveDate::parse_from_str(&format!("{}-01", request.month), "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("invalid_month", "month: expected YYYY-MM"))?;
    let next_month = month_start
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| ApiError::bad_request("invalid_month", "month: out of range"))?;
    let period = InvoicePeriod {
        start: month_start,
        end: next_month,
    };
    // Refused before anything is read, even for a month without charges; each draft checks it
    // again.
    let today = state.today();
    period.ensure_ended(today)?;
    let head = eventstore::log::head_position(&state.pool).await?;
    state
        .consistent(
            &[
                ReadModel::Balances,
                ReadModel::Expenses,
                ReadModel::Companies,
            ],
            Some(head),
        )
        .await?;
    let rows: Vec<MonthlyMovement> = sqlx::query_as(
        "SELECT b.account_id, b.client_id, b.provider_id, b.currency, b.credit_limit > 0,
                m.description, m.net, m.tax, m.tax_rate, m.gross
           FROM (SELECT e.account_id,
                        e.description || ' (' || e.period_start || ' to ' || e.period_end || ')'
                            AS description,
                        coalesce(e.net, e.amount) AS net, e.tax, e.tax_rate, e.amount AS gross,
                        e.period_start AS day, e.position
                   FROM expenses e
                  WHERE e.period_start >= $1 AND e.period_start < $2
                 UNION ALL
                 SELECT c.account_id,
                        CASE WHEN c.voided THEN 'Void: ' ELSE 'Correction: ' END || c.reason
                            || ' (' || e.description || ')',
                        -c.net, -c.tax, c.tax_rate, -c.amount,
                        (c.occurred_at AT TIME ZONE 'UTC')::date, c.position
                   FROM expense_corrections c JOIN expenses e ON e.expense_id = c.expense_id
                  WHERE (c.occurred_at AT TIME ZONE 'UTC')::date >= $1
                    AND (c.occurred_at AT TIME ZONE 'UTC')::date < $2) m
           JOIN balances b ON b.account_id = m.account_id
          ORDER BY b.account_id, m.day, m.position",
    )
    .bind(month_start)
    .bind(next_month)
    .fetch_all(&state.pool)
    .await?;
    let mut issued = Vec::new();
    let mut position = head;
    let mut issuers: std::collections::HashMap<Uuid, Option<Issuer>> =
        std::collections::HashMap::new();
    let mut start = 0;
    while start < rows.len() {
        let account_id = rows[start].0;
        let end = rows[start..]
            .iter()
            .position(|row| row.0 != account_id)
            .map_or(rows.len(), |offset| start + offset);
        let group = &rows[start..end];
        start = end;
        let (_, client_id, provider_id, ref currency, post_paid, ..) = group[0];
        // Each provider's issuing company is looked up once per run, not once per account.
        if let std::collections::hash_map::Entry::Vacant(vacant) = issuers.entry(provider_id) {
            let company_id: Option<Uuid> = sqlx::query_scalar(
                "SELECT company_id FROM companies WHERE provider_id = $1
                  ORDER BY created_at, company_id LIMIT 1",
            )
            .bind(provider_id)
            .fetch_optional(&state.pool)
            .await?;
            let issuer = match company_id {
                Some(company_id) => Some((
                    company_id,
                    issuing_company(&state, company_id, ProviderId::from_uuid(provider_id)).await?,
                )),
                None => None,
            };
            vacant.insert(issuer);
        }
        let Some((company_id, (company, seller))) = issuers.get(&provider_id).cloned().flatten()
        else {
            tracing::warn!(%provider_id, "no company to issue monthly invoices from");
            continue;
        };
        // A prepaid client gets its tax document on payment unless the company chose a monthly
        // invoice of its consumption.
        if company
            .tax_document()
            .is_some_and(|document| document.documents_payment(!post_paid))
        {
            continue;
        }
        let currency = Currency::parse(currency).map_err(|e| ApiError::internal(&e))?;
        let client = state
            .store
            .load::<Client>(&client_id.to_string())
            .await?
            .aggregate;
        let payer = payer_of(&client, client_id)?;
        let money = |amount: Decimal| {
            Money::from_decimal(amount, currency).map_err(|e| ApiError::internal(&e))
        };
        let recorded = group
            .iter()
            .map(|(.., description, net, tax, rate, gross)| {
                Ok(RecordedLine {
                    description: description.clone(),
                    amounts: TaxedAmount {
                        rate: domain::tax::TaxRate::new(*rate)
                            .map_err(|e| ApiError::internal(&e))?,
                        net: money(*net)?,
                        tax: money(*tax)?,
                        gross: money(*gross)?,
                    },
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let invoice_id =
            InvoiceId::monthly(domain::ids::AccountId::from_uuid(account_id), month_start);
        let already = state.store.load::<Invoice>(&invoice_id.to_string()).await?;
        let draft = InvoiceCommand::DraftInvoice {
            invoice_id,
            kind: InvoiceKind::Monthly,
            provider_id: ProviderId::from_uuid(provider_id),
            company_id: CompanyId::from_uuid(company_id),
            client_id: ClientId::from_uuid(client_id),
            treatment: treatment_of(&company, &payer),
            seller,
            payer,
            currency,
            lines: Vec::new(),
            recorded,
            drafted_on: today,
            issued_on: next_month,
            due_on: next_month + Days::new(14),
            payment_id: None,
            period: Some(period),
            corrects: None,
            note: None,
        };
        if already.aggregate.is_drafted() {
            // Drafted by an earlier run: only finish its numbering, never draft it again with
            // lines that corrections since may have changed.
            let done = invoicing::number(&state.store, invoice_id, &command.context).await?;
            position = position.max(done.position);
            continue;
        }
        let done = invoicing::issue(&state.store, invoice_id, draft, &command.context, &[]).await?;
        position = position.max(done.position);
        issued.push(IssuedView {
            id: invoice_id.as_uuid(),
            number: done.number,
            position: done.position,
        });
    }
    Ok(Json(MonthlyRunView { issued, position }))
}

/// A row of the `invoices` read model.
#[derive(sqlx::FromRow)]
struct InvoiceRow {
    invoice_id: Uuid,
    kind: String,
    status: String,
    number: Option<String>,
    company_id: Uuid,
    client_id: Uuid,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    currency: String,
    net: Decimal,
    tax: Decimal,
    gross: Decimal,
    credited: Decimal,
    payment_id: Option<Uuid>,
    corrects: Option<Uuid>,
    document: serde_json::Value,
    position: i64,
    created_at: DateTime<Utc>,
}

const INVOICE_COLUMNS: &str = "invoice_id, kind, status, number, company_id, client_id, \
     issued_on, due_on, currency, net, tax, gross, credited, payment_id, corrects, document, \
     position, created_at";

fn view(row: InvoiceRow) -> (InvoiceView, DateTime<Utc>) {
    let currency = row.currency;
    (
        InvoiceView {
            id: row.invoice_id,
            kind: row.kind,
            status: row.status,
            number: row.number,
            company_id: row.company_id,
            client_id: row.client_id,
            issued_on: row.issued_on,
            due_on: row.due_on,
            net: format_amount(row.net, &currency),
            tax: format_amount(row.tax, &currency),
            gross: format_amount(row.gross, &currency),
            credited: format_amount(row.credited, &currency),
            currency,
            payment_id: row.payment_id,
            corrects: row.corrects,
            document: row.document,
            position: row.position,
        },
        row.created_at,
    )
}

/// Invoices by client, company, status, kind, number and day of issue, with totals per
/// currency over everything the filter matches.
#[utoipa::path(get, path = "/v1/invoices", tag = "invoices",
    params(ListInvoicesParams),
    responses(
        (status = 200, description = "a page of invoices and the totals", body = InvoiceList),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_invoices(
    State(state): State<AppState>,
    visible: Visible,
    Query(params): Query<ListInvoicesParams>,
) -> Result<Json<InvoiceList>, ApiError> {
    state
        .consistent(&[ReadModel::Invoices], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    const FILTER: &str = "($1::uuid IS NULL OR client_id = $1)
            AND ($2::uuid IS NULL OR company_id = $2)
            AND ($3::text IS NULL OR status = $3)
            AND ($4::text IS NULL OR kind = $4)
            AND ($5::text IS NULL OR number = $5)
            AND ($6::date IS NULL OR issued_on >= $6)
            AND ($7::date IS NULL OR issued_on < $7)";
    let rows: Vec<InvoiceRow> = sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices
          WHERE {FILTER}
            AND ($8::timestamptz IS NULL OR (created_at, invoice_id) > ($8, $9))
          ORDER BY created_at, invoice_id
          LIMIT $10"
    ))
    .bind(visible.narrow(params.client_id))
    .bind(params.company_id)
    .bind(&params.status)
    .bind(&params.kind)
    .bind(&params.number)
    .bind(params.from)
    .bind(params.to)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let totals: Vec<(String, i64, Decimal, Decimal, Decimal)> = sqlx::query_as(&format!(
        "SELECT currency, count(*), coalesce(sum(net), 0), coalesce(sum(tax), 0),
                coalesce(sum(gross), 0)
           FROM invoices WHERE {FILTER} AND status <> 'cancelled'
          GROUP BY currency ORDER BY currency"
    ))
    .bind(visible.narrow(params.client_id))
    .bind(params.company_id)
    .bind(&params.status)
    .bind(&params.kind)
    .bind(&params.number)
    .bind(params.from)
    .bind(params.to)
    .fetch_all(&state.pool)
    .await?;
    let items: Vec<(InvoiceView, DateTime<Utc>)> = rows.into_iter().map(view).collect();
    let page: Page<(InvoiceView, DateTime<Utc>)> =
        crate::http::answer::page(items, limit, |(last, at)| {
            crate::http::answer::time_cursor_of(*at, last.id)
        });
    Ok(Json(InvoiceList {
        items: page.items.into_iter().map(|(view, _)| view).collect(),
        next: page.next,
        totals: totals
            .into_iter()
            .map(|(currency, count, net, tax, gross)| CurrencyTotals {
                net: format_amount(net, &currency),
                tax: format_amount(tax, &currency),
                gross: format_amount(gross, &currency),
                count,
                currency,
            })
            .collect(),
    }))
}

/// One invoice: JSON, or the printable document as HTML or PDF (by `format` or `Accept`).
#[utoipa::path(get, path = "/v1/invoices/{id}", tag = "invoices",
    params(("id" = Uuid, Path, description = "the invoice"), GetInvoiceParams),
    responses(
        (status = 200, description = "the invoice as JSON, or as `text/html` or `application/pdf` when asked for", body = InvoiceView),
        (status = 404, description = "no such invoice", body = Problem)))]
pub async fn get_invoice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(params): Query<GetInvoiceParams>,
) -> Result<Response, ApiError> {
    state
        .consistent(&[ReadModel::Invoices], params.min_position)
        .await?;
    let row: Option<InvoiceRow> = sqlx::query_as(&format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE invoice_id = $1"
    ))
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::not_found(
            "invoice_not_found",
            format!("no invoice {id}"),
        ));
    };
    let (invoice, _) = view(row);
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let format = match params.format.as_deref() {
        Some("json") => "json",
        Some("html") => "html",
        Some("pdf") => "pdf",
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("format: expected json, html or pdf, not {other:?}"),
            ));
        }
        None if accept.contains("application/pdf") => "pdf",
        None if accept.contains("text/html") => "html",
        None => "json",
    };
    if format == "json" {
        return Ok(Json(invoice).into_response());
    }
    let document = crate::http::document::Document::from_view(&invoice)?;
    if format == "html" {
        return Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            document.html(),
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{}.pdf\"",
                    invoice.number.as_deref().unwrap_or("invoice")
                ),
            ),
        ],
        document.pdf(),
    )
        .into_response())
}

/// The frozen parts of an issued document, as drafted.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentParts {
    /// The seller.
    pub seller: SellerDetails,
    /// The payer.
    pub payer: PayerDetails,
    /// The priced lines.
    pub lines: Vec<InvoiceLine>,
    /// The totals.
    pub totals: Totals,
    /// The legal notice of the tax treatment.
    pub tax_notice: Option<String>,
    /// The note.
    pub note: Option<String>,
    /// The period invoiced.
    pub period: Option<InvoicePeriod>,
    /// The payment of a proforma.
    pub payment_id: Option<PaymentId>,
}
