//! Payments with a lifecycle: created at a company by one of its payment methods, started at a
//! gateway, confirmed (credited to the personal account, converted at the rate of the day when
//! the currencies differ), cancelled, refunded, marked as fraud; and the payments read model.
//!
//! A payment credited directly (`POST /v1/clients/{id}/payments`) has no lifecycle; refunds and
//! fraud marks work on both kinds (docs/adr/0004-payments-and-accounts.md).

use crate::usecases::process::{invoicing, payments};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::account::{Account, AccountCommand, PaymentMethod, PaymentMethodKind};
use domain::client::Client;
use domain::company::Company;
use domain::ids::{AccountId, ClientId, CompanyId, InvoiceId, PaymentId, ProviderId, RefundId};
use domain::invoice::{InvoiceCommand, InvoiceKind};
use domain::money::{Currency, Money};
use domain::payment::{ExternalId, Payment, PaymentCommand};
use domain::rates::{Conversion, ExchangeRates};
use domain::tax::{LineInput, TaxMode, TaxTreatment};
use eventstore::CommandKey;
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::format_amount;
use crate::http::answer::{Accepted, Consistency, Page, accepted, accepted_with};
use crate::http::auth::Visible;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;

/// `POST /v1/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRequest {
    /// The caller's id for this payment: sending it again creates nothing more.
    pub payment_id: Uuid,
    /// The client paying.
    pub client_id: Uuid,
    /// The provider's company that receives the money.
    pub company_id: Uuid,
    /// One of the company's enabled payment methods.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "card")]
    pub method: String,
    /// What the client pays, as a decimal string.
    #[schema(example = "100.00")]
    pub amount: String,
    /// ISO 4217 code of what the client pays; another currency than the account's is converted
    /// at the rate of the day the payment is confirmed.
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: String,
    /// Issue a proforma invoice for the payment (paid when the payment is credited).
    #[serde(default)]
    pub proforma: bool,
    /// The client's payer making the payment; the proforma is then made out to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_id: Option<Uuid>,
}

/// The answer to `POST /v1/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentCreated {
    /// The payment.
    pub id: Uuid,
    /// The global position of the last event written; pass it as `min_position`.
    pub position: i64,
    /// `new`, or `credited` for a payment method of kind `manual`.
    pub status: String,
    /// The proforma invoice, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    /// Its number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
}

/// `POST /v1/payments/{id}/start`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPaymentRequest {
    /// The gateway's or bank's id for the payment.
    pub external_id: Option<String>,
}

/// `POST /v1/payments/{id}/confirm`: the money arrived.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmPaymentRequest {
    /// The gateway's id; a repeated confirmation with the same id credits nothing more.
    pub external_id: Option<String>,
    /// The day the money arrived; today when absent. A payment in another currency is converted
    /// at the rate in effect on that day.
    #[schema(value_type = Option<String>, format = Date)]
    pub confirmed_on: Option<NaiveDate>,
    /// What arrived, in the account's currency, when less than the payment's amount (a transfer
    /// that arrives short, a gateway's fee); never more (`credited_exceeds_payment`); only for
    /// a payment in the account's currency.
    pub credited: Option<String>,
}

/// A reason, for cancelling or marking as fraud.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; kept in the log for auditors; 1 to 500 characters.
    pub reason: String,
}

/// `POST /v1/payments/{id}/refunds`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The caller's id for this refund: sending it again refunds nothing more.
    pub refund_id: Uuid,
    /// What to pay back, in the account's currency; at most the payment's money still on the
    /// balance (not spent, not refunded).
    #[schema(example = "25.00")]
    pub amount: String,
    /// Why; 1 to 500 characters.
    pub reason: String,
}

