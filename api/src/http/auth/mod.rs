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

mod argon;
pub mod rules;
pub mod secret;
pub mod throttle;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::access::{
    AccessToken, ClientUser, Department, DepartmentCommand, DisplayName, Permission, Permissions,
    Scope, StaffMember, TokenSubject, acting_permissions,
};
use domain::ids::{ClientId, DepartmentId, StaffId, TokenId, UserId};
use domain::invoice::Invoice;
use domain::payment::Payment;
use domain::service::Service;
use domain::ticket::Ticket;
use eventstore::EventStore;
use eventstore::metadata::{Actor, CommandContext};
use uuid::Uuid;

use crate::http::error::ApiError;
use crate::http::extract::Caller;
use crate::http::state::AppState;
use rules::{ClientOf, Need, Owner, Rule, Rules};

/// Who is calling, as its token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Full access: the bootstrap token, or a staff member with the administrator flag.
    Administrator {
        /// `staff:admin` for the bootstrap token, else `staff:<id>`.
        actor: Actor,
        /// The token, when it is one the store issued.
        token: Option<TokenId>,
    },
    /// A staff member with the permissions of its departments and its own grants.
    Staff {
        /// The staff member.
        staff_id: StaffId,
        /// What it may do.
        permissions: Permissions,
        /// Its departments: the ticket queues it sees.
        departments: Vec<DepartmentId>,
        /// Its token.
        token: TokenId,
    },
    /// A machine with scopes.
    Service {
        /// Its token (and its actor id).
        token: TokenId,
        /// Its scopes.
        scopes: BTreeSet<Scope>,
    },
    /// A client's user, or a staff member acting as a client: only that client's data, with
    /// the permissions of the user's roles (an owner's when acting).
    Client {
        /// The client.
        client_id: ClientId,
        /// What it may do inside the client.
        permissions: Permissions,
        /// `user:<id>`, or `staff:<id>` when a staff member acts as the client.
        actor: Actor,
        /// Whether a staff member acts as the client.
        acting: bool,
        /// Its token.
        token: TokenId,
    },
}

impl Principal {
    /// The actor written into the metadata of the events it causes.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Administrator { actor, .. } | Principal::Client { actor, .. } => {
                actor.clone()
            }
            Principal::Staff { staff_id, .. } => Actor::Staff(staff_id.to_string()),
            Principal::Service { token, .. } => Actor::Service(token.to_string()),
        }
    }

    /// `client:<id>` when a staff member acts as a client.
    pub fn on_behalf_of(&self) -> Option<String> {
        match self {
            Principal::Client {
                client_id,
                acting: true,
                ..
            } => Some(format!("client:{client_id}")),
            _ => None,
        }
    }

    /// The token it called with, when the store issued it.
    pub fn token(&self) -> Option<TokenId> {
        match self {
            Principal::Administrator { token, .. } => *token,
            Principal::Staff { token, .. }
            | Principal::Service { token, .. }
            | Principal::Client { token, .. } => Some(*token),
        }
    }

    /// The one client it may see, for a client's user or a staff member acting as a client.
    pub fn client(&self) -> Option<ClientId> {
        match self {
            Principal::Client { client_id, .. } => Some(*client_id),
            _ => None,
        }
    }

    /// The kind, for answers: `administrator`, `staff`, `service`, `user` or `acting_as`.
    pub fn kind(&self) -> &'static str {
        match self {
            Principal::Administrator { .. } => "administrator",
            Principal::Staff { .. } => "staff",
            Principal::Service { .. } => "service",
            Principal::Client { acting: false, .. } => "user",
            Principal::Client { acting: true, .. } => "acting_as",
        }
    }

    /// Whether it holds `wanted` (administrators hold everything).
    /// Whether it holds `wanted` without a narrow service scope.
    pub fn allows(&self, wanted: Permission) -> bool {
        self.holds(wanted, None)
    }

    fn holds(&self, wanted: Permission, scope: Option<&str>) -> bool {
        match self {
            Principal::Administrator { .. } => true,
            Principal::Staff { permissions, .. } | Principal::Client { permissions, .. } => {
                permissions.allows(wanted)
            }
            Principal::Service { scopes, .. } => scopes.iter().any(|held| {
                Some(held.as_str()) == scope
                    || held
                        .as_str()
                        .parse::<Permission>()
                        .is_ok_and(|p| p.covers(wanted))
            }),
        }
    }

    /// The command context for the events it causes.
    pub fn context(&self) -> CommandContext {
        let mut context = CommandContext::new(self.actor());
        context.on_behalf_of = self.on_behalf_of();
        context
    }
}

