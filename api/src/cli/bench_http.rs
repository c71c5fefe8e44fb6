//! `billing bench` over HTTP: a load generator. It sets up a provider and clients, drives a
//! workload with N concurrent callers (closed loop, or open loop at a fixed rate so that latency
//! is measured from the intended send time and a slow server cannot hide its queueing), samples
//! the projection lag as a client sees it (time from a command's answer until a query with
//! `min_position` returns), and prints a table or JSON.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// Payments spread over many accounts.
    Payments,
    /// Every payment on one account.
    HotAccount,
    /// Payments, balance reads and client registrations, 6:3:1.
    Mixed,
    /// The billing day over `--services` active services (in process, not over HTTP).
    BillingDay,
    /// A command on an account with `--events` events against one on a fresh account, with the
    /// state cache on and off (in process, not over HTTP).
    DeepAggregate,
    /// The live workers catching up every read model from the start of the log against the
    /// rebuild, on the database's own log (in process, not over HTTP; `--runs` times).
    CatchUp,
    /// In one run: PostgreSQL's command-shaped ceiling, a command-only node and a whole node
    /// (each a `billing serve` child over a scratch database) under the payments workload, the
    /// whole node's lag, catch-up and memory, the auditor's replay, the ratios and the targets
    /// (exit 1 when the replay finds a difference).
    Compare,
    /// Usage ingestion: batches of 1,000 records from `--concurrency` callers over `--accounts`
    /// services (at most 100), records stored per second.
    Usage,
}

/// The bench's settings.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The server's base URL.
    pub url: String,
    /// A bearer token with full rights.
    pub token: String,
    /// The workload.
    pub workload: Workload,
    /// Concurrent callers.
    pub concurrency: usize,
    /// How long to drive load, after the warm-up.
    pub duration: Duration,
    /// Load driven before the measured window ([`default_warmup`] unless told).
    pub warmup: Duration,
    /// Accounts for the spread workloads.
    pub accounts: usize,
    /// Commands per second in open-loop mode; `None` for closed loop (as fast as answered).
    pub rate: Option<u64>,
    /// The server's database, when the bench can reach it: the bench refreshes its statistics
    /// (`ANALYZE`) after the set-up and after the warm-up, as autovacuum would on a running one.
    pub database: Option<sqlx::PgPool>,
    /// Send a fresh `Idempotency-Key` with every POST, to measure what keeping answers costs.
    pub idempotency_keys: bool,
    /// Sample the projection lag (off for a node without projection workers, whose read
    /// models never move).
    pub sample_lag: bool,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// What a bench run measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The workload.
    pub workload: Workload,
    /// Concurrent callers.
    pub concurrency: usize,
    /// Target rate, if open loop.
    pub rate: Option<u64>,
    /// Seconds measured.
    pub seconds: f64,
    /// Requests answered with 2xx.
    pub ok: u64,
    /// Requests answered otherwise or not at all.
    pub errors: u64,
    /// Successful requests per second.
    pub throughput_per_s: f64,
    /// Request latency.
    pub latency: Percentiles,
    /// Projection lag samples taken.
    pub lag_samples: u64,
    /// Time from a command's answer until its effect is readable.
    pub projection_lag: Percentiles,
    /// For the hot-account workload: the balance read back equals the sum of acknowledged
    /// payments (none lost, none doubled).
    pub hot_account_exact: Option<bool>,
    /// When the last caller had its last answer: the load stopped.
    #[serde(skip)]
    pub load_stopped: Option<Instant>,
}

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An HTTP call of the set-up failed.
    #[error("set-up failed: {0}")]
    Setup(String),
}

fn setup_error(error: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(error.to_string())
}

struct Shared {
    config: BenchConfig,
    http: reqwest::Client,
    provider: String,
    clients: Vec<String>,
    latency: Mutex<Histogram<u64>>,
    ok: AtomicU64,
    errors: AtomicU64,
    last_position: AtomicU64,
    paid_cents: AtomicU64,
    /// The measured window, set when the warm-up (and the statistics refresh after it) is over;
    /// requests before it are not counted.
    window: std::sync::OnceLock<(Instant, Instant)>,
}

impl Shared {
    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(format!("{}{path}", self.config.url))
            .bearer_auth(&self.config.token)
            .json(body);
        if self.config.idempotency_keys {
            request.header("idempotency-key", Uuid::now_v7().to_string())
        } else {
            request
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.config.url))
            .bearer_auth(&self.config.token)
    }
}

