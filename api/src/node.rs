//! A node of the billing core: the pool, migrations, the projection workers and process
//! managers, and the HTTP server over them, with a graceful stop that finishes in-flight
//! requests (bounded in time, see [`crate::http::server`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use eventstore::EventStore;
use eventstore::clock::Clock;
use eventstore::metadata::Actor;
use projections::engine::{Assignment, AssignmentError, Group};
use projections::{Progress, Projection, WorkerConfig};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub mod replicas;

use crate::http::app::router;
use crate::http::auth::throttle::{SignInConfig, Throttle};
use crate::http::server::serve;
use crate::http::state::{AppState, Inner, Tokens};

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
    /// Which projections are in which group, and which groups this node runs
    /// (`BILLING_PROJECTION_GROUPS`, `BILLING_RUN_GROUPS`, ADR 35); by default one group with
    /// every projection, run.
    pub projection_groups: Assignment,
    /// How long a query waits for `min_position`.
    pub query_wait: Duration,
    /// Where the notifier sends e-mail (it runs with the projection workers).
    pub mailer: projections::notify::Mailer,
    /// The limits on sign-ins and whether a reverse proxy's headers are believed.
    pub sign_in: SignInConfig,
    /// Where clients reach this node (`BILLING_PUBLIC_URL`, such as
    /// `https://billing.example.com`): the origin of the addresses a card gateway sends them
    /// back to. `None`: the request's own `Host`.
    pub public_url: Option<String>,
}

/// Connections of the projection workers' own pool with the default assignment (one group):
/// two for the read models' group worker (a
/// step applies them in two transactions at once; between steps it counts the backlogs on one),
/// one for each of the nine process managers (settlement, payments, invoicing, prepayment
/// invoices, merges, domain contacts, user directories, affiliate commissions and price
/// changes; each holds its connection for a whole batch) and one for LISTEN. More
/// workers than that share them: a worker waits for a connection, and retries if it waits too
/// long; while the group catches up a backlog it applies three read models at once, so a process
/// manager may wait for a connection then.
/// With other groups, see [`worker_connections`].
pub const WORKER_CONNECTIONS: u32 = 12;

/// Connections of the workers' pool of a node that runs `groups`: what each group's workers hold
/// at once ([`Group::connections`]: two per group worker of read models, one per process
/// manager), and one for LISTEN; none when it runs no worker.
pub fn worker_connections(groups: &[Group]) -> u32 {
    let held: u32 = groups.iter().map(Group::connections).sum();
    if held == 0 { 0 } else { held + 1 }
}

/// Every projection worker a node may run: the read models, then the process managers (and the
/// outboxes), in the order the engine starts them. The process managers are built over a store
/// whose pool never connects (building them does no IO): this list is for reading the names and
/// the kinds, to check and size an assignment before the database is opened.
pub fn worker_roster() -> Vec<Arc<dyn Projection>> {
    let idle = PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(sqlx::postgres::PgConnectOptions::new());
    let store = Arc::new(EventStore::new(
        idle,
        Arc::new(eventstore::clock::SystemClock),
    ));
    projections::all()
        .into_iter()
        .chain(crate::usecases::process::all(store))
        .collect()
}

/// The groups a node configured with `assignment` runs, or why the assignment is refused.
pub fn planned_groups(assignment: &Assignment) -> Result<Vec<Group>, AssignmentError> {
    assignment.select(worker_roster())
}

/// The fewest connections a node keeps for requests (and the store's group-commit writers).
pub const REQUEST_CONNECTIONS_MIN: u32 = 4;