/// The rows a list may show the caller: every client's, or one client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible(Option<Uuid>);

impl Visible {
    /// The client filter of a list: the caller's own client for a client's user (the
    /// middleware has already refused a `client_id` naming another), else what was asked for.
    pub fn narrow(self, asked: Option<Uuid>) -> Option<Uuid> {
        self.0.or(asked)
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
        Ok(Queues(match principal {
            Principal::Staff { departments, .. } => {
                Some(departments.iter().map(|d| d.as_uuid()).collect())
            }
            // A client's caller never reaches a queue route (the rule does not open it).
            Principal::Client { .. } => Some(Vec::new()),
            Principal::Administrator { .. } | Principal::Service { .. } => None,
        }))
    }
}

/// Resolves a bearer string, or `None` when it is unknown, revoked, expired, or its staff member
/// or user is disabled.
pub async fn authenticate(state: &AppState, bearer: &str) -> Result<Option<Principal>, ApiError> {
    if let Some(actor) = state.tokens.actor(bearer) {
        return Ok(Some(Principal::Administrator {
            actor: actor.clone(),
            token: None,
        }));
    }
    let Some((token_id, digest)) = secret::parse_bearer(bearer) else {
        return Ok(None);
    };
    let token = state
        .store
        .load::<AccessToken>(&token_id.to_string())
        .await?
        .aggregate;
    let now = state.store.clock().now();
    if !token.is_usable_at(now) {
        return Ok(None);
    }
    // The digest is kept beside the log, never in it (ADR 11).
    let stored = state
        .store
        .credential::<AccessToken>(&token_id.to_string())
        .await?;
    if !stored.is_some_and(|stored| secret::same_digest(&stored, &digest)) {
        return Ok(None);
    }
    let Some(subject) = token.subject() else {
        return Ok(None);
    };
    Ok(match subject {
        TokenSubject::Staff {
            staff_id,
            generation,
        } => staff_principal(&state.store, *staff_id, *generation, token_id).await?,
        TokenSubject::User { user_id, client_id } => {
            let user = load_user(&state.store, *user_id).await?;
            (user.is_active() && user.client_id() == Some(*client_id)).then(|| Principal::Client {
                client_id: *client_id,
                permissions: user.permissions(),
                actor: Actor::User(user_id.to_string()),
                acting: false,
                token: token_id,
            })
        }
        TokenSubject::Administrator {} => Some(Principal::Administrator {
            actor: Actor::Staff("admin".to_owned()),
            token: Some(token_id),
        }),
        TokenSubject::Service { scopes, .. } => Some(Principal::Service {
            token: token_id,
            scopes: scopes.clone(),
        }),
        TokenSubject::ActingAs {
            staff_id,
            client_id,
            generation,
            permissions: carried,
        } => {
            // Never more than the staff member may do now, nor than the token was issued with.
            let staff = staff_principal(&state.store, *staff_id, *generation, token_id).await?;
            let held = match staff {
                None => return Ok(None),
                Some(Principal::Staff { permissions, .. }) => permissions,
                Some(_) => Permissions::all(),
            };
            let mut permissions = acting_permissions(&held);
            if let Some(carried) = carried {
                permissions = permissions.intersection(carried);
            }
            Some(Principal::Client {
                client_id: *client_id,
                permissions,
                actor: Actor::Staff(staff_id.to_string()),
                acting: true,
                token: token_id,
            })
        }
    })
}

async fn load_user(store: &EventStore, user_id: UserId) -> Result<ClientUser, ApiError> {
    Ok(store
        .load::<ClientUser>(&user_id.to_string())
        .await?
        .aggregate)
}

