//! `billing bench`: the billing-day and deep-aggregate workloads run in this process
//! (`bench_billing`, `bench_deep`); the comparison of ceiling, command-only and whole node runs
//! child nodes (`bench_compare`); the others drive a server over HTTP (`bench_http`).

use std::sync::Arc;
use std::time::Duration;

use crate::cli::bench_http::{BenchConfig, Workload, default_warmup, run, summary, table};

/// `billing bench`: the billing-day and deep-aggregate workloads run in this process; the others
/// drive a server over HTTP (one started here over the database when no `--url` is given).
pub async fn command(
    cli: &crate::cli::args::Cli,
    args: &crate::cli::args::BenchArgs,
) -> anyhow::Result<()> {
    use anyhow::Context;

    use crate::cli::database::{open_database, print_out};
    use crate::node::{self as server, ServerConfig};

    if args.workload == Workload::BillingDay {
        return bench_billing_day(cli, args.services, args.concurrency).await;
    }
    if args.workload == Workload::Compare {
        return crate::cli::bench_compare::command(cli, args).await;
    }
    if args.workload == Workload::DeepAggregate {
        let database = open_database(cli).await?;
        let measured =
            crate::cli::bench_deep::run(database.pool.clone(), args.events, args.samples).await?;
        print_out(&serde_json::to_string_pretty(&measured)?);
        database.close().await;
        return Ok(());
    }
    if args.workload == Workload::CatchUp {
        let database = open_database(cli).await?;
        let runs = crate::cli::bench_catchup::run(&database.pool, args.runs).await?;
        if args.json {
            print_out(&serde_json::to_string_pretty(&runs)?);
        } else {
            print_out(&crate::cli::bench_catchup::table(&runs));
        }
        database.close().await;
        return Ok(());
    }
    let mut database = None;
    let mut running = None;
    let (url, token) = match &args.url {
        Some(url) => (
            url.clone(),
            args.token
                .clone()
                .context("--url needs --token or BILLING_ADMIN_TOKEN")?,
        ),
        None => {
            let opened = open_database(cli).await?;
            let token: String = std::iter::repeat_with(fastrand::alphanumeric)
                .take(32)
                .collect();
            let server = server::start(
                opened.pool.clone(),
                Arc::new(eventstore::clock::SystemClock),
                ServerConfig {
                    listen: "127.0.0.1:0".parse()?,
                    admin_token: token.clone(),
                    run_projections: true,
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
    if args.workload == Workload::Usage {
        let measured = crate::cli::bench_usage::run(
            &url,
            &token,
            (args.concurrency, args.accounts),
            Duration::from_secs(args.seconds),
            Duration::from_secs(args.warmup_seconds.unwrap_or(3)),
            crate::cli::bench_usage::CpuSources {
                node: running.is_some().then(std::process::id),
                database: statistics.clone(),
            },
        )
        .await?;
        print_out(&serde_json::to_string_pretty(&measured)?);
        if let Some(server) = running {
            server.shutdown().await;
        }
        if let Some(database) = database {
            database.close().await;
        }
        return Ok(());
    }
    let mut reports = Vec::new();
    for _ in 0..args.runs.max(1) {
        let report = run(BenchConfig {
            url: url.clone(),
            token: token.clone(),
            workload: args.workload,
            concurrency: args.concurrency,
            duration: Duration::from_secs(args.seconds),
            warmup: args.warmup_seconds.map_or_else(
                || default_warmup(Duration::from_secs(args.seconds)),
                Duration::from_secs,
            ),
            accounts: args.accounts,
            rate: args.rate,
            database: statistics.clone(),
            idempotency_keys: args.idempotency_keys,
            sample_lag: true,
        })
        .await?;
        if !args.json {
            print_out(&table(&report));
        }
        reports.push(report);
    }
    if args.json {
        print_out(&serde_json::to_string_pretty(&reports)?);
    } else if reports.len() > 1 {
        print_out(&summary(&reports));
    }
    if let Some(server) = running {
        server.shutdown().await;
    }
    if let Some(database) = database {
        database.close().await;
    }
    Ok(())
}

/// `billing bench --workload billing-day`: the billing day in this process over a database of
/// its own making (no HTTP involved).
async fn bench_billing_day(
    cli: &crate::cli::args::Cli,
    services: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    use crate::cli::database::{ReadModelWorkers, open_database, print_out};

    let database = open_database(cli).await?;
    let store = Arc::new(eventstore::EventStore::new(
        database.pool.clone(),
        Arc::new(eventstore::clock::SystemClock),
    ));
    let workers = ReadModelWorkers::start(&database.pool);
    let measured =
        crate::cli::bench_billing::run(store, &workers.progress, services, concurrency.max(1))
            .await?;
    workers.stop().await;
    print_out(&serde_json::to_string_pretty(&measured)?);
    database.close().await;
    Ok(())
}