async fn post_json(shared: &Shared, path: &str, body: Value) -> Result<Value, BenchError> {
    let response = shared.post(path, &body).send().await.map_err(setup_error)?;
    let status = response.status();
    let value: Value = response.json().await.map_err(setup_error)?;
    if !status.is_success() {
        return Err(BenchError::Setup(format!("{path}: {status} {value}")));
    }
    Ok(value)
}

async fn register(shared: &Shared, provider: &str, n: usize) -> Result<String, BenchError> {
    let client = post_json(
        shared,
        "/v1/clients",
        json!({
            "provider_id": provider,
            "name": format!("Bench Client {n}"),
            "email": format!("bench{n}@example.com"),
            "kind": "company",
            "country": "DE",
        }),
    )
    .await?;
    client["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| BenchError::Setup(format!("no client id in {client}")))
}

/// Runs the bench against a running server.
pub async fn run(config: BenchConfig) -> Result<BenchReport, BenchError> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(config.concurrency * 2)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(setup_error)?;
    let mut shared = Shared {
        config: config.clone(),
        http,
        provider: String::new(),
        clients: Vec::new(),
        latency: Mutex::new(histogram()?),
        ok: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        last_position: AtomicU64::new(0),
        paid_cents: AtomicU64::new(0),
        window: std::sync::OnceLock::new(),
    };
    let provider = post_json(
        &shared,
        "/v1/providers",
        json!({"name": "Bench Hosting", "currency": "EUR"}),
    )
    .await?;
    let provider = provider["id"]
        .as_str()
        .ok_or_else(|| BenchError::Setup(format!("no provider id in {provider}")))?
        .to_owned();
    let accounts = match config.workload {
        Workload::HotAccount => 1,
        _ => config.accounts.max(1),
    };
    let mut registered = Vec::with_capacity(accounts);
    for chunk in (0..accounts).collect::<Vec<_>>().chunks(32) {
        let calls = chunk.iter().map(|n| register(&shared, &provider, *n));
        for id in futures::future::join_all(calls).await {
            registered.push(id?);
        }
    }
    shared.clients = registered;
    shared.provider = provider;
    refresh_statistics(config.database.as_ref()).await;
    let shared = Arc::new(shared);

    let warmup = config.warmup;
    let mut tasks = Vec::new();
    for worker in 0..config.concurrency {
        let shared = Arc::clone(&shared);
        tasks.push(tokio::spawn(async move {
            drive(shared, worker).await;
        }));
    }
    let sampler = config.sample_lag.then(|| {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move { sample_lag(shared).await })
    });
    tokio::time::sleep(warmup).await;
    refresh_statistics(config.database.as_ref()).await;
    let measure_from = Instant::now();
    let _ = shared
        .window
        .set((measure_from, measure_from + config.duration));
    for task in tasks {
        let _ = task.await;
    }
    let load_stopped = Instant::now();
    let seconds = config.duration.as_secs_f64();
    let lag = match sampler {
        Some(sampler) => sampler.await.ok().flatten(),
        None => None,
    };
    let lag = match lag {
        Some(lag) => lag,
        None => histogram()?,
    };

    let hot_account_exact = if config.workload == Workload::HotAccount {
        Some(check_hot_account(&shared).await?)
    } else {
        None
    };
    let ok = shared.ok.load(Ordering::Relaxed);
    let latency = shared.latency.lock().await;
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let throughput_per_s = ok as f64 / seconds.max(f64::EPSILON);
    Ok(BenchReport {
        workload: config.workload,
        concurrency: config.concurrency,
        rate: config.rate,
        seconds,
        ok,
        errors: shared.errors.load(Ordering::Relaxed),
        throughput_per_s,
        latency: percentiles(&latency),
        lag_samples: lag.len(),
        projection_lag: percentiles(&lag),
        hot_account_exact,
        load_stopped: Some(load_stopped),
    })
}

/// The shortest warm-up: long enough for the tables to grow to a size whose plans hold for the
/// run (see `refresh_statistics`).
pub const MIN_WARMUP: Duration = Duration::from_secs(5);

/// The warm-up before a measured window of `duration`: a tenth of it, at least [`MIN_WARMUP`].
pub fn default_warmup(duration: Duration) -> Duration {
    (duration / 10).max(MIN_WARMUP)
}

