//! The client's payers on the account page: adding one (`POST /v1/clients/{id}/payers`) and
//! editing one (`PATCH /v1/payers/{id}`), each through the API route's own parsing and use case,
//! so the `Payer`'s rules (a client's user sets no VAT number, the checked free-text fields)
//! refuse here exactly as over the API; the refusal is shown on the form in the user's language.

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::payer::Payer;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{field, problem_text};
use crate::http::error::ApiError;
use crate::http::my::{Session, failed, not_found, permitted, posted_permitted};
use crate::http::pages::forms::{form_key, new_key, request};
use crate::http::pages::{Layout, render};
use crate::http::routes::payers::{CreatePayerRequest, UpdatePayerRequest, change_of, profile_of};
use crate::http::state::AppState;
use crate::usecases::payers as usecase;

/// The API route of adding a payer.
pub(in crate::http::my) const CREATE_ROUTE: &str = "/v1/clients/{id}/payers";

/// The API route of editing a payer.
pub(in crate::http::my) const UPDATE_ROUTE: &str = "/v1/payers/{id}";

/// The kinds of payer the `Payer` knows, as the form offers them: each value and its label in
/// the session's language.
pub(super) fn kinds(session: &Session) -> Vec<(&'static str, String)> {
    [
        ("individual", "my-acct-kind-individual"),
        ("company", "my-acct-kind-company"),
        ("sole_proprietor", "my-acct-kind-sole-proprietor"),
    ]
    .into_iter()
    .map(|(kind, key)| (kind, session.lang.t(key)))
    .collect()
}

/// A payer form's fields, as shown (and as typed, when a refusal shows the form again).
#[derive(Debug, Clone, Default)]
pub(super) struct PayerFields {
    /// The form's idempotency key: the new payer's id.
    pub(super) key: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) country: String,
    pub(super) registration_number: String,
    pub(super) address: String,
    pub(super) email: String,
    /// The VAT number (shown, never sent: staff set it).
    pub(super) vat_number: String,
}

impl PayerFields {
    /// An empty form for a new payer, with a fresh key.
    pub(super) fn new() -> PayerFields {
        PayerFields {
            key: new_key(),
            kind: "company".to_owned(),
            ..PayerFields::default()
        }
    }

    /// The fields as typed.
    fn of_form(form: &[(String, String)]) -> PayerFields {
        let get = |name: &str| field(form, name).trim().to_owned();
        PayerFields {
            key: get("key"),
            kind: get("kind"),
            name: get("name"),
            country: get("country").to_uppercase(),
            registration_number: get("registration_number"),
            address: field(form, "address").trim().to_owned(),
            email: get("email"),
            vat_number: String::new(),
        }
    }

