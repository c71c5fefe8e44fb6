//! The client page's own actions: change the client's details, adjust its balance, set its credit
//! limit, issue a credit note, move a service to another client, merge the client into another
//! (both chosen by name on a page of their own), and act as the client.
//!
//! Each works as the forms of `actions` do: the session's CSRF token, the rule table asked for
//! the API route the form stands for, the route's own `run_*` function called with the form's
//! idempotency key (the adjustment's, credit note's and merge's id where the API takes one), and
//! a refusal shown as the problem's detail on the page the form was on, nothing written.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use projections::clients::{ClientRow, ClientSort, Keyset};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::actions::{Fields, allowed, command, field, finish, request};
use super::clients::{FormError, client_page};
use super::{Layout, Session, failed, message, render, signed_in};
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::i18n::Lang;
use crate::http::pages::forms::new_key;
use crate::http::routes::{accounts, clients, discounts, invoices, merges, services, users};
use crate::http::state::AppState;

/// Candidates shown on a page choosing another client.
const CANDIDATES: i64 = 50;

/// Changes the client's details: `PATCH /v1/clients/{id}`, with the fields filled in.
pub(super) async fn edit_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let session = match allowed(&state, &headers, &fields, "PATCH", "/v1/clients/{id}").await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let command = command(&session, &fields, format!("PATCH /v1/clients/{client_id}"))?;
        let mut json = Map::new();
        for name in ["name", "email", "country", "kind"] {
            let value = field(&fields, name);
            if !value.is_empty() {
                json.insert(name.to_owned(), json!(value));
            }
        }
        let request: clients::UpdateClientRequest = request(Value::Object(json))?;
        clients::run_update_client(&state, &command, client_id, &request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, client_id, "edit", outcome).await
}

/// Adjusts the balance: `POST /v1/clients/{id}/adjustments`; the form's key is the adjustment id.
pub(super) async fn adjust_balance(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/adjustments";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("POST /v1/clients/{client_id}/adjustments");
        let command = command(&session, &fields, route)?;
        let request: accounts::AdjustBalanceRequest = request(json!({
            "adjustment_id": fields.key.trim(),
            "amount": field(&fields, "amount"),
            "currency": field(&fields, "currency"),
            "reason": field(&fields, "reason"),
        }))?;
        accounts::run_adjust_balance(&state, &command, client_id, &request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, client_id, "adjustment", outcome).await
}

/// Sets the credit limit: `PUT /v1/clients/{id}/credit-limit`.
pub(super) async fn set_credit_limit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/credit-limit";
    let session = match allowed(&state, &headers, &fields, "PUT", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("PUT /v1/clients/{client_id}/credit-limit");
        let command = command(&session, &fields, route)?;
        let request: accounts::CreditLimitRequest = request(json!({
            "amount": field(&fields, "amount"),
            "currency": field(&fields, "currency"),
        }))?;
        accounts::run_set_credit_limit(&state, &command, client_id, &request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, client_id, "credit-limit", outcome).await
}

/// Sets or removes the personal discount: `PUT /v1/clients/{id}/personal-discount`. An empty
/// percent removes it; item types are comma-separated, none for every type; an empty date is no
/// end.
pub(super) async fn set_personal_discount(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/personal-discount";
    let session = match allowed(&state, &headers, &fields, "PUT", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("PUT /v1/clients/{client_id}/personal-discount");
        let command = command(&session, &fields, route)?;
        let percent = field(&fields, "percent");
        let until = field(&fields, "until");
        let item_types: Vec<&str> = field(&fields, "item_types")
            .split(',')
            .map(str::trim)
            .filter(|code| !code.is_empty())
            .collect();
        let request: discounts::SetPersonalDiscountRequest = request(json!({
            "percent": (!percent.is_empty()).then_some(percent),
            "item_types": item_types,
            "until": (!until.is_empty()).then_some(until),
        }))?;
        discounts::run_set_personal_discount(&state, &command, client_id, request).await
    }
    .await;
    let outcome = outcome.map(|committed| committed.position);
    finish(&state, &session, client_id, "personal-discount", outcome).await
}

/// Issues a credit note for one of the client's invoices: `POST /v1/invoices/{id}/credit-notes`;
/// the form's key is the credit note's id. With a line it credits that line, without one the
/// whole invoice.
pub(super) async fn credit_note(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/invoices/{id}/credit-notes";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let invoice_id = Uuid::parse_str(field(&fields, "invoice_id"))
            .map_err(|_| ApiError::unprocessable("invalid_field", "choose an invoice"))?;
        let route = format!("POST /v1/invoices/{invoice_id}/credit-notes");
        let command = command(&session, &fields, route)?;
        let lines = (!field(&fields, "unit_price").is_empty()).then(|| {
            json!([{
                "description": field(&fields, "description"),
                "quantity": field(&fields, "quantity"),
                "unit_price": field(&fields, "unit_price"),
            }])
        });
        let request: invoices::CreditNoteRequest = request(json!({
            "credit_note_id": fields.key.trim(),
            "lines": lines,
            "reason": field(&fields, "reason"),
        }))?;
        invoices::run_credit_invoice(&state, &command, invoice_id, &request).await
    }
    .await;
    let outcome = outcome.map(|issued| issued.position);
    finish(&state, &session, client_id, "credit-note", outcome).await
}

