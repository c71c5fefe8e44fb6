//! Projection safety under pressure: late commits, rollbacks, a transaction held open for a long
//! time and workers killed at random points. Whatever the timing, every committed event must take
//! effect exactly once, in safe order, and a read model built under fire must equal a rebuild.
//!
//! The safe-order reader waits for the oldest transaction that holds an xid anywhere in the
//! PostgreSQL cluster, not only in the test's database. The test that holds a transaction open
//! therefore runs alone among these tests (see [`EXCLUSIVE`]), and with `BILLING_LONG_TESTS=1` it
//! stalls every projection on the cluster for a minute: run the long variants on their own.
//!
//! Each test is bounded; `BILLING_LONG_TESTS=1` runs more transactions, a longer hold and more kills.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::join_all;
use projections::engine::{self, Checkpoint};
use projections::{Progress, WorkerConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool};
use tests::{READ_MODELS, TestDb, TestServer, table_digest};
use tokio::sync::{RwLock, watch};
use uuid::Uuid;

/// Events beyond a projection's checkpoint, as `engine::record_backlog` counts them. No row when
/// the projection has no checkpoint yet.
const BACKLOG: &str = "SELECT coalesce((SELECT count(*) FROM events e
                                          WHERE (e.tx_id, e.global_position) > (c.tx_id, c.position)), 0)
                         FROM projection_checkpoints c WHERE c.name = $1";

/// A transaction held open stalls the projections of every database on the cluster. The test that
/// does it takes this lock for writing; the others take it for reading, so that the stall does not
/// eat into their time.
static EXCLUSIVE: RwLock<()> = RwLock::const_new(());

fn long_tests() -> bool {
    std::env::var("BILLING_LONG_TESTS").is_ok_and(|value| value == "1")
}

/// How long the read models may take to reach the head of the log once writes have stopped.
fn convergence_wait() -> Duration {
    if long_tests() {
        Duration::from_secs(180)
    } else {
        Duration::from_secs(30)
    }
}

// --- Randomness -----------------------------------------------------------------------------

/// SplitMix64: the tests crate has no `rand`, and delays need only be varied. Failure messages
/// carry the seed.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        Rng(std::hash::RandomState::new().hash_one(Instant::now()))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

// --- Raw events and the projections' progress ------------------------------------------------

/// Appends a `Probe` event numbered `n` (its payload is `{"n": n}`) with metadata the action log
/// can decode, and returns its global position. The caller's transaction decides its fate.
pub(crate) async fn insert_probe(conn: &mut PgConnection, n: i64) -> i64 {
    let metadata = json!({
        "event_id": Uuid::now_v7(),
        "occurred_at": Utc::now().to_rfc3339(),
        "actor": "system:probe",
        "command": "Probe",
    });
    sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ('Probe', $1, 1, 'Probed', '1.0', $2::json, $3::json)
         RETURNING global_position",
    )
    .bind(format!("probe-{n}"))
    .bind(json!({ "n": n }).to_string())
    .bind(metadata.to_string())
    .fetch_one(conn)
    .await
    .expect("append a probe event")
}

/// Commits one probe event in a transaction of its own.
async fn commit_probe(pool: &PgPool, n: i64) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let position = insert_probe(&mut tx, n).await;
    tx.commit().await.unwrap();
    position
}

/// Events beyond the projection's checkpoint, or `None` before its first step.
async fn backlog(pool: &PgPool, name: &str) -> Option<i64> {
    sqlx::query_scalar(BACKLOG)
        .bind(name)
        .fetch_optional(pool)
        .await
        .unwrap()
}

/// Waits until each of `names` has a checkpoint and nothing committed lies beyond it.
async fn wait_without_backlog(pool: &PgPool, names: &[&str], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let mut behind = Vec::new();
        for name in names {
            let left = backlog(pool, name).await;
            if left != Some(0) {
                behind.push((*name, left));
            }
        }
        if behind.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "projections still behind after {timeout:?}: {behind:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn projection_names() -> Vec<&'static str> {
    projections::all().iter().map(|p| p.name()).collect()
}

