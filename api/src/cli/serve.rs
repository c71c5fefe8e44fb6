//! `billing serve`: the HTTP API and the projection workers, until SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use eventstore::clock::SystemClock;

use crate::cli::args::{Cli, ServeArgs};
use crate::cli::database::{Database, open_database_with};
use crate::node::{self as server, ServerConfig};

/// `billing serve`: splits the connections between requests and workers, then serves.
pub async fn command(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let budget = server::ConnectionBudget::split(cli.db_connections, !args.no_projections)
        .map_err(anyhow::Error::msg)?;
    tracing::info!(
        total = budget.total,
        requests = budget.requests,
        workers = budget.workers,
        "database connections of this node (BILLING_DB_CONNECTIONS)"
    );
    let database = open_database_with(cli, budget.requests).await?;
    serve(database, args).await
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
