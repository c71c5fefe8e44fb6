//! The `billing` binary's command line: every flag is also an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cli::bench_http::Workload;
use crate::telemetry::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "billing",
    version,
    about = "Event-sourced billing core for hosting providers"
)]
pub struct Cli {
    /// The PostgreSQL database. Without it, a private cluster is started under --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Where the private PostgreSQL cluster lives when no DATABASE_URL is given.
    #[arg(long, env = "BILLING_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Log format.
    #[arg(
        long,
        env = "BILLING_LOG_FORMAT",
        value_enum,
        default_value = "json",
        global = true
    )]
    pub log_format: LogFormat,
    /// The most database connections this process opens. `serve` gives 8 of them to the
    /// projection workers (none with --no-projections) and the rest to requests.
    #[arg(
        long,
        env = "BILLING_DB_CONNECTIONS",
        default_value_t = 32,
        global = true
    )]
    pub db_connections: u32,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BILLING_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The bootstrap administrator's bearer token. Without it, one is generated and logged.
    #[arg(long, env = "BILLING_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Do not run projection workers in this process (another node runs them).
    #[arg(long, env = "BILLING_NO_PROJECTIONS")]
    pub no_projections: bool,
    /// Named groups of projections, `name=projection,projection;name=…` (`*`: every projection
    /// not named in another group). Every projection must be in exactly one group (ADR 35).
    #[arg(long, env = "BILLING_PROJECTION_GROUPS", default_value = projections::engine::DEFAULT_GROUPS)]
    pub projection_groups: String,
    /// The projection groups this node runs: `all`, `none`, or group names separated by commas.
    #[arg(long, env = "BILLING_RUN_GROUPS", default_value = "all")]
    pub run_groups: String,
    /// Longest wait of a query for `min_position`, in milliseconds.
    #[arg(long, env = "BILLING_QUERY_WAIT_MS", default_value_t = 5000)]
    pub query_wait_ms: u64,
    /// Where notices are e-mailed: `smtp://[user:password@]host[:port]` (plain SMTP to a
    /// relay). Without it, notices are rendered and recorded as not configured.
    #[arg(long, env = "BILLING_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of notices.
    #[arg(long, env = "BILLING_MAIL_FROM", default_value = "billing@localhost")]
    pub mail_from: String,
    /// The public base URL of the panels, for links in e-mail (password reset links), such as
    /// `https://billing.example.com`; `http://127.0.0.1:<listen port>` by default. Also the
    /// origin of the address a card gateway sends a client back to (without it, the request's
    /// `Host`).
    #[arg(long, env = "BILLING_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Believe X-Forwarded-For (the last address: the one the proxy appended) and
    /// X-Forwarded-Proto: only behind a reverse proxy that sets them.
    #[arg(long, env = "BILLING_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Failed sign-ins allowed per source address before 429 (then one more every 30 s).
    #[arg(long, env = "BILLING_SIGN_IN_FAILURES_PER_ADDRESS", default_value_t = crate::http::auth::throttle::PER_ADDRESS.failures)]
    pub sign_in_failures_per_address: u32,
    /// Failed sign-ins allowed per login before 429 (then one more a minute).
    #[arg(long, env = "BILLING_SIGN_IN_FAILURES_PER_LOGIN", default_value_t = crate::http::auth::throttle::PER_LOGIN.failures)]
    pub sign_in_failures_per_login: u32,
    /// Hot standbys queries read (comma-separated PostgreSQL URLs): commands, projection workers
    /// and process managers use DATABASE_URL. Each gets a pool as large as the requests' own.
    #[arg(
        long,
        env = "BILLING_REPLICA_URLS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub replica_urls: Vec<String>,
    /// A replica lagging longer than this (milliseconds) is skipped: the primary answers.
    #[arg(long, env = "BILLING_REPLICA_MAX_LAG_MS", default_value_t = 2000)]
    pub replica_max_lag_ms: u64,
    /// A replica lagging by more events than this is skipped: the primary answers.
    #[arg(long, env = "BILLING_REPLICA_MAX_LAG_EVENTS", default_value_t = 10_000)]
    pub replica_max_lag_events: i64,
}