/// A payment as staff and accountants see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    /// Its id.
    pub id: Uuid,
    /// The client's payer that made it, if one was named.
    pub payer_id: Option<Uuid>,
    /// The client.
    pub client_id: Uuid,
    /// The provider.
    pub provider_id: Uuid,
    /// The company that received it; absent for a payment credited directly without one.
    pub company_id: Option<Uuid>,
    /// The payment method.
    pub method: String,
    /// `bank_transfer`, `card_gateway`, `manual`, or `direct` for a payment credited directly.
    pub method_kind: String,
    /// `new`, `in_progress`, `credited`, `partially_refunded`, `refunded`, `cancelled` or
    /// `fraud`.
    pub status: String,
    /// What the client paid.
    pub amount: String,
    /// Its currency.
    pub currency: String,
    /// What was credited to the account, once credited.
    pub credited: Option<String>,
    /// The account's currency.
    pub account_currency: String,
    /// The exchange rate used, for a converted payment.
    pub rate: Option<String>,
    /// The day that rate took effect.
    #[schema(value_type = Option<String>, format = Date)]
    pub rate_date: Option<NaiveDate>,
    /// What was refunded, in the account's currency.
    pub refunded: String,
    /// The gateway's or bank's id.
    pub external_id: Option<String>,
    /// The proforma invoice it pays.
    pub invoice_id: Option<Uuid>,
    /// When it was created (or credited, for a direct payment).
    pub created_at: DateTime<Utc>,
    /// When it was credited.
    pub credited_at: Option<DateTime<Utc>>,
    /// The global position of its last change.
    pub position: i64,
}

/// `GET /v1/payments` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPaymentsParams {
    /// Only this client's.
    pub client_id: Option<Uuid>,
    /// Only those with this status.
    #[param(pattern = "^(new|in_progress|credited|partially_refunded|refunded|cancelled|fraud)$")]
    pub status: Option<String>,
    /// Only those by this method.
    pub method: Option<String>,
    /// Only those received by this company.
    pub company_id: Option<Uuid>,
    /// Created on or after this day.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Created before this day.
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

fn parse_external_id(external_id: Option<&str>) -> Result<Option<ExternalId>, ApiError> {
    external_id
        .map(ExternalId::parse)
        .transpose()
        .map_err(ApiError::from)
}

fn today(state: &AppState) -> NaiveDate {
    state.store.clock().now().date_naive()
}

/// The payment aggregate, or 404.
async fn payment_of(state: &AppState, id: Uuid) -> Result<(Payment, i64), ApiError> {
    let loaded = state.store.load::<Payment>(&id.to_string()).await?;
    if !loaded.aggregate.is_created() {
        return Err(ApiError::not_found(
            "payment_not_found",
            format!("no payment {id}"),
        ));
    }
    Ok((loaded.aggregate, loaded.position))
}

/// Converts `amount` into `to` at the rate in effect `on`, from the rates set on `amount`'s
/// currency.
pub async fn convert(
    state: &AppState,
    amount: Money,
    to: Currency,
    on: NaiveDate,
) -> Result<Conversion, ApiError> {
    let rates = state
        .store
        .load::<ExchangeRates>(amount.currency().code())
        .await?
        .aggregate;
    Ok(rates.convert(amount, to, on)?)
}

/// Creates a payment at one of the company's payment methods; with `proforma`, issues a proforma
/// invoice for it. A payment by a method of kind `manual` (money staff received) is credited at
/// once. Idempotent by `payment_id`.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    request_body = CreatePaymentRequest,
    responses(
        (status = 201, description = "created", body = PaymentCreated),
        (status = 404, description = "no such client or company", body = Problem),
        (status = 409, description = "a payment with this id exists", body = Problem),
        (status = 422, description = "invalid amount, unknown or disabled method, company of another provider", body = Problem)))]
