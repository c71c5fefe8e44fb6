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
use eventstore::EventStore;
use eventstore::metadata::Actor;
use metrics_exporter_prometheus::PrometheusHandle;
use projections::Progress;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::routes;

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// The event store: the only way to change anything.
    pub store: Arc<EventStore>,
    /// The pool the read models are queried through.
    pub pool: PgPool,
    /// This process's projection progress, for `min_position` waits.
    pub progress: Progress,
    /// Known bearer tokens.
    pub tokens: Tokens,
    /// The Prometheus recorder's handle, for `/metrics`.
    pub metrics: Option<PrometheusHandle>,
    /// How long a query waits for its read model to reach `min_position`.
    pub query_wait: Duration,
    /// The limits on sign-ins (failures per login and address, the argon2 gate).
    pub sign_in: Arc<crate::auth::throttle::Throttle>,
}

impl Inner {
    /// Today, by the injected clock: the date of the billing calendar commands are dated with.
    pub fn today(&self) -> chrono::NaiveDate {
        self.store.clock().now().date_naive()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Waits until every named projection has applied the event at `min_position`, or answers
    /// 503 after the configured bound.
    pub async fn consistent(
        &self,
        projections: &[&str],
        min_position: Option<i64>,
    ) -> Result<(), ApiError> {
        if let Some(negative) = min_position.filter(|p| *p < 0) {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("min_position must not be negative, not {negative}"),
            ));
        }
        let Some(position) = min_position.filter(|p| *p > 0) else {
            return Ok(());
        };
        // A position past the end of the log was never given out: waiting cannot help.
        let head = eventstore::log::head_position(&self.pool).await?;
        if position > head {
            return Err(ApiError::bad_request(
                "invalid_position",
                format!("min_position {position} is past the end of the log ({head})"),
            ));
        }
        let deadline = Instant::now() + self.query_wait;
        for projection in projections {
            let left = deadline.saturating_duration_since(Instant::now());
            let reached = projections::engine::wait_for_position(
                &self.pool,
                &self.progress,
                projection,
                position,
                left,
            )
            .await?;
            if !reached {
                return Err(ApiError::unavailable(
                    "projection_behind",
                    format!("the {projection} read model has not reached position {position} yet"),
                    1,
                ));
            }
        }
        Ok(())
    }
}

/// Bearer tokens and who they stand for. Tokens are kept as SHA-256 digests, never in clear.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    known: Vec<([u8; 32], Actor)>,
}

impl Tokens {
    /// Adds a token for `actor`.
    pub fn add(&mut self, token: &str, actor: Actor) {
        self.known.push((digest(token), actor));
    }

