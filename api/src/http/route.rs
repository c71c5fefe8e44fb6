//! One route of the API, declared once: its handler (whose `#[utoipa::path]` gives the method,
//! the path and the document) and its [`Rule`] (who may call it, where its client is, how large a
//! body it takes). The table of every route is [`crate::http::routes::table`]; routing, the
//! OpenAPI document and the authorization rules are all built from it, so they cannot drift.

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::UtoipaMethodRouter;

use crate::http::auth::rules::Rule;
use crate::http::state::AppState;

/// A handler and its rule.
pub struct Route {
    handler: UtoipaMethodRouter<AppState>,
    rule: Rule,
}

/// Declares a route: `route!(accounts::post_payment => Rule::write(Payments).of(Owner::Client))`.
macro_rules! route {
    ($handler:path => $rule:expr) => {
        $crate::http::route::Route::new(utoipa_axum::routes!($handler), $rule)
    };
}
pub(crate) use route;

impl Route {
    /// The route of `handler` under `rule`.
    pub fn new(handler: UtoipaMethodRouter<AppState>, rule: Rule) -> Self {
        Self { handler, rule }
    }

    /// Its rule, with the handler's method and path. The path is leaked to live as long as the
    /// rule table: call it once per route per process (`routes::rules` does, into a static).
    ///
    /// # Panics
    ///
    /// When the handler is not exactly one operation on one path: a table written wrong, found by
    /// every test that builds the rule table.
    #[allow(clippy::panic)]
    pub fn rule(&self) -> Rule {
        let (_, paths, _) = &self.handler;
        let mut operations = paths.paths.iter().flat_map(|(path, item)| {
            [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter(|(_, present)| *present)
            .map(move |(method, _)| (method, path.clone()))
        });
        let (Some((method, path)), None) = (operations.next(), operations.next()) else {
            panic!("a route is one handler with one method on one path");
        };
        Rule {
            method,
            path: Box::leak(path.into_boxed_str()),
            ..self.rule
        }
    }

    /// The handler, for routing and the document, with its body limit.
    pub fn into_handler(self) -> UtoipaMethodRouter<AppState> {
        let (schemas, paths, router) = self.handler;
        let router = match self.rule.body_limit {
            Some(limit) => router.layer(DefaultBodyLimit::max(limit)),
            None => router,
        };
        (schemas, paths, router)
    }
}
