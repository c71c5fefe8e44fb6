//! The clients: the list (search, sorting, keyset pages, the registration form) and one
//! client's page, the centre of support work (balance, services with their actions, statement,
//! invoices viewable in the browser, payments, tickets, users and payers), and an invoice as the
//! browser shows it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::service::{ServiceAction, ServiceStatus};
use projections::ReadModel;
use projections::clients::{ClientSort, Keyset};
use serde::Deserialize;
use uuid::Uuid;

use super::format::{self, negative};
use super::{Layout, Session, failed, forbidden, may_open, message, render, signed_in};
use crate::http::error::ApiError;
use crate::http::pages::forms::new_key;
use crate::http::state::AppState;
// The API's own extractor: it refuses the NUL character (`%00`), which PostgreSQL cannot
// compare, with a 400 problem instead of letting the query fail with a 500.
use crate::http::extract::Query;

/// Clients per page of the list.
const PAGE: i64 = 100;

pub(super) use crate::http::pages::forms::FormError;

#[derive(Deserialize, Default)]
pub(super) struct ListParams {
    q: Option<String>,
    sort: Option<String>,
    after: Option<Uuid>,
    before: Option<Uuid>,
    done: Option<String>,
}

/// The list of clients.
#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    layout: Layout,
    q: String,
    sort: &'static str,
    rows: Vec<ClientRow>,
    shown: usize,
    total: i64,
    /// The query string of the previous and next pages, when there are such pages.
    previous: Option<String>,
    next: Option<String>,
    /// The registration form, for staff who may register clients.
    register: Option<RegisterForm>,
    error: Option<FormError>,
    done: Option<String>,
}

struct ClientRow {
    id: String,
    name: String,
    email: String,
    country: String,
    status: String,
    registered: String,
}

struct RegisterForm {
    csrf: String,
    key: String,
    providers: Vec<(String, String)>,
}

pub(super) async fn clients(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    clients_page(&state, &session, params, None).await
}

/// The list page, with a refused registration's error when there is one.
pub(super) async fn clients_page(
    state: &AppState,
    session: &Session,
    params: ListParams,
    error: Option<FormError>,
) -> Response {
    if !session.may("GET", "/v1/clients") {
        return forbidden(session);
    }
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    match list(state, session, params, error).await {
        Ok(page) => render(status, &page),
        Err(error) => failed(error),
    }
}

async fn list(
    state: &AppState,
    session: &Session,
    params: ListParams,
    error: Option<FormError>,
) -> Result<ClientsPage, ApiError> {
    let q = params.q.unwrap_or_default();
    let pattern = Some(q.trim())
        .filter(|q| !q.is_empty())
        .map(crate::http::answer::like_pattern);
    let (sort, sort_name) = match params.sort.as_deref() {
        Some("email") => (ClientSort::Email, "email"),
        Some("newest") => (ClientSort::Newest, "newest"),
        _ => (ClientSort::Name, "name"),
    };
    let keyset = Keyset::of(params.after, params.before);
    let pool = &state.pool;
    let found =
        projections::clients::page_sorted(pool, pattern.as_deref(), sort, keyset, PAGE + 1).await?;
    let total = projections::clients::count_matching(pool, pattern.as_deref()).await?;
    let base = format!(
        "q={}&sort={sort_name}",
        crate::http::dashboard::clients::query_value(&q)
    );
    let KeysetPage {
        rows: found,
        previous,
        next,
    } = KeysetPage::cut(found, keyset, PAGE, &base, |row| row.id);
    let register = if session.may("POST", "/v1/clients") {
        let providers = projections::clients::providers(pool).await?;
        Some(RegisterForm {
            csrf: session.csrf(),
            key: new_key(),
            providers: providers
                .into_iter()
                .map(|p| {
                    let badge = super::sandbox::badge(session, p.sandbox);
                    (
                        p.id.to_string(),
                        format!("{} ({}){badge}", p.name, p.currency),
                    )
                })
                .collect(),
        })
    } else {
        None
    };
    let rows: Vec<ClientRow> = found
        .into_iter()
        .map(|client| ClientRow {
            id: client.id.to_string(),
            name: client.name,
            email: client.email,
            country: client.country,
            status: client.status,
            registered: session.zone.time(client.created_at),
        })
        .collect();
    Ok(ClientsPage {
        layout: session.layout(session.lang.t("clients-title")),
        q,
        sort: sort_name,
        shown: rows.len(),
        rows,
        total,
        previous,
        next,
        register,
        error,
        done: params.done.map(|_| session.lang.t("done-register")),
    })
}