pub async fn create_payment(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<CreatePaymentRequest>,
) -> Result<Response, ApiError> {
    let currency = Currency::parse(&request.currency)?;
    let amount = Money::parse_positive(&request.amount, currency)?;
    let method = PaymentMethod::parse(&request.method)?;
    let (provider_id, account_currency) =
        crate::usecases::clients::trading(&state, request.client_id).await?;
    let company = company_of(&state, request.company_id, provider_id).await?;
    let config = company
        .payment_method(&method)
        .filter(|c| c.enabled)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "payment_method_not_available",
                format!(
                    "method: {method} is not an enabled payment method of company {}",
                    request.company_id
                ),
            )
        })?;
    let method_kind = config.kind;
    let client = state
        .store
        .load::<Client>(&request.client_id.to_string())
        .await?
        .aggregate;
    // Checks the payer belongs to the client; the proforma freezes these details.
    let payer = crate::usecases::payers::payer_details(
        &state,
        &client,
        request.client_id,
        request.payer_id,
    )
    .await?;
    let payment_id = PaymentId::from_uuid(request.payment_id);
    let invoice_id = request.proforma.then(|| InvoiceId::proforma(payment_id));
    let on = today(&state);
    let key = CommandKey::new(
        "create-payment",
        request.payment_id.to_string(),
        &request,
        serde_json::json!({ "id": request.payment_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(key)
        .chain(command.key(&request, request.payment_id)?)
        .collect();
    let created = state
        .store
        .execute::<Payment>(
            &payment_id.to_string(),
            PaymentCommand::CreatePayment {
                payment_id,
                client_id: ClientId::from_uuid(request.client_id),
                provider_id,
                company_id: CompanyId::from_uuid(request.company_id),
                method,
                method_kind,
                amount,
                account_currency,
                invoice_id,
                created_on: on,
                payer_id: payer.payer_id,
            },
            &command.context,
            &keys,
        )
        .await?;
    let mut position = created.position;
    let mut invoice_number = None;
    if let Some(invoice_id) = invoice_id {
        let draft = proforma_draft(
            &company,
            request.client_id,
            payer.clone(),
            invoice_id,
            payment_id,
            amount,
            on,
        )?;
        let issued =
            invoicing::issue(&state.store, invoice_id, draft, &command.context, &[]).await?;
        position = position.max(issued.position);
        invoice_number = Some(issued.number);
    }
    let mut status = "new";
    if method_kind == PaymentMethodKind::Manual {
        let credited = confirm(&state, payment_id, None, on, None, &command).await?;
        position = position.max(credited);
        status = "credited";
    }
    let body = PaymentCreated {
        id: request.payment_id,
        position,
        status: status.to_string(),
        invoice_id: invoice_id.map(|id| id.as_uuid()),
        invoice_number,
    };
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(crate::http::answer::json_with(
        status,
        &body,
        created.replayed,
    ))
}

/// The company, checked to exist and to belong to `provider_id`.
pub async fn company_of(
    state: &AppState,
    company_id: Uuid,
    provider_id: ProviderId,
) -> Result<Company, ApiError> {
    let company = state
        .store
        .load::<Company>(&company_id.to_string())
        .await?
        .aggregate;
    if company.provider_id() != Some(provider_id) {
        return Err(if company.is_created() {
            ApiError::unprocessable(
                "company_of_another_provider",
                format!("company_id: company {company_id} belongs to another provider"),
            )
        } else {
            ApiError::not_found("company_not_found", format!("no company {company_id}"))
        });
    }
    Ok(company)
}

/// The proforma for an advance payment: one line, the amount paid, with the tax it contains.
///
/// An advance payment's total is what the client pays, so a rule that adds tax on top of prices
/// is shown as the same rate contained in the amount.
fn proforma_draft(
    company: &Company,
    client_id: Uuid,
    payer: domain::invoice::PayerDetails,
    invoice_id: InvoiceId,
    payment_id: PaymentId,
    amount: Money,
    on: NaiveDate,
) -> Result<InvoiceCommand, ApiError> {
    let seller = company
        .seller()
        .ok_or_else(|| ApiError::not_found("company_not_found", "no such company"))?;
    let treatment = match crate::http::routes::invoices::treatment_of(company, &payer) {
        TaxTreatment::Standard { rate, .. } => TaxTreatment::Standard {
            rate,
            mode: TaxMode::Included,
        },
        other => other,
    };
    let line = LineInput::new(
        &format!("Advance payment to the personal account ({payment_id})"),
        Decimal::ONE,
        amount,
    );
    Ok(InvoiceCommand::DraftInvoice {
        invoice_id,
        kind: InvoiceKind::Proforma,
        provider_id: company
            .provider_id()
            .ok_or_else(|| ApiError::not_found("company_not_found", "no such company"))?,
        company_id: seller.company_id,
        client_id: ClientId::from_uuid(client_id),
        seller,
        payer,
        currency: amount.currency(),
        lines: vec![line],
        recorded: Vec::new(),
        drafted_on: on,
        treatment,
        issued_on: on,
        due_on: on + chrono::Days::new(14),
        payment_id: Some(payment_id),
        period: None,
        corrects: None,
        note: None,
    })
}

/// Hands the payment to a gateway or a bank: new → in progress.
#[utoipa::path(post, path = "/v1/payments/{id}/start", tag = "payments",
    request_body = StartPaymentRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "in progress", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "not new, or another external id", body = Problem)))]
