//! Invoices and credit notes: issued by staff, for payments (proformas) and monthly for
//! post-paid clients; numbered gap-free per company, series and year; printable as HTML or PDF.
//! An invoice is never edited: a credit note corrects it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, Utc};
use domain::invoice::InvoicePeriod;
use domain::money::Currency;
use projections::ReadModel;
use projections::invoices::{InvoiceFilter, InvoiceRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{Page, format_amount};
use crate::http::auth::{Principal, Visible};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::usecases::invoices::{self as usecase, CreditNote, IssueInvoice, LineText};

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

/// `POST /v1/invoices/{id}/send`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInvoiceRequest {
    /// The address to send to; the client's e-mail address when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "accounts@example.com")]
    pub to: Option<String>,
}

/// A request to send a document, accepted: the notifier e-mails it shortly.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SendInvoiceView {
    /// The document.
    pub id: Uuid,
    /// The address asked for; absent means the client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The global position of the request; the notifications list has its e-mail once past it.
    pub position: i64,
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
    /// Accounts whose invoice was refused by its rules, with the problem's code and detail; the
    /// others were issued, and a later run tries these again.
    pub refused: Vec<RefusedView>,
    /// The global position after the run; pass it as `min_position`.
    pub position: i64,
}

/// An account whose monthly invoice was refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RefusedView {
    /// The personal account.
    pub account_id: Uuid,
    /// The problem's code.
    pub code: String,
    /// What was refused.
    pub detail: String,
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
    /// `draft`, `issued`, `partially_paid` (payments naming it paid part of it), `paid`,
    /// `partially_credited`, `credited` or `cancelled`.
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
    /// What payments naming it paid of it before the one that settled it: with `credited`,
    /// what is left to pay of a `partially_paid` invoice is `gross - credited - paid_in_part`.
    pub paid_in_part: String,
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
    #[param(
        pattern = "^(draft|issued|partially_paid|paid|partially_credited|credited|cancelled)$"
    )]
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
    /// The language of the printed document for staff (`en`, `ru`); by default the client's
    /// (its notice settings), English when it chose none. A client's own copy is always in
    /// its language.
    #[param(pattern = "^[a-z]{2}$")]
    pub lang: Option<String>,
}

impl From<&LineRequest> for LineText {
    fn from(line: &LineRequest) -> Self {
        Self {
            description: line.description.clone(),
            quantity: line.quantity.clone(),
            unit_price: line.unit_price.clone(),
            discount: line.discount.clone(),
        }
    }
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
    let issued = run_issue_invoice(&state, &command, &request).await?;
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

/// What `POST /v1/invoices` does, and the staff panel's invoice form with it: parses the
/// currency, keys the request and runs the one use case.
pub async fn run_issue_invoice(
    state: &AppState,
    command: &Command,
    request: &IssueInvoiceRequest,
) -> Result<crate::usecases::process::invoicing::Issued, ApiError> {
    let currency = request
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()?;
    let key = command.key(request, request.invoice_id)?;
    let input = IssueInvoice {
        invoice_id: request.invoice_id,
        client_id: request.client_id,
        company_id: request.company_id,
        payer_id: request.payer_id,
        currency,
        lines: request.lines.iter().map(LineText::from).collect(),
        issued_on: request.issued_on,
        due_on: request.due_on,
        note: request.note.clone(),
    };
    Ok(usecase::issue_invoice(state, &command.context, key, input).await?)
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
    let issued = run_credit_invoice(&state, &command, id, &request).await?;
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

/// What `POST /v1/invoices/{id}/credit-notes` does, and the staff panel's credit-note form with
/// it: keys the request by its `credit_note_id` and runs the one use case.
pub async fn run_credit_invoice(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &CreditNoteRequest,
) -> Result<crate::usecases::process::invoicing::Issued, ApiError> {
    let key = command.key(request, request.credit_note_id)?;
    let input = CreditNote {
        credit_note_id: request.credit_note_id,
        lines: request
            .lines
            .as_ref()
            .map(|lines| lines.iter().map(LineText::from).collect()),
        reason: request.reason.clone(),
    };
    Ok(usecase::credit_invoice(state, &command.context, key, id, input).await?)
}

/// E-mails an issued invoice or credit note to the client again (it was e-mailed when issued),
/// with the same message, to `to` or to the client's address. Every request sends one e-mail;
/// repeat a request with the same `Idempotency-Key` to have it sent once.
#[utoipa::path(post, path = "/v1/invoices/{id}/send", tag = "invoices",
    request_body = SendInvoiceRequest,
    params(("id" = Uuid, Path, description = "the invoice or credit note")),
    responses(
        (status = 202, description = "the e-mail is queued", body = SendInvoiceView),
        (status = 400, description = "malformed body", body = Problem),
        (status = 404, description = "no such invoice", body = Problem),
        (status = 422, description = "a draft or a cancelled proforma, or not an e-mail address", body = Problem)))]
