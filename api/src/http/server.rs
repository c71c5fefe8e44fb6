//! Starting and stopping the server: the pool, migrations, projection workers and the HTTP
//! listener, with a graceful shutdown that finishes in-flight requests.
//!
//! Every wait of the HTTP side is bounded, so that a stop takes seconds whatever the clients do:
//! a request's headers must arrive within [`HEADER_READ_TIMEOUT`], its body may pause at most
//! [`BODY_STALL_TIMEOUT`] between two pieces (then the handler reading it gets 408), and a stop
//! waits [`SHUTDOWN_GRACE`] for the requests in flight before it drops the connections left.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use eventstore::EventStore;
use eventstore::clock::Clock;
use eventstore::metadata::Actor;
use projections::{Progress, WorkerConfig};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::http::app::router;
use crate::http::auth::throttle::{SignInConfig, Throttle};
use crate::http::state::{AppState, Inner, Tokens};

/// How long a client may take to send a request's headers; then the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request body may pause between two pieces; then reading it fails and the handler
/// answers 408. Measured per piece, not for the whole body, so a large upload over a slow line
/// still arrives.
pub const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stop waits for the requests in flight before it drops their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// How long a stop waits for the projection workers to finish their batch before it abandons
/// them. An abandoned batch rolls back and is applied again at the next start, as after a crash.
pub const WORKERS_GRACE: Duration = Duration::from_millis(1500);

/// What the server needs to run.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The bootstrap administrator's bearer token.
    pub admin_token: String,
    /// Whether this process runs projection workers (any number of nodes may; one works at a time
    /// per projection).
    pub run_projections: bool,
    /// How long a query waits for `min_position`.
    pub query_wait: Duration,
    /// Where the notifier sends e-mail (it runs with the projection workers).
    pub mailer: projections::notify::Mailer,
    /// The limits on sign-ins and whether a reverse proxy's headers are believed.
    pub sign_in: SignInConfig,
}

/// Connections of the projection workers' own pool: one for the read models' group worker, one
/// for each of the five process managers (settlement, payments, invoicing, prepayment invoices
/// and merges; each holds its connection for a whole batch), one for
/// LISTEN and one for the backlog counts. More workers than that share them (a worker waits for
/// a connection, and retries if it waits too long).
pub const WORKER_CONNECTIONS: u32 = 8;

/// The fewest connections a node keeps for requests (and the store's group-commit writers).
pub const REQUEST_CONNECTIONS_MIN: u32 = 4;

/// How one node shares its database connections (`BILLING_DB_CONNECTIONS`, the most it ever
/// opens): the projection workers' pool takes [`WORKER_CONNECTIONS`] when this node runs them,
/// requests get the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionBudget {
    /// The most connections this node opens.
    pub total: u32,
    /// The request pool's size.
    pub requests: u32,
    /// The workers' pool's size (zero on a node without workers).
    pub workers: u32,
}

impl ConnectionBudget {
    /// Splits `total` between requests and (if `run_projections`) the workers; refuses a total
    /// that leaves requests fewer than [`REQUEST_CONNECTIONS_MIN`].
    pub fn split(total: u32, run_projections: bool) -> Result<ConnectionBudget, String> {
        let workers = if run_projections {
            WORKER_CONNECTIONS
        } else {
            0
        };
        let requests = total.saturating_sub(workers);
        if requests < REQUEST_CONNECTIONS_MIN {
            return Err(format!(
                "BILLING_DB_CONNECTIONS={total} is too few: a node needs at least {} ({workers} \
                 for the projection workers, {REQUEST_CONNECTIONS_MIN} for requests)",
                workers + REQUEST_CONNECTIONS_MIN
            ));
        }
        Ok(ConnectionBudget {
            total,
            requests,
            workers,
        })
    }
}

/// Opens a pool to `url`. Connection attempts are bounded so that a database that is down makes
/// requests fail fast with 503 rather than hang.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    // Named, so that an operator counting connections in pg_stat_activity sees whose they are.
    let options = url
        .parse::<sqlx::postgres::PgConnectOptions>()?
        .application_name("billing");
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

/// Applies the schema migrations.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    eventstore::MIGRATOR.run(pool).await
}

/// A running server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The application state (tests reach the store and pool through it).
    pub state: AppState,
    stop_http: watch::Sender<bool>,
    stop: watch::Sender<bool>,
    http: JoinHandle<()>,
    workers: Option<JoinHandle<()>>,
}

