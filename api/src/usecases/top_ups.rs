//! A client's top-up of its personal account: a payment by one of its provider's companies'
//! payment methods, a bank transfer with its proforma or a card gateway started and handed the
//! client's redirect address. The payment is confirmed by someone else (staff when the transfer
//! arrives, the gateway over the API); a client's own user may not pay by a method of kind
//! `manual`, which the `Payment` aggregate refuses (`Initiator`).

use domain::account::{PaymentMethod, PaymentMethodKind};
use domain::ids::InvoiceId;
use domain::money::Money;
use eventstore::CommandKey;
use eventstore::metadata::CommandContext;
use uuid::Uuid;

use crate::usecases::payments::{CreatePayment, create_payment, initiator, start_payment};
use crate::usecases::{Core, Error};

/// A top-up to make.
#[derive(Debug, Clone)]
pub struct TopUp {
    /// The client whose account is topped up.
    pub client_id: Uuid,
    /// The provider's company that receives the money; when `None`, the one company of the
    /// provider with an enabled method named `method`.
    pub company_id: Option<Uuid>,
    /// The payment method.
    pub method: PaymentMethod,
    /// What the client pays.
    pub amount: Money,
}

/// What a top-up made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToppedUp {
    /// The payment: the one a repeated key made the first time.
    pub payment_id: Uuid,
    /// The company that receives the money.
    pub company_id: Uuid,
    /// How the company receives money by the method.
    pub kind: PaymentMethodKind,
    /// The global position of the last event written.
    pub position: i64,
    /// The proforma invoice of a bank transfer.
    pub invoice_id: Option<InvoiceId>,
    /// Its number.
    pub invoice_number: Option<String>,
    /// For a card gateway: where the client pays, the method's template filled in.
    pub redirect_url: Option<String>,
    /// True when the payment was made by an earlier call with the same key.
    pub replayed: bool,
}

/// A payment method the caller may top up by: an enabled method of a company of the client's
/// provider that the `Payment` aggregate accepts from it.
#[derive(Debug, Clone)]
pub struct Offered {
    /// The company.
    pub company_id: Uuid,
    /// The method's name.
    pub method: String,
    /// Its kind.
    pub kind: PaymentMethodKind,
    /// What clients see.
    pub display_name: String,
    /// For a card gateway, its redirect address template (none: it takes payments only over
    /// the API).
    pub redirect_url: Option<String>,
}

/// The payment methods `context`'s caller may top up the client's account by, company by
/// company (the companies read model).
pub async fn offered(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
) -> Result<Vec<Offered>, Error> {
    let (provider, _) = crate::usecases::clients::trading(core, client_id).await?;
    let companies: Vec<Uuid> =
        projections::companies::companies(&core.pool, Some(provider.as_uuid()), None, 100)
            .await?
            .into_iter()
            .map(|c| c.company_id)
            .collect();
    let initiated_by = initiator(context);
    let methods = projections::companies::payment_methods(&core.pool, &companies).await?;
    Ok(methods
        .into_iter()
        .filter(|m| m.enabled)
        .filter_map(|m| {
            let kind = kind_of(&m.kind)?;
            initiated_by.may_pay_by(kind).then_some(Offered {
                company_id: m.company_id,
                method: m.method,
                kind,
                display_name: m.display_name,
                redirect_url: m.redirect_url,
            })
        })
        .collect())
}

/// The kind a read model's row names.
fn kind_of(code: &str) -> Option<PaymentMethodKind> {
    match code {
        "bank_transfer" => Some(PaymentMethodKind::BankTransfer),
        "card_gateway" => Some(PaymentMethodKind::CardGateway),
        "manual" => Some(PaymentMethodKind::Manual),
        _ => None,
    }
}

