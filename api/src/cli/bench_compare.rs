//! `billing bench --workload compare`: the whole node against its own command path and against
//! PostgreSQL's ceiling, in one run, so that anyone can re-run the comparison of issue 16.
//!
//! Each run measures, one after the other on the same machine:
//! 1. the ceiling: command-shaped transactions per second of raw PostgreSQL
//!    ([`bench_ceiling`], the SQL of `pg-ceiling.sh` (b));
//! 2. a command-only node: `billing serve` with `BILLING_NO_PROJECTIONS=true`, a child of this
//!    process over a fresh scratch database, under the payments workload of
//!    [`bench_http`];
//! 3. a whole node (every read model, process manager and the notifier) the same way, with the
//!    projection lag a client sees, the time from the load stopping until every read model's
//!    checkpoint reaches the log's head, and the child's peak RSS (`VmHWM`);
//! 4. the auditor's replay over the whole node's database.
//!
//! For both nodes it also reads the CPU each payment cost the node and its database backends
//! ([`CpuSample`]): on a machine where other work runs, the throughputs move with it, the CPU per
//! payment hardly does, and their ratio is what the throughputs' ratio would be on a quiet one.
//!
//! It prints each figure, the ratios (whole to command-only, each to the ceiling) and whether
//! each target of the issue is met; with `--runs N`, every run's table and then the medians
//! (of each figure, and of each run's ratios). The scratch databases live on the server of
//! `DATABASE_URL` (or the private cluster) and are dropped at the end, also on error or
//! Ctrl-C; the child nodes are killed when the bench ends, however it ends.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use sqlx::Connection;

use crate::cli::args::{BenchArgs, Cli};
use crate::cli::bench_ceiling::{self, CEILING_CLIENTS};
use crate::cli::bench_costs::{ReadModelCost, cost_table, read_model_costs};
use crate::cli::bench_cpu::{self, CpuSample};
use crate::cli::bench_http::{self, BenchConfig, BenchReport, Workload, default_warmup};
use crate::cli::database::print_out;
use crate::cli::pgcluster::PrivateCluster;

/// The targets of issue 16.
const WHOLE_TO_COMMAND_ONLY_MIN: f64 = 0.8;
const LAG_P99_MS_MAX: f64 = 250.0;
const CAUGHT_UP_S_MAX: f64 = 1.0;
const WHOLE_RSS_MB_MAX: f64 = 300.0;

/// How long the bench waits for the read models to reach the head before it gives up on them.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(60);

/// How long a child node may take to answer its health check.
const START_LIMIT: Duration = Duration::from_secs(120);

/// The figures of one run, or the medians of several.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Command-shaped transactions per second of raw PostgreSQL ([`CEILING_CLIENTS`] clients).
    pub ceiling_per_s: f64,
    /// Payments per second of the node without projection workers.
    pub command_only_per_s: f64,
    /// Its request latency, 99th percentile.
    pub command_only_latency_p99_ms: f64,
    /// Its requests that failed (summed over runs).
    pub command_only_errors: u64,
    /// Its peak resident memory (`VmHWM`), in MB of 10^6 bytes.
    pub command_only_peak_rss_mb: Option<f64>,
    /// Payments per second of the whole node.
    pub whole_per_s: f64,
    /// Its request latency, 99th percentile.
    pub whole_latency_p99_ms: f64,
    /// Its requests that failed (summed over runs).
    pub whole_errors: u64,
    /// Its peak resident memory (`VmHWM`), in MB of 10^6 bytes.
    pub whole_peak_rss_mb: Option<f64>,
    /// From a command's answer until a read with its `min_position` returns, 99th percentile.
    pub whole_projection_lag_p99_ms: f64,
    /// Lag samples taken (four samplers, each every 25 ms of the measured window).
    pub whole_lag_samples: u64,
    /// From the load stopping (the last caller's last answer) until every read model's
    /// checkpoint reached the log's head then; absent when not within a minute. Polled every
    /// 5 ms, so at most that much late.
    pub whole_caught_up_s: Option<f64>,
    /// CPU per payment of the command-only node and its database backends, in µs: from the node
    /// being up to the load stopping, over every payment made then (warm-up included, with the
    /// accounts' set-up).
    pub command_only_cpu_us_per_payment: Option<f64>,
    /// The same for the whole node, until its read models caught up.
    pub whole_cpu_us_per_payment: Option<f64>,
    /// Of these, the part of the database backends (the rest is the node's own).
    pub command_only_database_cpu_us_per_payment: Option<f64>,
    /// The same for the whole node.
    pub whole_database_cpu_us_per_payment: Option<f64>,
    /// Events the auditor's replay read from the whole node's log.
    pub replay_events: u64,
    /// Differences it found between the log and the read models (summed over runs).
    pub replay_differences: u64,
    /// Whole node to command-only node.
    pub whole_to_command_only: f64,
    /// Command-only node to the ceiling.
    pub command_only_to_ceiling: f64,
    /// Whole node to the ceiling.
    pub whole_to_ceiling: f64,
}