pub async fn start_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<StartPaymentRequest>,
) -> Result<Response, ApiError> {
    payment_of(&state, id).await?;
    let committed = state
        .store
        .execute::<Payment>(
            &id.to_string(),
            PaymentCommand::StartPayment {
                external_id: parse_external_id(request.external_id.as_deref())?,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// Confirms `payment_id` and credits its account; returns the position of the account's event.
async fn confirm(
    state: &AppState,
    payment_id: PaymentId,
    external_id: Option<ExternalId>,
    on: NaiveDate,
    credited: Option<&str>,
    command: &Command,
) -> Result<i64, ApiError> {
    let (payment, _) = payment_of(state, payment_id.as_uuid()).await?;
    let (Some(amount), Some(account_currency)) = (payment.amount(), payment.account_currency())
    else {
        return Err(ApiError::not_found(
            "payment_not_found",
            format!("no payment {payment_id}"),
        ));
    };
    let (credited, conversion) = if amount.currency() == account_currency {
        let credited = credited
            .map(|c| Money::parse_positive(c, account_currency))
            .transpose()?
            .unwrap_or(amount);
        (credited, None)
    } else {
        if credited.is_some() {
            return Err(ApiError::unprocessable(
                "credited_not_allowed",
                "credited: a payment in another currency is credited at the rate of the day",
            ));
        }
        // A payment already credited keeps its conversion; only a first confirmation converts.
        match (payment.credited(), payment.conversion()) {
            (Some(credited), Some(conversion)) => (credited, Some(conversion)),
            _ => {
                let conversion = convert(state, amount, account_currency, on).await?;
                (conversion.to, Some(conversion))
            }
        }
    };
    state
        .store
        .execute::<Payment>(
            &payment_id.to_string(),
            PaymentCommand::ConfirmPayment {
                external_id,
                credited,
                conversion,
                confirmed_on: on,
            },
            &command.context,
            &[],
        )
        .await?;
    Ok(payments::credit(&state.store, payment_id, &command.context).await?)
}

/// The money arrived: credits the payment to the client's account (converted at the rate of the
/// day when the currencies differ) and marks its proforma paid. A repeated confirmation with the
/// same external id credits nothing more.
#[utoipa::path(post, path = "/v1/payments/{id}/confirm", tag = "payments",
    request_body = ConfirmPaymentRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "credited (or already credited by this confirmation)", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "cancelled, fraud, another external id, credited above the amount paid (credited_exceeds_payment), or no exchange rate for the day", body = Problem)))]
pub async fn confirm_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ConfirmPaymentRequest>,
) -> Result<Response, ApiError> {
    let on = request.confirmed_on.unwrap_or_else(|| today(&state));
    let position = confirm(
        &state,
        PaymentId::from_uuid(id),
        parse_external_id(request.external_id.as_deref())?,
        on,
        request.credited.as_deref(),
        &command,
    )
    .await?;
    Ok(crate::http::answer::json_with(
        StatusCode::OK,
        &Accepted { id, position },
        false,
    ))
}

/// Gives up a payment no money arrived for.
#[utoipa::path(post, path = "/v1/payments/{id}/cancel", tag = "payments",
    request_body = ReasonRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "cancelled", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "already credited, or no reason", body = Problem)))]
pub async fn cancel_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ReasonRequest>,
) -> Result<Response, ApiError> {
    let (payment, _) = payment_of(&state, id).await?;
    let committed = state
        .store
        .execute::<Payment>(
            &id.to_string(),
            PaymentCommand::CancelPayment {
                reason: request.reason.clone(),
            },
            &command.context,
            &[],
        )
        .await?;
    // Its proforma, if any, is cancelled with it: it will never be paid.
    if let Some(invoice_id) = payment.invoice_id() {
        state
            .store
            .execute::<domain::invoice::Invoice>(
                &invoice_id.to_string(),
                InvoiceCommand::CancelInvoice {
                    reason: request.reason,
                },
                &command.context,
                &[],
            )
            .await?;
    }
    Ok(accepted_with(StatusCode::OK, id, &committed))
}

