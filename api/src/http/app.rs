//! The application state and the router: public routes, authenticated routes, the OpenAPI
//! document generated from the same registrations (so routing and spec cannot drift), and the
//! layers every request goes through.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::http::auth::rules::{BODY_LIMIT, Need, Rules};
use crate::http::error::ApiError;
use crate::http::routes;
use crate::http::state::AppState;

async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("billing_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("billing_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The OpenAPI document's fixed parts; the paths come from the route registrations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Billing core",
        description = "Event-sourced billing for hosting providers. Commands are POSTs; their \
                       answers carry the global `position` of the last event written, which \
                       queries accept as `min_position` to read their own writes. Every \
                       POST, PUT, PATCH and DELETE honours `Idempotency-Key` (kept 24 hours, \
                       per caller): a repeat with the same body gets the first answer, byte \
                       for byte, with `Idempotent-Replayed: true`, and writes nothing.",
        version = "1"
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes, for routing and for the document: the route table.
fn api() -> OpenApiRouter<AppState> {
    routes::table()
        .into_iter()
        .fold(OpenApiRouter::new(), |router, route| {
            router.routes(route.into_handler())
        })
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(self::api())
        .split_for_parts();
    let rules = routes::rules();
    for rule in rules.all().iter().filter(|rule| rule.need == Need::Public) {
        if let Some(item) = api.paths.paths.get_mut(rule.path) {
            clear_security(item);
        }
    }
    document_problems(&mut api, rules);
    api
}

/// Every error answer is `application/problem+json`, and every operation can meet the errors
/// that any request can: a bad query or body (400), no token (401), a body that is not JSON (415),
/// a rule broken (422), the database or a read model not ready (503). The handlers document their
/// own errors; this adds the common ones so the document says what the server does.
fn document_problems(api: &mut utoipa::openapi::OpenApi, rules: &Rules) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let common = [
        ("400", "a malformed body or a bad query parameter"),
        (
            "401",
            "no bearer token, or an unknown, revoked or expired one",
        ),
        ("403", "the token may not call this route"),
        ("404", "no such resource, or not one this token may see"),
        (
            "409",
            "a request with this Idempotency-Key is still running (retry after `Retry-After`), \
             or its answer held a token, which is never kept (send a new key)",
        ),
        ("415", "a body that is not application/json"),
        (
            "422",
            "a value or a business rule refused, or an Idempotency-Key already used for \
             another request",
        ),
        ("503", "the database or a read model is not ready; retry"),
    ];
    for (path, item) in api.paths.paths.iter_mut() {
        let public = rules
            .all()
            .iter()
            .any(|rule| rule.path == path && rule.need == Need::Public);
        for (write, operation) in [
            (false, item.get.as_mut()),
            (true, item.put.as_mut()),
            (true, item.post.as_mut()),
            (true, item.delete.as_mut()),
            (true, item.patch.as_mut()),
        ]
        .into_iter()
        .filter_map(|(write, operation)| Some((write, operation?)))
        {
            let has_body = operation.request_body.is_some();
            let has_id = path.contains('{');
            if write {
                crate::http::idempotency::document(operation);
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                if (status.starts_with('4') || status.starts_with('5'))
                    && let RefOr::T(response) = response
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response
                        .content
                        .insert("application/problem+json".to_owned(), content);
                }
            }
            for (status, description) in common {
                let applies = match status {
                    "401" | "403" => !public,
                    "415" => has_body,
                    "404" => has_id,
                    "409" => write,
                    // A public route with a body (signing in) can still get a bad body.
                    "400" | "422" => !public || has_body || write,
                    _ => true,
                };
                if applies {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(description)
                                    .content("application/problem+json", problem())
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

fn clear_security(item: &mut utoipa::openapi::PathItem) {
    for operation in [item.get.as_mut(), item.post.as_mut()]
        .into_iter()
        .flatten()
    {
        operation.security = Some(Vec::new());
    }
}

/// The whole HTTP application over `state`.
pub fn router(state: AppState) -> Router {
    let spec = Arc::new(openapi());
    let (routes, _) = api().split_for_parts();
    // One middleware authenticates and authorizes every route by its rule (auth::rules), the
    // public ones included; `route_layer` runs it after routing, so it sees the route's template.
    let routes = routes
        .route(
            "/openapi.json",
            get(move || {
                let spec = Arc::clone(&spec);
                async move { Json(spec.as_ref().clone()) }
            }),
        )
        .route("/metrics", get(routes::health::metrics))
        // Inside `authorize`, so that it knows the caller: every write with an Idempotency-Key.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::http::idempotency::enforce,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::http::auth::authorize,
        ));
    Router::new()
        .merge(routes)
        .merge(crate::http::dashboard::routes())
        .merge(crate::http::my::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(record_metrics))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(time_limit))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal(&"a handler panicked").into_response()
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// No request runs longer than this; past it the caller gets a problem it can retry.
const REQUEST_TIME_LIMIT: Duration = Duration::from_secs(30);

async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIME_LIMIT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::unavailable(
            "timeout",
            "the request took longer than 30 s and was abandoned; retry",
            1,
        )
        .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}
