//! Passwords: a signed-in user (or staff member) changes its own, and a client's user who
//! forgot it asks for an e-mailed one-time link and sets a new one through it.
//!
//! No password, hash or link MAC is ever stored in an event or answered: the hashes go to the
//! credential table (ADR 11), the link's MAC is computed from the request's id and expiry with a
//! key kept outside the log (`projections::reset_link`). Asking for a link answers the same 202
//! for every address, known or not; each ask and each failed change or reset counts against the
//! sign-in limits of the address and the login (`auth::throttle`), like a failed sign-in.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::answer::{Accepted, accepted_with};
use crate::http::auth::Principal;
use crate::http::auth::throttle::Source;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Path};
use crate::http::state::AppState;
use crate::usecases::Error;
use crate::usecases::access::{self, ResetLink};

/// `POST /v1/auth/password`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current_password: String,
    /// The new password: 8 characters to 1024 bytes.
    pub new_password: String,
}

/// Changes the caller's own password (a client's user or a staff member who signed in). Every
/// token of the caller, this one included, stops working: sign in again with the new password.
/// A wrong current password answers 422 and counts as a failed sign-in.
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 200, description = "changed; sign in again", body = Accepted),
        (status = 422, description = "the current password is wrong, the new one too short or too long, or the caller has no password", body = Problem),
        (status = 429, description = "too many failed sign-ins or changes; see Retry-After", body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    source: Source,
    Extension(principal): Extension<Principal>,
    Body(request): Body<PasswordChange>,
) -> Result<Response, ApiError> {
    change(
        &state,
        &source,
        &principal,
        &request.current_password,
        &request.new_password,
    )
    .await
}

/// Changes `principal`'s password within the sign-in limits: the API route and the customer
/// panel's form share it.
pub(crate) async fn change(
    state: &AppState,
    source: &Source,
    principal: &Principal,
    current: &str,
    new: &str,
) -> Result<Response, ApiError> {
    access::secret::check_length(new)?;
    let actor = principal.actor().to_string();
    let attempt = state.sign_in.begin(&source.address, &actor)?;
    let changed = match principal {
        Principal::Client { .. } => access::change_password(state, principal, current, new)
            .await
            .map(|c| accepted_with(StatusCode::OK, Uuid::nil(), &c)),
        _ => access::change_staff_password(state, principal, current, new)
            .await
            .map(|c| accepted_with(StatusCode::OK, Uuid::nil(), &c)),
    };
    if let Err(error) = &changed
        && error.code == "wrong_password"
    {
        attempt.failed();
    }
    Ok(changed?)
}

/// `POST /v1/auth/password-resets`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The e-mail address the user signs in with.
    pub email: String,
}

/// Asks for a password reset link for a client's user. The link is e-mailed to the address if a
/// user signs in with it; the answer is the same 202 whether or not one does. Every ask counts
/// against the sign-in limits of the address and of the login.
#[utoipa::path(post, path = "/v1/auth/password-resets", tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "if the address is a user's, a link is on its way"),
        (status = 429, description = "too many asks from this address or for this login; see Retry-After", body = Problem)))]
pub async fn request_reset(
    State(state): State<AppState>,
    source: Source,
    Body(request): Body<ResetRequest>,
) -> Result<Response, ApiError> {
    ask(&state, &source, &request.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"status": "if the address is a user's, a link is on its way"})),
    )
        .into_response())
}

/// Asks for a reset link within the limits: the API route and the customer panel share it.
pub(crate) async fn ask(state: &AppState, source: &Source, email: &str) -> Result<(), ApiError> {
    let attempt = state.sign_in.begin(&source.address, email)?;
    attempt.failed();
    Ok(access::request_password_reset(state, email).await?)
}

/// `POST /v1/auth/password-resets/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reset {
    /// The user the link is for (its `user` parameter).
    pub user_id: Uuid,
    /// The link's `mac` parameter.
    pub mac: String,
    /// The new password: 8 characters to 1024 bytes.
    pub password: String,
}

/// Sets a new password through the e-mailed link of reset request `id`: only the user's latest
/// request, once, before it expires (an hour). The user's sessions stop working. A link that is
/// forged, used, replaced or expired answers 422 and counts as a failed sign-in.
#[utoipa::path(post, path = "/v1/auth/password-resets/{id}", tag = "auth",
    params(("id" = Uuid, Path, description = "the reset request, from the link")),
    request_body = Reset,
    responses(
        (status = 200, description = "the password is set; sign in with it", body = Accepted),
        (status = 422, description = "the link is not valid, or the password too short or too long", body = Problem),
        (status = 429, description = "too many failures; see Retry-After", body = Problem)))]
pub async fn reset(
    State(state): State<AppState>,
    source: Source,
    Path(id): Path<Uuid>,
    Body(request): Body<Reset>,
) -> Result<Response, ApiError> {
    let link = ResetLink {
        request_id: id,
        user_id: request.user_id,
        mac: request.mac,
    };
    let committed = use_link(&state, &source, &link, &request.password).await?;
    Ok(accepted_with(StatusCode::OK, request.user_id, &committed))
}

/// Uses a reset link within the limits: the API route and the customer panel share it.
pub(crate) async fn use_link(
    state: &AppState,
    source: &Source,
    link: &ResetLink,
    password: &str,
) -> Result<eventstore::Committed<domain::access::ClientUser>, ApiError> {
    access::secret::check_length(password)?;
    let attempt = state
        .sign_in
        .begin(&source.address, &format!("reset:{}", link.user_id))?;
    let reset = access::reset_password(state, link, password).await;
    if matches!(&reset, Err(error) if error.code == "reset_link_invalid") {
        attempt.failed();
    }
    reset.map_err(|e: Error| e.into())
}
