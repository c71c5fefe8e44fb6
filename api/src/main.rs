//! The `billing` binary: serve the API, migrate, rebuild projections, run the demo.
//! Every flag is also an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use api::cli::bench::{BenchConfig, Workload};
use api::cli::pgcluster::PrivateCluster;
use api::node::{self as server, ServerConfig};
use api::telemetry::{self, LogFormat};
use clap::{Parser, Subcommand};
use eventstore::EventStore;
use eventstore::clock::SystemClock;

#[derive(Debug, Parser)]
#[command(
    name = "billing",
    version,
    about = "Event-sourced billing core for hosting providers"
)]
struct Cli {
    /// The PostgreSQL database. Without it, a private cluster is started under --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Where the private PostgreSQL cluster lives when no DATABASE_URL is given.
    #[arg(long, env = "BILLING_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// Log format.
    #[arg(
        long,
        env = "BILLING_LOG_FORMAT",
        value_enum,
        default_value = "json",
        global = true
    )]
    log_format: LogFormat,
    /// The most database connections this process opens. `serve` gives 8 of them to the
    /// projection workers (none with --no-projections) and the rest to requests.
    #[arg(
        long,
        env = "BILLING_DB_CONNECTIONS",
        default_value_t = 32,
        global = true
    )]
    db_connections: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BILLING_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The bootstrap administrator's bearer token. Without it, one is generated and logged.
    #[arg(long, env = "BILLING_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Do not run projection workers in this process (another node runs them).
    #[arg(long, env = "BILLING_NO_PROJECTIONS")]
    no_projections: bool,
    /// Longest wait of a query for `min_position`, in milliseconds.
    #[arg(long, env = "BILLING_QUERY_WAIT_MS", default_value_t = 5000)]
    query_wait_ms: u64,
    /// Where notices are e-mailed: `smtp://[user:password@]host[:port]` (plain SMTP to a
    /// relay). Without it, notices are rendered and recorded as not configured.
    #[arg(long, env = "BILLING_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of notices.
    #[arg(long, env = "BILLING_MAIL_FROM", default_value = "billing@localhost")]
    mail_from: String,
    /// Believe X-Forwarded-For (the last address: the one the proxy appended) and
    /// X-Forwarded-Proto: only behind a reverse proxy that sets them.
    #[arg(long, env = "BILLING_TRUST_PROXY")]
    trust_proxy: bool,
    /// Failed sign-ins allowed per source address before 429 (then one more every 30 s).
    #[arg(long, env = "BILLING_SIGN_IN_FAILURES_PER_ADDRESS", default_value_t = api::http::auth::throttle::PER_ADDRESS.failures)]
    sign_in_failures_per_address: u32,
    /// Failed sign-ins allowed per login before 429 (then one more a minute).
    #[arg(long, env = "BILLING_SIGN_IN_FAILURES_PER_LOGIN", default_value_t = api::http::auth::throttle::PER_LOGIN.failures)]
    sign_in_failures_per_login: u32,
}

