//! `billing bench --workload usage`: usage ingestion over HTTP (issue 20.3). Sets up a provider,
//! a client, a tariff and `--accounts` services (at most 100), then `--concurrency` callers each
//! send batches of 1,000 fresh usage records (`POST /v1/usage`) for `--seconds` after a warm-up;
//! prints the records stored per second, and the CPU seconds per 1,000 records spent by this
//! process (server and HTTP client, without the generator's share, measured apart) and by the
//! PostgreSQL backends of its database: figures a busy shared machine moves less than the rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cli::bench_cpu::{CpuSample, seconds_of, thread_ticks};

/// Records per batch: the most a batch may carry.
const BATCH: usize = 1_000;

/// What the bench measured.
#[derive(Debug, Clone, Serialize)]
pub struct UsageBench {
    /// Concurrent callers.
    pub callers: usize,
    /// Services the records are spread over.
    pub services: usize,
    /// Seconds measured.
    pub seconds: f64,
    /// Batches acknowledged in the window.
    pub batches: u64,
    /// Records acknowledged (and stored: all are fresh) in the window.
    pub records: u64,
    /// Records per second.
    pub records_per_second: f64,
    /// Batches refused or failed.
    pub errors: u64,
    /// CPU seconds per 1,000 records in the window: this process's (the server and the HTTP
    /// client) without the generator's. Absent when the server runs elsewhere (`--url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds_per_1000_records_node: Option<f64>,
    /// CPU seconds per 1,000 records of the generator alone (building the batches' JSON),
    /// measured on its own threads and taken out of the node's.
    pub cpu_seconds_per_1000_records_generator: f64,
    /// CPU seconds per 1,000 records of the PostgreSQL backends of the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_seconds_per_1000_records_database: Option<f64>,
}

/// A batch of `BATCH` fresh records as JSON text, written directly: the generator shares the
/// machine (and, in-process, the CPU figures) with the server it measures, so it stays cheap.
fn batch_body(prefix: &str, caller: usize, sequence: &mut u64, ids: &[String]) -> String {
    use std::fmt::Write as _;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut body = String::with_capacity(BATCH * 160);
    body.push_str(r#"{"records":["#);
    for n in 0..BATCH {
        *sequence += 1;
        if n > 0 {
            body.push(',');
        }
        let metric = if n % 2 == 0 {
            "traffic_gb"
        } else {
            "cpu_hours"
        };
        // Writing to a String cannot fail.
        let _ = write!(
            body,
            r#"{{"id":"{prefix}-{n}","service_id":"{}","metric":"{metric}","quantity":"{}.{}","at":"{at}"}}"#,
            ids[(caller + n) % ids.len()],
            *sequence % 100,
            n % 10,
        );
    }
    body.push_str("]}");
    body
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let response = http.post(url).bearer_auth(token).json(body).send().await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{url}: {status} {answer}");
    }
    Ok(answer)
}

/// Posts a JSON text already written.
async fn post_text(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: String,
) -> anyhow::Result<Value> {
    let response = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{url}: {status} {answer}");
    }
    Ok(answer)
}

fn id_of(answer: &Value) -> anyhow::Result<String> {
    answer["id"]
        .as_str()
        .map(str::to_owned)
        .context("an answer without an id")
}

/// Where the CPU figures come from: the server's process (this one, when it runs the server)
/// and its database, whose backends are sampled.
pub struct CpuSources {
    /// The server's process id, when the server runs in this process.
    pub node: Option<u32>,
    /// The server's database.
    pub database: Option<sqlx::PgPool>,
}

