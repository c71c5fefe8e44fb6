//! The account page: the user's own profile, preferences (language and time zone, kept on its
//! `ClientUser` so that they follow it to any browser) and password; the client's payers, its
//! users and roles (for a role that may add users: the owner), and its notice subscriptions.
//! Each block shows only when the API's rule table lets the user's roles read what it shows;
//! each form posts with the session's CSRF token and calls the API route's own function.
//! `users` is the owner's form for one user (roles, disabling, enabling), `payers` adds and edits
//! payers.

pub(super) mod payers;
pub(super) mod users;

use std::collections::BTreeSet;

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::ClientUser;
use domain::notice::{Language, NoticeKind};
use serde::Deserialize;

use self::payers::PayerFields;
use super::{Session, failed, posted, posted_permitted, signed_in};
use crate::http::auth::throttle::Source;
use crate::http::error::ApiError;
use crate::http::pages::{Layout, render};
use crate::http::routes::passwords;
use crate::http::state::AppState;

/// The most payers and users listed.
const LISTED: i64 = 200;

#[derive(Template)]
#[template(path = "my/account.html")]
struct AccountPage {
    layout: Layout,
    /// What was just done: one of [`DONE`].
    done: Option<String>,
    /// What went wrong with a form: its detail.
    error: Option<String>,
    /// What went wrong with the new payer's form, in the user's language.
    payer_error: Option<String>,
    /// The new payer's form, when the user's roles may add payers.
    new_payer: Option<PayerFields>,
    /// The kinds of payer, with their labels.
    kinds: Vec<(&'static str, String)>,
    /// Whether the payers have an edit link.
    may_edit_payers: bool,
    /// The user's own profile; `None` for a staff member acting as the client.
    me: Option<Me>,
    payers: Option<Vec<PayerLine>>,
    users: Option<Vec<UserLine>>,
    subscriptions: Option<Vec<Subscription>>,
    /// Whether the subscriptions form is shown.
    may_subscribe: bool,
}

struct Me {
    name: String,
    login: String,
    roles: String,
    language: String,
    zone: String,
    may_change_password: bool,
}

struct PayerLine {
    id: String,
    kind: String,
    name: String,
    country: String,
    vat_number: String,
}

struct UserLine {
    id: String,
    name: String,
    login: String,
    roles: String,
    status: String,
}

struct Subscription {
    kind: &'static str,
    /// The kind's name in words (`service_expiring`: `service expiring`).
    label: String,
    on: bool,
}

/// What the `done` parameter may say was just done.
const DONE: &[&str] = &[
    "password",
    "preferences",
    "subscriptions",
    "user",
    "roles",
    "disable",
    "enable",
    "payer",
    "payer-saved",
];

#[derive(Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

pub(super) async fn account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Response {
    let session = match signed_in(&state, &headers).await {
        Ok(session) => session,
        Err(redirect) => return redirect,
    };
    let done = done.done.filter(|d| DONE.contains(&d.as_str()));
    match page(&state, &session, done, None).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(error) => failed(Some(&session), error),
    }
}

/// What a refused form says in the user's language (`problems::text`).
pub(super) fn problem_text(session: &Session, error: &ApiError) -> String {
    super::problems::text(session.lang, error)
}

/// The page again with the new payer's form as typed and `text`, with the refusal's `status`.
async fn refused_payer(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    text: String,
    fields: PayerFields,
) -> Response {
    match page(state, session, None, None).await {
        Ok(mut page) => {
            page.payer_error = Some(text);
            if page.new_payer.is_some() {
                page.new_payer = Some(fields);
            }
            render(status, &page)
        }
        Err(error) => failed(Some(session), error),
    }
}

/// The page again with `detail` of a refused form, with the refusal's status.
async fn refused(state: &AppState, session: &Session, error: ApiError) -> Response {
    let status = error.status();
    if !status.is_client_error() {
        return failed(Some(session), error);
    }
    let detail = problem_text(session, &error);
    match page(state, session, None, Some(detail)).await {
        Ok(page) => render(status, &page),
        Err(error) => failed(Some(session), error),
    }
}

async fn page(
    state: &AppState,
    session: &Session,
    done: Option<String>,
    error: Option<String>,
) -> Result<AccountPage, ApiError> {
    let client = session.client_id.as_uuid();
    let me = user_of(state, session).await?.map(|user| Me {
        name: user
            .name()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
        login: user
            .login()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        roles: user
            .roles()
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        language: user
            .language()
            .map_or_else(|| "en".to_owned(), |l| l.as_str().to_owned()),
        zone: session.zone.name(),
        may_change_password: session.may("POST", "/v1/auth/password"),
    });
    let payers = if session.may("GET", "/v1/clients/{id}/payers") {
        let rows = projections::payers::of_client(&state.pool, client, None, LISTED).await?;
        Some(
            rows.into_iter()
                .map(|p| PayerLine {
                    id: p.payer_id.to_string(),
                    kind: p.kind.replace('_', " "),
                    name: p.name,
                    country: p.country,
                    vat_number: p.vat_number.unwrap_or_default(),
                })
                .collect(),
        )
    } else {
        None
    };
    // Users and roles are the owner's: the roles that may add a user.
    let users = if session.may("POST", "/v1/clients/{id}/users") {
        let rows = projections::access::users_of_client(&state.pool, client, None, LISTED).await?;
        Some(
            rows.into_iter()
                .map(|u| UserLine {
                    id: u.id.to_string(),
                    name: u.name,
                    login: u.login,
                    roles: u.roles.0.join(", "),
                    status: session.lang.named(&u.status),
                })
                .collect(),
        )
    } else {
        None
    };
    let subscriptions = if session.may("GET", "/v1/clients/{id}/notice-settings") {
        let settings = crate::usecases::notices::notice_settings(state, client).await?;
        let on = settings.subscriptions();
        Some(
            NoticeKind::ALL
                .iter()
                .map(|kind| Subscription {
                    kind: kind.as_str(),
                    label: kind.as_str().replace('_', " "),
                    on: on.contains(kind),
                })
                .collect(),
        )
    } else {
        None
    };
    let may_add_payers = session.may("POST", payers::CREATE_ROUTE);
    Ok(AccountPage {
        layout: session.layout(session.lang.t("my-account-title")),
        done,
        error,
        payer_error: None,
        new_payer: may_add_payers.then(PayerFields::new),
        kinds: payers::kinds(session),
        may_edit_payers: session.may("PATCH", payers::UPDATE_ROUTE),
        me,
        payers,
        users,
        subscriptions,
        may_subscribe: session.may("PUT", "/v1/clients/{id}/notice-settings"),
    })
}