#[derive(Deserialize, Default)]
pub(super) struct ClientParams {
    done: Option<String>,
    /// The position of an action's last event, which the page's read models must have applied.
    at: Option<i64>,
}

/// The read models a client's page reads.
const CLIENT_PAGE_READS: [ReadModel; 9] = [
    ReadModel::Clients,
    ReadModel::Balances,
    ReadModel::Services,
    ReadModel::Tariffs,
    ReadModel::Statement,
    ReadModel::Invoices,
    ReadModel::Payments,
    ReadModel::Support,
    ReadModel::Affiliates,
];

/// One client's page.
#[derive(Template)]
#[template(path = "client.html")]
struct ClientPage {
    layout: Layout,
    id: String,
    facts: String,
    /// The clock of a sandbox provider's client, with its badge and form.
    sandbox: Option<super::sandbox::SandboxClock>,
    /// Whether the staff member may read the action log (a link to the client's).
    show_log: bool,
    csrf: String,
    /// A fresh idempotency key for each form of the page.
    keys: [String; 3],
    accounts: Option<Vec<AccountRow>>,
    /// The currencies a payment may be posted in (the client's accounts').
    payment_form: Option<Vec<String>>,
    services: Option<Vec<ServiceRow>>,
    order_form: Option<Vec<(String, String)>>,
    /// The companies of the client's provider, for staff who may issue invoices.
    invoice_form: Option<Vec<(String, String)>>,
    statements: Option<Vec<Statement>>,
    invoices: Option<Vec<InvoiceRow>>,
    payments: Option<Vec<PaymentRow>>,
    tickets: Option<Vec<TicketRow>>,
    /// Its users: (name, login, roles, status).
    users: Option<Vec<[String; 4]>>,
    /// Its payers: (name, kind, country, VAT number).
    payers: Option<Vec<[String; 4]>>,
    /// Its domain contacts, read-only: (name, kind, e-mail, phone, country).
    domain_contacts: Option<Vec<[String; 5]>>,
    /// Its affiliate programs (`affiliates`), if it joined any.
    affiliate: Option<super::client_affiliate::AffiliateBlock>,
    /// The forms of `client_actions`.
    flows: super::client_forms::ClientForms,
    error: Option<FormError>,
    done: Option<String>,
}

struct AccountRow {
    currency: String,
    balance: String,
    negative: bool,
    credit_limit: String,
}

struct ServiceRow {
    id: String,
    tariff: String,
    item_type: String,
    status: String,
    paid_until: String,
    price: String,
    /// The actions this staff member may take on it: (path part, label, key).
    actions: Vec<(&'static str, &'static str, String)>,
    /// Whether it may be moved to another client (a link to choose the client).
    transfer: bool,
}

struct Statement {
    currency: String,
    rows: Vec<MovementRow>,
}

struct MovementRow {
    when: String,
    kind: String,
    what: String,
    amount: String,
    negative: bool,
    balance: String,
}

struct InvoiceRow {
    id: String,
    /// The "Send to client" button's key, for staff who may send documents.
    send_key: Option<String>,
    number: String,
    kind: String,
    status: String,
    issued_on: String,
    total: String,
}

struct PaymentRow {
    id: String,
    /// The refund form's key, for staff who may refund.
    refund_key: Option<String>,
    when: String,
    method: String,
    status: String,
    amount: String,
}

struct TicketRow {
    id: String,
    /// The answer form's key, for staff who may answer.
    answer_key: Option<String>,
    subject: String,
    status: String,
    messages: i32,
    updated: String,
}

