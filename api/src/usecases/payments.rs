//! Payments with a lifecycle: created at a company by one of its payment methods, started at a
//! gateway, confirmed (credited to the personal account, converted at the rate of the day when
//! the currencies differ), cancelled, refunded, marked as fraud. Refunds and fraud marks work on
//! payments credited directly too (docs/adr/0004-payments-and-accounts.md).

use chrono::NaiveDate;
use domain::account::{Account, AccountCommand, PaymentMethod, PaymentMethodKind};
use domain::client::Client;
use domain::company::Company;
use domain::ids::{AccountId, ClientId, CompanyId, InvoiceId, PaymentId, ProviderId, RefundId};
use domain::invoice::{Invoice, InvoiceCommand, InvoiceKind, PayerDetails};
use domain::money::{Currency, Money};
use domain::payment::{ExternalId, Initiator, Payment, PaymentCommand};
use domain::tax::{LineInput, TaxMode, TaxTreatment};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use projections::ReadModel;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::usecases::process::{invoicing, payments};
use crate::usecases::{Core, Error, clocks};

/// A payment to create.
#[derive(Debug, Clone)]
pub struct CreatePayment {
    /// The caller's id for the payment: the command's key.
    pub payment_id: Uuid,
    /// The client paying.
    pub client_id: Uuid,
    /// The provider's company that receives the money.
    pub company_id: Uuid,
    /// One of the company's enabled payment methods.
    pub method: PaymentMethod,
    /// What the client pays.
    pub amount: Money,
    /// Issue a proforma invoice for the payment.
    pub proforma: bool,
    /// The client's payer making the payment.
    pub payer_id: Option<Uuid>,
    /// An issued invoice of the client the payment pays (not a proforma: ask for one with
    /// `proforma`); it is marked paid when the payment is credited (ADR 29).
    pub invoice_id: Option<Uuid>,
    /// Whether a payment module's gateway takes the payment (ADR 32): then only in the
    /// account's currency, which the `Payment` decides.
    pub to_gateway_module: bool,
}

/// What a payment's key is fingerprinted with: the request as it was sent.
#[derive(Serialize)]
struct CreateFingerprint<'a> {
    payment_id: Uuid,
    client_id: Uuid,
    company_id: Uuid,
    method: &'a str,
    amount: String,
    currency: &'a str,
    proforma: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoice_id: Option<Uuid>,
}

/// What creating a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPayment {
    /// The payment: the one a repeated `Idempotency-Key` created the first time.
    pub payment_id: Uuid,
    /// The global position of the last event written.
    pub position: i64,
    /// Whether it was credited at once (a payment method of kind `manual`).
    pub credited: bool,
    /// The proforma invoice, when one was asked for.
    pub invoice_id: Option<InvoiceId>,
    /// Its number.
    pub invoice_number: Option<String>,
    /// True when the payment was created by an earlier call with the same id.
    pub replayed: bool,
}