/// One target of issue 16 and whether the figures meet it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is asked.
    pub target: &'static str,
    /// What was measured.
    pub measured: String,
    /// Whether it is met.
    pub pass: bool,
}

/// One run: its figures, the two nodes' full reports and the replay's first differences.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRun {
    /// The figures.
    pub figures: Figures,
    /// The targets, on this run's figures.
    pub targets: Vec<Target>,
    /// The command-only node's load report.
    pub command_only: BenchReport,
    /// The whole node's load report.
    pub whole: BenchReport,
    /// The replay's first differences (at most ten), if any.
    pub replay_differences_first: Vec<projections::replay::Difference>,
    /// Where the whole node's read side spent its work, per read model, most first.
    pub read_model_costs: Vec<ReadModelCost>,
    /// The scratch databases this run created (all dropped).
    pub databases: Vec<String>,
}

/// What `billing bench --workload compare` measured.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// Concurrent callers of each node.
    pub concurrency: usize,
    /// Accounts the payments go to.
    pub accounts: usize,
    /// Measured seconds per side (and for the ceiling).
    pub seconds: u64,
    /// Warm-up seconds per node.
    pub warmup_seconds: f64,
    /// Database connections of each node (`BILLING_DB_CONNECTIONS`).
    pub db_connections: u32,
    /// Every run.
    pub runs: Vec<CompareRun>,
    /// The medians of the figures (and of each run's ratios); errors and differences summed.
    pub median: Figures,
    /// The targets, on the medians.
    pub targets: Vec<Target>,
}

/// `billing bench --workload compare`. Exits 1 when the replay found a difference.
pub async fn command(cli: &Cli, args: &BenchArgs) -> anyhow::Result<()> {
    let (admin_url, cluster) = match &cli.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let cluster = PrivateCluster::start(&cli.data_dir, "billing")
                .await
                .context("no DATABASE_URL, and the private PostgreSQL cluster did not start")?;
            (cluster.database_url(), Some(cluster))
        }
    };
    let mut scratch = Scratch {
        admin_url,
        live: Vec::new(),
    };
    let outcome = tokio::select! {
        outcome = compare(&mut scratch, cli, args) => outcome,
        () = interrupted() => Err(anyhow::anyhow!("interrupted")),
    };
    // The children are gone with the future above (kill_on_drop); their databases go now.
    scratch.drop_all().await;
    if let Some(cluster) = cluster
        && let Err(error) = cluster.stop().await
    {
        tracing::warn!(%error, "private PostgreSQL cluster did not stop cleanly");
    }
    let report = outcome?;
    if args.json {
        print_out(&serde_json::to_string_pretty(&report)?);
    }
    if report.median.replay_differences > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so that the bench still drops its databases. (A SIGKILL
/// leaves the nodes running and their databases behind: nothing can clean up after it.)
async fn interrupted() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn compare(
    scratch: &mut Scratch,
    cli: &Cli,
    args: &BenchArgs,
) -> anyhow::Result<CompareReport> {
    let seconds = Duration::from_secs(args.seconds.max(1));
    let warmup = args
        .warmup_seconds
        .map_or_else(|| default_warmup(seconds), Duration::from_secs);
    let exe = std::env::current_exe().context("cannot find this program to start the nodes")?;
    let runs = args.runs.max(1);
    let mut done = Vec::with_capacity(runs);
    for number in 1..=runs {
        let mut databases = Vec::new();

        tracing::info!(run = number, "ceiling: command-shaped transactions");
        let (name, url) = scratch.create("ceiling").await?;
        databases.push(name.clone());
        let ceiling_per_s = bench_ceiling::command_shaped(&url, seconds)
            .await
            .context("the ceiling's transactions failed")?;
        scratch.drop(&name).await?;

        let side = Side {
            exe: &exe,
            connections: cli.db_connections,
            seconds,
            warmup,
            args,
        };
        tracing::info!(run = number, "command-only node");
        let command_only = side.measure(scratch, false).await?;
        databases.push(command_only.database.clone());
        tracing::info!(run = number, "whole node");
        let whole = side.measure(scratch, true).await?;
        databases.push(whole.database.clone());

        let figures = figures_of(ceiling_per_s, &command_only, &whole);
        let run = CompareRun {
            targets: targets(&figures),
            figures,
            command_only: command_only.report,
            whole: whole.report,
            replay_differences_first: whole.differences_first,
            read_model_costs: whole.costs,
            databases,
        };
        if !args.json {
            print_out(&table(
                &format!("run {number} of {runs}"),
                args,
                warmup,
                &run.figures,
                &run.targets,
            ));
            print_out(&cost_table(
                &run.read_model_costs,
                run.figures.replay_events,
            ));
        }
        done.push(run);
    }
    let median = median_of(&done.iter().map(|r| r.figures.clone()).collect::<Vec<_>>());
    let targets = targets(&median);
    if !args.json && runs > 1 {
        print_out(&table(
            &format!("median of {runs} runs (ratios: median of each run's)"),
            args,
            warmup,
            &median,
            &targets,
        ));
    }
    Ok(CompareReport {
        concurrency: args.concurrency,
        accounts: args.accounts,
        seconds: seconds.as_secs(),
        warmup_seconds: warmup.as_secs_f64(),
        db_connections: cli.db_connections,
        runs: done,
        median,
        targets,
    })
}

/// How each node is started and loaded.
struct Side<'a> {
    exe: &'a Path,
    connections: u32,
    seconds: Duration,
    warmup: Duration,
    args: &'a BenchArgs,
}