impl ServeArgs {
    fn sign_in(&self) -> api::http::auth::throttle::SignInConfig {
        use api::http::auth::throttle::{Limit, PER_ADDRESS, PER_LOGIN, SignInConfig};
        SignInConfig {
            trust_proxy: self.trust_proxy,
            per_address: Limit {
                failures: self.sign_in_failures_per_address,
                ..PER_ADDRESS
            },
            per_login: Limit {
                failures: self.sign_in_failures_per_login,
                ..PER_LOGIN
            },
            ..SignInConfig::default()
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API and run the projection workers.
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Read-model maintenance.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Run the billing day for a date: prolong, charge, suspend, close and delete what is due.
    /// Running it again for the same date changes nothing.
    RunBilling {
        /// The billing day, YYYY-MM-DD.
        #[arg(long)]
        as_of: chrono::NaiveDate,
        /// Services handled at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Drive load over HTTP and print throughput, latency and projection lag.
    Bench {
        /// A running server; without it, one is started in this process over the database.
        #[arg(long, env = "BILLING_BENCH_URL")]
        url: Option<String>,
        /// The bearer token for --url.
        #[arg(long, env = "BILLING_ADMIN_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// The workload.
        #[arg(long, value_enum, default_value = "payments")]
        workload: Workload,
        /// Concurrent callers.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds of measured load per run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Accounts the payments are spread over.
        #[arg(long, default_value_t = 1000)]
        accounts: usize,
        /// Commands per second (open loop); as fast as answered when absent.
        #[arg(long)]
        rate: Option<u64>,
        /// Runs; the summary gives the median.
        #[arg(long, default_value_t = 1)]
        runs: usize,
        /// Active services for the billing-day workload.
        #[arg(long, default_value_t = 10_000)]
        services: usize,
        /// Events in the deep account's history for the deep-aggregate workload.
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        /// Commands measured per side and mode for the deep-aggregate workload.
        #[arg(long, default_value_t = 2_000)]
        samples: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Send a fresh Idempotency-Key with every POST.
        #[arg(long, env = "BILLING_BENCH_IDEMPOTENCY_KEYS")]
        idempotency_keys: bool,
    },
    /// Serve with a realistic demo data set already in it.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// How many demo clients to register.
        #[arg(long, env = "BILLING_DEMO_CLIENTS", default_value_t = 200)]
        clients: usize,
        /// Instead of the command-by-command demo, write at least this many genuine events in
        /// bulk (decided by the aggregates in memory, written with COPY) and print the timing.
        #[arg(long, env = "BILLING_DEMO_EVENTS")]
        events: Option<u64>,
        /// With --events: exit once the events are written instead of serving.
        #[arg(long)]
        load_only: bool,
    },
    /// For auditors: the sealed log, its verification, the stream and the replay.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Print the latest link of the audit chain (position and hash), to export and keep.
    Head {
        /// Seal every event that can be sealed first (run the seal projection to the end).
        #[arg(long)]
        seal: bool,
    },
    /// Recompute the chain from the events; exit 1 when the log does not match its seal.
    Verify {
        /// The position of a link exported earlier (with --hash).
        #[arg(long, requires = "hash")]
        position: Option<i64>,
        /// The hash of that link.
        #[arg(long, requires = "position")]
        hash: Option<String>,
        /// Seal every event that can be sealed first.
        #[arg(long)]
        seal: bool,
    },
    /// Recompute balances, expenses and invoice totals from the raw log and compare them with
    /// the read models; exit 1 on any difference.
    Replay,
    /// Read GET /v1/audit/events over HTTP and print events per second.
    Stream {
        /// A running server; without it, one is started in this process over the database.
        #[arg(long, env = "BILLING_AUDIT_URL")]
        url: Option<String>,
        /// The bearer token for --url.
        #[arg(long, env = "BILLING_ADMIN_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Start after this position.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Keep the NDJSON in this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectionsCommand {
    /// Empty read models and rebuild them from the whole log.
    Rebuild {
        /// One projection, by its name (such as balances, services or seal); all when absent.
        name: Option<String>,
        /// Events per transaction.
        #[arg(long, default_value_t = 5000)]
        batch_size: i64,
    },
}

/// The database, and the private cluster it lives in when we started one.
struct Database {
    pool: sqlx::PgPool,
    cluster: Option<PrivateCluster>,
}

async fn open_database(cli: &Cli) -> anyhow::Result<Database> {
    open_database_with(cli, cli.db_connections).await
}

/// Opens the database with a pool of `connections`.
async fn open_database_with(cli: &Cli, connections: u32) -> anyhow::Result<Database> {
    let (url, cluster) = match &cli.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let cluster = PrivateCluster::start(&cli.data_dir, "billing")
                .await
                .context("no DATABASE_URL, and the private PostgreSQL cluster did not start")?;
            tracing::info!(
                data_dir = %cluster.data_dir().display(),
                port = cluster.port(),
                "no DATABASE_URL: using a private PostgreSQL cluster owned by this process"
            );
            (cluster.database_url(), Some(cluster))
        }
    };
    let pool = server::connect(&url, connections)
        .await
        .context("cannot connect to the database")?;
    server::migrate(&pool).await.context("migrations failed")?;
    Ok(Database { pool, cluster })
}

impl Database {
    async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster
            && let Err(error) = cluster.stop().await
        {
            tracing::warn!(%error, "private PostgreSQL cluster did not stop cleanly");
        }
    }
}

