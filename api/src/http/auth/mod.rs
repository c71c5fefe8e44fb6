//! Authentication (who is calling: a bearer token resolved to a [`Principal`]) and authorization
//! (may it call this route, for this client), both applied by one middleware before any handler
//! runs, from the table in [`rules`].
//!
//! **Architecture Invariant:** handlers hold no permission logic. They read the [`Caller`] for the
//! events' metadata and, for lists, [`Visible`] to narrow the rows to the caller's client.
//!
//! Tokens are checked through the event store on every request (the token, then the staff member
//! or user behind it), never through a read model: a token works the moment its login answers,
//! and a revocation or a disabled staff member takes effect on the next request on every node.

pub mod rules;
pub mod throttle;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::ids::ClientId;
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::state::AppState;
use crate::usecases::access::{self, IssuedToken, Owned};
use rules::{ClientOf, Need, Owner, Rule, Rules};
use throttle::Source;

pub use crate::usecases::access::Principal;

/// The rows a list may show the caller: every client's, or one client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible(Option<Uuid>);

impl Visible {
    /// The client filter of a list: the caller's own client for a client's user (the
    /// middleware has already refused a `client_id` naming another), else what was asked for.
    pub fn narrow(self, asked: Option<Uuid>) -> Option<Uuid> {
        self.0.or(asked)
    }

