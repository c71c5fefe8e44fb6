//! The ceiling `billing bench --workload compare` quotes its nodes against: what raw PostgreSQL
//! does with command-shaped transactions (read a ~10-event stream, append the next event,
//! commit), the figure (b) of `pg-ceiling.sh` with its SQL, its table and its 32 clients, driven
//! from this process with sqlx instead of pgbench.
//!
//! As pgbench does by default, each statement goes with the simple protocol, its values written
//! into the text (integers only): four round trips per transaction (BEGIN, the read, the append,
//! COMMIT), each statement parsed and planned by the server, so that the figure is the one
//! `pg-ceiling.sh` has been quoted with. (The node prepares its statements, which costs the
//! server less per statement: a node can beat this ceiling.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

/// Concurrent clients, as in `pg-ceiling.sh` (b).
pub const CEILING_CLIENTS: usize = 32;

/// Accounts the transactions pick from at random, as in `pg-ceiling.sh` (b).
const ACCOUNTS: u32 = 2000;

/// The events table of `pg-ceiling.sh` (our log's columns, without the application around it),
/// with ten events on each of its 2,000 accounts.
const SCHEMA: &str = "
CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence bigint NOT NULL,
  event_type text NOT NULL, event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL,
  global_position bigint GENERATED ALWAYS AS IDENTITY, tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (aggregate_type, aggregate_id, sequence));
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'Account', 'acct-' || a, s, 'PaymentPosted', '1.0', '{\"PaymentPosted\":{\"amount\":\"1.00\"}}', '{}'
FROM generate_series(1, 2000) a, generate_series(1, 10) s;
";

/// The read of `command.pgb`, for the account `:acct` (an integer).
fn read(account: u32) -> String {
    format!(
        "SELECT coalesce(max(sequence), 0) + 1 AS next FROM (SELECT sequence, payload FROM events \
         WHERE aggregate_type = 'Account' AND aggregate_id = 'acct-' || {account} ORDER BY sequence) s"
    )
}

/// The append of `command.pgb`, for the account `:acct` and the sequence `:next` (integers).
fn append(account: u32, next: i64) -> String {
    format!(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
         payload, metadata) VALUES ('Account', 'acct-' || {account}, {next}, 'PaymentPosted', '1.0', \
         '{{\"PaymentPosted\":{{\"amount\":\"12.50\",\"currency\":\"EUR\"}}}}', \
         '{{\"actor\":\"service:bench\"}}') ON CONFLICT DO NOTHING"
    )
}

/// Command-shaped transactions per second on the (empty) database at `url`, with
/// [`CEILING_CLIENTS`] clients for `duration`. Creates its table there.
pub async fn command_shaped(url: &str, duration: Duration) -> Result<f64, sqlx::Error> {
    let mut setup = PgConnection::connect(url).await?;
    sqlx::raw_sql(SCHEMA).execute(&mut setup).await?;
    setup.close().await?;

    let mut connections = Vec::with_capacity(CEILING_CLIENTS);
    for _ in 0..CEILING_CLIENTS {
        connections.push(PgConnection::connect(url).await?);
    }
    let committed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + duration;
    let mut clients = Vec::with_capacity(CEILING_CLIENTS);
    for mut connection in connections {
        let committed = Arc::clone(&committed);
        clients.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::new();
            while Instant::now() < end {
                transaction(&mut connection, rng.u32(1..=ACCOUNTS)).await?;
                committed.fetch_add(1, Ordering::Relaxed);
            }
            connection.close().await
        }));
    }
    for client in clients {
        client
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("ceiling client: {e}")))??;
    }
    let seconds = started.elapsed().as_secs_f64().max(f64::EPSILON);
    #[expect(clippy::as_conversions, reason = "a rate for people to read")]
    let rate = committed.load(Ordering::Relaxed) as f64 / seconds;
    Ok(rate)
}

async fn transaction(connection: &mut PgConnection, account: u32) -> Result<(), sqlx::Error> {
    // A `&str` with no arguments goes with the simple protocol.
    use sqlx::{Executor, Row};

    connection.execute("BEGIN").await?;
    let next: i64 = connection
        .fetch_one(read(account).as_str())
        .await?
        .try_get("next")?;
    connection.execute(append(account, next).as_str()).await?;
    connection.execute("COMMIT").await?;
    Ok(())
}