pub(super) async fn client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<ClientParams>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        let title = session.lang.t("client-none");
        return message(Some(&session), StatusCode::NOT_FOUND, &title, "");
    };
    if let Err(error) = state.consistent(&CLIENT_PAGE_READS, params.at).await {
        return failed(error);
    }
    // The note of the action just done, a catalogue key (`done-*`).
    let done = params.done.as_deref().map(|done| match done {
        "payment" => "done-payment",
        "order" => "done-order",
        "suspend" => "done-suspend",
        "resume" => "done-resume",
        "close" => "done-close",
        "register" => "done-register",
        "refund" => "done-refund",
        "answer" => "done-answer",
        "invoice" => "done-invoice",
        "edit" => "done-edit",
        "adjustment" => "done-adjustment",
        "credit-limit" => "done-credit-limit",
        "personal-discount" => "done-personal-discount",
        "credit-note" => "done-credit-note",
        "send" => "done-send",
        "transfer" => "done-transfer",
        "merge" => "done-merge",
        "clock" => "done-clock",
        "affiliate-payout" => "done-affiliate-payout",
        _ => "done-other",
    });
    client_page(&state, &session, id, None, done).await
}

/// A client's page, with a refused form's error or a done action's note.
pub(super) async fn client_page(
    state: &AppState,
    session: &Session,
    id: Uuid,
    error: Option<FormError>,
    done: Option<&'static str>,
) -> Response {
    if !session.may("GET", "/v1/clients/{id}") {
        return forbidden(session);
    }
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    match client_body(state, session, id, error, done).await {
        Ok(Some(page)) => render(status, &page),
        Ok(None) => message(
            Some(session),
            StatusCode::NOT_FOUND,
            &session.lang.t("client-none"),
            "",
        ),
        Err(error) => failed(error),
    }
}

