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
