//! `billing bench --workload deep-aggregate`: the latency of a command on an aggregate with a long
//! history against one on a fresh aggregate, in this process, with the store's state cache on
//! (the common case: the state is in memory) and off (every command loads the state: the latest
//! snapshot plus the events after it).
//!
//! Deep and fresh commands alternate, so that both see the same machine; the figure is the ratio
//! of their medians and 99th percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::account::{Account, AccountCommand, PaymentMethod};
use domain::client::{Client, ClientCommand, ClientKind, ClientName, Country, Email};
use domain::ids::{AccountId, ClientId, PaymentId, ProviderId};
use domain::money::{Currency, Money};
use domain::provider::{Provider, ProviderCommand};
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{EventStore, StoreConfig};
use hdrhistogram::Histogram;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::cli::bench_http::Percentiles;
use crate::cli::demo::DemoError;

/// Latencies of one mode.
#[derive(Debug, Clone, Serialize)]
pub struct DeepMode {
    /// Commands on a fresh account (one earlier event).
    pub fresh: Percentiles,
    /// Commands on the deep account.
    pub deep: Percentiles,
    /// Deep median over fresh median.
    pub ratio_p50: f64,
    /// Deep p99 over fresh p99.
    pub ratio_p99: f64,
}

/// What the deep-aggregate bench measured.
#[derive(Debug, Clone, Serialize)]
pub struct DeepAggregateBench {
    /// Events in the deep account's history before measuring.
    pub events: usize,
    /// Seconds to write them (one command each, in this process).
    pub setup_seconds: f64,
    /// Commands measured per side and mode.
    pub samples: usize,
    /// With the state cache on.
    pub cached: DeepMode,
    /// With the state cache off: every command loads snapshot + tail.
    pub uncached: DeepMode,
}

fn refused(error: impl std::fmt::Display) -> DemoError {
    DemoError::Refused(error.to_string())
}

struct Scene {
    provider: ProviderId,
    eur: Currency,
    deep: ClientId,
    fresh: Vec<ClientId>,
}

async fn register(
    store: &EventStore,
    provider: ProviderId,
    eur: Currency,
    context: &CommandContext,
) -> Result<ClientId, DemoError> {
    let client = ClientId::from_uuid(Uuid::now_v7());
    store
        .execute::<Client>(
            &client.to_string(),
            ClientCommand::RegisterClient {
                client_id: client,
                provider_id: provider,
                currency: eur,
                name: ClientName::parse("Bench Client").map_err(refused)?,
                email: Email::parse("bench@example.com").map_err(refused)?,
                kind: ClientKind::Individual,
                country: Country::parse("DE").map_err(refused)?,
            },
            context,
            &[],
        )
        .await?;
    Ok(client)
}

async fn pay(
    store: &EventStore,
    scene: &Scene,
    client: ClientId,
    context: &CommandContext,
) -> Result<(), DemoError> {
    let account = AccountId::of(client, scene.provider, scene.eur);
    store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::PostPayment {
                client_id: client,
                provider_id: scene.provider,
                payment_id: PaymentId::from_uuid(Uuid::now_v7()),
                amount: Money::parse("1.00", scene.eur)?,
                method: PaymentMethod::parse("bench").map_err(refused)?,
                conversion: None,
            },
            context,
            &[],
        )
        .await?;
    Ok(())
}

fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    let ms = |micros: u64| Duration::from_micros(micros).as_secs_f64() * 1000.0;
    Percentiles {
        p50_ms: ms(histogram.value_at_quantile(0.50)),
        p95_ms: ms(histogram.value_at_quantile(0.95)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        max_ms: ms(histogram.max()),
    }
}

async fn measure(
    store: &EventStore,
    scene: &Scene,
    samples: usize,
    context: &CommandContext,
) -> Result<DeepMode, DemoError> {
    let new_histogram = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(refused);
    let (mut fresh, mut deep) = (new_histogram()?, new_histogram()?);
    for round in 0..samples {
        let client = scene.fresh[round % scene.fresh.len()];
        let started = Instant::now();
        pay(store, scene, client, context).await?;
        fresh
            .record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))
            .map_err(refused)?;
        let started = Instant::now();
        pay(store, scene, scene.deep, context).await?;
        deep.record(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))
            .map_err(refused)?;
    }
    let (fresh, deep) = (percentiles(&fresh), percentiles(&deep));
    Ok(DeepMode {
        ratio_p50: deep.p50_ms / fresh.p50_ms.max(f64::MIN_POSITIVE),
        ratio_p99: deep.p99_ms / fresh.p99_ms.max(f64::MIN_POSITIVE),
        fresh,
        deep,
    })
}

/// Writes `events` payments to one account, then measures `samples` commands on it and on fresh
/// accounts, with the state cache on and off.
pub async fn run(
    pool: PgPool,
    events: usize,
    samples: usize,
) -> Result<DeepAggregateBench, DemoError> {
    let clock = Arc::new(eventstore::clock::SystemClock);
    let cached = EventStore::new(pool.clone(), clock.clone());
    let uncached = EventStore::new(pool, clock).with_config(StoreConfig {
        cached_aggregates: 0,
        ..StoreConfig::default()
    });
    let context = CommandContext::new(Actor::System("bench".to_owned()));
    let eur = Currency::parse("EUR")?;
    let provider = ProviderId::from_uuid(Uuid::now_v7());
    cached
        .execute::<Provider>(
            &provider.to_string(),
            ProviderCommand::CreateProvider {
                provider_id: provider,
                name: "Bench Hosting".to_owned(),
                currency: eur,
                sandbox: false,
                created_at: chrono::Utc::now(),
            },
            &context,
            &[],
        )
        .await?;
    let deep = register(&cached, provider, eur, &context).await?;
    let mut scene = Scene {
        provider,
        eur,
        deep,
        fresh: Vec::new(),
    };
    let started = Instant::now();
    // The account's opening is its first event; every payment after it is one more.
    for _ in 0..events.saturating_sub(1) {
        pay(&cached, &scene, deep, &context).await?;
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    for _ in 0..samples {
        let client = register(&cached, provider, eur, &context).await?;
        pay(&cached, &scene, client, &context).await?;
        scene.fresh.push(client);
    }
    // Warm both paths (connections, prepared statements) before measuring.
    measure(&cached, &scene, 20.min(samples), &context).await?;
    let cached_mode = measure(&cached, &scene, samples, &context).await?;
    let uncached_mode = measure(&uncached, &scene, samples, &context).await?;
    Ok(DeepAggregateBench {
        events,
        setup_seconds,
        samples,
        cached: cached_mode,
        uncached: uncached_mode,
    })
}