    /// The payer's fields as it is now.
    fn of_payer(payer: &Payer) -> PayerFields {
        let Some(profile) = payer.profile() else {
            return PayerFields::default();
        };
        PayerFields {
            key: String::new(),
            kind: profile.kind.as_str().to_owned(),
            name: profile.name.as_str().to_owned(),
            country: profile.country.as_str().to_owned(),
            registration_number: profile.registration_number.clone().unwrap_or_default(),
            address: profile.address.clone().unwrap_or_default(),
            email: profile
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            vat_number: profile
                .vat_number
                .as_ref()
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    /// An optional text as the API takes it: empty is absent.
    fn optional(text: &str) -> Value {
        if text.is_empty() {
            Value::Null
        } else {
            Value::String(text.to_owned())
        }
    }
}

/// Adds a payer to the session's client, keyed by the form's key (the payer's id), so a double
/// submit adds it once.
pub(in crate::http::my) async fn add_payer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let session = match posted_permitted(
        &state,
        &headers,
        field(&form, "csrf"),
        "POST",
        CREATE_ROUTE,
    )
    .await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let fields = PayerFields::of_form(&form);
    let created = create(&state, &session, &fields).await;
    match created {
        Ok(position) => {
            let _ = state
                .consistent(&[projections::ReadModel::Payers], Some(position))
                .await;
            Redirect::to("/my/account?done=payer").into_response()
        }
        Err(error) if error.status().is_client_error() => {
            let text = problem_text(&session, &error);
            super::refused_payer(&state, &session, error.status(), text, fields).await
        }
        Err(error) => failed(Some(&session), error),
    }
}

async fn create(
    state: &AppState,
    session: &Session,
    fields: &PayerFields,
) -> Result<i64, ApiError> {
    let payer_id = form_key(&fields.key)?;
    let request: CreatePayerRequest = request(json!({
        "payer_id": payer_id,
        "kind": fields.kind,
        "name": fields.name,
        "country": fields.country,
        "registration_number": PayerFields::optional(&fields.registration_number),
        "address": PayerFields::optional(&fields.address),
        "email": PayerFields::optional(&fields.email),
    }))?;
    let profile = profile_of(&request)?;
    let committed = usecase::create_payer(
        state,
        &session.principal.context(),
        session.client_id.as_uuid(),
        payer_id,
        profile,
        &request,
    )
    .await?;
    Ok(committed.position)
}

#[derive(Template)]
#[template(path = "my/payer.html")]
struct PayerPage {
    layout: Layout,
    /// What went wrong, in the user's language.
    error: Option<String>,
    id: String,
    payer: PayerFields,
    kinds: Vec<(&'static str, String)>,
}

/// The session's client's payer `id`, or `None` when there is none (or it is another client's).
async fn payer(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Option<(Uuid, Payer)>, ApiError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    Ok(
        usecase::payer_of_client(state, session.client_id.as_uuid(), id)
            .await?
            .map(|payer| (id, payer)),
    )
}

fn page(session: &Session, id: Uuid, payer: PayerFields, error: Option<String>) -> PayerPage {
    PayerPage {
        layout: session.layout(payer.name.clone()),
        error,
        id: id.to_string(),
        payer,
        kinds: kinds(session),
    }
}

/// The form of the payer `id`: for the roles that may edit payers, 404 for another client's.
pub(in crate::http::my) async fn payer_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match permitted(&state, &headers, "PATCH", UPDATE_ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match payer(&state, &session, &id).await {
        Ok(Some((id, payer))) => render(
            StatusCode::OK,
            &page(&session, id, PayerFields::of_payer(&payer), None),
        ),
        Ok(None) => not_found(&session),
        Err(error) => failed(Some(&session), error),
    }
}

/// Changes the payer's details as typed (its VAT number is kept: staff set it).
pub(in crate::http::my) async fn update_payer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let session = match posted_permitted(
        &state,
        &headers,
        field(&form, "csrf"),
        "PATCH",
        UPDATE_ROUTE,
    )
    .await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let (id, current) = match payer(&state, &session, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    };
    let fields = PayerFields {
        vat_number: PayerFields::of_payer(&current).vat_number,
        ..PayerFields::of_form(&form)
    };
    match update(&state, &session, id, &fields).await {
        Ok(position) => {
            let _ = state
                .consistent(&[projections::ReadModel::Payers], Some(position))
                .await;
            Redirect::to("/my/account?done=payer-saved").into_response()
        }
        Err(error) if error.status() == StatusCode::NOT_FOUND => not_found(&session),
        Err(error) if error.status().is_client_error() => {
            let text = problem_text(&session, &error);
            render(error.status(), &page(&session, id, fields, Some(text)))
        }
        Err(error) => failed(Some(&session), error),
    }
}

async fn update(
    state: &AppState,
    session: &Session,
    id: Uuid,
    fields: &PayerFields,
) -> Result<i64, ApiError> {
    let request: UpdatePayerRequest = request(json!({
        "kind": fields.kind,
        "name": fields.name,
        "country": fields.country,
        "registration_number": PayerFields::optional(&fields.registration_number),
        "address": PayerFields::optional(&fields.address),
        "email": PayerFields::optional(&fields.email),
    }))?;
    let change = change_of(request)?;
    let committed = usecase::update_payer(state, &session.principal.context(), id, change).await?;
    Ok(committed.position)
}