/// The principal of an active staff member whose token of `generation` it still honours: an
/// administrator, or its departments' permissions plus its grants.
pub async fn staff_principal(
    store: &EventStore,
    staff_id: StaffId,
    generation: u32,
    token: TokenId,
) -> Result<Option<Principal>, ApiError> {
    let staff = store
        .load::<StaffMember>(&staff_id.to_string())
        .await?
        .aggregate;
    if !staff.honours(generation) {
        return Ok(None);
    }
    if staff.is_administrator() {
        return Ok(Some(Principal::Administrator {
            actor: Actor::Staff(staff_id.to_string()),
            token: Some(token),
        }));
    }
    let mut permissions = staff.grants().clone();
    for department in staff.departments() {
        let department = store
            .load::<Department>(&department.to_string())
            .await?
            .aggregate;
        permissions = permissions.union(department.permissions());
    }
    Ok(Some(Principal::Staff {
        staff_id,
        permissions,
        departments: staff.departments().iter().copied().collect(),
        token,
    }))
}

/// The middleware: finds the route's rule, authenticates the bearer token, and lets the request
/// through, or answers 401 (no or bad token), 403 (not allowed) or 404 (another client's).
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => {
            let unauthorized = error.status() == axum::http::StatusCode::UNAUTHORIZED;
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
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
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
    let key = id.to_string();
    let store = &state.store;
    Ok(match owner {
        Owner::Client => Some(id),
        Owner::Service => store
            .load::<Service>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
        Owner::Payment => {
            let payment = store.load::<Payment>(&key).await?.aggregate;
            match payment.client_id() {
                Some(client) => Some(client.as_uuid()),
                // A payment credited directly has no `Payment` stream: the payments read model
                // names its client.
                None => {
                    sqlx::query_scalar("SELECT client_id FROM payments WHERE payment_id = $1")
                        .bind(id)
                        .fetch_optional(&state.pool)
                        .await?
                }
            }
        }
        Owner::Invoice => store
            .load::<Invoice>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
        Owner::Expense => {
            // An expense belongs to the client of the service it charged.
            let service: Option<Uuid> =
                sqlx::query_scalar("SELECT service_id FROM expenses WHERE expense_id = $1")
                    .bind(id)
                    .fetch_optional(&state.pool)
                    .await?;
            match service {
                None => None,
                Some(service) => store
                    .load::<Service>(&service.to_string())
                    .await?
                    .aggregate
                    .client_id()
                    .map(|c| c.as_uuid()),
            }
        }
        Owner::Operation => {
            sqlx::query_scalar::<_, Uuid>("SELECT client_id FROM operations WHERE id = $1")
                .bind(id)
                .fetch_optional(&state.pool)
                .await?
        }
        Owner::Ticket => store
            .load::<Ticket>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
    })
}

/// The departments every installation starts with, with ids derived from their names.
pub fn default_departments() -> Vec<(DepartmentId, &'static str, Permissions)> {
    use domain::access::Action::{Read, Write};
    use domain::access::Resource::{
        Clients, Expenses, Invoices, Payments, Reports, Services, Tariffs, Tickets,
    };
    let p = Permission::new;
    vec![
        (
            DepartmentId::named("Sales"),
            "Sales",
            Permissions::of([
                p(Clients, Write),
                p(Services, Write),
                p(Tariffs, Read),
                p(Payments, Read),
                p(Invoices, Read),
                p(Expenses, Read),
                p(Reports, Read),
                p(Tickets, Write),
            ]),
        ),
        (
            DepartmentId::named("Technical support"),
            "Technical support",
            Permissions::of([
                p(Clients, Read),
                p(Services, Write),
                p(Tariffs, Read),
                p(Tickets, Write),
            ]),
        ),
    ]
}

/// Creates the default departments if they do not exist yet, with the first department or staff
/// member an administrator creates (so that an installation without staff, such as one using only
/// the bootstrap token, has no events it did not ask for); a no-op every later time.
pub async fn ensure_default_departments(store: &EventStore) -> Result<(), ApiError> {
    let context = CommandContext::new(Actor::System("bootstrap".to_owned()));
    for (id, name, permissions) in default_departments() {
        store
            .execute::<Department>(
                &id.to_string(),
                DepartmentCommand::CreateDepartment {
                    department_id: id,
                    name: DisplayName::parse(name)?,
                    accepts_tickets: true,
                    permissions,
                },
                &context,
                &[],
            )
            .await?;
    }
    Ok(())
}