/// The page showing the token acting as a client, once.
#[derive(Template)]
#[template(path = "act_as.html")]
struct ActAsPage {
    layout: Layout,
    client_id: String,
    token: String,
    expires: String,
}

/// Acts as the client: `POST /v1/clients/{id}/act-as` issues a short-lived token acting as it,
/// shown on the answer page only (never kept, not cached) for the API, and set as this browser's
/// customer-panel session (`/my`, where the layout names the staff acting), so staff see the
/// panel as the client sees it; signing out there revokes the token.
pub(super) async fn act_as(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/act-as";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let outcome = async {
        let route = format!("POST /v1/clients/{client_id}/act-as");
        let command = command(&session, &fields, route)?;
        users::run_act_as_client(&state, &command, &session.principal, client_id).await
    }
    .await;
    match outcome {
        Ok(issued) => {
            let name = projections::clients::client(&state.pool, client_id)
                .await
                .ok()
                .flatten()
                .map_or_else(|| session.lang.t("act-as-the-client"), |c| c.name);
            let page = ActAsPage {
                layout: session.layout(session.lang.t1("act-as-title", "name", &name)),
                client_id: client_id.to_string(),
                token: issued.token,
                expires: issued
                    .expires_at
                    .map(|at| session.zone.time(at))
                    .unwrap_or_default(),
            };
            let panel_cookie = crate::http::my::session_cookie(&page.token, &source);
            let mut response = render(StatusCode::CREATED, &page);
            let headers = response.headers_mut();
            headers.insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            if let Ok(value) = header::HeaderValue::from_str(&panel_cookie) {
                headers.insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            let refused = Some(FormError::said(session.lang, "act-as", &error));
            client_page(&state, &session, client_id, refused, None).await
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct FindParams {
    find: Option<String>,
}

/// A page choosing another client by name: the merge target, or a service's new owner.
#[derive(Template)]
#[template(path = "choose_client.html")]
struct ChoosePage {
    layout: Layout,
    intro: String,
    /// Where the search form and the choice forms go.
    action: String,
    find: String,
    /// The field naming the chosen client in the choice forms.
    name: &'static str,
    /// The choice button's text.
    button: String,
    csrf: String,
    /// The candidates: (id, name, e-mail, country, status, form key).
    rows: Vec<[String; 6]>,
    error: Option<FormError>,
}

/// The clients whose name or e-mail matches `find` (the first by name without one), but
/// `except`.
async fn candidates(
    state: &AppState,
    lang: Lang,
    find: &str,
    except: Uuid,
) -> Result<Vec<[String; 6]>, ApiError> {
    let pattern = Some(find.trim())
        .filter(|q| !q.is_empty())
        .map(crate::http::answer::like_pattern);
    let found = projections::clients::page_sorted(
        &state.pool,
        pattern.as_deref(),
        ClientSort::Name,
        Keyset::First,
        CANDIDATES,
    )
    .await?;
    Ok(found
        .into_iter()
        .filter(|c| c.id != except)
        .map(|c| {
            [
                c.id.to_string(),
                c.name,
                c.email,
                c.country,
                lang.named(&c.status),
                new_key(),
            ]
        })
        .collect())
}

/// What a choosing page is about: a merge of a client, or a transfer of a service.
enum Choice {
    Merge { client: ClientRow },
    Transfer { service: Uuid, owner: ClientRow },
}

impl Choice {
    async fn page(
        &self,
        state: &AppState,
        session: &Session,
        find: String,
        error: Option<FormError>,
    ) -> Response {
        let lang = session.lang;
        let (title, intro, action, name, button, except) = match self {
            Choice::Merge { client } => (
                lang.t1("merge-title", "name", &client.name),
                lang.t1("merge-intro", "name", &client.name),
                format!("/dashboard/clients/{}/merge", client.id),
                "into",
                lang.t("merge-button"),
                client.id,
            ),
            Choice::Transfer { service, owner } => (
                lang.t1("transfer-title", "name", &owner.name),
                lang.t1("transfer-intro", "name", &owner.name),
                format!("/dashboard/services/{service}/transfer"),
                "client_id",
                lang.t("transfer-button"),
                owner.id,
            ),
        };
        let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
        match candidates(state, lang, &find, except).await {
            Ok(rows) => render(
                status,
                &ChoosePage {
                    layout: session.layout(title),
                    intro,
                    action,
                    find,
                    name,
                    button,
                    csrf: session.csrf(),
                    rows,
                    error,
                },
            ),
            Err(error) => failed(error),
        }
    }
}

/// The client `id` for a page about it, or the page saying there is none.
async fn client_or_not_found(
    state: &AppState,
    session: &Session,
    id: Uuid,
) -> Result<ClientRow, Response> {
    match projections::clients::client(&state.pool, id).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(message(
            Some(session),
            StatusCode::NOT_FOUND,
            &session.lang.t("client-none"),
            "",
        )),
        Err(error) => Err(failed(error.into())),
    }
}

/// The page choosing the client this one is merged into, for staff who may merge.
pub(super) async fn merge_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<Uuid>,
    Query(params): Query<FindParams>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    if !(session.may("POST", "/v1/clients/{id}/merge") && session.may("GET", "/v1/clients")) {
        return super::forbidden(&session);
    }
    let client = match client_or_not_found(&state, &session, client_id).await {
        Ok(client) => client,
        Err(answer) => return answer,
    };
    let find = params.find.unwrap_or_default();
    Choice::Merge { client }
        .page(&state, &session, find, None)
        .await
}

/// Merges this client into the one chosen: `POST /v1/clients/{the chosen}/merge` with this
/// client as the source; the form's key is the merge id. The merge runs on in the background
/// (`GET /v1/merges/{id}`); the answer is the chosen client's page.
pub(super) async fn merge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(source_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/clients/{id}/merge";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let client = match client_or_not_found(&state, &session, source_id).await {
        Ok(client) => client,
        Err(answer) => return answer,
    };
    let target = Uuid::parse_str(field(&fields, "into")).ok();
    let outcome = async {
        let target =
            target.ok_or_else(|| ApiError::unprocessable("invalid_field", "choose a client"))?;
        let command = command(
            &session,
            &fields,
            format!("POST /v1/clients/{target}/merge"),
        )?;
        let request: merges::MergeRequest = request(json!({
            "merge_id": fields.key.trim(),
            "sources": [source_id],
        }))?;
        let committed = merges::run_merge_clients(&state, &command, target, &request).await?;
        Ok::<_, ApiError>((target, committed.position))
    }
    .await;
    match outcome {
        Ok((target, position)) => Redirect::to(&format!(
            "/dashboard/clients/{target}?done=merge&at={position}"
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            Choice::Merge { client }
                .page(
                    &state,
                    &session,
                    String::new(),
                    Some(FormError::said(session.lang, "merge", &error)),
                )
                .await
        }
    }
}

/// The service `id` and its owner, or the page saying there is none.
async fn service_and_owner(
    state: &AppState,
    session: &Session,
    id: Uuid,
) -> Result<(Uuid, ClientRow), Response> {
    match projections::services::service(&state.pool, id).await {
        Ok(Some(service)) => {
            let owner = client_or_not_found(state, session, service.client_id).await?;
            Ok((service.id, owner))
        }
        Ok(None) => Err(message(
            Some(session),
            StatusCode::NOT_FOUND,
            &session.lang.t("service-none"),
            "",
        )),
        Err(error) => Err(failed(error.into())),
    }
}

/// The page choosing the client a service moves to, for staff who may move services.
pub(super) async fn transfer_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(service_id): Path<Uuid>,
    Query(params): Query<FindParams>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    if !(session.may("POST", "/v1/services/{id}/transfer") && session.may("GET", "/v1/clients")) {
        return super::forbidden(&session);
    }
    let (service, owner) = match service_and_owner(&state, &session, service_id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let find = params.find.unwrap_or_default();
    Choice::Transfer { service, owner }
        .page(&state, &session, find, None)
        .await
}

/// Moves a service to the client chosen: `POST /v1/services/{id}/transfer`; back to the old
/// owner's page.
pub(super) async fn transfer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(service_id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Response {
    let path = "/v1/services/{id}/transfer";
    let session = match allowed(&state, &headers, &fields, "POST", path).await {
        Ok(session) => session,
        Err(refusal) => return refusal.into_response(),
    };
    let (service, owner) = match service_and_owner(&state, &session, service_id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let outcome = async {
        let route = format!("POST /v1/services/{service_id}/transfer");
        let command = command(&session, &fields, route)?;
        let request: services::TransferServiceRequest =
            request(json!({ "client_id": field(&fields, "client_id") }))?;
        services::run_transfer_service(&state, &command, service_id, &request).await
    }
    .await;
    match outcome {
        Ok(position) => Redirect::to(&format!(
            "/dashboard/clients/{}?done=transfer&at={position}",
            owner.id
        ))
        .into_response(),
        Err(error) if error.status().is_server_error() => failed(error),
        Err(error) => {
            Choice::Transfer { service, owner }
                .page(
                    &state,
                    &session,
                    String::new(),
                    Some(FormError::said(session.lang, "transfer", &error)),
                )
                .await
        }
    }
}