/// Runs the workload against the server at `url`.
pub async fn run(
    url: &str,
    token: &str,
    (callers, services): (usize, usize),
    duration: Duration,
    warmup: Duration,
    cpu: CpuSources,
) -> anyhow::Result<UsageBench> {
    let http = reqwest::Client::new();
    let provider = id_of(
        &post(
            &http,
            &format!("{url}/v1/providers"),
            token,
            &json!({"name": "Usage Bench", "currency": "EUR"}),
        )
        .await?,
    )?;
    let client = id_of(
        &post(
            &http,
            &format!("{url}/v1/clients"),
            token,
            &json!({
            "provider_id": provider, "name": "Usage Bench", "email": "usage.bench@example.com",
            "kind": "individual", "country": "DE"}),
        )
        .await?,
    )?;
    let tariff = id_of(
        &post(
            &http,
            &format!("{url}/v1/tariffs"),
            token,
            &json!({
            "provider_id": provider, "name": "VDS Metered", "item_type": "vds",
            "prices": [{"period": "P1M", "price": {"amount": "1.00", "currency": "EUR"}}]}),
        )
        .await?,
    )?;
    post(
        &http,
        &format!("{url}/v1/clients/{client}/payments"),
        token,
        &json!({"payment_id": Uuid::now_v7(), "amount": "1000.00", "currency": "EUR",
                "method": "bank_transfer"}),
    )
    .await?;
    let services = services.clamp(1, 100);
    let mut ids = Vec::with_capacity(services);
    for _ in 0..services {
        ids.push(id_of(
            &post(
                &http,
                &format!("{url}/v1/clients/{client}/services"),
                token,
                &json!({"tariff_id": tariff, "period": "P1M", "addons": []}),
            )
            .await?,
        )?);
    }
    let ids = Arc::new(ids);
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (batches, records, errors, generator_ticks) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let mut tasks = Vec::new();
    for caller in 0..callers.max(1) {
        let (http, url, token, ids) = (
            http.clone(),
            format!("{url}/v1/usage"),
            token.to_owned(),
            ids.clone(),
        );
        let (measuring, stop) = (measuring.clone(), stop.clone());
        let (batches, records, errors, generator_ticks) = (
            batches.clone(),
            records.clone(),
            errors.clone(),
            generator_ticks.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut sequence = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                let prefix = Uuid::now_v7().simple().to_string();
                // No await between the two samples: the task stays on its thread.
                let before = thread_ticks();
                let body = batch_body(&prefix, caller, &mut sequence, &ids);
                if let (Some(before), Some(after), true) =
                    (before, thread_ticks(), measuring.load(Ordering::Relaxed))
                {
                    generator_ticks.fetch_add(after.saturating_sub(before), Ordering::Relaxed);
                }
                let sent = post_text(&http, &url, &token, body).await;
                let counted = measuring.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed);
                match sent {
                    Ok(answer) if counted => {
                        batches.fetch_add(1, Ordering::Relaxed);
                        records
                            .fetch_add(answer["stored"].as_u64().unwrap_or(0), Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(%error, "a usage batch failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(warmup).await;
    let database_name: Option<String> = match &cpu.database {
        Some(pool) => sqlx::query_scalar("SELECT current_database()")
            .fetch_one(pool)
            .await
            .ok(),
        None => None,
    };
    let sample = || async {
        match (&cpu.database, &database_name) {
            (Some(pool), Some(name)) => CpuSample::take(pool, name, cpu.node).await,
            _ => None,
        }
    };
    let cpu_before = sample().await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = sample().await;
    for task in tasks {
        task.await?;
    }
    let records = records.load(Ordering::Relaxed);
    #[expect(clippy::as_conversions, reason = "a count far below 2^53")]
    let thousands = (records as f64 / 1000.0).max(f64::MIN_POSITIVE);
    let generator = seconds_of(generator_ticks.load(Ordering::Relaxed));
    let (node, database) = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => {
            let (node, database) = after.since(&before);
            (
                Some(((node - generator) / thousands).max(0.0)),
                Some(database / thousands),
            )
        }
        _ => (None, None),
    };
    Ok(UsageBench {
        callers,
        services: ids.len(),
        seconds,
        batches: batches.load(Ordering::Relaxed),
        records,
        records_per_second: f64::from(u32::try_from(records).unwrap_or(u32::MAX)) / seconds,
        errors: errors.load(Ordering::Relaxed),
        cpu_seconds_per_1000_records_node: node.filter(|_| cpu.node.is_some()),
        cpu_seconds_per_1000_records_generator: generator / thousands,
        cpu_seconds_per_1000_records_database: database,
    })
}
