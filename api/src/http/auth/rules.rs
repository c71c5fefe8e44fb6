//! The authorization rules, one per route, in one table.
//!
//! A rule is keyed by the HTTP method and the route's template as registered (`GET
//! /v1/clients/{id}/balance`, what axum's `MatchedPath` gives), and says:
//!
//! - what the caller needs ([`Need`]): nothing (public), any valid token, the administrator, or a
//!   permission on a resource;
//! - where the route's client is ([`ClientOf`]): nowhere, the path's `{id}` (a client, or a
//!   service, payment, invoice, expense or operation whose owner is looked up), a field of the
//!   JSON body, or a list that is narrowed to the caller's client;
//! - whether a client's users (and staff acting as a client) may call it at all, inside their
//!   client and with the permissions of their roles;
//! - the scope that lets a service token call it, besides the coarse `resource:action` scopes.
//!
//! A rule is written once, beside its handler in the route table (`http::routes::table`); its
//! method and path are the handler's own. A route without a rule is refused to everyone but
//! administrators, and the permission matrix test (`tests/it/permissions.rs`) fails for it.

use std::collections::HashMap;

use domain::access::{Action, Permission, Resource};

/// What a caller needs for a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: no token is asked for.
    Public,
    /// Any valid token.
    Authenticated,
    /// An administrator (the bootstrap token or a staff member with the flag).
    Administrator,
    /// This permission (staff through departments and grants, client users through roles, service
    /// tokens through scopes).
    Permission(Permission),
}

/// What kind of thing a path's `{id}` names, so that its client can be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A client: the id is the client.
    Client,
    /// A service, owned by the client that ordered it (from the store).
    Service,
    /// A payment (from the store, or the payments read model for one credited directly).
    Payment,
    /// An invoice or credit note (from the store).
    Invoice,
    /// An expense, owned by the client of the service it charged (the expenses read model
    /// names the service).
    Expense,
    /// A provisioning operation (from the operations read model).
    Operation,
    /// A support ticket (from the store).
    Ticket,
    /// A payer (from the store: the client it belongs to now).
    Payer,
}

/// Where a route's client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOf {
    /// The route is about no client (catalog, settings, staff).
    Nobody,
    /// The path's `{id}`.
    Path(Owner),
    /// A field of the JSON body holding a client id.
    Body(&'static str),
    /// A list: a client's user sees only its client's rows; a `client_id` query parameter naming
    /// another client is not found.
    List,
}

/// The rule of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// The route's template as registered, such as `/v1/clients/{id}/balance`.
    pub path: &'static str,
    /// What the caller needs.
    pub need: Need,
    /// Where the route's client is.
    pub client: ClientOf,
    /// Whether a client's users (and staff acting as a client) may call it, inside their client.
    pub clients: bool,
    /// The narrow scope a service token may hold for this route, such as `payments.confirm`.
    pub scope: Option<&'static str>,
    /// The largest body the route takes, when it is not the API's default.
    pub body_limit: Option<usize>,
}

impl Rule {
    const fn of_need(need: Need) -> Rule {
        Rule {
            method: "",
            path: "",
            need,
            client: ClientOf::Nobody,
            clients: false,
            scope: None,
            body_limit: None,
        }
    }

    /// Anyone, without a token.
    pub const fn public() -> Rule {
        Rule::of_need(Need::Public)
    }

    /// Any valid token.
    pub const fn authenticated() -> Rule {
        Rule::of_need(Need::Authenticated)
    }

    /// Administrators only.
    pub const fn admin() -> Rule {
        Rule::of_need(Need::Administrator)
    }

    /// Who may read `resource`.
    pub const fn read(resource: Resource) -> Rule {
        Rule::of_need(Need::Permission(Permission::new(resource, Action::Read)))
    }

    /// Who may write `resource`.
    pub const fn write(resource: Resource) -> Rule {
        Rule::of_need(Need::Permission(Permission::new(resource, Action::Write)))
    }

    /// The route's client is the owner of the path's `{id}`.
    pub const fn of(self, owner: Owner) -> Rule {
        Rule {
            client: ClientOf::Path(owner),
            ..self
        }
    }

    /// The route's client is the body's `field`.
    pub const fn body(self, field: &'static str) -> Rule {
        Rule {
            client: ClientOf::Body(field),
            ..self
        }
    }

    /// A list narrowed to the caller's client.
    pub const fn list(self) -> Rule {
        Rule {
            client: ClientOf::List,
            ..self
        }
    }

    /// A client's users may call it, inside their client.
    pub const fn for_clients(self) -> Rule {
        Rule {
            clients: true,
            ..self
        }
    }

    /// The narrow scope that lets a service token call it.
    pub const fn scope(self, scope: &'static str) -> Rule {
        Rule {
            scope: Some(scope),
            ..self
        }
    }

    /// Takes bodies up to `bytes` (the API's default is [`BODY_LIMIT`]).
    pub const fn body_limit(self, bytes: usize) -> Rule {
        Rule {
            body_limit: Some(bytes),
            ..self
        }
    }

    /// The same rule on a route that is not in the table (no handler with a document).
    pub const fn at(self, method: &'static str, path: &'static str) -> Rule {
        Rule {
            method,
            path,
            ..self
        }
    }
}

/// The largest request body, in bytes, of a route that does not say otherwise.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Every route's rule, found by method and template. Built once from the route table
/// (`http::routes::rules`) and kept in the application state.
#[derive(Debug, Clone)]
pub struct Rules {
    all: Vec<Rule>,
    by_route: HashMap<(&'static str, &'static str), usize>,
}

impl Rules {
    /// The table of `rules`.
    pub fn new(rules: impl IntoIterator<Item = Rule>) -> Self {
        let all: Vec<Rule> = rules.into_iter().collect();
        let by_route = all
            .iter()
            .enumerate()
            .map(|(i, rule)| ((rule.method, rule.path), i))
            .collect();
        Self { all, by_route }
    }

    /// The rule of `method` on the route registered as `path`.
    pub fn find(&self, method: &str, path: &str) -> Option<&Rule> {
        self.by_route
            .get(&(method, path))
            .and_then(|i| self.all.get(*i))
    }

    /// Every rule.
    pub fn all(&self) -> &[Rule] {
        &self.all
    }

    /// The largest body `method` on the route `path` takes, in bytes.
    pub fn body_limit(&self, method: &str, path: &str) -> usize {
        self.find(method, path)
            .and_then(|rule| rule.body_limit)
            .unwrap_or(BODY_LIMIT)
    }

    /// Every scope a service token may hold: the narrow ones of the table and `resource:action`.
    pub fn known_scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = self
            .all
            .iter()
            .filter_map(|rule| rule.scope.map(str::to_owned))
            .chain(Resource::ALL.into_iter().flat_map(|resource| {
                [Action::Read, Action::Write]
                    .into_iter()
                    .map(move |action| Permission::new(resource, action).to_string())
            }))
            .collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }
}
