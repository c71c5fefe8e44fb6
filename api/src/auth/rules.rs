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
//! A route without a rule is refused to everyone but administrators, and the permission matrix
//! test (`tests/it/permissions.rs`) fails for it.

use std::collections::HashMap;
use std::sync::LazyLock;

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
}

impl Rule {
    const fn at(method: &'static str, path: &'static str, need: Need) -> Rule {
        Rule {
            method,
            path,
            need,
            client: ClientOf::Nobody,
            clients: false,
            scope: None,
        }
    }

    const fn public(method: &'static str, path: &'static str) -> Rule {
        Rule::at(method, path, Need::Public)
    }

    const fn authenticated(method: &'static str, path: &'static str) -> Rule {
        Rule::at(method, path, Need::Authenticated)
    }

    const fn admin(method: &'static str, path: &'static str) -> Rule {
        Rule::at(method, path, Need::Administrator)
    }

    const fn read(method: &'static str, path: &'static str, resource: Resource) -> Rule {
        Rule::at(
            method,
            path,
            Need::Permission(Permission::new(resource, Action::Read)),
        )
    }

    const fn write(method: &'static str, path: &'static str, resource: Resource) -> Rule {
        Rule::at(
            method,
            path,
            Need::Permission(Permission::new(resource, Action::Write)),
        )
    }

    const fn of(self, owner: Owner) -> Rule {
        Rule {
            client: ClientOf::Path(owner),
            ..self
        }
    }

    const fn body(self, field: &'static str) -> Rule {
        Rule {
            client: ClientOf::Body(field),
            ..self
        }
    }

    const fn list(self) -> Rule {
        Rule {
            client: ClientOf::List,
            ..self
        }
    }

    const fn for_clients(self) -> Rule {
        Rule {
            clients: true,
            ..self
        }
    }

    const fn scope(self, scope: &'static str) -> Rule {
        Rule {
            scope: Some(scope),
            ..self
        }
    }
}

use Resource::{
    Clients, Expenses, Invoices, Payments, Reports, Services, Settings, Tariffs, Tickets,
};