/// The signed-in user's aggregate; `None` for a staff member acting as the client.
async fn user_of(state: &AppState, session: &Session) -> Result<Option<ClientUser>, ApiError> {
    Ok(crate::usecases::access::own_user(state, &session.principal).await?)
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

/// Changes the user's password (`POST /v1/auth/password`): every session of the user ends, this
/// one is replaced by a new one signed in with the new password.
pub(super) async fn change_password(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let session =
        match posted_permitted(&state, &headers, &form.csrf, "POST", "/v1/auth/password").await {
            Ok(session) => session,
            Err(answer) => return answer,
        };
    if form.new != form.again {
        let error =
            ApiError::unprocessable("passwords_differ", session.lang.t("my-passwords-differ"));
        return refused(&state, &session, error).await;
    }
    let login = match user_of(&state, &session).await {
        Ok(Some(user)) => user.login().map(|l| l.as_str().to_owned()),
        Ok(None) => None,
        Err(error) => return failed(Some(&session), error),
    };
    let changed = passwords::change(
        &state,
        &source,
        &session.principal,
        &form.current,
        &form.new,
    )
    .await;
    if let Err(error) = changed {
        return refused(&state, &session, error).await;
    }
    // The old sessions are signed out, this one too: a new one with the new password.
    let signed = match login {
        Some(login) => crate::usecases::access::sign_in(&state, &login, &form.new)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    match signed {
        Some(issued) => (
            [(
                header::SET_COOKIE,
                super::login::cookie(&issued.token, &source),
            )],
            Redirect::to("/my/account?done=password"),
        )
            .into_response(),
        None => Redirect::to("/my/login").into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct PreferencesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    zone: String,
}

/// Sets the user's own language and time zone.
pub(super) async fn set_preferences(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PreferencesForm>,
) -> Response {
    let session = match posted(&state, &headers, &form.csrf).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let saved = crate::usecases::access::set_preferences(
        &state,
        &session.principal,
        &form.language,
        &form.zone,
    )
    .await;
    match saved {
        Ok(_) => Redirect::to("/my/account?done=preferences").into_response(),
        Err(error) => refused(&state, &session, error.into()).await,
    }
}

/// Sets the client's notice subscriptions (`PUT /v1/clients/{id}/notice-settings`): the kinds
/// ticked; the client's notice language is kept.
pub(super) async fn set_subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let session = match posted_permitted(
        &state,
        &headers,
        field(&form, "csrf"),
        "PUT",
        "/v1/clients/{id}/notice-settings",
    )
    .await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let client = session.client_id.as_uuid();
    let kinds: BTreeSet<NoticeKind> = form
        .iter()
        .filter(|(k, _)| k == "kind")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let language = match crate::usecases::notices::notice_settings(&state, client).await {
        Ok(settings) => settings.language(),
        Err(_) => Language::ENGLISH,
    };
    let saved = crate::usecases::notices::set_notice_settings(
        &state,
        &session.principal.context(),
        client,
        language,
        kinds,
    )
    .await;
    match saved {
        Ok(_) => Redirect::to("/my/account?done=subscriptions").into_response(),
        Err(error) => refused(&state, &session, error.into()).await,
    }
}

/// The value of the form field `name` (the first), or empty.
fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Adds a user with its roles to the session's client (`POST /v1/clients/{id}/users`): the
/// owner's. Keyed by (client, login), so a double submit adds it once.
pub(super) async fn add_user(
    State(state): State<AppState>,
    source: crate::http::auth::throttle::Source,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let session = match posted_permitted(
        &state,
        &headers,
        field(&form, "csrf"),
        "POST",
        "/v1/clients/{id}/users",
    )
    .await
    {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let roles = form
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, role)| serde_json::from_value(serde_json::Value::String(role.clone())))
        .collect::<Result<BTreeSet<domain::access::ClientRole>, _>>();
    let Ok(roles) = roles else {
        let error = ApiError::unprocessable("invalid_role", "roles: owner, billing or technical");
        return refused(&state, &session, error).await;
    };
    let name = field(&form, "name").trim();
    let request = crate::usecases::access::UserRequest {
        email: field(&form, "email").to_owned(),
        password: field(&form, "password").to_owned(),
        name: (!name.is_empty()).then(|| name.to_owned()),
        roles: Some(roles),
    };
    let created = crate::http::routes::users::create_within_limits(
        &state,
        &source,
        &session.principal.context(),
        session.client_id.as_uuid(),
        &request,
    )
    .await;
    match created {
        Ok((_, committed)) => {
            // The list is read from the users read model: wait until it shows the new user.
            let _ = state
                .consistent(&[projections::ReadModel::Access], Some(committed.position))
                .await;
            Redirect::to("/my/account?done=user").into_response()
        }
        Err(error) => refused(&state, &session, error).await,
    }
}
