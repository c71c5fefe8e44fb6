//! Starting and stopping the server: the pool, migrations, projection workers and the HTTP
//! listener, with a graceful shutdown that finishes in-flight requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use eventstore::EventStore;
use eventstore::clock::Clock;
use eventstore::metadata::Actor;
use projections::{Progress, WorkerConfig};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{AppState, Inner, Tokens, router};

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
}

/// Connections of the projection workers' own pool beyond one per worker: one for LISTEN and
/// one for the backlog queries.
const WORKER_SPARE_CONNECTIONS: u32 = 2;

/// Opens a pool to `url`. Connection attempts are bounded so that a database that is down makes
/// requests fail fast with 503 rather than hang.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
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
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
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
        store: Arc::clone(&store),
        pool: pool.clone(),
        progress: progress.clone(),
        tokens,
        metrics: crate::telemetry::metrics(),
        query_wait: config.query_wait,
    });
    let (stop, stopped) = watch::channel(false);
    let workers = config.run_projections.then(|| {
        // Workers get their own small pool: a burst of requests cannot starve the read models,
        // and a long rebuild batch cannot take the connections requests need.
        let workers: Vec<_> = projections::all()
            .into_iter()
            .chain(projections::process::all(store))
            .collect();
        // A worker holds its connection for a whole batch (a process manager while it runs
        // commands), so each gets one: none waits for another's.
        let worker_pool = PgPoolOptions::new()
            .max_connections(
                u32::try_from(workers.len()).unwrap_or(u32::MAX) + WORKER_SPARE_CONNECTIONS,
            )
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with((*pool.connect_options()).clone());
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
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = router(state.clone());
    let mut shutdown = stopped;
    let http = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|stopped| *stopped).await;
            })
            .await
    });
    tracing::info!(%addr, "billing API listening");
    Ok(Running {
        addr,
        state,
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

    /// Stops accepting requests, lets in-flight ones finish, and stops the workers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        match self.http.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "HTTP server ended with an error"),
            Err(error) => tracing::warn!(%error, "HTTP server task failed"),
        }
        if let Some(workers) = self.workers {
            let _ = workers.await;
        }
        tracing::info!("billing API stopped");
    }
}
