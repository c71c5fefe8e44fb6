//! A node's read replicas (`BILLING_REPLICA_URLS`): their pools, and the HTTP layer that sends
//! each query (GET or HEAD) to a usable replica, or to the primary (see
//! [`crate::usecases::reads`]). Commands (every other method) read and write the primary.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::usecases::reads::{LagBound, Reads};

/// Opens a lazy pool of `max_connections` to each replica URL (a replica down at start is
/// skipped until it answers). Each replica's name in logs and metrics is its host and port.
pub fn open(
    primary: PgPool,
    urls: &[String],
    max_connections: u32,
    bound: LagBound,
) -> Result<Reads, sqlx::Error> {
    let mut replicas = Vec::with_capacity(urls.len());
    for url in urls {
        let options = url
            .parse::<PgConnectOptions>()?
            .application_name("billing-reads");
        let name = format!("{}:{}", options.get_host(), options.get_port());
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            // A replica that is down must not hold a query long: the primary answers instead.
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy_with(options);
        replicas.push((name, pool));
    }
    if !replicas.is_empty() {
        tracing::info!(
            replicas = replicas.len(),
            max_lag_ms = u64::try_from(bound.time.as_millis()).unwrap_or(u64::MAX),
            max_lag_events = bound.events,
            "queries read {} replica(s) while they keep within the lag bound",
            replicas.len()
        );
    }
    Ok(Reads::with_replicas(primary, replicas, bound))
}

/// Runs a query on the replica [`Reads::choose`] picks. Should it fail, it runs again on the
/// primary (a query changes nothing, so running it twice is harmless): after a 500 always (a
/// standby refuses anything that writes), after a 503 when the replica does not answer, which
/// is then skipped.
pub async fn route_reads(State(reads): State<Reads>, request: Request, next: Next) -> Response {
    if !reads.has_replicas() || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let index = reads.choose();
    if index == 0 {
        return reads.scope(0, next.run(request)).await;
    }
    let (parts, body) = request.into_parts();
    let again = parts.clone();
    let response = reads
        .scope(index, next.clone().run(Request::from_parts(parts, body)))
        .await;
    let status = response.status();
    let internal = status == axum::http::StatusCode::INTERNAL_SERVER_ERROR;
    if internal || (status.is_server_error() && !reads.answers(index).await) {
        if internal {
            tracing::warn!(path = %again.uri.path(), "a query failed on a replica; the primary answers it");
        } else {
            reads.skip(index, "a query failed and it does not answer");
        }
        return reads
            .scope(
                0,
                next.run(Request::from_parts(again, axum::body::Body::empty())),
            )
            .await;
    }
    response
}
