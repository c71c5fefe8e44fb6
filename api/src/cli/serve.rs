//! `billing serve`: the HTTP API and the projection workers, until SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use eventstore::clock::SystemClock;
use projections::engine::{Assignment, Group, Groups, RunGroups};

use crate::cli::args::{Cli, ServeArgs};
use crate::cli::database::{Database, open_node_database};
use crate::node::{self as server, ServerConfig};

/// `billing serve`: splits the connections between requests and workers, then serves.
pub async fn command(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let database = open_for_serving(cli, args).await?;
    serve(database, args).await
}

/// Reads which projections are in which group and which groups this node runs, and checks
/// them against the node's projections: a projection in no group, a name no projection has or a
/// group that does not exist stops the node before it opens the database.
/// `BILLING_NO_PROJECTIONS` is `BILLING_RUN_GROUPS=none`; given with a list of groups, it is
/// refused as a contradiction.
pub fn assignment(args: &ServeArgs) -> anyhow::Result<(Assignment, Vec<Group>)> {
    let groups = Groups::parse(&args.projection_groups)?;
    let run = RunGroups::parse(&args.run_groups)?;
    if args.no_projections && !(run.is_none() || run == RunGroups::All) {
        anyhow::bail!(
            "BILLING_NO_PROJECTIONS and BILLING_RUN_GROUPS={} contradict each other: give one",
            args.run_groups
        );
    }
    let run = if args.no_projections {
        RunGroups::parse("none")?
    } else {
        run
    };
    let assignment = Assignment { groups, run };
    let planned = server::planned_groups(&assignment)?;
    Ok((assignment, planned))
}

/// Opens the database for a node: its requests' pool gets what `BILLING_DB_CONNECTIONS` leaves
/// after the projection workers' pool, so the node's whole use stays within it.
pub async fn open_for_serving(cli: &Cli, args: &ServeArgs) -> anyhow::Result<Database> {
    let (_, planned) = assignment(args)?;
    let budget =
        server::ConnectionBudget::split(cli.db_connections, server::worker_connections(&planned))
            .map_err(anyhow::Error::msg)?;
    tracing::info!(
        total = budget.total,
        requests = budget.requests,
        workers = budget.workers,
        "database connections of this node (BILLING_DB_CONNECTIONS)"
    );
    open_node_database(cli, budget.requests, budget.total).await
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

/// Serves over an open database until a signal, then finishes the requests in flight.
pub async fn serve(database: Database, args: &ServeArgs) -> anyhow::Result<()> {
    let config = ServerConfig {
        listen: args.listen,
        admin_token: admin_token(args),
        run_projections: !args.no_projections,
        projection_groups: assignment(args)?.0,
        query_wait: Duration::from_millis(args.query_wait_ms),
        mailer: projections::notify::Mailer::new(args.smtp_url.as_deref(), &args.mail_from)
            .context("BILLING_SMTP_URL or BILLING_MAIL_FROM")?
            .with_public_url(
                &args
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://127.0.0.1:{}", args.listen.port())),
            ),
        sign_in: args.sign_in(),
        public_url: args.public_url.clone(),
    };
    let urls: Vec<String> = args
        .replica_urls
        .iter()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
        .collect();
    let bound = crate::usecases::reads::LagBound {
        time: Duration::from_millis(args.replica_max_lag_ms),
        events: args.replica_max_lag_events.max(0),
    };
    let requests = database.pool.options().get_max_connections();
    let reads = server::replicas::open(database.pool.clone(), &urls, requests, bound)
        .context("BILLING_REPLICA_URLS")?;
    let running = server::start_with_reads(reads, Arc::new(SystemClock), config)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    running.shutdown().await;
    database.close().await;
    Ok(())
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP (the terminal closed): each stops the node the same
/// graceful way, so a private cluster it owns is stopped with it.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
            _ = hangup.recv() => tracing::info!("SIGHUP: the terminal closed, stopping"),
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