impl ServeArgs {
    pub fn sign_in(&self) -> crate::http::auth::throttle::SignInConfig {
        use crate::http::auth::throttle::{Limit, PER_ADDRESS, PER_LOGIN, SignInConfig};
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
pub enum Command {
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
    RunBilling(RunBillingArgs),
    /// Drive load over HTTP and print throughput, latency and projection lag.
    Bench(BenchArgs),
    /// Serve with a realistic demo data set already in it.
    Demo(DemoArgs),
    /// Import a bundle from another billing system (WHMCS, BILLmanager, …): a JSON file or a
    /// directory of CSV files (docs/import.md). Importing it again writes nothing.
    Import(ImportArgs),
    /// For auditors: the sealed log, its verification, the stream and the replay.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load an auditor's NDJSON export of the log (`billing audit stream --out FILE`) into an
    /// empty database, checking the chain while loading, then rebuild every read model.
    Restore(RestoreArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// The export: one event per line, in safe order, as `GET /v1/audit/events` gives it.
    pub file: std::path::PathBuf,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
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
pub enum ProjectionsCommand {
    /// Empty read models and rebuild them from the whole log.
    Rebuild {
        /// One projection, by its name (such as balances, services or seal); all when absent.
        name: Option<String>,
        /// Events per transaction.
        #[arg(long, default_value_t = 5000)]
        batch_size: i64,
        /// Read models applying a batch at once; twice the cores when absent. With 1, each read
        /// model's time applying in the printed costs is its own, not shared with the others.
        #[arg(long)]
        parallel: Option<usize>,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The bundle: a JSON file, or a directory of CSV files.
    pub file: std::path::PathBuf,
    /// The source system (whmcs, billmanager, …); required for CSV, replaces a JSON bundle's.
    #[arg(long, env = "BILLING_IMPORT_SOURCE")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunBillingArgs {
    /// The billing day, YYYY-MM-DD.
    #[arg(long)]
    pub as_of: chrono::NaiveDate,
    /// Batches of 500 services handled at once (1 to 4; more counts as 4).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// A running server; without it, one is started in this process over the database.
    #[arg(long, env = "BILLING_BENCH_URL")]
    pub url: Option<String>,
    /// The bearer token for --url.
    #[arg(long, env = "BILLING_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The workload.
    #[arg(long, value_enum, default_value = "payments")]
    pub workload: Workload,
    /// Concurrent callers.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seconds of measured load per run (with --workload compare: per side and per run).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of load before the measured window; a tenth of --seconds, at least 5, when
    /// absent.
    #[arg(long)]
    pub warmup_seconds: Option<u64>,
    /// Accounts the payments are spread over.
    #[arg(long, default_value_t = 1000)]
    pub accounts: usize,
    /// Commands per second (open loop); as fast as answered when absent.
    #[arg(long)]
    pub rate: Option<u64>,
    /// Runs; the summary gives the median (with --workload compare: of every figure, and of
    /// each run's ratios).
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Active services for the billing-day workload.
    #[arg(long, default_value_t = 10_000)]
    pub services: usize,
    /// Events in the deep account's history for the deep-aggregate workload.
    #[arg(long, default_value_t = 100_000)]
    pub events: usize,
    /// Commands measured per side and mode for the deep-aggregate workload.
    #[arg(long, default_value_t = 2_000)]
    pub samples: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Send a fresh Idempotency-Key with every POST.
    #[arg(long, env = "BILLING_BENCH_IDEMPOTENCY_KEYS")]
    pub idempotency_keys: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// How many demo clients to register.
    #[arg(long, env = "BILLING_DEMO_CLIENTS", default_value_t = 200)]
    pub clients: usize,
    /// Instead of the command-by-command demo, write at least this many genuine events in
    /// bulk (decided by the aggregates in memory, written with COPY) and print the timing.
    #[arg(long, env = "BILLING_DEMO_EVENTS")]
    pub events: Option<u64>,
    /// With --events: exit once the events are written instead of serving.
    #[arg(long)]
    pub load_only: bool,
}
