//! The client's payments and its top-ups: the list of its payments (status, method, amount,
//! date), a form that pays through one of the provider's companies' payment methods, the page of
//! one payment (with its proforma's HTML and PDF once the read model has it) and the page a card
//! gateway sends the client back to.
//!
//! A client's user may pay only by a method someone else confirms: a bank transfer (staff
//! confirm it when the money arrives) or a card gateway (the gateway confirms it over the API).
//! A method of kind `manual` credits at once, which only staff may say, so the panel does not
//! offer one and `create_payment` refuses one to a client's user. The form's hidden key is the payment's id, so a double submit makes
//! one payment; the amount is in the account's currency, which the server knows, never the form.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::{Action, Permission, Resource};
use domain::account::{PaymentMethod, PaymentMethodKind};
use domain::money::Money;
use projections::ReadModel;
use projections::payments::PaymentFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::shop::named;
use super::{Session, failed, forbidden, may_open, not_found, posted};
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pages::render;
use crate::http::state::AppState;
use crate::usecases::payments::{CreatePayment, create_payment, start_payment};

/// The API route whose rule opens the payments pages.
pub(super) const LIST_ROUTE: &str = "/v1/payments";
/// The API route whose rule opens one payment.
const ONE_ROUTE: &str = "/v1/payments/{id}";
/// How many payments the page lists.
const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "my/payments.html")]
struct PaymentsPage {
    layout: crate::http::pages::Layout,
    payments: Vec<PaymentLine>,
    /// `None` when the user's roles do not let it pay.
    top_up: Option<TopUp>,
}

/// The top-up form.
struct TopUp {
    csrf: String,
    /// The payment's id to be.
    key: String,
    currency: String,
    methods: Vec<MethodLine>,
    /// What was typed, shown again after a refusal.
    amount: String,
    /// The refusal's detail and code.
    error: Option<(String, String)>,
}

struct MethodLine {
    /// `company_id/method`.
    value: String,
    name: String,
    selected: bool,
}

struct PaymentLine {
    id: String,
    status: String,
    method: String,
    amount: String,
    created: String,
}

#[derive(Template)]
#[template(path = "my/payment.html")]
struct PaymentPage {
    layout: crate::http::pages::Layout,
    id: String,
    status: String,
    credited: bool,
    method: String,
    amount: String,
    created: String,
    /// The proforma: `None` for a payment without one.
    proforma: Option<Proforma>,
    /// Whether the client just came back from the gateway.
    returned: bool,
}

enum Proforma {
    /// The payment asks for one the read model does not hold yet.
    Preparing,
    Ready {
        id: String,
        number: String,
        total: String,
    },
}

/// A payment method the client may pay by: a company of the client's provider, one of its
/// enabled methods that is not `manual`.
struct Offered {
    company_id: Uuid,
    method: String,
    kind: PaymentMethodKind,
    display_name: String,
}

/// Whether the session's roles let it pay: the payments it reads, and the `payments:write`
/// permission the owner and billing roles hold.
fn may_pay(session: &Session) -> bool {
    session.may("GET", LIST_ROUTE)
        && session
            .principal
            .allows(Permission::new(Resource::Payments, Action::Write))
}