pub async fn send_invoice(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<SendInvoiceRequest>,
) -> Result<Response, ApiError> {
    let position = run_send_invoice(&state, &command, id, &request).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SendInvoiceView {
            id,
            to: request.to,
            position,
        }),
    )
        .into_response())
}

/// What `POST /v1/invoices/{id}/send` does, and the staff panel's "Send to client" forms with
/// it: keys the request by the document and runs the one use case. Returns the position of the
/// request.
pub async fn run_send_invoice(
    state: &AppState,
    command: &Command,
    id: Uuid,
    request: &SendInvoiceRequest,
) -> Result<i64, ApiError> {
    let key = command.key(request, id)?;
    Ok(usecase::send_invoice(state, &command.context, key, id, request.to.clone()).await?)
}

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
    let run = usecase::run_monthly(&state, &command.context, period).await?;
    Ok(Json(MonthlyRunView {
        issued: run
            .issued
            .into_iter()
            .map(|one| IssuedView {
                id: one.invoice_id.as_uuid(),
                number: one.issued.number,
                position: one.issued.position,
            })
            .collect(),
        refused: run
            .refused
            .into_iter()
            .map(|one| RefusedView {
                account_id: one.account_id,
                code: one.code.to_owned(),
                detail: one.detail,
            })
            .collect(),
        position: run.position,
    }))
}

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
            paid_in_part: format_amount(row.paid_in_part, &currency),
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
    let filter = InvoiceFilter {
        client_id: visible.narrow(params.client_id),
        company_id: params.company_id,
        status: params.status,
        kind: params.kind,
        number: params.number,
        from: params.from,
        to: params.to,
    };
    let found = projections::invoices::page(&state.pool, &filter, after, limit + 1).await?;
    let (rows, totals) = (found.rows, found.totals);
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
            .map(|row| CurrencyTotals {
                net: format_amount(row.net, &row.currency),
                tax: format_amount(row.tax, &row.currency),
                gross: format_amount(row.gross, &row.currency),
                count: row.count,
                currency: row.currency,
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
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(params): Query<GetInvoiceParams>,
) -> Result<Response, ApiError> {
    state
        .consistent(&[ReadModel::Invoices], params.min_position)
        .await?;
    let row = projections::invoices::get(&state.pool, id).await?;
    let Some(row) = row else {
        return Err(ApiError::not_found(
            "invoice_not_found",
            format!("no invoice {id}"),
        ));
    };
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
        let (invoice, _) = view(row);
        return Ok(Json(invoice).into_response());
    }
    // A client's copy shows nothing internal (no status, no payment id), in its language.
    let audience = match principal {
        Principal::Client { .. } => crate::http::document::Audience::Client,
        _ => crate::http::document::Audience::Staff,
    };
    let lang = match params.lang.as_deref() {
        Some(_) if audience == crate::http::document::Audience::Client => None,
        Some(tag) => Some(crate::http::i18n::Lang::parse(tag).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!(
                    "lang: expected one of {}, not {tag:?}",
                    crate::http::i18n::Lang::ALL
                        .map(|lang| lang.code())
                        .join(", ")
                ),
            )
        })?),
        None => None,
    };
    let document = crate::http::document::Document::read_in(&state, &row, audience, lang).await?;
    if format == "html" {
        return Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            document.html()?,
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
                    row.number.as_deref().unwrap_or("invoice")
                ),
            ),
        ],
        document.pdf()?,
    )
        .into_response())
}
