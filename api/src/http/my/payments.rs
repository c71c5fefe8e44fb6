//! The client's payments and its top-ups: the list of its payments (status, method, amount,
//! date), a form that pays through one of the provider's companies' payment methods, the page of
//! one payment (with its proforma's HTML and PDF once the read model has it) and the page a card
//! gateway sends the client back to.
//!
//! A top-up is the API's own route, `POST /v1/clients/{id}/top-ups` (`routes::top_ups`): the
//! page shows its form when the rule table lets the user call it, and the form runs that route's
//! `run_top_up` as the user. Which methods a client's user may pay by is the `Payment`
//! aggregate's rule (`Initiator::may_pay_by`: not by one of kind `manual`), which the use case
//! applies to the methods it offers. The form's hidden key is the payment's id and the
//! command's `Idempotency-Key`, so a double submit makes one payment; the amount is in the
//! account's currency, which the server knows, never the form. The list pages by keyset, newest
//! first.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use projections::ReadModel;
use projections::payments::PaymentFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::pager::{PageParams, Pager};
use super::shop::form_command;
use super::{Session, failed, may_open, not_found, posted_permitted};
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pages::render;
use crate::http::routes::top_ups::{TopUpRequest, return_url, run_top_up};
use crate::http::state::AppState;

/// The API route whose rule opens the payments pages.
pub(super) const LIST_ROUTE: &str = "/v1/payments";
/// The API route whose rule opens one payment.
const ONE_ROUTE: &str = "/v1/payments/{id}";
/// The API route a top-up stands for.
const TOP_UP_ROUTE: &str = "/v1/clients/{id}/top-ups";

#[derive(Template)]
#[template(path = "my/payments.html")]
struct PaymentsPage {
    layout: crate::http::pages::Layout,
    payments: Vec<PaymentLine>,
    pager: Pager,
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

pub(super) async fn payments(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<PageParams>,
) -> Response {
    let session = match may_open(&state, &headers, LIST_ROUTE).await {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    page(
        &state,
        &session,
        &params,
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
    params: &PageParams,
    input: TopUpInput,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    match payments_page(state, session, params, input, error).await {
        Ok(page) => render(status, &page),
        Err(error) => failed(Some(session), error),
    }
}

async fn payments_page(
    state: &AppState,
    session: &Session,
    params: &PageParams,
    input: TopUpInput,
    error: Option<&ApiError>,
) -> Result<PaymentsPage, ApiError> {
    let client = session.client_id.as_uuid();
    let filter = PaymentFilter {
        client_id: Some(client),
        ..PaymentFilter::default()
    };
    // The API's own cursor and page size rules.
    let before = crate::http::answer::time_cursor(params.before.as_deref())?;
    let size = params.size()?;
    let mut rows =
        projections::payments::list_newest(&state.pool, &filter, before, size + 1).await?;
    let total = projections::payments::totals(&state.pool, &filter)
        .await?
        .iter()
        .map(|t| t.count)
        .sum();
    let more = params.limit_query();
    let pager = Pager::cut(
        &mut rows,
        size,
        total,
        format!("/my/payments?{}", more.trim_start_matches('&')),
        before.is_some(),
        |last| {
            format!(
                "/my/payments?before={}{more}",
                crate::http::answer::time_cursor_of(last.created_at, last.payment_id)
            )
        },
    );
    let payments = rows
        .into_iter()
        .map(|row| PaymentLine {
            id: row.payment_id.to_string(),
            status: session.lang.named(&row.status),
            method: session.lang.named(&row.method),
            amount: session.lang.money(row.amount, &row.currency),
            created: session.zone.time(row.created_at),
        })
        .collect();
    let top_up = if session.may("POST", TOP_UP_ROUTE) {
        let (_, currency) = crate::usecases::clients::trading(state, client).await?;
        let methods =
            crate::usecases::top_ups::offered(state, &session.principal.context(), client)
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
            error: error.map(|e| (super::problems::text(session.lang, e), e.code().to_owned())),
        })
    } else {
        None
    };
    Ok(PaymentsPage {
        layout: session.layout(session.lang.t("my-payments-title")),
        payments,
        pager,
        top_up,
    })
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

/// Tops up the account through `POST /v1/clients/{id}/top-ups`: a payment by the chosen
/// method (a bank transfer with its proforma, a card gateway started and the client sent to it),
/// keyed by the form's key.
pub(super) async fn top_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    source: Source,
    Form(form): Form<TopUpForm>,
) -> Response {
    let session = match posted_permitted(&state, &headers, &form.csrf, "POST", TOP_UP_ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let input = TopUpInput {
        method: form.method.trim().to_owned(),
        amount: form.amount.trim().to_owned(),
    };
    let back = return_url(&state, &headers, source.https);
    match pay(&state, &session, &form, &back).await {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(error) if error.status().is_server_error() => failed(Some(&session), error),
        Err(error) => {
            let status = error.status();
            let first = PageParams::default();
            page(&state, &session, &first, input, Some(&error), status).await
        }
    }
}

/// The UUID v5 namespace of the ids of payments a client starts in the panel. It must never
/// change: a form sent again is recognised by the id derived from it.
const TOP_UP_NAMESPACE: Uuid = Uuid::from_u128(0x7a3c_51e2_9b04_4d8f_a6e1_0c2b_93f4_d718);

/// Runs the top-up route for the form; where to send the client next.
async fn pay(
    state: &AppState,
    session: &Session,
    form: &TopUpForm,
    back: &str,
) -> Result<String, ApiError> {
    let key = crate::http::pages::forms::form_key(&form.key)?;
    let client = session.client_id.as_uuid();
    // The form's key makes the request idempotent; the payment's id is derived from it and the
    // client, never taken as typed: a chosen id could name a payment of another kind (one
    // credited straight to an account has no stream of its own) or of another client.
    let payment_id = Uuid::new_v5(&TOP_UP_NAMESPACE, format!("{client}/{key}").as_bytes());
    // The form's method is `company/method`, as the page lists them.
    let (company_id, method) = match form.method.trim().split_once('/') {
        Some((company, method)) => (Uuid::parse_str(company).ok(), method.to_owned()),
        None => (None, form.method.trim().to_owned()),
    };
    let (_, currency) = crate::usecases::clients::trading(state, client).await?;
    let request = TopUpRequest {
        company_id,
        method,
        amount: form.amount.trim().to_owned(),
        currency: currency.code().to_owned(),
    };
    let command = form_command(session, key, format!("POST /v1/clients/{client}/top-ups"));
    let topped = run_top_up(state, &command, client, payment_id, &request, back).await?;
    Ok(match topped.redirect_url {
        Some(gateway) => gateway,
        None => format!("/my/payments/{}?at={}", topped.payment_id, topped.position),
    })
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
        let head = eventstore::log::highest_position(state.pool.primary())
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
        status: session.lang.named(&row.status),
        credited,
        method: session.lang.named(&row.method),
        amount: session.lang.money(row.amount, &row.currency),
        created: session.zone.time(row.created_at),
        proforma,
        returned,
    }))
}