    /// The actor a token stands for.
    pub fn actor(&self, token: &str) -> Option<&Actor> {
        let digest = digest(token);
        self.known
            .iter()
            .find(|(known, _)| *known == digest)
            .map(|(_, actor)| actor)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

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

/// The routes that need a bearer token, registered once for routing and for the spec. Each one
/// needs a rule in `auth::rules::RULES`.
fn protected() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::auth::logout))
        .routes(routes!(routes::auth::me))
        .routes(routes!(routes::auth::revoke_token))
        .routes(routes!(
            routes::auth::create_service_token,
            routes::auth::list_service_tokens
        ))
        .routes(routes!(
            routes::staff::create_department,
            routes::staff::list_departments
        ))
        .routes(routes!(routes::staff::set_department_permissions))
        .routes(routes!(
            routes::staff::create_staff_member,
            routes::staff::list_staff
        ))
        .routes(routes!(routes::staff::set_staff_access))
        .routes(routes!(routes::staff::disable_staff_member))
        .routes(routes!(routes::staff::enable_staff_member))
        .routes(routes!(
            routes::users::create_client_user,
            routes::users::list_client_users
        ))
        .routes(routes!(routes::users::act_as_client))
        .routes(routes!(
            routes::providers::create_provider,
            routes::providers::list_providers
        ))
        .routes(routes!(
            routes::clients::register_client,
            routes::clients::list_clients
        ))
        .routes(routes!(
            routes::clients::get_client,
            routes::clients::update_client,
            routes::clients::delete_client
        ))
        .routes(routes!(routes::accounts::post_payment))
        .routes(routes!(routes::accounts::adjust_balance))
        .routes(routes!(routes::accounts::get_balance))
        .routes(routes!(routes::accounts::set_credit_limit))
        .routes(routes!(routes::accounts::list_expenses))
        .routes(routes!(routes::statement::get_statement))
        .routes(routes!(routes::statement::correct_expense))
        .routes(routes!(routes::clients::set_billing_details))
        .routes(routes!(
            routes::payments::create_payment,
            routes::payments::list_payments
        ))
        .routes(routes!(routes::payments::get_payment))
        .routes(routes!(routes::payments::start_payment))
        .routes(routes!(routes::payments::confirm_payment))
        .routes(routes!(routes::payments::cancel_payment))
        .routes(routes!(routes::payments::refund_payment))
        .routes(routes!(routes::payments::mark_fraud))
        .routes(routes!(
            routes::invoices::issue_invoice,
            routes::invoices::list_invoices
        ))
        .routes(routes!(routes::invoices::get_invoice))
        .routes(routes!(routes::invoices::credit_invoice))
        .routes(routes!(routes::invoices::run_monthly))
        .routes(routes!(routes::action_log::list_action_log))
        .routes(routes!(routes::audit::get_head))
        .routes(routes!(routes::audit::verify))
        .routes(routes!(routes::audit::stream_events))
        .routes(routes!(
            routes::tariffs::create_tariff,
            routes::tariffs::list_tariffs
        ))
        .routes(routes!(routes::tariffs::get_tariff))
        .routes(routes!(routes::tariffs::set_price))
        .routes(routes!(routes::tariffs::archive_tariff))
        .routes(routes!(
            routes::services::order_service,
            routes::services::list_client_services
        ))
        .routes(routes!(routes::services::get_service))
        .routes(routes!(routes::services::prolong_service))
        .routes(routes!(routes::services::suspend_service))
        .routes(routes!(routes::services::resume_service))
        .routes(routes!(routes::services::close_service))
        .routes(routes!(routes::services::change_tariff))
        .routes(routes!(routes::services::set_auto_prolong))
        .routes(routes!(routes::operations::list_operations))
        .routes(routes!(routes::operations::complete_operation))
        .routes(routes!(routes::operations::fail_operation))
        .routes(routes!(routes::operations::retry_operation))
        .routes(routes!(routes::billing::run_billing))
        .routes(routes!(
            routes::companies::create_company,
            routes::companies::list_companies
        ))
        .routes(routes!(routes::companies::get_company))
        .routes(routes!(routes::companies::set_tax_rules))
        .routes(routes!(routes::companies::configure_payment_method))
        .routes(routes!(routes::currencies::list_currencies))
        .routes(routes!(
            routes::currencies::set_rates,
            routes::currencies::get_rates
        ))
        .routes(routes!(
            routes::promo_codes::create_promo_code,
            routes::promo_codes::list_promo_codes
        ))
        .routes(routes!(routes::promo_codes::get_promo_code))
        .routes(routes!(routes::promo_codes::disable_promo_code))
        .routes(routes!(routes::reports::revenue))
        .routes(routes!(routes::reports::deferred_revenue))
        .routes(routes!(routes::reports::payments))
        .routes(routes!(routes::reports::debtors))
        .routes(routes!(routes::reports::clients))
        .routes(routes!(routes::reports::services))
        .routes(routes!(routes::reports::mrr))
        .routes(routes!(
            routes::payers::create_payer,
            routes::payers::list_payers
        ))
        .routes(routes!(routes::payers::update_payer))
        .routes(routes!(
            routes::groups::create_group,
            routes::groups::list_groups
        ))
        .routes(routes!(routes::groups::set_client_groups))
        .routes(routes!(routes::groups::set_client_status))
        .routes(routes!(routes::merges::merge_clients))
        .routes(routes!(routes::merges::get_merge))
        .routes(routes!(routes::services::transfer_service))
        .merge(support())
}