/// Creates a payment at one of the company's payment methods; with `proforma`, issues a proforma
/// invoice for it. A payment by a method of kind `manual` (money staff received) is credited at
/// once. Idempotent by `payment_id`.
pub async fn create_payment(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    input: CreatePayment,
) -> Result<CreatedPayment, Error> {
    let (provider_id, account_currency) =
        crate::usecases::clients::trading(core, input.client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let company =
        crate::usecases::invoices::company_of(core, input.company_id, provider_id).await?;
    let config = company
        .method_taking_payments(&input.method)
        .ok_or_else(|| not_available(&input.method, input.company_id))?;
    let method_kind = config.kind;
    let client = core
        .store
        .load::<Client>(&input.client_id.to_string())
        .await?
        .aggregate;
    // Checks the payer belongs to the client; the proforma freezes these details.
    let payer =
        crate::usecases::payers::payer_details(core, &client, input.client_id, input.payer_id)
            .await?;
    let payment_id = PaymentId::from_uuid(input.payment_id);
    // One id space for every payment: a payment credited straight to an account has no stream
    // of its own, only its key (`accounts::post_payment`; a created payment's credit takes the
    // same key), and a payment created under its id would be taken for it (its refunds, its
    // owner, its row in the read model). A payment created before is the store's to answer.
    // The key is asked first (one indexed lookup); the stream only when the key is there.
    let taken = core
        .store
        .key_used(
            crate::usecases::accounts::POSTED_PAYMENT_SCOPE,
            &input.payment_id.to_string(),
        )
        .await?
        && core
            .store
            .load::<Payment>(&input.payment_id.to_string())
            .await?
            .aggregate
            .status()
            .is_none();
    if taken {
        return Err(crate::usecases::accounts::payment_exists(input.payment_id));
    }
    let paid_invoice = match input.invoice_id {
        None => None,
        Some(_) if input.proforma => {
            return Err(Error::refused(
                "invoice_with_proforma",
                "invoice_id: a payment of an invoice gets no proforma of its own",
            ));
        }
        Some(id) => {
            Some(payable_invoice(core, id, (input.client_id, payment_id), input.amount).await?)
        }
    };
    let invoice_id =
        paid_invoice.or_else(|| input.proforma.then(|| InvoiceId::proforma(payment_id)));
    let on = when.today();
    let payment_key = CommandKey::new(
        "create-payment",
        input.payment_id.to_string(),
        &CreateFingerprint {
            payment_id: input.payment_id,
            client_id: input.client_id,
            company_id: input.company_id,
            method: input.method.as_str(),
            amount: input.amount.amount().to_string(),
            currency: input.amount.currency().code(),
            proforma: input.proforma,
            payer_id: input.payer_id,
            invoice_id: input.invoice_id,
        },
        serde_json::json!({ "id": input.payment_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(payment_key).chain(key).collect();
    let created = core
        .store
        .execute::<Payment>(
            &payment_id.to_string(),
            PaymentCommand::CreatePayment {
                payment_id,
                client_id: ClientId::from_uuid(input.client_id),
                provider_id,
                company_id: CompanyId::from_uuid(input.company_id),
                method: input.method,
                method_kind,
                amount: input.amount,
                account_currency,
                invoice_id,
                created_on: on,
                payer_id: payer.payer_id,
                initiated_by: initiator(context),
                to_gateway_module: input.to_gateway_module,
            },
            context,
            &keys,
        )
        .await?;
    // A repeated `Idempotency-Key` answers the payment it created the first time, whatever id
    // this call chose: the rest (its proforma) is that payment's.
    let payment_id = if created.replayed {
        created
            .answer
            .get("id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::parse_str(id).ok())
            .map_or(payment_id, PaymentId::from_uuid)
    } else {
        payment_id
    };
    let proforma_id = input.proforma.then(|| InvoiceId::proforma(payment_id));
    let mut position = created.position;
    let mut invoice_number = None;
    if let Some(invoice_id) = proforma_id {
        let draft = proforma_draft(
            &company,
            input.client_id,
            payer,
            invoice_id,
            payment_id,
            input.amount,
            on,
        )?;
        let issued = invoicing::issue(&core.store, invoice_id, draft, context, &[]).await?;
        position = position.max(issued.position);
        invoice_number = Some(issued.number);
    }
    let credited = method_kind == PaymentMethodKind::Manual;
    if credited {
        let credited_at = confirm(core, context, payment_id, None, on, None).await?;
        position = position.max(credited_at);
    }
    Ok(CreatedPayment {
        payment_id: payment_id.as_uuid(),
        position,
        credited,
        invoice_id: proforma_id.or(paid_invoice),
        invoice_number,
        replayed: created.replayed,
    })
}

/// The invoice `id` of `client_id` if a payment of `amount` may go to it, whole or in part (the
/// `Invoice`'s rule, `Invoice::may_be_paid_with`), or if `payment_id` paid it or part of it
/// already (a repeated request, which the payment's key then answers); an invoice of another
/// client is not found.
async fn payable_invoice(
    core: &Core,
    id: Uuid,
    (client_id, payment_id): (Uuid, PaymentId),
    amount: Money,
) -> Result<InvoiceId, Error> {
    let invoice = core.store.load::<Invoice>(&id.to_string()).await?.aggregate;
    if invoice.client_id() != Some(ClientId::from_uuid(client_id)) {
        return Err(Error::not_found(
            "invoice_not_found",
            format!("invoice_id: the client has no invoice {id}"),
        ));
    }
    if !invoice.was_paid_by(payment_id) {
        invoice.may_be_paid_with(amount)?;
    }
    Ok(InvoiceId::from_uuid(id))
}

/// Who asks for a payment, as the `Payment` aggregate weighs it: a client's own user, or staff
/// (staff acting as the client, an administrator, a service token, a process).
pub(crate) fn initiator(context: &CommandContext) -> Initiator {
    match context.actor {
        eventstore::metadata::Actor::User(_) => Initiator::Client,
        _ => Initiator::Staff,
    }
}

/// The proforma for an advance payment: one line, the amount paid, with the tax it contains.
///
/// An advance payment's total is what the client pays, so a rule that adds tax on top of prices
/// is shown as the same rate contained in the amount.
fn proforma_draft(
    company: &Company,
    client_id: Uuid,
    payer: PayerDetails,
    invoice_id: InvoiceId,
    payment_id: PaymentId,
    amount: Money,
    on: NaiveDate,
) -> Result<InvoiceCommand, Error> {
    let seller = company
        .seller()
        .ok_or_else(|| Error::not_found("company_not_found", "no such company"))?;
    let treatment = match company.treatment_for(&payer) {
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
            .ok_or_else(|| Error::not_found("company_not_found", "no such company"))?,
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

/// The payment aggregate, or 404.
async fn payment_of(core: &Core, id: Uuid) -> Result<Payment, Error> {
    let loaded = core.store.load::<Payment>(&id.to_string()).await?;
    if !loaded.aggregate.is_created() {
        return Err(Error::not_found(
            "payment_not_found",
            format!("no payment {id}"),
        ));
    }
    Ok(loaded.aggregate)
}

/// Hands the payment to a gateway or a bank: new → in progress.
pub async fn start_payment(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    external_id: Option<&str>,
) -> Result<Committed<Payment>, Error> {
    let payment = payment_of(core, id).await?;
    let context = &clocks::of(&core.store, payment.provider_id())
        .await?
        .stamp(context);
    // Parsed once the payment is known to exist: an unknown payment is a 404 first.
    let external_id = external_id.map(ExternalId::parse).transpose()?;
    Ok(core
        .store
        .execute::<Payment>(
            &id.to_string(),
            PaymentCommand::StartPayment { external_id },
            context,
            &[],
        )
        .await?)
}

/// A confirmation: the money arrived.
#[derive(Debug, Clone)]
pub struct ConfirmPayment {
    /// The gateway's id.
    pub external_id: Option<ExternalId>,
    /// The day the money arrived; today when absent.
    pub confirmed_on: Option<NaiveDate>,
    /// What arrived, as sent, in the account's currency (known only from the payment).
    pub credited: Option<String>,
}

/// The money arrived: credits the payment to the client's account (converted at the rate of the
/// day when the currencies differ) and marks its proforma paid. A repeated confirmation with the
/// same external id credits nothing more. Returns the position of the account's event.
pub async fn confirm_payment(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    input: ConfirmPayment,
) -> Result<i64, Error> {
    let when = clocks::of_payment(&core.store, PaymentId::from_uuid(id)).await?;
    let context = &when.stamp(context);
    let on = input.confirmed_on.unwrap_or_else(|| when.today());
    confirm(
        core,
        context,
        PaymentId::from_uuid(id),
        input.external_id,
        on,
        input.credited.as_deref(),
    )
    .await
}

/// Confirms `payment_id` and credits its account; returns the position of the account's event.
async fn confirm(
    core: &Core,
    context: &CommandContext,
    payment_id: PaymentId,
    external_id: Option<ExternalId>,
    on: NaiveDate,
    credited: Option<&str>,
) -> Result<i64, Error> {
    let payment = payment_of(core, payment_id.as_uuid()).await?;
    let (Some(amount), Some(account_currency)) = (payment.amount(), payment.account_currency())
    else {
        return Err(Error::not_found(
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
            return Err(Error::refused(
                "credited_not_allowed",
                "credited: a payment in another currency is credited at the rate of the day",
            ));
        }
        // A payment already credited keeps its conversion; only a first confirmation converts.
        match (payment.credited(), payment.conversion()) {
            (Some(credited), Some(conversion)) => (credited, Some(conversion)),
            _ => {
                let conversion =
                    crate::usecases::accounts::convert(core, amount, account_currency, on).await?;
                (conversion.to, Some(conversion))
            }
        }
    };
    core.store
        .execute::<Payment>(
            &payment_id.to_string(),
            PaymentCommand::ConfirmPayment {
                external_id,
                credited,
                conversion,
                confirmed_on: on,
            },
            context,
            &[],
        )
        .await?;
    Ok(payments::credit(&core.store, payment_id, context).await?)
}

/// Gives up a payment no money arrived for; its proforma, if any, is cancelled with it.
pub async fn cancel_payment(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    reason: String,
) -> Result<Committed<Payment>, Error> {
    let payment = payment_of(core, id).await?;
    let context = &clocks::of(&core.store, payment.provider_id())
        .await?
        .stamp(context);
    let committed = core
        .store
        .execute::<Payment>(
            &id.to_string(),
            PaymentCommand::CancelPayment {
                reason: reason.clone(),
            },
            context,
            &[],
        )
        .await?;
    // Its proforma, if any, is cancelled with it: it will never be paid. Another invoice it
    // named stays issued, for another payment to pay.
    if let Some(invoice_id) = payment
        .invoice_id()
        .filter(|invoice_id| *invoice_id == InvoiceId::proforma(PaymentId::from_uuid(id)))
    {
        core.store
            .execute::<Invoice>(
                &invoice_id.to_string(),
                InvoiceCommand::CancelInvoice { reason },
                context,
                &[],
            )
            .await?;
    }
    Ok(committed)
}

/// What a payment credited, to whom, and whether it has a lifecycle.
struct Credited {
    client_id: ClientId,
    provider_id: ProviderId,
    credited: Money,
    has_lifecycle: bool,
}

/// What a payment credited, to whom: from its aggregate, or from the payments read model for a
/// payment credited directly.
async fn credited_payment(core: &Core, id: Uuid) -> Result<Credited, Error> {
    let loaded = core.store.load::<Payment>(&id.to_string()).await?.aggregate;
    if loaded.is_created() {
        let (Some(client_id), Some(provider_id), Some(credited)) =
            (loaded.client_id(), loaded.provider_id(), loaded.credited())
        else {
            return Err(Error::refused(
                "payment_not_credited",
                format!("payment {id} has not been credited"),
            ));
        };
        return Ok(Credited {
            client_id,
            provider_id,
            credited,
            has_lifecycle: true,
        });
    }
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    core.consistent(&[ReadModel::Payments], Some(head)).await?;
    let found = projections::payments::get(&core.pool, id)
        .await?
        .and_then(|row| row.credited.map(move |credited| (row, credited)));
    let Some((row, credited)) = found else {
        return Err(Error::not_found(
            "payment_not_found",
            format!("no credited payment {id}"),
        ));
    };
    let currency = Currency::parse(&row.account_currency).map_err(|e| Error::internal(&e))?;
    let credited = Money::from_decimal(credited, currency).map_err(|e| Error::internal(&e))?;
    Ok(Credited {
        client_id: ClientId::from_uuid(row.client_id),
        provider_id: ProviderId::from_uuid(row.provider_id),
        credited,
        has_lifecycle: false,
    })
}

/// A refund of a payment.
#[derive(Debug, Clone)]
pub struct RefundPayment {
    /// The caller's id for the refund: the command's key.
    pub refund_id: Uuid,
    /// What to pay back, as sent, in the account's currency (known only from the payment).
    pub amount: String,
    /// Why.
    pub reason: String,
}

/// Pays back money of a payment that is still unallocated: credited, not refunded, and still on
/// the balance; a payment with a lifecycle records the refund too. Idempotent by `refund_id`.
pub async fn refund_payment(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    input: RefundPayment,
) -> Result<Committed<Account>, Error> {
    let payment = credited_payment(core, id).await?;
    let context = &core.time_of(payment.provider_id).await?.stamp(context);
    let amount = Money::parse_positive(&input.amount, payment.credited.currency())?;
    let refund_key = CommandKey::new(
        "refund",
        input.refund_id.to_string(),
        &(id, &input.amount, &input.reason),
        serde_json::json!({ "id": input.refund_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(refund_key).chain(key).collect();
    let account = AccountId::of(
        payment.client_id,
        payment.provider_id,
        payment.credited.currency(),
    );
    let committed = core
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::RefundPayment {
                client_id: payment.client_id,
                provider_id: payment.provider_id,
                refund_id: RefundId::from_uuid(input.refund_id),
                payment_id: PaymentId::from_uuid(id),
                credited: payment.credited,
                amount,
                reason: input.reason,
            },
            context,
            &keys,
        )
        .await?;
    if payment.has_lifecycle {
        for event in &committed.events {
            payments::mirror_refund(&core.store, event, context).await?;
        }
    }
    Ok(committed)
}

/// Marks a payment as fraud; what is left of a credited one is taken back from the balance,
/// which may go below zero. Returns the position of the last event written.
pub async fn mark_fraud(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    reason: String,
) -> Result<i64, Error> {
    let loaded = core.store.load::<Payment>(&id.to_string()).await?.aggregate;
    if loaded.is_created() {
        let context = &clocks::of(&core.store, loaded.provider_id())
            .await?
            .stamp(context);
        let marked = core
            .store
            .execute::<Payment>(
                &id.to_string(),
                PaymentCommand::MarkFraud {
                    reason: reason.clone(),
                },
                context,
                &[],
            )
            .await?;
        let reversed =
            payments::reverse(&core.store, PaymentId::from_uuid(id), &reason, context).await?;
        return Ok(reversed.unwrap_or(marked.position).max(marked.position));
    }
    let payment = credited_payment(core, id).await?;
    let context = &core.time_of(payment.provider_id).await?.stamp(context);
    let account = AccountId::of(
        payment.client_id,
        payment.provider_id,
        payment.credited.currency(),
    );
    Ok(core
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::ReversePayment {
                client_id: payment.client_id,
                provider_id: payment.provider_id,
                payment_id: PaymentId::from_uuid(id),
                credited: payment.credited,
                reason,
            },
            context,
            &[],
        )
        .await?
        .position)
}

/// The refusal of a payment by a method the company does not take payments by.
pub(crate) fn not_available(method: &domain::account::PaymentMethod, company_id: Uuid) -> Error {
    Error::refused(
        "payment_method_not_available",
        format!("method: {method} is not an enabled payment method of company {company_id}"),
    )
}
