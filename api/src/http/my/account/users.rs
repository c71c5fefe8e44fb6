//! The owner's form for one of the client's users: its roles, and disabling or enabling it.
//! Whether the form opens is the rule of the API route it stands for
//! (`PUT /v1/clients/{id}/users/{user}/roles`, the owner's); each action calls that route's use
//! case, `usecases::access::change_client_user`, whose `UserDirectory` holds the rule that the
//! client keeps an enabled owner.

use std::collections::BTreeSet;

use crate::http::pages::forms::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::access::{ClientRole, ClientUser};
use uuid::Uuid;

use super::{field, problem_text};
use crate::http::error::ApiError;
use crate::http::my::{Session, failed, forbidden, not_found, permitted, posted};
use crate::http::pages::{Layout, render};
use crate::http::state::AppState;
use crate::usecases::access::{self, UserChange};

/// The API route whose rule opens the users form.
pub(in crate::http::my) const ROLES_ROUTE: &str = "/v1/clients/{id}/users/{user}/roles";

/// The API routes of the form's actions, by the action's name in `/my/account/users/{id}/..`.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("roles", "PUT", ROLES_ROUTE),
    ("disable", "POST", "/v1/clients/{id}/users/{user}/disable"),
    ("enable", "POST", "/v1/clients/{id}/users/{user}/enable"),
];

#[derive(Template)]
#[template(path = "my/user.html")]
struct UserPage {
    layout: Layout,
    /// What went wrong with a form, in the user's language.
    error: Option<String>,
    id: String,
    name: String,
    login: String,
    roles: BTreeSet<ClientRole>,
    disabled: bool,
}

impl UserPage {
    fn has(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.as_str() == role)
    }
}

/// The session's client's user `id`, or `None` when there is none (or it is another client's).
async fn user(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Option<(Uuid, ClientUser)>, ApiError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    Ok(
        access::user_of_client(state, session.client_id.as_uuid(), id)
            .await?
            .map(|user| (id, user)),
    )
}

fn page(session: &Session, id: Uuid, user: &ClientUser, error: Option<String>) -> UserPage {
    let name = user
        .name()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    UserPage {
        layout: session.layout(name.clone()),
        error,
        id: id.to_string(),
        name,
        login: user
            .login()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        roles: user.roles().clone(),
        disabled: user.is_disabled(),
    }
}

/// The form of the user `id`: the owner's (403 for other roles), 404 for a user that is not the
/// client's.
pub(in crate::http::my) async fn user_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match permitted(&state, &headers, "PUT", ROLES_ROUTE).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    match user(&state, &session, &id).await {
        Ok(Some((id, user))) => render(StatusCode::OK, &page(&session, id, &user, None)),
        Ok(None) => not_found(&session),
        Err(error) => failed(Some(&session), error),
    }
}

/// Sets the user's roles (the ticked `role` fields), or disables or enables it. A refusal (the
/// last enabled owner, no role ticked) shows the form again with the reason, nothing written.
pub(in crate::http::my) async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let session = match posted(&state, &headers, field(&form, "csrf")).await {
        Ok(session) => session,
        Err(answer) => return answer,
    };
    let Some((_, method, route)) = ACTIONS.iter().find(|(name, _, _)| *name == action) else {
        return not_found(&session);
    };
    if !session.may(method, route) {
        return forbidden(&session);
    }
    let (id, current) = match user(&state, &session, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&session),
        Err(error) => return failed(Some(&session), error),
    };
    let change = match action.as_str() {
        "disable" => Ok(UserChange::Disable),
        "enable" => Ok(UserChange::Enable),
        _ => roles(&form).map(UserChange::Roles),
    };
    let changed = match change {
        Ok(change) => access::change_client_user(
            &state,
            &session.principal.context(),
            session.client_id.as_uuid(),
            id,
            change,
        )
        .await
        .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match changed {
        Ok(committed) => {
            // The account page lists users from the read model: wait until it shows the change.
            let _ = state
                .consistent(&[projections::ReadModel::Access], Some(committed.position))
                .await;
            Redirect::to(&format!("/my/account?done={action}")).into_response()
        }
        Err(error) if error.status() == StatusCode::NOT_FOUND => not_found(&session),
        Err(error) if error.status().is_client_error() => {
            let text = problem_text(&session, &error);
            render(error.status(), &page(&session, id, &current, Some(text)))
        }
        Err(error) => failed(Some(&session), error),
    }
}

/// The ticked roles.
fn roles(form: &[(String, String)]) -> Result<BTreeSet<ClientRole>, ApiError> {
    form.iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, role)| serde_json::from_value(serde_json::Value::String(role.clone())))
        .collect::<Result<BTreeSet<ClientRole>, _>>()
        .map_err(|_| ApiError::unprocessable("invalid_role", "roles: owner, billing or technical"))
}