/// How one node shares its database connections (`BILLING_DB_CONNECTIONS`, the most it ever
/// opens): the projection workers' pool takes what the groups this node runs need
/// ([`worker_connections`]; [`WORKER_CONNECTIONS`] with the default assignment), requests get the
/// rest.
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
    /// Splits `total` between requests and the workers' `workers` connections; refuses a total
    /// that leaves requests fewer than [`REQUEST_CONNECTIONS_MIN`].
    pub fn split(total: u32, workers: u32) -> Result<ConnectionBudget, String> {
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

/// Refuses a node whose connections PostgreSQL cannot hold at all: `max_connections` less the
/// slots it keeps for superusers must be at least `total` (this node's whole share). Other
/// clients are not counted against it (they come and go), but a warning says when the slots free
/// right now are fewer than the node may open.
pub async fn check_connection_room(pool: &PgPool, total: u32) -> Result<(), String> {
    let (max, reserved, used): (i32, i32, i64) = sqlx::query_as(
        "SELECT current_setting('max_connections')::int,
                current_setting('superuser_reserved_connections')::int,
                (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')",
    )
    .fetch_one(pool)
    .await
    .map_err(|error| format!("cannot read PostgreSQL's max_connections: {error}"))?;
    let room = i64::from(max) - i64::from(reserved);
    if i64::from(total) > room {
        return Err(format!(
            "this node may open {total} database connections (BILLING_DB_CONNECTIONS, with the \
             projection workers' share unless BILLING_NO_PROJECTIONS), but \
             PostgreSQL's max_connections={max} leaves {room} (less {reserved} reserved for \
             superusers): raise max_connections or lower BILLING_DB_CONNECTIONS"
        ));
    }
    // This node's own first connection is among those used.
    let free = room - used + 1;
    if i64::from(total) > free {
        tracing::warn!(
            total,
            free,
            max_connections = max,
            "PostgreSQL has {free} connection slots free now, fewer than the {total} this node may \
             open: requests may wait for connections"
        );
    }
    Ok(())
}

/// The projection workers' own pool of [`WORKER_CONNECTIONS`] over the same database as `pool`,
/// so that requests never wait for a worker's connection nor workers for a request's.
pub fn workers_pool(pool: &PgPool) -> PgPool {
    workers_pool_of(pool, WORKER_CONNECTIONS)
}

/// The projection workers' own pool of `size` connections (see [`worker_connections`]).
pub fn workers_pool_of(pool: &PgPool, size: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(size.max(1))
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(
            (*pool.connect_options())
                .clone()
                .application_name("billing-workers"),
        )
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
    /// The replicas' lag monitor (ends at once without replicas).
    monitor: JoinHandle<()>,
}

/// Starts the HTTP server and, if configured, the projection workers. The schema must be migrated.
pub async fn start(
    pool: PgPool,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
) -> std::io::Result<Running> {
    start_with_reads(
        crate::usecases::reads::Reads::primary_only(pool),
        clock,
        config,
    )
    .await
}

/// Like [`start`], with queries reading the replicas of `reads` (see [`replicas`]); commands,
/// projection workers and process managers use its primary.
pub async fn start_with_reads(
    reads: crate::usecases::reads::Reads,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
) -> std::io::Result<Running> {
    let pool = reads.primary().clone();
    let progress = Progress::default();
    let mut tokens = Tokens::default();
    tokens.add(&config.admin_token, Actor::Staff("admin".to_owned()));
    let store = Arc::new(EventStore::new(pool.clone(), clock));
    let state = AppState::new(Inner {
        core: crate::usecases::Core {
            store: Arc::clone(&store),
            pool: reads.clone(),
            progress: progress.clone(),
            query_wait: config.query_wait,
        },
        tokens,
        rules: crate::http::routes::rules(),
        metrics: crate::telemetry::metrics(),
        sign_in: Arc::new(Throttle::new(config.sign_in.clone())),
        forms: crate::http::dashboard::forms::FormSecret::derived_from(&config.admin_token),
        public_url: config.public_url.clone(),
    });
    let (stop, stopped) = watch::channel(false);
    // The groups this node runs (ADR 35); none without workers.
    let groups = if config.run_projections {
        // The process managers get the stop signal too: one waiting for a read model (whose
        // worker stops with them) gives up at once instead of waiting out its timeout.
        let workers: Vec<_> = projections::all()
            .into_iter()
            .chain(crate::usecases::process::all_stopping_on(
                store,
                stopped.clone(),
            ))
            .collect();
        config
            .projection_groups
            .select(workers)
            .map_err(|refused| std::io::Error::new(std::io::ErrorKind::InvalidInput, refused))?
    } else {
        Vec::new()
    };
    let size = worker_connections(&groups);
    let workers = (size > 0).then(|| {
        // Workers get their own small pool: a burst of requests cannot starve the read models,
        // and a long rebuild batch cannot take the connections requests need. A worker holds its
        // connection for a whole batch (a process manager while it runs commands): each group's
        // read models share one worker, whose step takes two, each process manager has its own,
        // and LISTEN takes one (worker_connections).
        tracing::info!(
            groups = %groups.iter().map(|group| group.name.as_str()).collect::<Vec<_>>().join(","),
            connections = size,
            "projection groups this node runs (BILLING_RUN_GROUPS)"
        );
        let worker_pool = workers_pool_of(&pool, size);
        let engine = projections::engine::run_groups_until_stopped(
            worker_pool,
            groups,
            WorkerConfig::default(),
            progress,
            stopped.clone(),
        );
        // The sender takes one connection at a time from the request pool rather than adding
        // one to the workers' (each test server and node stays within its connection budget).
        let sender =
            projections::notify::run_sender(pool.clone(), config.mailer.clone(), stopped.clone());
        let modules = crate::usecases::process::modules::run_sender(pool.clone(), stopped.clone());
        tokio::spawn(async move {
            tokio::join!(engine, sender, modules);
        })
    });
    let monitor = tokio::spawn(reads.clone().monitor(stopped.clone()));
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = router(state.clone()).layer(axum::middleware::from_fn_with_state(
        reads,
        replicas::route_reads,
    ));
    let (stop_http, http_stopped) = watch::channel(false);
    let http = tokio::spawn(serve(listener, app, http_stopped));
    tracing::info!(%addr, "billing API listening");
    tracing::info!(
        dashboard = %format!("http://{addr}/dashboard"),
        "staff panel: sign in as admin with the administrator token, or with a staff login"
    );
    Ok(Running {
        addr,
        state,
        stop_http,
        stop,
        http,
        workers,
        monitor,
    })
}

impl Running {
    /// The base URL, such as `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests, lets in-flight ones finish (for at most [`SHUTDOWN_GRACE`](crate::http::server::SHUTDOWN_GRACE)),
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
        let _ = self.monitor.await;
        tracing::info!("billing API stopped");
    }
}