/// What one node's side measured.
struct Measured {
    database: String,
    report: BenchReport,
    peak_rss_mb: Option<f64>,
    caught_up: Option<Duration>,
    replay_events: u64,
    replay_differences: u64,
    differences_first: Vec<projections::replay::Difference>,
    costs: Vec<ReadModelCost>,
    /// CPU per payment in µs: the node's and its database's.
    cpu_us_per_payment: Option<(f64, f64)>,
}

impl Side<'_> {
    /// Starts a node over a fresh scratch database, drives the payments workload, and (for a
    /// whole node) waits for the read models and replays the log; drops the database.
    async fn measure(&self, scratch: &mut Scratch, whole: bool) -> anyhow::Result<Measured> {
        let (name, url) = scratch
            .create(if whole { "whole" } else { "command" })
            .await?;
        let node = Node::start(self.exe, &name, &url, whole, self.connections).await?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .context("cannot connect to the scratch database")?;
        let cpu_before = CpuSample::take(&pool, &name, node.pid()).await;
        let report = bench_http::run(BenchConfig {
            url: node.url.clone(),
            token: node.token.clone(),
            workload: Workload::Payments,
            concurrency: self.args.concurrency,
            duration: self.seconds,
            warmup: self.warmup,
            accounts: self.args.accounts,
            rate: self.args.rate,
            database: Some(pool.clone()),
            idempotency_keys: self.args.idempotency_keys,
            sample_lag: whole,
        })
        .await?;
        let caught_up = if whole {
            caught_up(&pool, report.load_stopped.unwrap_or_else(Instant::now)).await?
        } else {
            None
        };
        let cpu_after = CpuSample::take(&pool, &name, node.pid()).await;
        let cpu_us_per_payment = bench_cpu::per_payment(&pool, cpu_before, cpu_after).await;
        let peak_rss_mb = node.peak_rss_mb();
        let costs = if whole {
            read_model_costs(&node.url, &node.token, &pool).await
        } else {
            Vec::new()
        };
        node.stop().await;
        let (replay_events, replay_differences, differences_first) = if whole {
            let replay = projections::replay::replay(&pool)
                .await
                .context("the auditor's replay failed")?;
            (
                replay.events,
                u64::try_from(replay.differences.len()).unwrap_or(u64::MAX),
                replay.differences.into_iter().take(10).collect(),
            )
        } else {
            (0, 0, Vec::new())
        };
        pool.close().await;
        scratch.drop(&name).await?;
        Ok(Measured {
            database: name,
            report,
            peak_rss_mb,
            caught_up,
            replay_events,
            replay_differences,
            differences_first,
            costs,
            cpu_us_per_payment,
        })
    }
}