fn admin_token(args: &ServeArgs) -> String {
    args.admin_token.clone().unwrap_or_else(|| {
        let token: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(32)
            .collect();
        tracing::warn!(
            admin_token = %token,
            "no BILLING_ADMIN_TOKEN: generated an administrator token for this run"
        );
        token
    })
}

async fn serve(database: Database, args: &ServeArgs) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        admin_token: admin_token(args),
        run_projections: !args.no_projections,
        query_wait: Duration::from_millis(args.query_wait_ms),
        mailer: projections::notify::Mailer::new(args.smtp_url.as_deref(), &args.mail_from)
            .context("BILLING_SMTP_URL or BILLING_MAIL_FROM")?,
        sign_in: args.sign_in(),
    };
    let running = server::start(database.pool.clone(), Arc::new(SystemClock), config)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    running.shutdown().await;
    database.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `billing bench --workload billing-day`: the billing day in this process over a database of
/// its own making (no HTTP involved).
async fn bench_billing_day(cli: &Cli, services: usize, concurrency: usize) -> anyhow::Result<()> {
    let database = open_database(cli).await?;
    let store = Arc::new(EventStore::new(
        database.pool.clone(),
        Arc::new(SystemClock),
    ));
    let workers = ReadModelWorkers::start(&database.pool);
    let measured =
        api::cli::bench_billing::run(store, &workers.progress, services, concurrency.max(1))
            .await?;
    workers.stop().await;
    print_out(&serde_json::to_string_pretty(&measured)?);
    database.close().await;
    Ok(())
}