/// Tops up the client's account: creates the payment `payment_id` (a retry with the same
/// `key` gets the first payment back and writes nothing), with a proforma for a bank transfer;
/// starts a card gateway's payment and fills in the method's redirect template, with
/// `return_url` (in which `{payment_id}` is replaced) as the address the gateway sends the
/// client back to. A card method without a redirect template refuses before anything is written.
pub async fn top_up(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    payment_id: Uuid,
    input: TopUp,
    return_url: &str,
) -> Result<ToppedUp, Error> {
    let (provider, _) = crate::usecases::clients::trading(core, input.client_id).await?;
    let company_id = match input.company_id {
        Some(company_id) => company_id,
        None => the_company_taking(core, context, input.client_id, &input.method).await?,
    };
    let company = crate::usecases::invoices::company_of(core, company_id, provider).await?;
    let config = company
        .method_taking_payments(&input.method)
        .ok_or_else(|| crate::usecases::payments::not_available(&input.method, company_id))?;
    let kind = config.kind;
    // A card method a payment module serves is handed to that gateway, which answers the
    // address (ADR 32); otherwise the method's own address template is filled in. Either is
    // known before anything is written: a method with neither refuses the payment instead of
    // leaving one nobody can pay.
    let module = match kind {
        PaymentMethodKind::CardGateway => {
            crate::usecases::gateways::serving(core, provider, input.method.as_str()).await?
        }
        _ => None,
    };
    let gateway = match kind {
        PaymentMethodKind::CardGateway if module.is_none() => {
            Some(config.redirect_url.clone().ok_or_else(|| {
                Error::refused(
                    "gateway_not_configured",
                    "method: this payment method has no gateway address yet; choose another or ask support",
                )
            })?)
        }
        _ => None,
    };
    let created = create_payment(
        core,
        context,
        key,
        CreatePayment {
            payment_id,
            client_id: input.client_id,
            company_id,
            method: input.method,
            amount: input.amount,
            proforma: kind == PaymentMethodKind::BankTransfer,
            payer_id: None,
            invoice_id: None,
            // The `Payment` takes a module's payment only in the account's currency.
            to_gateway_module: module.is_some(),
        },
    )
    .await?;
    let id = created.payment_id;
    let mut position = created.position;
    let back = return_url.replace("{payment_id}", &id.to_string());
    let redirect_url = match (module, gateway) {
        (Some(module), _) => {
            let url =
                crate::usecases::gateways::hand_over(core, &module, id, position, &back).await?;
            started(core, context, id, created.replayed, &mut position).await?;
            Some(url)
        }
        (None, Some(template)) => {
            started(core, context, id, created.replayed, &mut position).await?;
            Some(
                template
                    .replace("{payment_id}", &id.to_string())
                    .replace("{return_url}", &encoded(&back)),
            )
        }
        (None, None) => None,
    };
    Ok(ToppedUp {
        payment_id: id,
        company_id,
        kind,
        position,
        invoice_id: created.invoice_id,
        invoice_number: created.invoice_number,
        redirect_url,
        replayed: created.replayed,
    })
}

/// Marks the payment handed to its gateway (new → in progress), raising `position`.
async fn started(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    replayed: bool,
    position: &mut i64,
) -> Result<(), Error> {
    match start_payment(core, context, id, None).await {
        Ok(started) => *position = (*position).max(started.position),
        // A repeat finds the payment already handed to the gateway (or paid): the client is
        // sent there again.
        Err(_) if replayed => {}
        Err(error) => return Err(error),
    }
    Ok(())
}

/// The one company of the client's provider whose enabled methods include `method`.
async fn the_company_taking(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    method: &PaymentMethod,
) -> Result<Uuid, Error> {
    let mut taking: Vec<Uuid> = offered(core, context, client_id)
        .await?
        .into_iter()
        .filter(|m| m.method == method.as_str())
        .map(|m| m.company_id)
        .collect();
    taking.dedup();
    match taking.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::refused(
            "payment_method_not_available",
            format!("method: no company of the provider takes {method}"),
        )),
        _ => Err(Error::refused(
            "company_required",
            format!("company_id: several companies take {method}; name one"),
        )),
    }
}

/// `text` percent-encoded for a query parameter: every byte but the unreserved ones.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
