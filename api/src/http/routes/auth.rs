//! Logging in and out, who am I, revoking tokens, and service tokens for machines.
//!
//! A password is read from the request, checked or hashed, and dropped: it is never stored,
//! logged or answered. A token's bearer string is answered once, at issue; the store keeps only
//! the SHA-256 of its secret (docs/adr/0005-authorization.md).

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::access::Scope;
use domain::ids::TokenId;
use projections::ReadModel;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::http::answer::{
    Accepted, Page, accepted_with, limit, page, time_cursor, time_cursor_of,
};
use crate::http::auth::Principal;
use crate::http::auth::throttle::Source;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{Body, Command, Path, Query};
use crate::http::state::AppState;
use crate::http::views::{AnnouncementView, TokenIssued};
use crate::usecases::access;

// The dashboard signs in and issues sessions by these paths.

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The e-mail address the staff member or user logs in with.
    pub email: String,
    /// The password; never stored or logged.
    pub password: String,
}

/// The answer to a login: the token, and for a client's user the announcements showing to its
/// client now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoggedIn {
    /// The token.
    #[serde(flatten)]
    pub token: TokenIssued,
    /// For a client's user: the provider's announcements valid now, in its language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub announcements: Vec<AnnouncementView>,
}

/// Logs a staff member or a client's user in. A wrong e-mail address, a wrong password and a
/// disabled account all answer the same 401, in about the same time. Too many failures for the
/// login or from the address answer 429, and too many sign-ins at once 503, both with
/// `Retry-After` (`auth::throttle`).
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "logged in", body = LoggedIn),
        (status = 401, description = "wrong e-mail address or password", body = Problem),
        (status = 429, description = "too many failed sign-ins for this login or from this address; see Retry-After", body = Problem),
        (status = 503, description = "too many sign-ins at once; see Retry-After", body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    source: Source,
    Body(request): Body<LoginRequest>,
) -> Result<Response, ApiError> {
    let issued =
        crate::http::auth::sign_in(&state, &source, &request.email, &request.password).await?;
    let mut announcements = Vec::new();
    if issued.kind == "user"
        && let Some(client_id) = issued.client_id
    {
        announcements = crate::usecases::messages::showing_to(&state, client_id)
            .await?
            .into_iter()
            .map(AnnouncementView::from)
            .collect();
    }
    Ok(Json(LoggedIn {
        token: issued.into(),
        announcements,
    })
    .into_response())
}

/// Revokes the token of the request. The bootstrap administrator token is configuration, not a
/// token of the store, and cannot be revoked.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    responses(
        (status = 200, description = "revoked", body = Accepted),
        (status = 422, description = "the bootstrap token cannot be revoked", body = Problem)))]
pub async fn logout(
    State(state): State<AppState>,
    command: Command,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let token = principal.token().ok_or_else(|| {
        ApiError::unprocessable(
            "not_revocable",
            "the bootstrap administrator token is configuration; change BILLING_ADMIN_TOKEN",
        )
    })?;
    revoke(&state, &command, token).await
}

async fn revoke(state: &AppState, command: &Command, token: TokenId) -> Result<Response, ApiError> {
    let committed = access::revoke_token(state, &command.context, token).await?;
    Ok(accepted_with(StatusCode::OK, token.as_uuid(), &committed))
}

/// Revokes any token by its id.
#[utoipa::path(post, path = "/v1/auth/tokens/{id}/revoke", tag = "auth",
    params(("id" = Uuid, Path, description = "the token")),
    responses(
        (status = 200, description = "revoked (or already so)", body = Accepted),
        (status = 404, description = "no such token", body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    command: Command,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    revoke(&state, &command, TokenId::from_uuid(id)).await
}

/// Who the token of the request stands for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// `administrator`, `staff`, `service`, `user` or `acting_as`.
    pub kind: String,
    /// The actor written into the events it causes, such as `staff:<id>`.
    pub actor: String,
    /// The client acted for or belonged to.
    pub client_id: Option<Uuid>,
    /// `client:<id>` when a staff member acts as a client.
    pub on_behalf_of: Option<String>,
    /// The token's id, absent for the bootstrap token.
    pub token_id: Option<Uuid>,
    /// Its permissions as `resource:action` (all for an administrator), or a service token's
    /// scopes.
    pub permissions: Vec<String>,
}