/// Runs `ANALYZE` on the server's database, after the set-up and again after the warm-up.
///
/// A bench starts from an empty database whose tables then grow by thousands of rows a second.
/// PostgreSQL keeps each connection's generic plan of a prepared statement until the tables'
/// statistics change, and autovacuum first analyzes a new database up to a minute later: until
/// then the statements run on plans made for empty tables (a hash join over all of
/// `command_keys` for each append, measured at 2.3 times the cost per command). A database that
/// has been running has statistics; this gives the bench's database theirs, as autovacuum would.
/// A refresh that fails is logged: the bench then measures with the plans it has.
async fn refresh_statistics(database: Option<&sqlx::PgPool>) {
    if let Some(database) = database
        && let Err(error) = sqlx::query("ANALYZE").execute(database).await
    {
        tracing::warn!(%error, "could not refresh the database's statistics");
    }
}

fn histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, 120_000_000, 3).map_err(setup_error)
}

fn percentiles(h: &Histogram<u64>) -> Percentiles {
    #[expect(clippy::as_conversions, reason = "microseconds shown as milliseconds")]
    let ms = |us: u64| us as f64 / 1000.0;
    if h.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        p50_ms: ms(h.value_at_quantile(0.50)),
        p95_ms: ms(h.value_at_quantile(0.95)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

/// One caller: requests until the measured window ends, counting those inside it.
async fn drive(shared: Arc<Shared>, worker: usize) {
    let mut rng = fastrand::Rng::with_seed(u64::try_from(worker).unwrap_or(0));
    // Open loop: this worker's share of the rate, on a fixed schedule.
    let interval = shared.config.rate.map(|rate| {
        let per_worker = (rate / u64::try_from(shared.config.concurrency).unwrap_or(1)).max(1);
        Duration::from_secs_f64(1.0 / f64::from(u32::try_from(per_worker).unwrap_or(u32::MAX)))
    });
    let mut next = Instant::now() + Duration::from_micros(rng.u64(0..1000));
    let mut scheduled_from_window = false;
    let mut local = histogram().ok();
    loop {
        let window = shared.window.get().copied();
        if window.is_some_and(|(_, end)| Instant::now() >= end) {
            break;
        }
        // The schedule starts again with the window: sends the warm-up fell behind on are
        // dropped, not fired at once into the measurement.
        if let Some((from, _)) = window
            && !scheduled_from_window
        {
            scheduled_from_window = true;
            next = next.max(from);
        }
        let intended = match interval {
            Some(interval) => {
                tokio::time::sleep_until(next.into()).await;
                let at = next;
                next += interval;
                at
            }
            None => Instant::now(),
        };
        let succeeded = one_request(&shared, &mut rng).await;
        let done = Instant::now();
        let Some((from, end)) = shared.window.get().copied() else {
            continue;
        };
        if intended < from || done > end {
            continue;
        }
        if succeeded {
            shared.ok.fetch_add(1, Ordering::Relaxed);
            let micros = u64::try_from((done - intended).as_micros()).unwrap_or(u64::MAX);
            if let Some(h) = local.as_mut() {
                let _ = h.record(micros.max(1));
            }
        } else {
            shared.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    if let Some(h) = local {
        let _ = shared.latency.lock().await.add(h);
    }
}

async fn one_request(shared: &Shared, rng: &mut fastrand::Rng) -> bool {
    let client = &shared.clients[rng.usize(0..shared.clients.len())];
    let kind = match shared.config.workload {
        Workload::Mixed => rng.u8(0..10),
        _ => 0,
    };
    let response = match kind {
        0..=5 => {
            let cents = rng.u64(100..10_000);
            let body = json!({
                "payment_id": Uuid::now_v7(),
                "amount": format!("{}.{:02}", cents / 100, cents % 100),
                "currency": "EUR",
                "method": "card",
            });
            let sent = shared
                .post(&format!("/v1/clients/{client}/payments"), &body)
                .send()
                .await;
            if let Ok(response) = &sent
                && response.status().is_success()
            {
                shared.paid_cents.fetch_add(cents, Ordering::Relaxed);
            }
            sent
        }
        6..=8 => {
            shared
                .get(&format!("/v1/clients/{client}/balance"))
                .send()
                .await
        }
        _ => {
            let n = rng.u64(..);
            shared
                .post(
                    "/v1/clients",
                    &json!({"provider_id": shared.provider, "name": format!("Mixed {n}"),
                            "email": format!("m{n}@example.com"), "kind": "individual", "country": "FR"}),
                )
                .send()
                .await
        }
    };
    match response {
        Ok(response) => {
            let success = response.status().is_success();
            if let Ok(body) = response.json::<Value>().await
                && let Some(position) = body.get("position").and_then(Value::as_u64)
            {
                shared.last_position.fetch_max(position, Ordering::Relaxed);
            }
            success
        }
        Err(_) => false,
    }
}

/// How many lag samplers run at once, each on a client of its own. One sampler gave about 45
/// samples in 10 s, so its "p99" was the single slowest read; four give about 300.
const LAG_SAMPLERS: usize = 4;

/// [`LAG_SAMPLERS`] samplers at once: each, every 25 ms, notes the newest acknowledged position
/// and how long until a read of its client's balance with `min_position` returns.
async fn sample_lag(shared: Arc<Shared>) -> Option<Histogram<u64>> {
    let end = loop {
        if let Some(&(_, end)) = shared.window.get() {
            break end;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let clients: Vec<_> = shared.clients.iter().take(LAG_SAMPLERS).cloned().collect();
    let samplers = clients
        .into_iter()
        .map(|client| sample_lag_of(&shared, client, end));
    let mut lag = histogram().ok()?;
    for sampled in futures::future::join_all(samplers).await {
        lag.add(sampled?).ok()?;
    }
    Some(lag)
}

/// One lag sampler, reading `client`'s balance until `end`.
async fn sample_lag_of(shared: &Shared, client: String, end: Instant) -> Option<Histogram<u64>> {
    let mut lag = histogram().ok()?;
    while Instant::now() < end {
        let position = shared.last_position.load(Ordering::Relaxed);
        if position > 0 {
            let asked = Instant::now();
            let answered = shared
                .get(&format!(
                    "/v1/clients/{client}/balance?min_position={position}"
                ))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if answered {
                let micros = u64::try_from(asked.elapsed().as_micros()).unwrap_or(u64::MAX);
                let _ = lag.record(micros.max(1));
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Some(lag)
}

async fn check_hot_account(shared: &Shared) -> Result<bool, BenchError> {
    let client = shared
        .clients
        .first()
        .ok_or_else(|| BenchError::Setup("no client".to_owned()))?;
    let position = shared.last_position.load(Ordering::Relaxed);
    let balance: Value = shared
        .get(&format!(
            "/v1/clients/{client}/balance?min_position={position}"
        ))
        .send()
        .await
        .map_err(setup_error)?
        .json()
        .await
        .map_err(setup_error)?;
    let cents = shared.paid_cents.load(Ordering::Relaxed);
    let expected = format!("{}.{:02}", cents / 100, cents % 100);
    Ok(balance["accounts"][0]["balance"] == expected)
}

/// The report as a table for people.
pub fn table(report: &BenchReport) -> String {
    let mode = report.rate.map_or_else(
        || "closed loop".to_owned(),
        |r| format!("open loop at {r}/s"),
    );
    let mut out = format!(
        "workload {:?}, {} callers, {mode}, {:.1} s measured\n",
        report.workload, report.concurrency, report.seconds
    );
    out.push_str(&format!(
        "{:<22} {:>12}\n{:<22} {:>12}\n{:<22} {:>12.0}\n",
        "ok", report.ok, "errors", report.errors, "throughput /s", report.throughput_per_s
    ));
    for (name, p) in [
        ("latency", report.latency),
        ("projection lag", report.projection_lag),
    ] {
        out.push_str(&format!(
            "{name:<22} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms\n",
            p.p50_ms, p.p95_ms, p.p99_ms, p.max_ms
        ));
    }
    if let Some(exact) = report.hot_account_exact {
        out.push_str(&format!("hot account balance exact: {exact}\n"));
    }
    out
}

/// The median of several runs: throughput, latency p99 and projection lag p99.
pub fn summary(reports: &[BenchReport]) -> String {
    fn median(mut values: Vec<f64>) -> f64 {
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or_default()
    }
    format!(
        "median of {} runs: throughput {:.0}/s, latency p50 {:.2} ms p99 {:.2} ms, projection lag p99 {:.2} ms, errors {}",
        reports.len(),
        median(reports.iter().map(|r| r.throughput_per_s).collect()),
        median(reports.iter().map(|r| r.latency.p50_ms).collect()),
        median(reports.iter().map(|r| r.latency.p99_ms).collect()),
        median(reports.iter().map(|r| r.projection_lag.p99_ms).collect()),
        reports.iter().map(|r| r.errors).sum::<u64>(),
    )
}