pub(super) async fn payments(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match may_open(&state, &headers, LIST_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    page(
        &state,
        &session,
        TopUpInput::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// What the top-up form held, to show again after a refusal.
#[derive(Default)]
struct TopUpInput {
    method: String,
    amount: String,
}

async fn page(
    state: &AppState,
    session: &Session,
    input: TopUpInput,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    match payments_page(state, session, input, error).await {
        Ok(page) => render(status, &page),
        Err(error) => failed(Some(session), error),
    }
}

async fn payments_page(
    state: &AppState,
    session: &Session,
    input: TopUpInput,
    error: Option<&ApiError>,
) -> Result<PaymentsPage, ApiError> {
    let client = session.client_id.as_uuid();
    let filter = PaymentFilter {
        client_id: Some(client),
        ..PaymentFilter::default()
    };
    let mut rows = projections::payments::list(&state.pool, &filter, None, SHOWN).await?;
    rows.reverse();
    let payments = rows
        .into_iter()
        .map(|row| PaymentLine {
            id: row.payment_id.to_string(),
            status: named(session.lang, &row.status),
            method: named(session.lang, &row.method),
            amount: session.lang.money(row.amount, &row.currency),
            created: session.zone.time(row.created_at),
        })
        .collect();
    let top_up = if may_pay(session) {
        let (_, currency) = crate::usecases::clients::trading(state, client).await?;
        let methods = offered(state, session)
            .await?
            .into_iter()
            .map(|m| {
                let value = format!("{}/{}", m.company_id, m.method);
                MethodLine {
                    selected: value == input.method,
                    value,
                    name: m.display_name,
                }
            })
            .collect();
        Some(TopUp {
            csrf: session.csrf(),
            key: Uuid::now_v7().to_string(),
            currency: currency.code().to_owned(),
            methods,
            amount: input.amount,
            error: error.map(|e| (e.detail().to_owned(), e.code().to_owned())),
        })
    } else {
        None
    };
    Ok(PaymentsPage {
        layout: session.layout(session.lang.t("my-payments-title")),
        payments,
        top_up,
    })
}

/// The payment methods the client may pay by, company by company.
async fn offered(state: &AppState, session: &Session) -> Result<Vec<Offered>, ApiError> {
    let client = session.client_id.as_uuid();
    let (provider, _) = crate::usecases::clients::trading(state, client).await?;
    let companies: Vec<Uuid> =
        projections::companies::companies(&state.pool, Some(provider.as_uuid()), None, 100)
            .await?
            .into_iter()
            .map(|c| c.company_id)
            .collect();
    let methods = projections::companies::payment_methods(&state.pool, &companies).await?;
    Ok(methods
        .into_iter()
        .filter(|m| m.enabled)
        .filter_map(|m| {
            let kind = match m.kind.as_str() {
                "bank_transfer" => PaymentMethodKind::BankTransfer,
                "card_gateway" => PaymentMethodKind::CardGateway,
                _ => return None,
            };
            Some(Offered {
                company_id: m.company_id,
                method: m.method,
                kind,
                display_name: m.display_name,
            })
        })
        .collect())
}

/// The top-up form's fields.
#[derive(Deserialize)]
pub(super) struct TopUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    amount: String,
}

/// Tops up the account: a payment by the chosen method (a bank transfer with its proforma, a
/// card gateway started and the client sent to it), keyed by the form's key.
pub(super) async fn top_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    source: Source,
    Form(form): Form<TopUpForm>,
) -> Response {
    let session = match posted(&state, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    if !may_pay(&session) {
        return forbidden(&session);
    }
    let input = TopUpInput {
        method: form.method.trim().to_owned(),
        amount: form.amount.trim().to_owned(),
    };
    match pay(&state, &session, &form, &headers, source.https).await {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(error) if error.status().is_server_error() => failed(Some(&session), error),
        Err(error) => {
            let status = error.status();
            page(&state, &session, input, Some(&error), status).await
        }
    }
}

/// Creates the payment of the form; where to send the client next.
async fn pay(
    state: &AppState,
    session: &Session,
    form: &TopUpForm,
    headers: &HeaderMap,
    https: bool,
) -> Result<String, ApiError> {
    let payment_id = Uuid::parse_str(form.key.trim()).map_err(|_| {
        ApiError::unprocessable(
            "invalid_form",
            "the form has no idempotency key; reload the page and send it again",
        )
    })?;
    let chosen = offered(state, session)
        .await?
        .into_iter()
        .find(|m| format!("{}/{}", m.company_id, m.method) == form.method.trim())
        .ok_or_else(|| {
            ApiError::unprocessable("invalid_field", "method: choose one of the payment methods")
        })?;
    let client = session.client_id.as_uuid();
    let (_, currency) = crate::usecases::clients::trading(state, client).await?;
    let amount = Money::parse_positive(form.amount.trim(), currency).map_err(|e| {
        ApiError::unprocessable(
            "invalid_amount",
            format!("amount: {e} (a positive amount in {currency}, such as 100.00)"),
        )
    })?;
    // A card gateway's address is known before anything is written: a method without one
    // refuses the payment instead of leaving one nobody can pay.
    let gateway = if chosen.kind == PaymentMethodKind::CardGateway {
        let method = PaymentMethod::parse(&chosen.method)?;
        let template = crate::usecases::companies::gateway_redirect(
            state,
            chosen.company_id,
            &method,
        )
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                "gateway_not_configured",
                "this payment method has no gateway address yet; choose another or ask support",
            )
        })?;
        Some(template)
    } else {
        None
    };
    let context = session.principal.context();
    let created = create_payment(
        state,
        &context,
        None,
        CreatePayment {
            payment_id,
            client_id: client,
            company_id: chosen.company_id,
            method: PaymentMethod::parse(&chosen.method)?,
            amount,
            proforma: chosen.kind == PaymentMethodKind::BankTransfer,
            payer_id: None,
        },
    )
    .await?;
    let Some(template) = gateway else {
        return Ok(format!("/my/payments/{payment_id}?at={}", created.position));
    };
    let started = start_payment(state, &context, payment_id, None).await;
    // A double submit finds the payment already handed to the gateway: the client is sent
    // there again.
    if let Err(error) = started
        && !created.replayed
    {
        return Err(error.into());
    }
    let back = format!("{}/my/payments/{payment_id}/return", origin(headers, https));
    Ok(template
        .replace("{payment_id}", &payment_id.to_string())
        .replace("{return_url}", &encoded(&back)))
}