/// Waits until every read model's checkpoint has reached the log's head (as it stands when
/// called, after the load): how long after `since` that was, or `None` after [`CATCH_UP_LIMIT`].
async fn caught_up(pool: &sqlx::PgPool, since: Instant) -> anyhow::Result<Option<Duration>> {
    let head = eventstore::log::head_position(pool).await?;
    let head = eventstore::log::log_position_of(pool, head)
        .await?
        .unwrap_or_default();
    let names: Vec<&'static str> = projections::all().iter().map(|p| p.name()).collect();
    loop {
        let checkpoints = projections::engine::checkpoints(pool).await?;
        let behind = names
            .iter()
            .filter(|name| checkpoints.get(**name).is_none_or(|c| c.at < head))
            .count();
        if behind == 0 {
            return Ok(Some(since.elapsed()));
        }
        if since.elapsed() > CATCH_UP_LIMIT {
            tracing::warn!(
                behind,
                "read models still behind the head a minute after the load"
            );
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A `billing serve` child of this process, killed when dropped.
struct Node {
    child: tokio::process::Child,
    url: String,
    token: String,
    log: PathBuf,
}

impl Node {
    /// Starts `billing serve` over `database_url` on a free loopback port, its output in a log
    /// file, and waits until it answers its health check.
    async fn start(
        exe: &Path,
        name: &str,
        database_url: &str,
        projections: bool,
        connections: u32,
    ) -> anyhow::Result<Node> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("no free port for a node")?
            .port();
        let token: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(32)
            .collect();
        let log = std::env::temp_dir().join(format!("{name}.log"));
        let out = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        let mut command = tokio::process::Command::new(exe);
        command
            .args(["serve", "--log-format", "text"])
            .env("DATABASE_URL", database_url)
            .env("BILLING_LISTEN", format!("127.0.0.1:{port}"))
            .env("BILLING_ADMIN_TOKEN", &token)
            .env("BILLING_DB_CONNECTIONS", connections.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        if projections {
            command.env_remove("BILLING_NO_PROJECTIONS");
        } else {
            command.env("BILLING_NO_PROJECTIONS", "true");
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {} serve", exe.display()))?;
        let mut node = Node {
            child,
            url: format!("http://127.0.0.1:{port}"),
            token,
            log,
        };
        node.wait_healthy().await?;
        Ok(node)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < START_LIMIT {
            if let Ok(response) = http.get(format!("{}/v1/health", self.url)).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "the node exited with {status} before answering; its log ({}) ends:\n{}",
                    self.log.display(),
                    log_tail(&self.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!(
            "the node did not answer its health check in {} s; its log ({}) ends:\n{}",
            START_LIMIT.as_secs(),
            self.log.display(),
            log_tail(&self.log)
        )
    }

    /// The child's process id, while it runs.
    fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The child's peak resident memory (`VmHWM` of /proc/<pid>/status), in MB of 10^6 bytes.
    fn peak_rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        #[expect(clippy::as_conversions, reason = "a size for people to read")]
        let mb = (kib * 1024) as f64 / 1e6;
        Some(mb)
    }

    /// Kills the node (its database is dropped next: nothing of it needs a clean stop) and
    /// removes its log.
    async fn stop(mut self) {
        if let Err(error) = self.child.kill().await {
            tracing::warn!(%error, "could not kill a bench node");
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let start = text
        .char_indices()
        .rev()
        .nth(3000)
        .map_or(0, |(index, _)| index);
    text[start..].to_owned()
}

/// The scratch databases of a bench, on the server of `admin_url`; [`Scratch::drop_all`]
/// drops those still there.
struct Scratch {
    admin_url: String,
    live: Vec<String>,
}

impl Scratch {
    /// Creates an empty database; its name and URL.
    async fn create(&mut self, role: &str) -> anyhow::Result<(String, String)> {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let name = format!("billing_bench_{role}_{}", &id[id.len() - 12..]);
        let mut admin = sqlx::PgConnection::connect(&self.admin_url)
            .await
            .context("cannot connect to the database server to create a scratch database")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot create the scratch database {name}"))?;
        let _ = admin.close().await;
        self.live.push(name.clone());
        let url = with_database(&self.admin_url, &name);
        Ok((name, url))
    }

    /// Drops one database (and ends whatever still holds it).
    async fn drop(&mut self, name: &str) -> anyhow::Result<()> {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("cannot drop the scratch database {name}"))?;
        let _ = admin.close().await;
        self.live.retain(|live| live != name);
        Ok(())
    }

    async fn drop_all(&mut self) {
        for name in self.live.clone() {
            if let Err(error) = self.drop(&name).await {
                tracing::warn!(%error, database = %name, "a scratch database is left behind");
            }
        }
    }
}

/// `url` with its database replaced by `name` (its query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_from = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_from..].find('/') {
        Some(slash) => &base[..authority_from + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

fn ratio(over: f64, under: f64) -> f64 {
    if under > 0.0 { over / under } else { 0.0 }
}

fn figures_of(ceiling_per_s: f64, command_only: &Measured, whole: &Measured) -> Figures {
    let (c, w) = (&command_only.report, &whole.report);
    Figures {
        ceiling_per_s,
        command_only_per_s: c.throughput_per_s,
        command_only_latency_p99_ms: c.latency.p99_ms,
        command_only_errors: c.errors,
        command_only_peak_rss_mb: command_only.peak_rss_mb,
        whole_per_s: w.throughput_per_s,
        whole_latency_p99_ms: w.latency.p99_ms,
        whole_errors: w.errors,
        whole_peak_rss_mb: whole.peak_rss_mb,
        whole_projection_lag_p99_ms: w.projection_lag.p99_ms,
        whole_lag_samples: w.lag_samples,
        whole_caught_up_s: whole.caught_up.map(|d| d.as_secs_f64()),
        command_only_cpu_us_per_payment: command_only.cpu_us_per_payment.map(|(n, d)| n + d),
        whole_cpu_us_per_payment: whole.cpu_us_per_payment.map(|(n, d)| n + d),
        command_only_database_cpu_us_per_payment: command_only.cpu_us_per_payment.map(|(_, d)| d),
        whole_database_cpu_us_per_payment: whole.cpu_us_per_payment.map(|(_, d)| d),
        replay_events: whole.replay_events,
        replay_differences: whole.replay_differences,
        whole_to_command_only: ratio(w.throughput_per_s, c.throughput_per_s),
        command_only_to_ceiling: ratio(c.throughput_per_s, ceiling_per_s),
        whole_to_ceiling: ratio(w.throughput_per_s, ceiling_per_s),
    }
}

/// The median of each figure; an absent value (a node that never caught up) counts as
/// infinitely bad. Errors and replay differences are summed.
fn median_of(runs: &[Figures]) -> Figures {
    fn median(mut values: Vec<f64>) -> f64 {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or_default()
    }
    let of = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
    let of_optional = |f: fn(&Figures) -> Option<f64>| {
        let m = median(runs.iter().map(|r| f(r).unwrap_or(f64::INFINITY)).collect());
        m.is_finite().then_some(m)
    };
    #[expect(clippy::as_conversions, reason = "counts far below 2^53")]
    let replay_events = of(|r| r.replay_events as f64) as u64;
    #[expect(clippy::as_conversions, reason = "counts far below 2^53")]
    let whole_lag_samples = of(|r| r.whole_lag_samples as f64) as u64;
    Figures {
        ceiling_per_s: of(|r| r.ceiling_per_s),
        command_only_per_s: of(|r| r.command_only_per_s),
        command_only_latency_p99_ms: of(|r| r.command_only_latency_p99_ms),
        command_only_errors: runs.iter().map(|r| r.command_only_errors).sum(),
        command_only_peak_rss_mb: of_optional(|r| r.command_only_peak_rss_mb),
        whole_per_s: of(|r| r.whole_per_s),
        whole_latency_p99_ms: of(|r| r.whole_latency_p99_ms),
        whole_errors: runs.iter().map(|r| r.whole_errors).sum(),
        whole_peak_rss_mb: of_optional(|r| r.whole_peak_rss_mb),
        whole_projection_lag_p99_ms: of(|r| r.whole_projection_lag_p99_ms),
        whole_lag_samples,
        whole_caught_up_s: of_optional(|r| r.whole_caught_up_s),
        command_only_cpu_us_per_payment: of_optional(|r| r.command_only_cpu_us_per_payment),
        whole_cpu_us_per_payment: of_optional(|r| r.whole_cpu_us_per_payment),
        command_only_database_cpu_us_per_payment: of_optional(|r| {
            r.command_only_database_cpu_us_per_payment
        }),
        whole_database_cpu_us_per_payment: of_optional(|r| r.whole_database_cpu_us_per_payment),
        replay_events,
        replay_differences: runs.iter().map(|r| r.replay_differences).sum(),
        whole_to_command_only: of(|r| r.whole_to_command_only),
        command_only_to_ceiling: of(|r| r.command_only_to_ceiling),
        whole_to_ceiling: of(|r| r.whole_to_ceiling),
    }
}

fn targets(f: &Figures) -> Vec<Target> {
    let optional = |value: Option<f64>, unit: &str| {
        value.map_or_else(|| "none".to_owned(), |v| format!("{v:.2} {unit}"))
    };
    vec![
        Target {
            target: "whole node >= 0.8x the command-only node",
            measured: format!("{:.2}x", f.whole_to_command_only),
            pass: f.whole_to_command_only >= WHOLE_TO_COMMAND_ONLY_MIN,
        },
        Target {
            target: "projection lag p99 <= 250 ms",
            measured: format!("{:.1} ms", f.whole_projection_lag_p99_ms),
            pass: f.whole_lag_samples > 0 && f.whole_projection_lag_p99_ms <= LAG_P99_MS_MAX,
        },
        Target {
            target: "read models caught up <= 1 s after the load",
            measured: optional(f.whole_caught_up_s, "s"),
            pass: f.whole_caught_up_s.is_some_and(|s| s <= CAUGHT_UP_S_MAX),
        },
        Target {
            target: "whole node peak RSS < 300 MB",
            measured: optional(f.whole_peak_rss_mb, "MB"),
            pass: f.whole_peak_rss_mb.is_some_and(|mb| mb < WHOLE_RSS_MB_MAX),
        },
        Target {
            target: "auditor's replay: 0 differences",
            measured: format!(
                "{} differences in {} events",
                f.replay_differences, f.replay_events
            ),
            pass: f.replay_differences == 0 && f.replay_events > 0,
        },
    ]
}

/// The figures, ratios and targets as a table for people.
fn table(
    title: &str,
    args: &BenchArgs,
    warmup: Duration,
    f: &Figures,
    targets: &[Target],
) -> String {
    let mb = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
    let mut out = format!(
        "billing bench --workload compare, {title}: payments to {} accounts, {} callers, {} s \
         measured after {:.0} s of warm-up per node\n",
        args.accounts,
        args.concurrency,
        args.seconds,
        warmup.as_secs_f64()
    );
    out.push_str(&format!(
        "{:<44} {:>10} {:>12} {:>8} {:>12}\n",
        "", "per s", "p99 ms", "errors", "peak RSS MB"
    ));
    out.push_str(&format!(
        "{:<44} {:>10.0}\n",
        format!("ceiling: command-shaped tx ({CEILING_CLIENTS} clients)"),
        f.ceiling_per_s
    ));
    out.push_str(&format!(
        "{:<44} {:>10.0} {:>12.1} {:>8} {:>12}\n",
        "command-only node (BILLING_NO_PROJECTIONS)",
        f.command_only_per_s,
        f.command_only_latency_p99_ms,
        f.command_only_errors,
        mb(f.command_only_peak_rss_mb)
    ));
    out.push_str(&format!(
        "{:<44} {:>10.0} {:>12.1} {:>8} {:>12}\n",
        "whole node",
        f.whole_per_s,
        f.whole_latency_p99_ms,
        f.whole_errors,
        mb(f.whole_peak_rss_mb)
    ));
    out.push_str(&format!(
        "ratios: whole / command-only {:.2}x, command-only / ceiling {:.2}x, whole / ceiling {:.2}x\n",
        f.whole_to_command_only, f.command_only_to_ceiling, f.whole_to_ceiling
    ));
    out.push_str(&format!(
        "whole node: projection lag p99 {:.1} ms ({} samples), read models caught up {} after the load\n",
        f.whole_projection_lag_p99_ms,
        f.whole_lag_samples,
        f.whole_caught_up_s
            .map_or_else(|| "not within 60 s".to_owned(), |s| format!("{s:.3} s")),
    ));
    if let (Some(c), Some(w), Some(cd), Some(wd)) = (
        f.command_only_cpu_us_per_payment,
        f.whole_cpu_us_per_payment,
        f.command_only_database_cpu_us_per_payment,
        f.whole_database_cpu_us_per_payment,
    ) {
        out.push_str(&bench_cpu::line((c, cd), (w, wd)));
    }
    out.push_str("targets (issue 16):\n");
    for target in targets {
        out.push_str(&format!(
            "  {:<46} {:>32}  {}\n",
            target.target,
            target.measured,
            if target.pass { "pass" } else { "FAIL" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn a_scratch_url_names_the_scratch_database_on_the_same_server() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/billing", "s"),
            "postgres://postgres@127.0.0.1:5432/s"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/db?sslmode=disable", "s"),
            "postgres://u:p@h:1/s?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "s"), "postgres://h/s");
    }
}