/// A client's page: its profile, and each block and form only for a staff member who may read
/// or do the same over the API.
async fn client_body(
    state: &AppState,
    session: &Session,
    id: Uuid,
    error: Option<FormError>,
    done: Option<&'static str>,
) -> Result<Option<ClientPage>, ApiError> {
    let pool = &state.pool;
    let Some(client) = projections::clients::client(pool, id).await? else {
        return Ok(None);
    };
    let lang = session.lang;
    let facts = format!(
        "{} · {} · {} · {} · {}",
        client.email,
        lang.named(&client.kind),
        client.country,
        lang.named(&client.status),
        lang.t1(
            "client-facts-registered",
            "when",
            &session.zone.time(client.created_at)
        )
    );
    let sandbox = super::sandbox::of_provider(state, session, client.provider_id).await?;
    let balance_shown = session.may("GET", "/v1/clients/{id}/balance");
    let statement_shown = session.may("GET", "/v1/clients/{id}/statement");
    let balances = if balance_shown || statement_shown {
        projections::balances::accounts_of_client(pool, id).await?
    } else {
        Vec::new()
    };
    let accounts = balance_shown.then(|| {
        balances
            .iter()
            .map(|account| AccountRow {
                currency: account.currency.clone(),
                balance: lang.amount(account.balance, &account.currency),
                negative: negative(account.balance),
                credit_limit: lang.amount(account.credit_limit, &account.currency),
            })
            .collect()
    });
    let currencies: Vec<String> = balances.iter().map(|a| a.currency.clone()).collect();
    let flows = super::client_forms::forms(state, session, &client, &currencies).await?;
    let payment_form = session.may("POST", "/v1/clients/{id}/payments").then(|| {
        let mut currencies: Vec<String> = balances.iter().map(|a| a.currency.clone()).collect();
        if currencies.is_empty() {
            currencies.push(client.currency.clone());
        }
        currencies
    });
    let services = if session.may("GET", "/v1/clients/{id}/services") {
        let services = projections::services::of_client(pool, id, None, None, 500).await?;
        Some(
            services
                .into_iter()
                .map(|service| {
                    // What the service's status admits (the domain's rule), and of that what
                    // this staff member may ask.
                    let admitted = ServiceStatus::parse(&service.status)
                        .map_or(&[][..], ServiceStatus::allowed_actions);
                    let may = |action: ServiceAction| {
                        admitted.contains(&action)
                            && session
                                .may("POST", &format!("/v1/services/{{id}}/{}", action.as_str()))
                    };
                    let actions = [
                        (ServiceAction::Suspend, "client-suspend"),
                        (ServiceAction::Resume, "client-resume"),
                        (ServiceAction::Close, "client-close"),
                    ]
                    .into_iter()
                    .filter(|(action, _)| may(*action))
                    .map(|(action, label)| (action.as_str(), label, new_key()))
                    .collect();
                    let transfer =
                        may(ServiceAction::Transfer) && session.may("GET", "/v1/clients");
                    ServiceRow {
                        id: service.id.to_string(),
                        tariff: service.tariff_name,
                        item_type: service.item_type,
                        status: service.status,
                        paid_until: service.paid_until.map(|d| lang.date(d)).unwrap_or_default(),
                        price: format!(
                            "{} / {}",
                            lang.money(service.price_per_period, &service.currency),
                            lang.period(&service.period)
                        ),
                        actions,
                        transfer,
                    }
                })
                .collect(),
        )
    } else {
        None
    };
    let order_form =
        if session.may("POST", "/v1/clients/{id}/services") && session.may("GET", "/v1/tariffs") {
            let tariffs = projections::catalog::tariffs(
                pool,
                Some(client.provider_id),
                Some("active"),
                None,
                500,
            )
            .await?;
            Some(
                tariffs
                    .into_iter()
                    .map(|t| {
                        let item_type = lang.named(&t.item_type);
                        (t.id.to_string(), format!("{} ({item_type})", t.name))
                    })
                    .collect(),
            )
        } else {
            None
        };
    let invoice_form = if session.may("POST", "/v1/invoices") && session.may("GET", "/v1/companies")
    {
        let companies =
            projections::companies::companies(pool, Some(client.provider_id), None, 100).await?;
        Some(
            companies
                .into_iter()
                .map(|c| (c.company_id.to_string(), c.name))
                .collect(),
        )
    } else {
        None
    };
    let statements = if statement_shown {
        let mut statements = Vec::new();
        for account in &balances {
            let currency = &account.currency;
            let movements =
                projections::statement::latest_movements(pool, account.account_id, 100).await?;
            statements.push(Statement {
                currency: currency.clone(),
                rows: movements
                    .into_iter()
                    .map(|movement| MovementRow {
                        when: session.zone.time(movement.occurred_at),
                        what: format::movement(
                            lang,
                            &movement.kind,
                            &movement.description,
                            &movement.details,
                        ),
                        kind: movement.kind,
                        amount: lang.amount(movement.amount, currency),
                        negative: negative(movement.amount),
                        balance: lang.amount(movement.balance_after, currency),
                    })
                    .collect(),
            });
        }
        Some(statements)
    } else {
        None
    };
    let invoices = if session.may("GET", "/v1/invoices") {
        let invoices = projections::invoices::latest_of_client(pool, id, 50).await?;
        let sends = session.may("POST", "/v1/invoices/{id}/send");
        Some(
            invoices
                .into_iter()
                .map(|invoice| InvoiceRow {
                    id: invoice.invoice_id.to_string(),
                    send_key: sends.then(new_key),
                    number: invoice.number.unwrap_or_else(|| lang.named("draft")),
                    kind: invoice.kind,
                    status: invoice.status,
                    issued_on: lang.date(invoice.issued_on),
                    total: lang.money(invoice.gross, &invoice.currency),
                })
                .collect(),
        )
    } else {
        None
    };
    let payments = if session.may("GET", "/v1/payments") {
        let filter = projections::payments::PaymentFilter {
            client_id: Some(id),
            ..Default::default()
        };
        let rows = projections::payments::list(pool, &filter, None, 100).await?;
        let refunds = session.may("POST", "/v1/payments/{id}/refunds");
        Some(
            rows.into_iter()
                .map(|payment| PaymentRow {
                    id: payment.payment_id.to_string(),
                    refund_key: refunds.then(new_key),
                    when: session.zone.time(payment.created_at),
                    method: payment.method,
                    status: payment.status,
                    amount: lang.money(payment.amount, &payment.currency),
                })
                .collect(),
        )
    } else {
        None
    };
    let tickets = if session.may("GET", "/v1/clients/{id}/tickets") {
        let rows = projections::support::tickets_of_client(
            pool,
            id,
            projections::support::TicketFilter::All,
            None,
            20,
        )
        .await?;
        let answers = session.may("POST", "/v1/tickets/{id}/messages");
        Some(
            rows.into_iter()
                .map(|ticket| TicketRow {
                    id: ticket.ticket_id.to_string(),
                    answer_key: answers.then(new_key),
                    subject: ticket.subject,
                    status: ticket.status,
                    messages: ticket.messages,
                    updated: session.zone.time(ticket.updated_at),
                })
                .collect(),
        )
    } else {
        None
    };
    let users = if session.may("GET", "/v1/clients/{id}/users") {
        let rows = projections::access::users_of_client(pool, id, None, 100).await?;
        Some(
            rows.into_iter()
                .map(|user| {
                    [
                        user.name,
                        user.login,
                        user.roles
                            .0
                            .iter()
                            .map(|role| lang.named(role))
                            .collect::<Vec<_>>()
                            .join(", "),
                        lang.named(&user.status),
                    ]
                })
                .collect(),
        )
    } else {
        None
    };
    let payers = if session.may("GET", "/v1/clients/{id}/payers") {
        let rows = projections::payers::of_client(pool, id, None, 100).await?;
        Some(
            rows.into_iter()
                .map(|payer| {
                    [
                        payer.name,
                        lang.named(&payer.kind),
                        payer.country,
                        payer.vat_number.unwrap_or_default(),
                    ]
                })
                .collect(),
        )
    } else {
        None
    };
    let domain_contacts = if session.may("GET", "/v1/clients/{id}/domain-contacts") {
        let rows = projections::domain_contacts::of_client(pool, id, None, 100).await?;
        Some(
            rows.into_iter()
                .map(|c| {
                    let name = c.organisation.unwrap_or(c.name);
                    [name, c.kind, c.email, c.phone, c.country]
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Some(ClientPage {
        layout: session.layout(client.name),
        id: id.to_string(),
        facts,
        sandbox,
        show_log: session.may("GET", "/v1/action-log"),
        csrf: session.csrf(),
        keys: [new_key(), new_key(), new_key()],
        accounts,
        payment_form,
        services,
        order_form,
        invoice_form,
        statements,
        invoices,
        payments,
        tickets,
        users,
        payers,
        domain_contacts,
        affiliate: super::client_affiliate::block(state, session, id).await?,
        flows,
        error,
        done: done.map(|key| lang.t(key)),
    }))
}

/// An invoice as the browser shows it: the API's printable document (`http::document`), under
/// the panel's path so that the session cookie goes with the request.
pub(super) async fn invoice(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(asked): Query<super::invoice_page::DocumentLang>,
) -> Response {
    let session = match may_open(&state, &headers, "/v1/invoices/{id}").await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let none = session.lang.t("invoice-none");
    let not_found = || message(Some(&session), StatusCode::NOT_FOUND, &none, "");
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let row = match projections::invoices::get(&state.pool, id).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(),
        Err(error) => return failed(error.into()),
    };
    super::invoice_page::page(&state, &session, &row, asked.lang(), None).await
}

/// A keyset page read with one row more than `page` (the extra row says there is a page beyond
/// it in the direction read), cut to the page, with the queries of the pages before and after it
/// (`base` is the list's query without its cursor, `id` a row's cursor).
pub(super) struct KeysetPage<T> {
    pub(super) rows: Vec<T>,
    pub(super) previous: Option<String>,
    pub(super) next: Option<String>,
}

impl<T> KeysetPage<T> {
    pub(super) fn cut(
        mut found: Vec<T>,
        keyset: Keyset,
        page: i64,
        base: &str,
        id: impl Fn(&T) -> Uuid,
    ) -> Self {
        let limit = usize::try_from(page).unwrap_or(100);
        let more = found.len() > limit;
        if more {
            match keyset {
                Keyset::Before(_) => {
                    found.remove(0);
                }
                _ => found.truncate(limit),
            }
        }
        let has_next = matches!(keyset, Keyset::Before(_)) || more;
        let has_previous = match keyset {
            Keyset::First => false,
            Keyset::After(_) => true,
            Keyset::Before(_) => more,
        };
        let next = found
            .last()
            .filter(|_| has_next)
            .map(|last| format!("{base}&after={}", id(last)));
        let previous = found
            .first()
            .filter(|_| has_previous)
            .map(|first| format!("{base}&before={}", id(first)));
        Self {
            rows: found,
            previous,
            next,
        }
    }
}

/// `value` percent-encoded for a URL's query: letters, digits and `-._~` as they are.
pub(super) fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}