/// What a payment credited, to whom: from its aggregate, or from the payments read model for a
/// payment credited directly.
async fn credited_payment(
    state: &AppState,
    id: Uuid,
) -> Result<(ClientId, ProviderId, Money, bool), ApiError> {
    let loaded = state
        .store
        .load::<Payment>(&id.to_string())
        .await?
        .aggregate;
    if loaded.is_created() {
        let (Some(client), Some(provider), Some(credited)) =
            (loaded.client_id(), loaded.provider_id(), loaded.credited())
        else {
            return Err(ApiError::unprocessable(
                "payment_not_credited",
                format!("payment {id} has not been credited"),
            ));
        };
        return Ok((client, provider, credited, true));
    }
    let head = eventstore::log::head_position(&state.pool).await?;
    state.consistent(&[ReadModel::Payments], Some(head)).await?;
    let row: Option<(Uuid, Uuid, Option<Decimal>, String)> = sqlx::query_as(
        "SELECT client_id, provider_id, credited, account_currency FROM payments
          WHERE payment_id = $1",
    )
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    let Some((client, provider, Some(credited), currency)) = row else {
        return Err(ApiError::not_found(
            "payment_not_found",
            format!("no credited payment {id}"),
        ));
    };
    let currency = Currency::parse(&currency).map_err(|e| ApiError::internal(&e))?;
    let credited = Money::from_decimal(credited, currency).map_err(|e| ApiError::internal(&e))?;
    Ok((
        ClientId::from_uuid(client),
        ProviderId::from_uuid(provider),
        credited,
        false,
    ))
}

/// Pays back money of a payment that is still unallocated: credited, not refunded, and still on
/// the balance. Idempotent by `refund_id`.
#[utoipa::path(post, path = "/v1/payments/{id}/refunds", tag = "payments",
    request_body = RefundRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 201, description = "refunded", body = Accepted),
        (status = 404, description = "no such credited payment", body = Problem),
        (status = 422, description = "more than the payment's unallocated money (refund_exceeds_unallocated, refund_exceeds_payment), or invalid", body = Problem)))]
pub async fn refund_payment(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<RefundRequest>,
) -> Result<Response, ApiError> {
    let (client_id, provider_id, credited, has_lifecycle) = credited_payment(&state, id).await?;
    let amount = Money::parse_positive(&request.amount, credited.currency())?;
    let key = CommandKey::new(
        "refund",
        request.refund_id.to_string(),
        &(id, &request.amount, &request.reason),
        serde_json::json!({ "id": request.refund_id }),
    )
    .map_err(|e| ApiError::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(key)
        .chain(command.key(&request, request.refund_id)?)
        .collect();
    let account = AccountId::of(client_id, provider_id, credited.currency());
    let committed = state
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::RefundPayment {
                client_id,
                provider_id,
                refund_id: RefundId::from_uuid(request.refund_id),
                payment_id: PaymentId::from_uuid(id),
                credited,
                amount,
                reason: request.reason,
            },
            &command.context,
            &keys,
        )
        .await?;
    if has_lifecycle {
        for event in &committed.events {
            payments::mirror_refund(&state.store, event, &command.context).await?;
        }
    }
    Ok(accepted(request.refund_id, &committed))
}

/// Marks a payment as fraud; what is left of a credited one is taken back from the balance,
/// which may go below zero.
#[utoipa::path(post, path = "/v1/payments/{id}/fraud", tag = "payments",
    request_body = ReasonRequest,
    params(("id" = Uuid, Path, description = "the payment")),
    responses(
        (status = 200, description = "marked", body = Accepted),
        (status = 404, description = "no such payment", body = Problem),
        (status = 422, description = "cancelled or already marked, or no reason", body = Problem)))]
pub async fn mark_fraud(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
    Body(request): Body<ReasonRequest>,
) -> Result<Response, ApiError> {
    let loaded = state
        .store
        .load::<Payment>(&id.to_string())
        .await?
        .aggregate;
    let position = if loaded.is_created() {
        let marked = state
            .store
            .execute::<Payment>(
                &id.to_string(),
                PaymentCommand::MarkFraud {
                    reason: request.reason.clone(),
                },
                &command.context,
                &[],
            )
            .await?;
        let reversed = payments::reverse(
            &state.store,
            PaymentId::from_uuid(id),
            &request.reason,
            &command.context,
        )
        .await?;
        reversed.unwrap_or(marked.position).max(marked.position)
    } else {
        let (client_id, provider_id, credited, _) = credited_payment(&state, id).await?;
        let account = AccountId::of(client_id, provider_id, credited.currency());
        state
            .store
            .execute::<Account>(
                &account.to_string(),
                AccountCommand::ReversePayment {
                    client_id,
                    provider_id,
                    payment_id: PaymentId::from_uuid(id),
                    credited,
                    reason: request.reason,
                },
                &command.context,
                &[],
            )
            .await?
            .position
    };
    Ok(crate::http::answer::json_with(
        StatusCode::OK,
        &Accepted { id, position },
        false,
    ))
}