    /// Whether the caller is a client's user (who sees only its own client's rows).
    pub fn is_client(self) -> bool {
        self.0.is_some()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visible {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
        Ok(Visible(principal.client().map(|c| c.as_uuid())))
    }
}

/// The ticket queues a caller sees: a staff member only its departments', everyone else (an
/// administrator, a service) every department's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queues(Option<Vec<Uuid>>);

impl Queues {
    /// The departments whose queue to show: the one asked for, which must be one of the
    /// caller's (another department's queue is not found, as if it did not exist), or all of
    /// the caller's (`None`: every department).
    pub fn narrow(&self, asked: Option<Uuid>) -> Result<Option<Vec<Uuid>>, ApiError> {
        match (&self.0, asked) {
            (None, asked) => Ok(asked.map(|a| vec![a])),
            (Some(own), None) => Ok(Some(own.clone())),
            (Some(own), Some(asked)) if own.contains(&asked) => Ok(Some(vec![asked])),
            (Some(_), Some(_)) => Err(not_found()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Queues {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
        Ok(Queues::of(principal))
    }
}

impl Queues {
    /// The queues `principal` sees (the staff panel asks it as the API's routes do).
    pub fn of(principal: &Principal) -> Queues {
        Queues(match principal {
            Principal::Staff { departments, .. } => {
                Some(departments.iter().map(|d| d.as_uuid()).collect())
            }
            // A client's caller never reaches a queue route (the rule does not open it).
            Principal::Client { .. } => Some(Vec::new()),
            Principal::Administrator { .. } | Principal::Service { .. } => None,
        })
    }
}

/// Resolves a bearer string, or `None` when it is unknown, revoked, expired, or its staff member
/// or user is disabled: the bootstrap token here, every other through the store.
pub async fn authenticate(state: &AppState, bearer: &str) -> Result<Option<Principal>, ApiError> {
    if let Some(actor) = state.tokens.actor(bearer) {
        return Ok(Some(Principal::Administrator {
            actor: actor.clone(),
            token: None,
        }));
    }
    Ok(access::authenticate(state, bearer).await?)
}

/// A sign-in from `source` within the limits of [`throttle`]: the use case's sign-in when
/// neither the login nor the address has failed too often and an argon2 worker is free soon; a
/// wrong password counts as a failure of both and answers 401. The API's `POST /v1/auth/login`
/// and the dashboard's sign-in both go through it.
pub async fn sign_in(
    state: &AppState,
    source: &Source,
    email: &str,
    password: &str,
) -> Result<IssuedToken, ApiError> {
    let attempt = state.sign_in.begin(&source.address, email)?;
    match access::sign_in(state, email, password).await? {
        Some(issued) => Ok(issued),
        None => {
            attempt.failed();
            Err(ApiError::unauthorized("wrong e-mail address or password"))
        }
    }
}

/// The middleware: finds the route's rule, authenticates the bearer token, and lets the request
/// through, or answers 401 (no or bad token), 403 (not allowed) or 404 (another client's).
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => {
            let unauthorized = error.status() == StatusCode::UNAUTHORIZED;
            let mut response = error.into_response();
            if unauthorized {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            response
        }
    }
}

async fn check(state: &AppState, mut request: Request) -> Result<Request, ApiError> {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let rule = state.rules.find(request.method().as_str(), &route);
    if rule.is_some_and(|r| r.need == Need::Public) {
        return Ok(request);
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
    let principal = authenticate(state, &bearer)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the bearer token is not valid"))?;
    let Some(rule) = rule else {
        // A route nobody wrote a rule for is the administrators' until someone does.
        return if matches!(principal, Principal::Administrator { .. }) {
            Ok(admit(request, principal))
        } else {
            Err(ApiError::forbidden(
                "this route has no authorization rule yet",
            ))
        };
    };
    if let Some(own) = principal.client() {
        request = confine(state, rule, own, &route, request).await?;
    }
    if !permits(&principal, rule) {
        return Err(ApiError::forbidden(format!(
            "your token may not call {} {}",
            rule.method, rule.path
        )));
    }
    Ok(admit(request, principal))
}

/// Whether `rule` lets `principal` through (a client's caller already kept to its client).
pub fn permits(principal: &Principal, rule: &Rule) -> bool {
    match rule.need {
        Need::Public | Need::Authenticated => true,
        Need::Administrator => matches!(principal, Principal::Administrator { .. }),
        Need::Permission(wanted) => {
            (principal.client().is_none() || rule.clients) && principal.holds(wanted, rule.scope)
        }
    }
}

/// Whether `principal` may call `method` on the route template `path`, by the same table as the
/// middleware (a route without a rule: administrators only). The dashboard asks it for each page
/// and each block.
pub fn may(rules: &Rules, principal: &Principal, method: &str, path: &str) -> bool {
    rules.find(method, path).map_or_else(
        || matches!(principal, Principal::Administrator { .. }),
        |rule| permits(principal, rule),
    )
}

fn admit(mut request: Request, principal: Principal) -> Request {
    request.extensions_mut().insert(Caller {
        actor: principal.actor(),
        on_behalf_of: principal.on_behalf_of(),
    });
    request.extensions_mut().insert(principal);
    request
}

fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such thing")
}

/// Keeps a client's caller inside its client: the route's client must be its own, or the answer
/// is 404, as if the thing did not exist.
async fn confine(
    state: &AppState,
    rule: &Rule,
    own: ClientId,
    route: &str,
    request: Request,
) -> Result<Request, ApiError> {
    match rule.client {
        ClientOf::Nobody => Ok(request),
        ClientOf::List => {
            let other = request
                .uri()
                .query()
                .unwrap_or_default()
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .filter(|(key, _)| *key == "client_id")
                .any(|(_, value)| Uuid::try_parse(value).ok() != Some(own.as_uuid()));
            if other { Err(not_found()) } else { Ok(request) }
        }
        ClientOf::Path(owner) => {
            let id = path_id(route, request.uri().path()).ok_or_else(not_found)?;
            let found = owner_of(state, owner, id).await?;
            if found == Some(own.as_uuid()) {
                Ok(request)
            } else {
                Err(not_found())
            }
        }
        ClientOf::Body(field) => {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, rules::BODY_LIMIT)
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        "the body is too large",
                    )
                })?;
            let named = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .map(|json| {
                    json.get(field)
                        .and_then(|v| v.as_str())
                        .and_then(|v| Uuid::try_parse(v).ok())
                });
            match named {
                // Not JSON: the handler refuses it, as it would for anyone.
                None => Ok(Request::from_parts(parts, Body::from(bytes))),
                Some(Some(client)) if client == own.as_uuid() => {
                    Ok(Request::from_parts(parts, Body::from(bytes)))
                }
                Some(_) => Err(not_found()),
            }
        }
    }
}

/// The `{id}` of `path` as matched by the template `route`.
fn path_id(route: &str, path: &str) -> Option<Uuid> {
    route
        .split('/')
        .zip(path.split('/'))
        .find(|(template, _)| *template == "{id}")
        .and_then(|(_, value)| Uuid::try_parse(value).ok())
}

/// The client that owns the thing `id` names, if it exists.
async fn owner_of(state: &AppState, owner: Owner, id: Uuid) -> Result<Option<Uuid>, ApiError> {
    let owned = match owner {
        Owner::Client => Owned::Client,
        Owner::Service => Owned::Service,
        Owner::Payment => Owned::Payment,
        Owner::Invoice => Owned::Invoice,
        Owner::Expense => Owned::Expense,
        Owner::Operation => Owned::Operation,
        Owner::Ticket => Owned::Ticket,
        Owner::Payer => Owned::Payer,
    };
    Ok(access::owner_of(state, owned, id).await?)
}