/// Who am I.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth",
    responses((status = 200, description = "the caller", body = Me)))]
pub async fn me(Extension(principal): Extension<Principal>) -> Json<Me> {
    let permissions = match &principal {
        Principal::Administrator { .. } => vec!["*".to_owned()],
        Principal::Staff { permissions, .. } | Principal::Client { permissions, .. } => {
            permissions.iter().map(|p| p.to_string()).collect()
        }
        Principal::Service { scopes, .. } => scopes.iter().map(|s| s.as_str().to_owned()).collect(),
    };
    Json(Me {
        kind: principal.kind().to_owned(),
        actor: principal.actor().to_string(),
        client_id: principal.client().map(|c| c.as_uuid()),
        on_behalf_of: principal.on_behalf_of(),
        token_id: principal.token().map(|t| t.as_uuid()),
        permissions,
    })
}

/// `POST /v1/service-tokens`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenRequest {
    /// What the machine is, such as `payment gateway`; 1 to 200 characters.
    pub name: String,
    /// What it may do: narrow scopes such as `payments.confirm`, or `resource:action`.
    #[schema(example = json!(["payments.confirm"]))]
    pub scopes: Vec<String>,
}

/// Issues a token for a machine, with the scopes it needs and nothing more. The token is shown
/// once; it does not expire and is revoked by its id.
#[utoipa::path(post, path = "/v1/service-tokens", tag = "auth",
    request_body = ServiceTokenRequest,
    responses(
        (status = 201, description = "issued; the token is shown only now", body = TokenIssued),
        (status = 422, description = "an unknown scope or an empty name", body = Problem)))]
pub async fn create_service_token(
    State(state): State<AppState>,
    command: Command,
    Body(request): Body<ServiceTokenRequest>,
) -> Result<Response, ApiError> {
    let name = domain::access::DisplayName::parse(&request.name)?;
    let known = state.rules.known_scopes();
    let mut scopes = BTreeSet::new();
    for scope in &request.scopes {
        if !known.iter().any(|k| k == scope) {
            return Err(ApiError::unprocessable(
                "invalid_scope",
                format!(
                    "scopes: unknown scope {scope:?}; known: {}",
                    known.join(", ")
                ),
            ));
        }
        scopes.insert(Scope::parse(scope)?);
    }
    let issued = access::create_service_token(&state, &command.context, name, scopes).await?;
    Ok((StatusCode::CREATED, Json(TokenIssued::from(issued))).into_response())
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    /// Its id.
    pub id: Uuid,
    /// Whom it stands for.
    #[schema(value_type = Object)]
    pub subject: serde_json::Value,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `GET /v1/service-tokens` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTokensParams {
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// At most this many (1 to 500; 50 by default).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Wait until the read model has this global position.
    #[param(minimum = 0)]
    pub min_position: Option<i64>,
}

/// The service tokens, oldest first.
#[utoipa::path(get, path = "/v1/service-tokens", tag = "auth",
    params(ListTokensParams),
    responses((status = 200, description = "the service tokens", body = Page<TokenView>)))]
pub async fn list_service_tokens(
    State(state): State<AppState>,
    Query(params): Query<ListTokensParams>,
) -> Result<Json<Page<TokenView>>, ApiError> {
    state
        .consistent(&[ReadModel::Access], params.min_position)
        .await?;
    let limit = limit(params.limit)?;
    let rows = projections::access::service_tokens(
        &state.pool,
        time_cursor(params.after.as_deref())?,
        limit + 1,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| TokenView {
            id: row.id,
            subject: row.subject,
            issued_at: row.issued_at,
            revoked_at: row.revoked_at,
        })
        .collect();
    Ok(Json(page(items, limit, |t: &TokenView| {
        time_cursor_of(t.issued_at, t.id)
    })))
}