/// A row of the `payments` read model.
#[derive(sqlx::FromRow)]
struct PaymentRow {
    payment_id: Uuid,
    client_id: Uuid,
    provider_id: Uuid,
    company_id: Option<Uuid>,
    method: String,
    method_kind: String,
    status: String,
    amount: Decimal,
    currency: String,
    credited: Option<Decimal>,
    account_currency: String,
    rate: Option<Decimal>,
    rate_date: Option<NaiveDate>,
    refunded: Decimal,
    external_id: Option<String>,
    invoice_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    credited_at: Option<DateTime<Utc>>,
    position: i64,
    payer_id: Option<Uuid>,
}

const PAYMENT_COLUMNS: &str = "payment_id, client_id, provider_id, company_id, method, \
     method_kind, status, amount, currency, credited, account_currency, rate, rate_date, \
     refunded, external_id, invoice_id, created_at, credited_at, position, payer_id";

fn view(row: PaymentRow) -> PaymentView {
    PaymentView {
        payer_id: row.payer_id,
        id: row.payment_id,
        client_id: row.client_id,
        provider_id: row.provider_id,
        company_id: row.company_id,
        method: row.method,
        method_kind: row.method_kind,
        status: row.status,
        amount: format_amount(row.amount, &row.currency),
        currency: row.currency,
        credited: row
            .credited
            .map(|c| format_amount(c, &row.account_currency)),
        refunded: format_amount(row.refunded, &row.account_currency),
        account_currency: row.account_currency,
        rate: row.rate.map(|r| r.normalize().to_string()),
        rate_date: row.rate_date,
        external_id: row.external_id,
        invoice_id: row.invoice_id,
        created_at: row.created_at,
        credited_at: row.credited_at,
        position: row.position,
    }
}

/// Payments by client, status, method, company and creation day, oldest first.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(ListPaymentsParams),
    responses(
        (status = 200, description = "a page of payments", body = Page<PaymentView>),
        (status = 400, description = "bad parameters", body = Problem)))]
pub async fn list_payments(
    State(state): State<AppState>,
    visible: Visible,
    Query(params): Query<ListPaymentsParams>,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    state
        .consistent(&[ReadModel::Payments], params.min_position)
        .await?;
    let limit = crate::http::answer::limit(params.limit)?;
    let after = crate::http::answer::time_cursor(params.after.as_deref())?;
    let day = |d: Option<NaiveDate>| d.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    let rows: Vec<PaymentRow> = sqlx::query_as(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments
          WHERE ($1::uuid IS NULL OR client_id = $1)
            AND ($2::text IS NULL OR status = $2)
            AND ($3::text IS NULL OR method = $3)
            AND ($4::uuid IS NULL OR company_id = $4)
            AND ($5::timestamptz IS NULL OR created_at >= $5)
            AND ($6::timestamptz IS NULL OR created_at < $6)
            AND ($7::timestamptz IS NULL OR (created_at, payment_id) > ($7, $8))
          ORDER BY created_at, payment_id
          LIMIT $9"
    ))
    .bind(visible.narrow(params.client_id))
    .bind(params.status)
    .bind(params.method)
    .bind(params.company_id)
    .bind(day(params.from))
    .bind(day(params.to))
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit + 1)
    .fetch_all(&state.pool)
    .await?;
    let items = rows.into_iter().map(view).collect();
    Ok(Json(crate::http::answer::page(
        items,
        limit,
        |last: &PaymentView| crate::http::answer::time_cursor_of(last.created_at, last.id),
    )))
}

/// One payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = Uuid, Path, description = "the payment"), Consistency),
    responses(
        (status = 200, description = "the payment", body = PaymentView),
        (status = 404, description = "no such payment", body = Problem)))]
pub async fn get_payment(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(consistency): Query<Consistency>,
) -> Result<Json<PaymentView>, ApiError> {
    state
        .consistent(&[ReadModel::Payments], consistency.min_position)
        .await?;
    let row: Option<PaymentRow> = sqlx::query_as(&format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_id = $1"
    ))
    .bind(id)
    .fetch_optional(&state.pool)
    .await?;
    row.map(|row| Json(view(row)))
        .ok_or_else(|| ApiError::not_found("payment_not_found", format!("no payment {id}")))
}