/// Starts worker loops for every projection, as a node would run them.
fn start_workers(
    pool: &PgPool,
    config: WorkerConfig,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let workers = tokio::spawn(engine::run_until_stopped(
        pool.clone(),
        projections::all(),
        config,
        Progress::default(),
        stopped,
    ));
    (stop, workers)
}

async fn stop_workers(stop: watch::Sender<bool>, workers: tokio::task::JoinHandle<()>) {
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), workers)
        .await
        .expect("the workers stop within 10 s")
        .unwrap();
}

/// Count, sum and md5 of a list of positions, so that two lists can be compared in one line.
async fn positions_checksum(pool: &PgPool, sql: &str) -> (i64, i64, String) {
    sqlx::query_as(&format!(
        "SELECT count(*), coalesce(sum(p), 0)::bigint,
                coalesce(md5(string_agg(p::text, ',' ORDER BY p)), 'empty')
           FROM ({sql}) AS t(p)"
    ))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The action log's positions in the order the workers wrote them (`seq`).
async fn action_log_in_applied_order(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT position FROM action_log ORDER BY seq")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The log's positions in safe order: what the action log must hold, in this order.
async fn log_in_safe_order(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT global_position FROM events ORDER BY tx_id, global_position")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The `n` of every probe event the action log holds, sorted, duplicates kept.
async fn probes_in_action_log(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT (e.payload->>'n')::bigint
           FROM action_log a JOIN events e ON e.global_position = a.position
          WHERE e.aggregate_type = 'Probe' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn all_checkpoints(pool: &PgPool) -> HashMap<String, Checkpoint> {
    engine::checkpoints(pool).await.unwrap()
}

// --- 1. Slow commits and rollbacks ------------------------------------------------------------

/// What one writer did: the probe numbers it committed and those it rolled back.
#[derive(Default)]
struct Tally {
    committed: Vec<i64>,
    rolled_back: Vec<i64>,
}

/// Runs `transactions` short transactions of one to three probe events each, waiting 0–20 ms
/// between the inserts and the end, and rolling back about one in a hundred (always the first
/// of writer 0, so that there is at least one).
async fn write_probes(pool: PgPool, writer: u64, transactions: u64, seed: u64) -> Tally {
    let mut rng = Rng(seed ^ writer.wrapping_mul(0xA24B_AED4_963E_E407));
    let mut tally = Tally::default();
    for t in 0..transactions {
        let mut tx = pool.begin().await.unwrap();
        let mut numbers = Vec::new();
        for k in 0..rng.between(1, 3) {
            let n = i64::try_from(writer * 1_000_000 + t * 10 + k).unwrap();
            insert_probe(&mut tx, n).await;
            numbers.push(n);
        }
        tokio::time::sleep(Duration::from_millis(rng.between(0, 20))).await;
        if rng.between(1, 100) == 1 || (writer == 0 && t == 0) {
            tx.rollback().await.unwrap();
            tally.rolled_back.extend(numbers);
        } else {
            tx.commit().await.unwrap();
            tally.committed.extend(numbers);
        }
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_events_are_applied_exactly_once_despite_slow_commits_and_rollbacks() {
    // Arrange: every projection's worker loop, with small batches and almost no gathering.
    let _shared = EXCLUSIVE.read().await;
    let db = TestDb::new().await;
    let seed = Rng::seeded().next();
    let writers = 32;
    let transactions = if long_tests() { 400 } else { 40 };
    let (stop, workers) = start_workers(
        &db.pool,
        WorkerConfig {
            batch_size: 50,
            poll_interval: Duration::from_millis(20),
            gather: Duration::from_millis(1),
            gather_alone: Duration::from_millis(1),
        },
    );

    // Act: 32 writers commit late and roll back now and then while the workers read, each on
    // its own connection so that they really are 32 transactions at once.
    let writer_pool = PgPoolOptions::new()
        .max_connections(u32::try_from(writers).unwrap())
        .connect(&db.url)
        .await
        .unwrap();
    let tallies = join_all((0..writers).map(|writer| {
        tokio::spawn(write_probes(
            writer_pool.clone(),
            writer,
            transactions,
            seed,
        ))
    }))
    .await;
    let mut committed = Vec::new();
    let mut rolled_back = Vec::new();
    for tally in tallies {
        let tally = tally.unwrap();
        committed.extend(tally.committed);
        rolled_back.extend(tally.rolled_back);
    }
    wait_without_backlog(&db.pool, &projection_names(), convergence_wait()).await;
    stop_workers(stop, workers).await;

    // Assert: exactly the committed probes, once each, none of the rolled-back ones.
    committed.sort_unstable();
    let in_log = probes_in_action_log(&db.pool).await;
    let rolled_back: BTreeSet<i64> = rolled_back.into_iter().collect();
    assert!(
        !rolled_back.is_empty(),
        "seed {seed}: nothing was rolled back"
    );
    let resurrected: Vec<&i64> = in_log.iter().filter(|n| rolled_back.contains(n)).collect();
    assert!(
        resurrected.is_empty(),
        "seed {seed}: rolled-back probes in the action log: {resurrected:?}"
    );
    let mut distinct = in_log.clone();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        in_log.len(),
        "seed {seed}: the action log holds a probe twice"
    );
    assert_eq!(
        in_log, committed,
        "seed {seed}: the action log differs from the commits"
    );
    let events = positions_checksum(&db.pool, "SELECT global_position FROM events").await;
    let applied = positions_checksum(&db.pool, "SELECT position FROM action_log").await;
    assert_eq!(applied, events, "seed {seed}: positions (count, sum, md5)");
    assert_eq!(
        action_log_in_applied_order(&db.pool).await,
        log_in_safe_order(&db.pool).await,
        "seed {seed}: the action log was not written in safe order"
    );
    let committed_count = i64::try_from(committed.len()).unwrap();
    let checkpoints = all_checkpoints(&db.pool).await;
    for name in projection_names() {
        assert_eq!(
            checkpoints[name].events, committed_count,
            "seed {seed}: events counted by the {name} checkpoint"
        );
    }
}

// --- 2. A transaction held open ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_open_transaction_stalls_projections_instead_of_letting_them_skip() {
    // Arrange: running workers that have applied a few early events.
    let _alone = EXCLUSIVE.write().await;
    let db = TestDb::new().await;
    let names = projection_names();
    let hold = if long_tests() {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(3)
    };
    let (stop, workers) = start_workers(
        &db.pool,
        WorkerConfig {
            batch_size: 50,
            poll_interval: Duration::from_millis(20),
            gather: Duration::from_millis(1),
            gather_alone: Duration::from_millis(1),
        },
    );
    for n in 0..5 {
        commit_probe(&db.pool, n).await;
    }
    wait_without_backlog(&db.pool, &names, convergence_wait()).await;

    // Act: one transaction appends an event and stays open while 100 later events commit.
    let mut held = db.pool.begin().await.unwrap();
    let late = insert_probe(&mut held, 1000).await;
    let held_xid: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&mut *held)
        .await
        .unwrap();
    let held_at = eventstore::log::LogPosition {
        tx_id: held_xid,
        position: late,
    };
    let mut later = Vec::new();
    for n in 2000..2100 {
        later.push(commit_probe(&db.pool, n).await);
    }

    // Assert: while it is open, nothing behind it is applied and no checkpoint passes it.
    let held_until = Instant::now() + hold;
    let mut looks = 0;
    while Instant::now() < held_until {
        let skipped: i64 =
            sqlx::query_scalar("SELECT count(*) FROM action_log WHERE position = ANY($1)")
                .bind(&later)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(
            skipped, 0,
            "events behind the open transaction were applied"
        );
        let checkpoints = all_checkpoints(&db.pool).await;
        for name in &names {
            let at = checkpoints[*name].at;
            assert!(
                at < held_at,
                "{name} moved to {at:?}, past the open transaction at {held_at:?}"
            );
        }
        looks += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(looks > 10, "the hold was watched only {looks} times");
    for name in &names {
        assert_eq!(
            backlog(&db.pool, name).await,
            Some(100),
            "{name}: the later events are its visible backlog"
        );
    }

    // Act: the open transaction commits at last.
    held.commit().await.unwrap();
    wait_without_backlog(&db.pool, &names, convergence_wait()).await;
    stop_workers(stop, workers).await;

    // Assert: all 101 arrived, the late one included, each once, in safe order.
    let mut expected: Vec<i64> = (0..5).chain([1000]).chain(2000..2100).collect();
    expected.sort_unstable();
    assert_eq!(probes_in_action_log(&db.pool).await, expected);
    let applied = action_log_in_applied_order(&db.pool).await;
    assert_eq!(applied, log_in_safe_order(&db.pool).await);
    assert_eq!(
        applied.get(5),
        Some(&late),
        "the late event comes right after the early ones"
    );
    let checkpoints = all_checkpoints(&db.pool).await;
    for name in &names {
        assert_eq!(checkpoints[*name].events, 106, "events counted by {name}");
    }
}

// --- 3. Workers killed at random points ---------------------------------------------------------

/// Registers a tariff and returns its id.
async fn tariff(server: &TestServer, body: Value) -> String {
    let answer = server.post("/v1/tariffs", body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn pay(server: &TestServer, client: &str, amount: &str, currency: &str) {
    let answer = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": currency,
                   "method": "card"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
}

/// One client's life: registered, paying, ordering (some before they can afford it), corrected
/// by staff. Returns the client and its service.
async fn client_story(
    server: &TestServer,
    n: usize,
    (eur, vds): (&str, &str),
    (usd, shared): (&str, &str),
) -> (String, String) {
    let (provider, currency) = if n.is_multiple_of(2) {
        (eur, "EUR")
    } else {
        (usd, "USD")
    };
    let client = server.client(provider, &format!("Client {n}")).await;
    let order = if n.is_multiple_of(2) {
        json!({"tariff_id": vds, "period": "P1M", "addons": [{"code": "ram", "value": 1 + n % 4}]})
    } else {
        json!({"tariff_id": shared, "period": "P1M"})
    };
    let pays_first = !n.is_multiple_of(3);
    if pays_first {
        pay(server, &client, "40.00", currency).await;
    }
    let ordered = server
        .post(&format!("/v1/clients/{client}/services"), order)
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    for amount in ["10.50", "9.99", "0.01"] {
        pay(server, &client, amount, currency).await;
    }
    if !pays_first && n % 2 == 1 {
        // Still not enough for a client who started with nothing: the order keeps waiting.
        pay(server, &client, "0.02", currency).await;
    } else if !pays_first {
        pay(server, &client, "25.00", currency).await;
    }
    if n % 4 == 1 {
        let answer = server
            .post(
                &format!("/v1/clients/{client}/adjustments"),
                json!({"adjustment_id": Uuid::now_v7(), "amount": "-2.49", "currency": currency,
                       "reason": "chargeback fee"}),
            )
            .await;
        assert!(answer.status.is_success(), "{answer:?}");
    }
    if n.is_multiple_of(5) {
        let answer = server
            .call(
                reqwest::Method::PATCH,
                &format!("/v1/clients/{client}"),
                Some(json!({"name": format!("Client {n} GmbH")})),
            )
            .await;
        assert!(answer.status.is_success(), "{answer:?}");
    }
    (client, service)
}

/// Waits until settlement has acted on everything and the read models show it.
async fn settle(server: &TestServer) {
    let mut names = projection_names();
    names.push("settlement");
    wait_without_backlog(&server.db.pool, &names, Duration::from_secs(30)).await;
}

/// The provisioning robot: completes every pending operation.
async fn robot(server: &TestServer) -> usize {
    let pending = server.get("/v1/operations?status=pending&limit=500").await;
    assert_eq!(pending.status, StatusCode::OK, "{pending:?}");
    let items = pending.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for operation in &items {
        let id = operation["id"].as_str().unwrap();
        let done = server
            .post(&format!("/v1/operations/{id}/complete"), json!({}))
            .await;
        assert_eq!(done.status, StatusCode::OK, "{done:?}");
    }
    items.len()
}

/// A realistic history over HTTP: two providers, three tariffs, clients paying, ordering and
/// corrected, settlement charging, the robot activating, staff suspending and closing.
async fn history(server: &TestServer, clients: usize) {
    let eur = server.provider("EUR").await;
    let usd = server.provider("USD").await;
    let money = |amount: &str| json!({"amount": amount, "currency": "EUR"});
    let vds = tariff(
        server,
        json!({"provider_id": eur, "name": "VDS M", "item_type": "vds",
               "prices": [{"period": "P1M", "price": money("9.90")}],
               "setup_fees": [money("5.00")],
               "addons": [{"code": "ram", "name": "RAM", "kind": "quantity", "unit": "GB",
                           "min": 1, "max": 16, "prices": [{"period": "P1M", "price": money("2.50")}]}]}),
    )
    .await;
    tariff(
        server,
        json!({"provider_id": eur, "name": "Domain .com", "item_type": "domain",
               "prices": [{"period": "P12M", "price": money("12.00")}]}),
    )
    .await;
    let shared = tariff(
        server,
        json!({"provider_id": usd, "name": "Shared S", "item_type": "shared_hosting",
               "prices": [{"period": "P1M", "price": {"amount": "3.99", "currency": "USD"}}]}),
    )
    .await;
    // Four clients at a time, so that their commands interleave in the log.
    let mut services = Vec::new();
    let indices: Vec<usize> = (0..clients).collect();
    for chunk in indices.chunks(4) {
        let stories = chunk
            .iter()
            .map(|&n| client_story(server, n, (&eur, &vds), (&usd, &shared)));
        services.extend(join_all(stories).await);
    }
    settle(server).await;
    assert!(robot(server).await > 0, "some services wait for activation");
    settle(server).await;
    for (n, (_, service)) in services.iter().enumerate() {
        let body = match n % 6 {
            1 => json!({"reason": "staff"}),
            2 => json!({"reason": "abuse"}),
            _ => continue,
        };
        // A service that is not active (still waiting for money) refuses: that is history too.
        server
            .post(&format!("/v1/services/{service}/suspend"), body)
            .await;
    }
    for (_, service) in services.iter().skip(3).step_by(6) {
        server
            .post(&format!("/v1/services/{service}/close"), json!({}))
            .await;
    }
    settle(server).await;
    robot(server).await;
    settle(server).await;
}

/// One incarnation of a node's projection workers, killed after `life`: the workers run on a
/// runtime of their own with their own connections, and the runtime is dropped wherever its
/// tasks stand, as when a process dies. `JoinHandle::abort` alone would not do: it cancels
/// `run_until_stopped`, but the per-projection workers it spawned are separate tasks that keep
/// running.
async fn run_and_kill(url: &str, life: Duration) {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .connect_lazy(&url)
                .unwrap();
            // Connect first, so that the kill lands on the work and not on the handshakes.
            let warm = join_all((0..8).map(|_| pool.acquire())).await;
            drop(warm);
            let (_stop, stopped) = watch::channel(false);
            let workers = tokio::spawn(engine::run_until_stopped(
                pool,
                projections::all(),
                WorkerConfig {
                    batch_size: 3,
                    poll_interval: Duration::from_millis(5),
                    gather: Duration::from_millis(1),
                    gather_alone: Duration::from_millis(1),
                },
                Progress::default(),
                stopped,
            ));
            tokio::time::sleep(life).await;
            workers.abort();
        });
        drop(runtime);
    })
    .await
    .unwrap();
}

/// The action log apart from its `seq` numbers: rows, the highest `seq`, a digest of every
/// other column, and whether `seq` follows the safe order. Says what differs when the digests do.
async fn action_log_shape(pool: &PgPool) -> (i64, Option<i64>, String, bool) {
    let (rows, max_seq, digest): (i64, Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT count(*), max(seq),
                md5(string_agg((position, actor, event_type, client_id)::text, '|'
                               ORDER BY position))
           FROM action_log",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let in_safe_order = action_log_in_applied_order(pool).await == log_in_safe_order(pool).await;
    (rows, max_seq, digest.unwrap_or_default(), in_safe_order)
}

async fn digests(pool: &PgPool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (table, order) in READ_MODELS {
        out.push((table, table_digest(pool, table, order).await));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_at_random_points_a_hundred_times_converges_to_a_rebuild() {
    // Arrange: a history, the server stopped, every projection emptied.
    let _shared = EXCLUSIVE.read().await;
    let mut server = TestServer::start().await;
    let (clients, kills) = if long_tests() { (96, 1000) } else { (24, 100) };
    history(&server, clients).await;
    server.stop().await;
    let pool = server.db.pool.clone();
    for projection in projections::all() {
        engine::reset(&pool, projection.as_ref()).await.unwrap();
    }
    let seed = Rng::seeded().next();
    let mut rng = Rng(seed);

    // Act: a worker loop with tiny batches, killed after 0–30 ms, again and again; then caught up.
    let mut killed_with_work_left = 0;
    for _ in 0..kills {
        run_and_kill(&server.db.url, Duration::from_millis(rng.between(0, 30))).await;
        let mut behind = false;
        for name in projection_names() {
            behind |= backlog(&pool, name).await != Some(0);
        }
        killed_with_work_left += u32::from(behind);
    }
    for projection in projections::all() {
        engine::catch_up(&pool, projection.as_ref(), 1000)
            .await
            .unwrap();
    }
    let survived = digests(&pool).await;
    let survived_log = action_log_shape(&pool).await;
    let checkpoints = all_checkpoints(&pool).await;
    let rebuilt = api::cli::rebuild::rebuild(&pool, &projections::all(), 1000, false)
        .await
        .unwrap();

    // Assert: each event counted once, and the same rows as a rebuild from scratch.
    assert!(
        killed_with_work_left > 0,
        "seed {seed}: no kill found work left; the history is too small"
    );
    let events = server.event_count().await;
    for name in projection_names() {
        assert_eq!(
            checkpoints[name].events, events,
            "seed {seed}: events counted by the {name} checkpoint"
        );
    }
    assert_eq!(
        rebuilt.events,
        u64::try_from(events).unwrap() * u64::try_from(projections::all().len()).unwrap()
    );
    // `seq` counts too: the cursors of `GET /v1/action-log?after=` are `seq` numbers, and a
    // rebuild must not move them.
    let rebuilt = digests(&pool).await;
    let rebuilt_log = action_log_shape(&pool).await;
    let differ: Vec<&str> = survived
        .iter()
        .zip(&rebuilt)
        .filter(|(a, b)| a != b)
        .map(|((table, _), _)| *table)
        .collect();
    assert!(
        differ.is_empty(),
        "seed {seed}: after {kills} kills ({killed_with_work_left} with work left) these read \
         models differ from a rebuild: {differ:?}; action log (rows, max seq, digest without seq, \
         seq in safe order) after the kills {survived_log:?}, rebuilt {rebuilt_log:?}"
    );
}