/// Projection workers run by a one-off command (the billing day, a bench) that needs current
/// read models and runs no server.
struct ReadModelWorkers {
    progress: projections::Progress,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ReadModelWorkers {
    fn start(pool: &sqlx::PgPool) -> Self {
        let progress = projections::Progress::default();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(projections::engine::run_until_stopped(
            pool.clone(),
            projections::all(),
            projections::WorkerConfig::default(),
            progress.clone(),
            stopped,
        ));
        Self {
            progress,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The bench's report goes to standard output, for people or for `jq`.
#[expect(clippy::print_stdout, reason = "the bench's output")]
fn print_out(text: &str) {
    println!("{text}");
}

/// `billing audit …`.
async fn audit(cli: &Cli, command: &AuditCommand) -> anyhow::Result<()> {
    let database = open_database(cli).await?;
    let pool = database.pool.clone();
    let seal = |wanted: bool| {
        let pool = pool.clone();
        async move {
            if wanted {
                projections::engine::catch_up(&pool, &projections::seal::Seal, 5000).await?;
            }
            Ok::<(), projections::ProjectionError>(())
        }
    };
    let failed = match command {
        AuditCommand::Head { seal: wanted } => {
            seal(*wanted).await?;
            let head = api::http::routes::audit::head_view(&pool)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            print_out(&serde_json::to_string_pretty(&head)?);
            false
        }
        AuditCommand::Verify {
            position,
            hash,
            seal: wanted,
        } => {
            seal(*wanted).await?;
            let anchor = api::http::routes::audit::anchor(*position, hash.as_deref())
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            let started = std::time::Instant::now();
            let verification = projections::seal::verify(&pool, anchor).await?;
            let view = api::http::routes::audit::VerificationView::from(verification);
            print_out(&serde_json::to_string_pretty(&view)?);
            tracing::info!(
                events = view.events_checked,
                seconds = started.elapsed().as_secs_f64(),
                clean = view.clean,
                "audit chain verified"
            );
            !view.clean
        }
        AuditCommand::Replay => {
            let report = projections::replay::replay(&pool).await?;
            let secs = report.elapsed.as_secs_f64().max(f64::EPSILON);
            #[expect(clippy::as_conversions, reason = "a rate for people to read")]
            let rate = report.events as f64 / secs;
            print_out(&serde_json::to_string_pretty(&report)?);
            tracing::info!(
                events = report.events,
                seconds = secs,
                events_per_second = rate.round(),
                differences = report.differences.len(),
                "replayed the log"
            );
            !report.differences.is_empty()
        }
        AuditCommand::Stream {
            url,
            token,
            after,
            out,
        } => {
            let mut running = None;
            let (url, token) = match url {
                Some(url) => (
                    url.clone(),
                    token
                        .clone()
                        .context("--url needs --token or BILLING_ADMIN_TOKEN")?,
                ),
                None => {
                    let token: String = std::iter::repeat_with(fastrand::alphanumeric)
                        .take(32)
                        .collect();
                    let server = server::start(
                        pool.clone(),
                        Arc::new(SystemClock),
                        ServerConfig {
                            listen: "127.0.0.1:0".parse()?,
                            admin_token: token.clone(),
                            run_projections: false,
                            query_wait: Duration::from_secs(30),
                            mailer: projections::notify::Mailer::none(),
                            sign_in: api::http::auth::throttle::SignInConfig::default(),
                        },
                    )
                    .await?;
                    let url = server.url();
                    running = Some(server);
                    (url, token)
                }
            };
            let report = api::cli::audit::stream(&url, &token, *after, out.as_deref()).await?;
            print_out(&serde_json::to_string_pretty(&report)?);
            if let Some(server) = running {
                server.shutdown().await;
            }
            false
        }
    };
    database.close().await;
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init_logs(cli.log_format);
    match &cli.command {
        Command::Serve(args) => {
            let budget = server::ConnectionBudget::split(cli.db_connections, !args.no_projections)
                .map_err(anyhow::Error::msg)?;
            tracing::info!(
                total = budget.total,
                requests = budget.requests,
                workers = budget.workers,
                "database connections of this node (BILLING_DB_CONNECTIONS)"
            );
            let database = open_database_with(&cli, budget.requests).await?;
            serve(database, args).await
        }
        Command::Migrate => {
            let database = open_database(&cli).await?;
            tracing::info!("migrations applied");
            database.close().await;
            Ok(())
        }
        Command::Projections {
            command: ProjectionsCommand::Rebuild { name, batch_size },
        } => {
            let database = open_database(&cli).await?;
            let selected = match name {
                None => projections::all(),
                Some(name) => vec![
                    projections::by_name(name)
                        .with_context(|| format!("no projection named {name:?}"))?,
                ],
            };
            let rebuilt =
                api::cli::rebuild::rebuild(&database.pool, &selected, *batch_size, true).await?;
            let secs = rebuilt.elapsed.as_secs_f64().max(f64::EPSILON);
            #[expect(clippy::as_conversions, reason = "a rate for people to read")]
            let rate = rebuilt.log_events as f64 / secs;
            tracing::info!(
                log_events = rebuilt.log_events,
                projections = selected.len(),
                applied = rebuilt.events,
                seconds = secs,
                log_events_per_second = rate.round(),
                "projections rebuilt"
            );
            for (projection, took) in &rebuilt.took {
                tracing::info!(projection, seconds = took.as_secs_f64(), "caught up");
            }
            database.close().await;
            Ok(())
        }
        Command::RunBilling { as_of, concurrency } => {
            let database = open_database(&cli).await?;
            let store = Arc::new(EventStore::new(
                database.pool.clone(),
                Arc::new(SystemClock),
            ));
            let workers = ReadModelWorkers::start(&database.pool);
            let context = eventstore::metadata::CommandContext::new(
                eventstore::metadata::Actor::System("billing-day".to_owned()),
            );
            let report = api::usecases::process::billing_day::run(
                &store,
                &database.pool,
                &workers.progress,
                *as_of,
                &context,
                *concurrency,
            )
            .await?;
            workers.stop().await;
            print_out(&serde_json::to_string_pretty(&report)?);
            database.close().await;
            Ok(())
        }
        Command::Bench {
            url,
            token,
            workload,
            concurrency,
            seconds,
            accounts,
            rate,
            runs,
            services,
            events,
            samples,
            json,
            idempotency_keys,
        } => {
            if *workload == Workload::BillingDay {
                return bench_billing_day(&cli, *services, *concurrency).await;
            }
            if *workload == Workload::DeepAggregate {
                let database = open_database(&cli).await?;
                let measured =
                    api::cli::bench_deep::run(database.pool.clone(), *events, *samples).await?;
                print_out(&serde_json::to_string_pretty(&measured)?);
                database.close().await;
                return Ok(());
            }
            let mut database = None;
            let mut running = None;
            let (url, token) = match url {
                Some(url) => (
                    url.clone(),
                    token
                        .clone()
                        .context("--url needs --token or BILLING_ADMIN_TOKEN")?,
                ),
                None => {
                    let opened = open_database(&cli).await?;
                    let token: String = std::iter::repeat_with(fastrand::alphanumeric)
                        .take(32)
                        .collect();
                    let server = server::start(
                        opened.pool.clone(),
                        Arc::new(SystemClock),
                        ServerConfig {
                            listen: "127.0.0.1:0".parse()?,
                            admin_token: token.clone(),
                            run_projections: true,
                            query_wait: Duration::from_secs(30),
                            mailer: projections::notify::Mailer::none(),
                            sign_in: api::http::auth::throttle::SignInConfig::default(),
                        },
                    )
                    .await?;
                    let url = server.url();
                    running = Some(server);
                    database = Some(opened);
                    (url, token)
                }
            };
            // The server's database, to refresh its statistics before measuring: the one the
            // bench started, or with `--url` the one DATABASE_URL names, if it does.
            let statistics = match (&database, &cli.database_url) {
                (Some(opened), _) => Some(opened.pool.clone()),
                (None, Some(database_url)) => Some(
                    sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect(database_url)
                        .await
                        .context("cannot connect to DATABASE_URL")?,
                ),
                (None, None) => None,
            };
            let mut reports = Vec::new();
            for _ in 0..(*runs).max(1) {
                let report = api::cli::bench::run(BenchConfig {
                    url: url.clone(),
                    token: token.clone(),
                    workload: *workload,
                    concurrency: *concurrency,
                    duration: Duration::from_secs(*seconds),
                    accounts: *accounts,
                    rate: *rate,
                    database: statistics.clone(),
                    idempotency_keys: *idempotency_keys,
                })
                .await?;
                if !*json {
                    print_out(&api::cli::bench::table(&report));
                }
                reports.push(report);
            }
            if *json {
                print_out(&serde_json::to_string_pretty(&reports)?);
            } else if reports.len() > 1 {
                print_out(&api::cli::bench::summary(&reports));
            }
            if let Some(server) = running {
                server.shutdown().await;
            }
            if let Some(database) = database {
                database.close().await;
            }
            Ok(())
        }
        Command::Audit { command } => audit(&cli, command).await,
        Command::Demo {
            serve: args,
            events: Some(events),
            load_only,
            ..
        } => {
            let database = open_database(&cli).await?;
            let loaded = api::cli::bulk::load(&database.pool, *events, 2026).await?;
            print_out(&serde_json::to_string_pretty(&loaded)?);
            if *load_only {
                database.close().await;
                return Ok(());
            }
            serve(database, args).await
        }
        Command::Demo {
            serve: args,
            clients,
            ..
        } => {
            let database = open_database(&cli).await?;
            let store = EventStore::new(database.pool.clone(), Arc::new(SystemClock));
            let seeded = api::cli::demo::seed(&store, *clients, 2026).await?;
            tracing::info!(
                providers = seeded.providers,
                clients = seeded.clients,
                payments = seeded.payments,
                tariffs = seeded.tariffs,
                services = seeded.services,
                companies = seeded.companies,
                invoices = seeded.invoices,
                "demo data set ready"
            );
            serve(database, args).await
        }
    }
}
