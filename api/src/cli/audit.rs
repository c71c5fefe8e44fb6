//! `billing audit stream`: reads `GET /v1/audit/events` as an auditor's client would, counts
//! the lines and measures the rate, optionally keeping the NDJSON in a file.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

/// What the stream delivered.
#[derive(Debug, Clone, Serialize)]
pub struct StreamReport {
    /// Lines (events) received.
    pub events: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Lines without a chain hash (not sealed yet when streamed).
    pub unsealed: u64,
    /// From the request to the last byte.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
    /// Events per second.
    pub events_per_second: f64,
}

fn seconds<S: serde::Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(elapsed.as_secs_f64())
}

/// Why the stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// HTTP failed or the body broke off.
    #[error("http error: {0}")]
    Http(#[from] reqwest::Error),
    /// The server answered with an error.
    #[error("the server answered {0}")]
    Status(reqwest::StatusCode),
    /// The output file could not be written.
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
}

/// Streams the whole log from `url` (a server's base URL) after position `after`.
pub async fn stream(
    url: &str,
    token: &str,
    after: i64,
    out: Option<&Path>,
) -> Result<StreamReport, StreamError> {
    let started = Instant::now();
    let mut response = reqwest::Client::new()
        .get(format!("{url}/v1/audit/events?after={after}"))
        .bearer_auth(token)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(StreamError::Status(response.status()));
    }
    let mut file = out
        .map(std::fs::File::create)
        .transpose()?
        .map(std::io::BufWriter::new);
    let (mut events, mut bytes, mut unsealed) = (0u64, 0u64, 0u64);
    while let Some(chunk) = response.chunk().await? {
        bytes += u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        events += u64::try_from(chunk.iter().filter(|b| **b == b'\n').count()).unwrap_or(0);
        unsealed += u64::try_from(
            chunk
                .windows(12)
                .filter(|w| *w == b"\"hash\":null}")
                .count(),
        )
        .unwrap_or(0);
        if let Some(file) = file.as_mut() {
            file.write_all(&chunk)?;
        }
    }
    if let Some(mut file) = file {
        file.flush()?;
    }
    let elapsed = started.elapsed();
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let events_per_second = events as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
    Ok(StreamReport {
        events,
        bytes,
        unsealed,
        elapsed,
        events_per_second,
    })
}

/// `billing audit …`: the chain's head, its verification, the replay, the stream. Exits 1 when
/// the log does not match its seal or the replay finds a difference.
pub async fn command(
    cli: &crate::cli::args::Cli,
    command: &crate::cli::args::AuditCommand,
) -> anyhow::Result<()> {
    use std::sync::Arc;

    use anyhow::Context;
    use eventstore::clock::SystemClock;

    use crate::cli::args::AuditCommand;
    use crate::cli::database::{open_database, print_out};
    use crate::node::{self as server, ServerConfig};

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
            let head = crate::http::chain::HeadView::of(projections::seal::head(&pool).await?);
            print_out(&serde_json::to_string_pretty(&head)?);
            false
        }
        AuditCommand::Verify {
            position,
            hash,
            seal: wanted,
        } => {
            seal(*wanted).await?;
            let anchor = crate::http::chain::anchor(*position, hash.as_deref())
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            let started = std::time::Instant::now();
            let verification = projections::seal::verify(&pool, anchor).await?;
            let view = crate::http::chain::VerificationView::from(verification);
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
                            projection_groups: Default::default(),
                            query_wait: Duration::from_secs(30),
                            mailer: projections::notify::Mailer::none(),
                            sign_in: crate::http::auth::throttle::SignInConfig::default(),
                            public_url: None,
                        },
                    )
                    .await?;
                    let url = server.url();
                    running = Some(server);
                    (url, token)
                }
            };
            let report = stream(&url, &token, *after, out.as_deref()).await?;
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
