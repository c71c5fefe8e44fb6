//! What the commands share: the database they open (and the private cluster it may live in),
//! and the projection workers a one-off command runs for itself.

use anyhow::Context;

use crate::cli::args::Cli;
use crate::cli::pgcluster::PrivateCluster;
use crate::node as server;

/// The database, and the private cluster it lives in when we started one.
pub struct Database {
    pub pool: sqlx::PgPool,
    cluster: Option<PrivateCluster>,
}

/// Opens the database with a pool of `--db-connections`.
pub async fn open_database(cli: &Cli) -> anyhow::Result<Database> {
    open(cli, cli.db_connections, None).await
}

/// Opens the database for a node whose connections, all pools together, may reach `total`:
/// refuses (before migrating anything) when PostgreSQL's `max_connections` cannot hold them.
pub async fn open_node_database(
    cli: &Cli,
    connections: u32,
    total: u32,
) -> anyhow::Result<Database> {
    open(cli, connections, Some(total)).await
}

async fn open(cli: &Cli, connections: u32, node_total: Option<u32>) -> anyhow::Result<Database> {
    let (url, cluster) = match &cli.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let cluster = PrivateCluster::start(&cli.data_dir, "billing")
                .await
                .context("no DATABASE_URL, and the private PostgreSQL cluster did not start")?;
            tracing::info!(
                data_dir = %cluster.data_dir().display(),
                port = cluster.port(),
                "no DATABASE_URL: using the private PostgreSQL cluster under the data folder (stopped \
                 when the last process using it stops)"
            );
            (cluster.database_url(), Some(cluster))
        }
    };
    let pool = server::connect(&url, connections)
        .await
        .context("cannot connect to the database")?;
    if let Some(total) = node_total
        && let Err(refused) = server::check_connection_room(&pool, total).await
    {
        pool.close().await;
        if let Some(cluster) = cluster
            && let Err(error) = cluster.stop().await
        {
            tracing::warn!(%error, "private PostgreSQL cluster did not stop cleanly");
        }
        anyhow::bail!(refused);
    }
    server::migrate(&pool).await.context("migrations failed")?;
    Ok(Database { pool, cluster })
}

impl Database {
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster
            && let Err(error) = cluster.stop().await
        {
            tracing::warn!(%error, "private PostgreSQL cluster did not stop cleanly");
        }
    }
}

/// Projection workers run by a one-off command (the billing day, a bench) that needs current
/// read models and runs no server.
pub struct ReadModelWorkers {
    pub progress: projections::Progress,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ReadModelWorkers {
    pub fn start(pool: &sqlx::PgPool) -> Self {
        let progress = projections::Progress::default();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(projections::engine::run_until_stopped(
            pool.clone(),
            projections::all(),
            projections::WorkerConfig::default(),
            progress.clone(),
            stopped,
        ));
        Self {
            progress,
            stop,
            task,
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A command's report goes to standard output, for people or for `jq`.
#[expect(clippy::print_stdout, reason = "the bench's output")]
pub fn print_out(text: &str) {
    println!("{text}");
}