/// Starts the HTTP server and, if configured, the projection workers. The schema must be migrated.
pub async fn start(
    pool: PgPool,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
) -> std::io::Result<Running> {
    let progress = Progress::default();
    let mut tokens = Tokens::default();
    tokens.add(&config.admin_token, Actor::Staff("admin".to_owned()));
    let store = Arc::new(EventStore::new(pool.clone(), clock));
    let state = AppState::new(Inner {
        core: crate::usecases::Core {
            store: Arc::clone(&store),
            pool: pool.clone(),
            progress: progress.clone(),
            query_wait: config.query_wait,
        },
        tokens,
        rules: crate::http::routes::rules(),
        metrics: crate::telemetry::metrics(),
        sign_in: Arc::new(Throttle::new(config.sign_in.clone())),
    });
    let (stop, stopped) = watch::channel(false);
    let workers = config.run_projections.then(|| {
        // Workers get their own small pool: a burst of requests cannot starve the read models,
        // and a long rebuild batch cannot take the connections requests need.
        // The process managers get the stop signal too: one waiting for a read model (whose
        // worker stops with them) gives up at once instead of waiting out its timeout.
        let workers: Vec<_> = projections::all()
            .into_iter()
            .chain(crate::usecases::process::all_stopping_on(
                store,
                stopped.clone(),
            ))
            .collect();
        // A worker holds its connection for a whole batch (a process manager while it runs
        // commands): the read models share one worker, each process manager has its own, and
        // LISTEN and the backlog counts take one each (WORKER_CONNECTIONS).
        let needed = workers.iter().filter(|worker| worker.runs_alone()).count() + 3;
        if needed > usize::try_from(WORKER_CONNECTIONS).unwrap_or(usize::MAX) {
            tracing::warn!(
                needed,
                pool = WORKER_CONNECTIONS,
                "more projection workers than worker connections: some wait for others"
            );
        }
        let worker_pool = PgPoolOptions::new()
            .max_connections(WORKER_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(
                (*pool.connect_options())
                    .clone()
                    .application_name("billing-workers"),
            );
        let engine = projections::engine::run_until_stopped(
            worker_pool,
            workers,
            WorkerConfig::default(),
            progress,
            stopped.clone(),
        );
        // The sender takes one connection at a time from the request pool rather than adding
        // one to the workers' (each test server and node stays within its connection budget).
        let sender =
            projections::notify::run_sender(pool.clone(), config.mailer.clone(), stopped.clone());
        tokio::spawn(async move {
            tokio::join!(engine, sender);
        })
    });
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = router(state.clone());
    let (stop_http, http_stopped) = watch::channel(false);
    let http = tokio::spawn(serve(listener, app, http_stopped));
    tracing::info!(%addr, "billing API listening");
    Ok(Running {
        addr,
        state,
        stop_http,
        stop,
        http,
        workers,
    })
}

impl Running {
    /// The base URL, such as `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets in-flight ones finish (for at most [`SHUTDOWN_GRACE`]),
    /// then stops the workers (waiting at most [`WORKERS_GRACE`] for them). The workers run until
    /// the requests are done, so that a request waiting for `min_position` still gets there.
    pub async fn shutdown(self) {
        let _ = self.stop_http.send(true);
        if let Err(error) = self.http.await {
            tracing::warn!(%error, "HTTP server task failed");
        }
        let _ = self.stop.send(true);
        if let Some(mut workers) = self.workers
            && tokio::time::timeout(WORKERS_GRACE, &mut workers)
                .await
                .is_err()
        {
            tracing::warn!("projection workers still busy after the grace period; abandoning them");
            // Dropping the engine's future aborts its workers; their transactions roll back.
            workers.abort();
            let _ = workers.await;
        }
        tracing::info!("billing API stopped");
    }
}

/// Accepts connections until `stop` turns true, then gives the requests in flight
/// [`SHUTDOWN_GRACE`] to finish and drops whatever connection is still open.
async fn serve(listener: TcpListener, app: axum::Router, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, app.clone(), stop.clone()));
                }
                Err(error) => {
                    // Out of file descriptors, typically: wait a little rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = async { drop(stop.wait_for(|stopped| *stopped).await) } => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace_ms = SHUTDOWN_GRACE.as_millis(),
            "requests still in flight after the grace period; dropping their connections"
        );
        connections.shutdown().await;
    }
}

/// Serves one HTTP/1 connection; on `stop` it finishes the request in flight and closes.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
        let mut request = request.map(|body| {
            axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
                BODY_STALL_TIMEOUT,
                body,
            ))
        });
        // The peer's address is the source of a sign-in when no trusted proxy names another.
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        tower::ServiceExt::oneshot(app.clone(), request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = async { drop(stop.wait_for(|stopped| *stopped).await) } => {
            connection.as_mut().graceful_shutdown();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error while stopping");
            }
        }
    }
}