/// This panel's origin as the request named it (`http(s)://host`), for the address a gateway
/// sends the client back to; empty when the request named no plausible host.
fn origin(headers: &HeaderMap, https: bool) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    match host {
        Some(host) => format!("{}://{host}", if https { "https" } else { "http" }),
        None => String::new(),
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

/// `?at=` on a payment's page: the position its creation reached, to wait for.
#[derive(Deserialize, Default)]
pub(super) struct At {
    at: Option<i64>,
}

/// One payment: its status, and its proforma's documents once the read model has them.
pub(super) async fn payment(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(at): Query<At>,
) -> Response {
    one(state, headers, id, at, false).await
}

/// Where a card gateway sends the client back: the payment's status as the read models hold it.
/// Coming back credits nothing; only the gateway's confirmation over the API does.
pub(super) async fn returned(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    one(state, headers, id, At::default(), true).await
}

async fn one(state: AppState, headers: HeaderMap, id: String, at: At, returned: bool) -> Response {
    let session = match may_open(&state, &headers, ONE_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found(&session);
    };
    match payment_page(&state, &session, id, at.at, returned).await {
        Ok(Some(page)) => render(StatusCode::OK, &page),
        Ok(None) => not_found(&session),
        Err(error) => failed(Some(&session), error),
    }
}

async fn payment_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    at: Option<i64>,
    returned: bool,
) -> Result<Option<PaymentPage>, ApiError> {
    if let Some(at) = at {
        // Never wait for more than what was written.
        let head = eventstore::log::head_position(&state.pool)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        state
            .consistent(
                &[ReadModel::Payments, ReadModel::Invoices],
                Some(at.clamp(0, head)),
            )
            .await?;
    }
    let Some(row) = projections::payments::get(&state.pool, id).await? else {
        return Ok(None);
    };
    if row.client_id != session.client_id.as_uuid() {
        return Ok(None);
    }
    let proforma = match row.invoice_id {
        None => None,
        Some(invoice_id) => Some(
            match projections::invoices::get(&state.pool, invoice_id).await? {
                Some(invoice) if invoice.client_id == row.client_id => Proforma::Ready {
                    id: invoice.invoice_id.to_string(),
                    number: invoice.number.unwrap_or_default(),
                    total: session.lang.money(invoice.gross, &invoice.currency),
                },
                _ => Proforma::Preparing,
            },
        ),
    };
    let credited = row.credited.is_some();
    Ok(Some(PaymentPage {
        layout: session.layout(session.lang.t("my-payment-title")),
        id: row.payment_id.to_string(),
        status: named(session.lang, &row.status),
        credited,
        method: named(session.lang, &row.method),
        amount: session.lang.money(row.amount, &row.currency),
        created: session.zone.time(row.created_at),
        proforma,
        returned,
    }))
}