/// Every route's rule. Keep it in the order of the route modules.
pub const RULES: &[Rule] = &[
    // Operations.
    Rule::public("GET", "/v1/health"),
    Rule::public("GET", "/v1/ready"),
    Rule::authenticated("GET", "/openapi.json"),
    Rule::read("GET", "/metrics", Settings).scope("metrics.read"),
    // Authentication and tokens.
    Rule::public("POST", "/v1/auth/login"),
    Rule::authenticated("POST", "/v1/auth/logout"),
    Rule::authenticated("GET", "/v1/auth/me"),
    Rule::admin("POST", "/v1/auth/tokens/{id}/revoke"),
    Rule::admin("POST", "/v1/service-tokens"),
    Rule::admin("GET", "/v1/service-tokens"),
    // Staff and departments.
    Rule::admin("POST", "/v1/departments"),
    Rule::read("GET", "/v1/departments", Settings),
    Rule::admin("PUT", "/v1/departments/{id}/permissions"),
    Rule::admin("POST", "/v1/staff"),
    Rule::read("GET", "/v1/staff", Settings),
    Rule::admin("PUT", "/v1/staff/{id}/access"),
    Rule::admin("POST", "/v1/staff/{id}/disable"),
    Rule::admin("POST", "/v1/staff/{id}/enable"),
    // Providers and clients.
    Rule::write("POST", "/v1/providers", Settings),
    Rule::read("GET", "/v1/providers", Clients),
    Rule::write("POST", "/v1/clients", Clients).scope("clients.register"),
    Rule::read("GET", "/v1/clients", Clients)
        .list()
        .for_clients(),
    Rule::read("GET", "/v1/clients/{id}", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("PATCH", "/v1/clients/{id}", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("DELETE", "/v1/clients/{id}", Clients).of(Owner::Client),
    Rule::write("PUT", "/v1/clients/{id}/billing-details", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("POST", "/v1/clients/{id}/users", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/clients/{id}/users", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("POST", "/v1/clients/{id}/act-as", Clients).of(Owner::Client),
    // Accounts.
    Rule::write("POST", "/v1/clients/{id}/payments", Payments)
        .of(Owner::Client)
        .scope("payments.post"),
    Rule::write("POST", "/v1/clients/{id}/adjustments", Payments).of(Owner::Client),
    Rule::read("GET", "/v1/clients/{id}/balance", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("PUT", "/v1/clients/{id}/credit-limit", Payments).of(Owner::Client),
    Rule::read("GET", "/v1/clients/{id}/expenses", Expenses)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/clients/{id}/statement", Payments)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("POST", "/v1/expenses/{id}/corrections", Expenses).of(Owner::Expense),
    // Payments. A client's users do not create payments themselves: a payment method of kind
    // `manual` credits at once, which only staff and trusted machines may say.
    Rule::write("POST", "/v1/payments", Payments)
        .body("client_id")
        .scope("payments.create"),
    Rule::read("GET", "/v1/payments", Payments)
        .list()
        .for_clients(),
    Rule::read("GET", "/v1/payments/{id}", Payments)
        .of(Owner::Payment)
        .for_clients(),
    Rule::write("POST", "/v1/payments/{id}/start", Payments)
        .of(Owner::Payment)
        .scope("payments.start"),
    Rule::write("POST", "/v1/payments/{id}/confirm", Payments)
        .of(Owner::Payment)
        .scope("payments.confirm"),
    Rule::write("POST", "/v1/payments/{id}/cancel", Payments)
        .of(Owner::Payment)
        .for_clients()
        .scope("payments.cancel"),
    Rule::write("POST", "/v1/payments/{id}/refunds", Payments).of(Owner::Payment),
    Rule::write("POST", "/v1/payments/{id}/fraud", Payments).of(Owner::Payment),
    // Invoices.
    Rule::write("POST", "/v1/invoices", Invoices).body("client_id"),
    Rule::read("GET", "/v1/invoices", Invoices)
        .list()
        .for_clients(),
    Rule::read("GET", "/v1/invoices/{id}", Invoices)
        .of(Owner::Invoice)
        .for_clients(),
    Rule::write("POST", "/v1/invoices/{id}/credit-notes", Invoices).of(Owner::Invoice),
    Rule::write("POST", "/v1/invoices/monthly", Invoices),
    // Audit.
    Rule::read("GET", "/v1/action-log", Reports),
    // Catalog.
    Rule::write("POST", "/v1/tariffs", Tariffs),
    Rule::read("GET", "/v1/tariffs", Tariffs).for_clients(),
    Rule::read("GET", "/v1/tariffs/{id}", Tariffs).for_clients(),
    Rule::write("POST", "/v1/tariffs/{id}/prices", Tariffs),
    Rule::write("POST", "/v1/tariffs/{id}/archive", Tariffs),
    Rule::write("POST", "/v1/promo-codes", Tariffs),
    Rule::read("GET", "/v1/promo-codes", Tariffs),
    Rule::read("GET", "/v1/promo-codes/{id}", Tariffs),
    Rule::write("POST", "/v1/promo-codes/{id}/disable", Tariffs),
    // Services and provisioning.
    Rule::write("POST", "/v1/clients/{id}/services", Services)
        .of(Owner::Client)
        .for_clients()
        .scope("services.order"),
    Rule::read("GET", "/v1/clients/{id}/services", Services)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/services/{id}", Services)
        .of(Owner::Service)
        .for_clients(),
    Rule::write("POST", "/v1/services/{id}/prolong", Services)
        .of(Owner::Service)
        .for_clients(),
    Rule::write("POST", "/v1/services/{id}/suspend", Services).of(Owner::Service),
    Rule::write("POST", "/v1/services/{id}/resume", Services).of(Owner::Service),
    Rule::write("POST", "/v1/services/{id}/close", Services)
        .of(Owner::Service)
        .for_clients(),
    Rule::write("POST", "/v1/services/{id}/change-tariff", Services)
        .of(Owner::Service)
        .for_clients(),
    Rule::write("PUT", "/v1/services/{id}/auto-prolong", Services)
        .of(Owner::Service)
        .for_clients(),
    Rule::read("GET", "/v1/operations", Services).scope("operations.list"),
    Rule::write("POST", "/v1/operations/{id}/complete", Services)
        .of(Owner::Operation)
        .scope("operations.report"),
    Rule::write("POST", "/v1/operations/{id}/fail", Services)
        .of(Owner::Operation)
        .scope("operations.report"),
    Rule::write("POST", "/v1/operations/{id}/retry", Services).of(Owner::Operation),
    Rule::write("POST", "/v1/billing/runs", Settings),
    // Companies and currencies.
    Rule::write("POST", "/v1/companies", Settings),
    Rule::read("GET", "/v1/companies", Settings),
    Rule::read("GET", "/v1/companies/{id}", Settings),
    Rule::write("PUT", "/v1/companies/{id}/tax-rules", Settings),
    Rule::write(
        "PUT",
        "/v1/companies/{id}/payment-methods/{method}",
        Settings,
    ),
    Rule::read("GET", "/v1/currencies", Payments),
    Rule::write("PUT", "/v1/currencies/{code}/rates", Payments),
    Rule::read("GET", "/v1/currencies/{code}/rates", Payments),
    // Payers: a client's owner manages its own; changing one by its id is for staff.
    Rule::write("POST", "/v1/clients/{id}/payers", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/clients/{id}/payers", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::write("PATCH", "/v1/payers/{id}", Clients),
    // Client groups, status, merging and moving services: staff tools.
    Rule::write("POST", "/v1/client-groups", Clients),
    Rule::read("GET", "/v1/client-groups", Clients),
    Rule::write("PUT", "/v1/clients/{id}/groups", Clients).of(Owner::Client),
    Rule::write("PUT", "/v1/clients/{id}/status", Clients).of(Owner::Client),
    Rule::write("POST", "/v1/clients/{id}/merge", Clients).of(Owner::Client),
    Rule::read("GET", "/v1/merges/{id}", Clients),
    Rule::write("POST", "/v1/services/{id}/transfer", Services).of(Owner::Service),
    // Reports.
    Rule::read("GET", "/v1/reports/revenue", Reports),
    Rule::read("GET", "/v1/reports/deferred-revenue", Reports),
    Rule::read("GET", "/v1/reports/payments", Reports),
    Rule::read("GET", "/v1/reports/debtors", Reports),
    Rule::read("GET", "/v1/reports/clients", Reports),
    Rule::read("GET", "/v1/reports/services", Reports),
    Rule::read("GET", "/v1/reports/mrr", Reports),
    // Support: a client's users open and follow their own client's tickets; staff answer,
    // assign and manage the desk (ADR 9).
    Rule::write("POST", "/v1/clients/{id}/tickets", Tickets)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/clients/{id}/tickets", Tickets)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/tickets/{id}", Tickets)
        .of(Owner::Ticket)
        .for_clients(),
    Rule::write("POST", "/v1/tickets/{id}/messages", Tickets)
        .of(Owner::Ticket)
        .for_clients(),
    Rule::write("POST", "/v1/tickets/{id}/assign", Tickets).of(Owner::Ticket),
    Rule::write("POST", "/v1/tickets/{id}/close", Tickets)
        .of(Owner::Ticket)
        .for_clients(),
    Rule::write("POST", "/v1/tickets/{id}/reopen", Tickets)
        .of(Owner::Ticket)
        .for_clients(),
    Rule::read("GET", "/v1/tickets/{id}/attachments/{sha256}", Tickets)
        .of(Owner::Ticket)
        .for_clients(),
    Rule::read("GET", "/v1/ticket-queue", Tickets),
    Rule::admin("PUT", "/v1/departments/{id}/business-hours"),
    Rule::write("POST", "/v1/ticket-categories", Tickets),
    Rule::read("GET", "/v1/ticket-categories", Tickets).for_clients(),
    Rule::write("POST", "/v1/ticket-categories/{id}/archive", Tickets),
    Rule::write("POST", "/v1/answer-templates", Tickets),
    Rule::read("GET", "/v1/answer-templates", Tickets),
    Rule::write("PUT", "/v1/answer-templates/{id}", Tickets),
    Rule::write("DELETE", "/v1/answer-templates/{id}", Tickets),
    Rule::read("GET", "/v1/reports/response-times", Reports),
    // Notifications: staff write the templates; a client chooses its language and notices and
    // may read what was sent to it.
    Rule::write("PUT", "/v1/message-templates/{kind}/{language}", Tickets),
    Rule::read("GET", "/v1/message-templates", Tickets),
    Rule::write("PUT", "/v1/clients/{id}/notice-settings", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/clients/{id}/notice-settings", Clients)
        .of(Owner::Client)
        .for_clients(),
    Rule::read("GET", "/v1/notifications", Tickets)
        .list()
        .for_clients(),
    // Messages to clients and announcements: staff send; a client's user reads the
    // announcements showing to it.
    Rule::write("POST", "/v1/client-messages", Tickets),
    Rule::write("POST", "/v1/announcements", Tickets),
    Rule::read("GET", "/v1/announcements", Tickets)
        .list()
        .for_clients(),
    Rule::write("POST", "/v1/announcements/{id}/withdraw", Tickets),
    // The auditors' view of the log.
    Rule::read("GET", "/v1/audit/head", Reports),
    Rule::read("GET", "/v1/audit/verify", Reports),
    Rule::read("GET", "/v1/audit/events", Reports),
];

static BY_ROUTE: LazyLock<HashMap<(&'static str, &'static str), &'static Rule>> =
    LazyLock::new(|| {
        RULES
            .iter()
            .map(|rule| ((rule.method, rule.path), rule))
            .collect()
    });

/// The rule of `method` on the route registered as `path`.
pub fn find(method: &str, path: &str) -> Option<&'static Rule> {
    BY_ROUTE.get(&(method, path)).copied()
}

/// Every scope a service token may hold: the narrow ones of the table and `resource:action`.
pub fn known_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = RULES
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_exactly_one_rule() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(
                seen.insert((rule.method, rule.path)),
                "two rules for {} {}",
                rule.method,
                rule.path
            );
        }
        let api = crate::app::openapi();
        for (path, item) in &api.paths.paths {
            for (method, present) in [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ] {
                if present {
                    assert!(find(method, path).is_some(), "no rule for {method} {path}");
                }
            }
        }
    }

    #[test]
    fn client_routes_say_where_their_client_is() {
        for rule in RULES.iter().filter(|r| r.clients) {
            // What every client may read alike: the catalog and the ticket categories.
            let catalog = rule.need == Need::Permission(Permission::new(Tariffs, Action::Read))
                || (rule.method, rule.path) == ("GET", "/v1/ticket-categories");
            assert!(
                catalog || rule.client != ClientOf::Nobody,
                "{} {} is open to clients but names no client",
                rule.method,
                rule.path
            );
        }
    }
}