/// The support center's routes. The two that take messages carry attachments and so accept a
/// larger body than the rest of the API.
fn support() -> OpenApiRouter<AppState> {
    let with_attachments = OpenApiRouter::new()
        .routes(routes!(
            routes::tickets::open_ticket,
            routes::tickets::list_client_tickets
        ))
        .routes(routes!(routes::tickets::reply))
        .layer(axum::extract::DefaultBodyLimit::max(
            routes::tickets::ATTACHMENT_BODY_LIMIT,
        ));
    OpenApiRouter::new()
        .merge(with_attachments)
        .routes(routes!(routes::tickets::get_ticket))
        .routes(routes!(routes::tickets::assign_ticket))
        .routes(routes!(routes::tickets::close_ticket))
        .routes(routes!(routes::tickets::reopen_ticket))
        .routes(routes!(routes::tickets::get_attachment))
        .routes(routes!(routes::tickets::ticket_queue))
        .routes(routes!(routes::tickets::set_business_hours))
        .routes(routes!(
            routes::tickets::create_category,
            routes::tickets::list_categories
        ))
        .routes(routes!(routes::tickets::archive_category))
        .routes(routes!(
            routes::tickets::create_answer_template,
            routes::tickets::list_answer_templates
        ))
        .routes(routes!(
            routes::tickets::update_answer_template,
            routes::tickets::delete_answer_template
        ))
        .routes(routes!(routes::tickets::response_times))
        .routes(routes!(routes::notices::set_message_template))
        .routes(routes!(routes::notices::list_message_templates))
        .routes(routes!(
            routes::notices::set_notice_settings,
            routes::notices::get_notice_settings
        ))
        .routes(routes!(routes::notices::list_notifications))
        .routes(routes!(routes::messages::send_client_message))
        .routes(routes!(
            routes::messages::publish_announcement,
            routes::messages::list_announcements
        ))
        .routes(routes!(routes::messages::withdraw_announcement))
}

/// The routes anyone may call.
fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::health::health))
        .routes(routes!(routes::health::ready))
        .routes(routes!(routes::auth::login))
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(protected())
        .merge(public())
        .split_for_parts();
    if let Some(health) = api.paths.paths.get_mut("/v1/health") {
        clear_security(health);
    }
    if let Some(ready) = api.paths.paths.get_mut("/v1/ready") {
        clear_security(ready);
    }
    if let Some(login) = api.paths.paths.get_mut("/v1/auth/login") {
        clear_security(login);
    }
    document_problems(&mut api);
    api
}

/// Every error answer is `application/problem+json`, and every operation can meet the errors
/// that any request can: a bad query or body (400), no token (401), a body that is not JSON (415),
/// a rule broken (422), the database or a read model not ready (503). The handlers document their
/// own errors; this adds the common ones so the document says what the server does.
fn document_problems(api: &mut utoipa::openapi::OpenApi) {
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
        let public = path == "/v1/health" || path == "/v1/ready" || path == "/v1/auth/login";
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
                crate::idempotency::document(operation);
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
    let (protected, _) = protected().split_for_parts();
    let (public, _) = public().split_for_parts();
    // One middleware authenticates and authorizes every route by its rule (auth::rules), the
    // public ones included; `route_layer` runs it after routing, so it sees the route's template.
    let routes = protected
        .merge(public)
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
            crate::idempotency::enforce,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authorize,
        ));
    Router::new()
        .merge(routes)
        .merge(crate::dashboard::routes())
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

/// The largest request body, in bytes.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The routes that take attachments, and so accept bodies up to
/// `routes::tickets::ATTACHMENT_BODY_LIMIT` (see [`support`]).
const ATTACHMENT_ROUTES: &[&str] = &["/v1/clients/{id}/tickets", "/v1/tickets/{id}/messages"];

/// The largest body the route `template` accepts, in bytes.
pub fn body_limit(template: &str) -> usize {
    if ATTACHMENT_ROUTES.contains(&template) {
        routes::tickets::ATTACHMENT_BODY_LIMIT
    } else {
        BODY_LIMIT
    }
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
