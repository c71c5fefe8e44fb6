//! The projection engine: exactly once, rebuilds, version bumps, one worker at a time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use eventstore::log::StoredEvent;
use projections::engine::{self, Outcome};
use projections::{Progress, Projection, ProjectionError, WorkerConfig};
use serde_json::json;
use sqlx::PgConnection;
use tests::{READ_MODELS, TestServer, table_digest};
use tokio::sync::watch;

async fn digests(server: &TestServer) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in READ_MODELS {
        out.push(table_digest(&server.db.pool, table, order).await);
    }
    out
}

/// Waits until no read model has an index left to build (a worker builds them when it has caught
/// up a read model it emptied, its first start included).
async fn wait_indexes_built(server: &TestServer) {
    let names: Vec<&'static str> = projections::all().iter().map(|p| p.name()).collect();
    for _ in 0..300 {
        if engine::deferred_count(&server.db.pool, &names)
            .await
            .unwrap()
            == 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the deferred indexes were not built within 30 s");
}

/// Every index of the database's tables, as PostgreSQL would create it again, in order.
async fn indexes(server: &TestServer) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexdef",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap()
}

/// A small history over HTTP: two providers, clients, payments, an adjustment, a tariff and
/// services charged at order, one with an activation done. Returns the head of the log.
pub(crate) async fn history(server: &TestServer) -> i64 {
    let eur = server.provider("EUR").await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({"provider_id": eur, "name": "Shared S", "item_type": "shared_hosting",
                   "prices": [{"period": "P1M", "price": {"amount": "3.99", "currency": "EUR"}}]}),
        )
        .await;
    let tariff = tariff.body["id"].as_str().unwrap().to_owned();
    let usd = server.provider("USD").await;
    for n in 0..6 {
        let provider = if n % 2 == 0 { &eur } else { &usd };
        let currency = if n % 2 == 0 { "EUR" } else { "USD" };
        let client = server.client(provider, &format!("Client {n}")).await;
        for cents in [1050, 999, 1] {
            let answer = server
                .post(
                    &format!("/v1/clients/{client}/payments"),
                    json!({
                        "payment_id": uuid::Uuid::now_v7(),
                        "amount": format!("{}.{:02}", cents / 100, cents % 100),
                        "currency": currency,
                        "method": "card",
                    }),
                )
                .await;
            assert!(answer.status.is_success(), "{answer:?}");
        }
        if n % 2 == 0 {
            let ordered = server
                .post(
                    &format!("/v1/clients/{client}/services"),
                    json!({"tariff_id": tariff, "period": "P1M"}),
                )
                .await;
            assert_eq!(ordered.status, reqwest::StatusCode::CREATED, "{ordered:?}");
        }
        if n == 3 {
            let answer = server
                .post(
                    &format!("/v1/clients/{client}/adjustments"),
                    json!({
                        "adjustment_id": uuid::Uuid::now_v7(),
                        "amount": "-2.49",
                        "currency": currency,
                        "reason": "chargeback fee",
                    }),
                )
                .await;
            assert!(answer.status.is_success(), "{answer:?}");
        }
    }
    // Issue 4's documents and payments: a company, an invoice, a gateway payment, a rate.
    let company = crate::invoicing::company(server, &eur, "NL", "yearly").await;
    let client = server.client(&eur, "Invoiced Client").await;
    let invoice = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": uuid::Uuid::now_v7(), "client_id": client, "company_id": company,
                   "lines": [{"description": "Setup", "quantity": "2", "unit_price": "7.50"}]}),
        )
        .await;
    assert_eq!(invoice.status, reqwest::StatusCode::CREATED, "{invoice:?}");
    let method = server
        .call(
            reqwest::Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/cash"),
            Some(json!({"kind": "manual", "display_name": "Cash", "enabled": true})),
        )
        .await;
    assert!(method.status.is_success(), "{method:?}");
    let paid = server
        .post(
            "/v1/payments",
            json!({"payment_id": uuid::Uuid::now_v7(), "client_id": client, "company_id": company,
                   "method": "cash", "amount": "15.00", "currency": "EUR", "proforma": true}),
        )
        .await;
    assert_eq!(paid.status, reqwest::StatusCode::CREATED, "{paid:?}");
    let rates = server
        .call(
            reqwest::Method::PUT,
            "/v1/currencies/USD/rates",
            Some(json!({"effective_from": "2026-01-01", "rates": {"EUR": "0.9"}})),
        )
        .await;
    assert!(rates.status.is_success(), "{rates:?}");
    // The process managers write after the requests (the cash payment's prepayment invoice,
    // issue 14.7): the history ends when they are done.
    server.settled().await
}

pub(crate) async fn wait_caught_up(server: &TestServer, position: i64) {
    let state = &server.running.as_ref().unwrap().state;
    for projection in projections::all() {
        let reached = engine::wait_for_position(
            &server.db.pool,
            &state.progress,
            projection.name(),
            position,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert!(reached, "{} caught up", projection.name());
    }
}

/// Builds `history` and its read models, stops the server's workers, then empties every read
/// model. Returns the head of the log and the read models' digests and indexes as they were
/// built.
async fn emptied_after_history(server: &mut TestServer) -> (i64, (Vec<String>, Vec<String>)) {
    let last = history(server).await;
    wait_caught_up(server, last).await;
    wait_indexes_built(server).await;
    server.stop().await;
    let expected = (digests(server).await, indexes(server).await);
    for projection in projections::all() {
        engine::reset(&server.db.pool, projection.as_ref())
            .await
            .unwrap();
    }
    (last, expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_and_rebuilding_every_projection_gives_identical_read_models() {
    // Arrange: read models built incrementally by the running workers.
    let mut server = TestServer::start().await;
    let last = history(&server).await;
    wait_caught_up(&server, last).await;
    wait_indexes_built(&server).await;
    server.stop().await;
    let incremental = digests(&server).await;
    let indexed = indexes(&server).await;

    // Act: empty them all and rebuild from the log.
    let rebuilt = api::cli::rebuild::rebuild(&server.db.pool, &projections::all(), 7, false)
        .await
        .unwrap();

    // Assert: the same rows, and every index the read models went without during the rebuild
    // is back as it was.
    assert_eq!(digests(&server).await, incremental);
    assert_eq!(indexes(&server).await, indexed);
    let names: Vec<&'static str> = projections::all().iter().map(|p| p.name()).collect();
    assert_eq!(
        engine::deferred_count(&server.db.pool, &names)
            .await
            .unwrap(),
        0
    );
    let events = server.event_count().await;
    assert_eq!(
        rebuilt.events,
        u64::try_from(events).unwrap() * u64::try_from(projections::all().len()).unwrap()
    );
}

/// How many times the tables of the database were analyzed by an `ANALYZE` statement, by table.
async fn analyzed(server: &TestServer) -> std::collections::HashMap<String, i64> {
    sqlx::query_as("SELECT relname::text, analyze_count FROM pg_stat_user_tables")
        .fetch_all(&server.db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_gathers_the_statistics_of_the_tables_it_emptied() {
    // Arrange: more events than a read model applies before its tables are analyzed, and no
    // worker running beside the rebuild.
    let mut server = TestServer::start().await;
    api::cli::bulk::load(&server.db.pool, 12_000, 7)
        .await
        .unwrap();
    server.stop().await;
    let before = analyzed(&server).await;

    // Act
    api::cli::rebuild::rebuild(&server.db.pool, &projections::all(), 5_000, false)
        .await
        .unwrap();

    // Assert: the emptied tables the planner reads keys of while applying (the operations a
    // batch finishes, the charges a correction names, the action log's subjects) have
    // statistics again; the counts are published shortly after each ANALYZE.
    let tables = [
        "operations",
        "report_expenses",
        "action_log_subjects",
        "expenses",
    ];
    let mut after = analyzed(&server).await;
    for _ in 0..50 {
        if tables.iter().all(|t| after.get(*t) > before.get(*t)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = analyzed(&server).await;
    }
    for table in tables {
        assert!(
            after.get(table) > before.get(table),
            "{table}: analyzed {:?} times before the rebuild, {:?} after",
            before.get(table),
            after.get(table)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_a_projection_version_rebuilds_it_from_the_start() {
    // Arrange
    let mut server = TestServer::start().await;
    let last = history(&server).await;
    wait_caught_up(&server, last).await;
    server.stop().await;
    let before = digests(&server).await;
    // The stored version is older than the code's, as after a deploy that changed the projection.
    sqlx::query("UPDATE projection_checkpoints SET version = version - 1")
        .execute(&server.db.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM balances")
        .execute(&server.db.pool)
        .await
        .unwrap();

    // Act
    for projection in projections::all() {
        engine::catch_up(&server.db.pool, projection.as_ref(), 1000)
            .await
            .unwrap();
    }

    // Assert
    assert_eq!(digests(&server).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competing_workers_apply_every_event_exactly_once() {
    // Arrange: a history and its read models, then every projection emptied.
    let mut server = TestServer::start().await;
    let (last, (expected, indexed)) = emptied_after_history(&mut server).await;
    // Emptied, the read models went without the secondary indexes each names, and only those.
    let names: Vec<&'static str> = projections::all().iter().map(|p| p.name()).collect();
    let named: Vec<&'static str> = projections::all()
        .iter()
        .flat_map(|p| p.indexes_deferred().iter().copied())
        .collect();
    let deferred = engine::deferred_count(&server.db.pool, &names)
        .await
        .unwrap();
    assert_eq!(usize::try_from(deferred).unwrap(), named.len());
    let left = indexes(&server).await;
    for index in &indexed {
        let dropped = named
            .iter()
            .any(|name| index.contains(&format!(" {name} ON ")));
        assert_eq!(!left.contains(index), dropped, "{index}");
    }

    // Act: four worker loops (as on four nodes) race over the same projections with tiny batches.
    let (stop, stopped) = watch::channel(false);
    let mut loops = Vec::new();
    for _ in 0..4 {
        loops.push(tokio::spawn(engine::run_until_stopped(
            server.db.pool.clone(),
            projections::all(),
            WorkerConfig {
                batch_size: 3,
                poll_interval: Duration::from_millis(10),
                gather: Duration::from_millis(1),
                gather_alone: Duration::from_millis(1),
            },
            Progress::default(),
            stopped.clone(),
        )));
    }
    let progress = Progress::default();
    for projection in projections::all() {
        let reached = engine::wait_for_position(
            &server.db.pool,
            &progress,
            projection.name(),
            last,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        assert!(reached);
    }
    // Caught up, the workers build what was deferred.
    wait_indexes_built(&server).await;
    stop.send(true).unwrap();
    for handle in loops {
        handle.await.unwrap();
    }

    // Assert: the same rows as a lone rebuild, every index back as it was, and each checkpoint
    // counted every event once.
    assert_eq!(digests(&server).await, expected);
    assert_eq!(indexes(&server).await, indexed);
    let events = server.event_count().await;
    let checkpoints = engine::checkpoints(&server.db.pool).await.unwrap();
    for projection in projections::all() {
        assert_eq!(
            checkpoints[projection.name()].events,
            events,
            "{}",
            projection.name()
        );
    }
}

#[tokio::test]
async fn a_step_on_a_projection_held_by_another_worker_reports_busy() {
    // Arrange: a transaction holds the projection's lock, as a worker on another node would.
    // The stopped server's connections are closed, but PostgreSQL ends their sessions (and
    // releases what they held) on its own time: on a busy machine, take the lock once it is free.
    let mut server = TestServer::start().await;
    server.stop().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let other = loop {
        let mut other = server.db.pool.begin().await.unwrap();
        let held: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock(hashtextextended('projection:' || 'clients', 0))",
        )
        .fetch_one(&mut *other)
        .await
        .unwrap();
        if held {
            break other;
        }
        other.rollback().await.unwrap();
        assert!(
            std::time::Instant::now() < deadline,
            "the stopped server still holds the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Act
    let clients = projections::by_name("clients").unwrap();
    let outcome = engine::try_project_batch(&server.db.pool, clients.as_ref(), 10)
        .await
        .unwrap();

    // Assert
    assert_eq!(outcome, Outcome::Busy);
    other.rollback().await.unwrap();
    let outcome = engine::try_project_batch(&server.db.pool, clients.as_ref(), 10)
        .await
        .unwrap();
    assert_ne!(outcome, Outcome::Busy);
}

/// A read model with no tables that refuses every batch while it is broken, as a projection
/// with a bug would.
struct Flaky {
    broken: AtomicBool,
}

#[async_trait]
impl Projection for Flaky {
    fn name(&self) -> &'static str {
        "flaky_test"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        _events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(ProjectionError::Malformed("broken on purpose".to_owned()))
        } else {
            Ok(())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_read_model_holds_back_no_other_and_catches_up_once_fixed() {
    // Arrange: every read model emptied, and one more that fails.
    let mut server = TestServer::start().await;
    let (last, (expected, _)) = emptied_after_history(&mut server).await;
    let flaky = Arc::new(Flaky {
        broken: AtomicBool::new(true),
    });
    let mut members = projections::all();
    let member: Arc<dyn Projection> = flaky.clone();
    members.push(member);

    // Act: the workers run while it is broken.
    let (stop, stopped) = watch::channel(false);
    let workers = tokio::spawn(engine::run_until_stopped(
        server.db.pool.clone(),
        members,
        WorkerConfig {
            batch_size: 5,
            poll_interval: Duration::from_millis(10),
            gather: Duration::from_millis(1),
            gather_alone: Duration::from_millis(1),
        },
        Progress::default(),
        stopped,
    ));
    let progress = Progress::default();
    let reached = |name: &'static str| {
        let pool = server.db.pool.clone();
        let progress = progress.clone();
        async move {
            engine::wait_for_position(&pool, &progress, name, last, Duration::from_secs(30))
                .await
                .unwrap()
        }
    };

    // Assert: the others reach the head and build what they built before; the broken one has
    // applied nothing.
    for projection in projections::all() {
        assert!(reached(projection.name()).await, "{}", projection.name());
    }
    assert_eq!(digests(&server).await, expected);
    // Its first step, which would have written its checkpoint, never committed.
    let checkpoints = engine::checkpoints(&server.db.pool).await.unwrap();
    assert_eq!(checkpoints.get("flaky_test").map(|c| c.events), None);

    // Act: it is fixed.
    flaky.broken.store(false, Ordering::SeqCst);

    // Assert: it catches up, having applied every event once.
    assert!(reached("flaky_test").await);
    stop.send(true).unwrap();
    workers.await.unwrap();
    let checkpoints = engine::checkpoints(&server.db.pool).await.unwrap();
    assert_eq!(checkpoints["flaky_test"].events, server.event_count().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_step_gives_each_read_model_only_the_events_after_its_own_checkpoint() {
    // Arrange: the read models at the head of the log, then one of them emptied.
    let mut server = TestServer::start().await;
    let last = history(&server).await;
    wait_caught_up(&server, last).await;
    server.stop().await;
    let expected = digests(&server).await;
    let events = server.event_count().await;
    let balances = projections::by_name("balances").unwrap();
    engine::reset(&server.db.pool, balances.as_ref())
        .await
        .unwrap();

    // Act: one group step over all of them, a batch smaller than the log.
    let step = engine::try_project_group(&server.db.pool, &projections::all(), 10)
        .await
        .unwrap();

    // Assert: only the emptied one was given the batch, and it is reported a batch behind.
    assert_eq!(step.held, projections::all().len());
    assert_eq!(step.read, 10);
    assert_eq!(step.behind, vec!["balances"]);
    let checkpoints = engine::checkpoints(&server.db.pool).await.unwrap();
    assert_eq!(checkpoints["balances"].events, 10);
    assert_eq!(checkpoints["clients"].events, events);

    // Act: group steps until nothing is left to read.
    while engine::try_project_group(&server.db.pool, &projections::all(), 10)
        .await
        .unwrap()
        .read
        > 0
    {}

    // Assert: every read model as before, each having counted every event once.
    assert_eq!(digests(&server).await, expected);
    let checkpoints = engine::checkpoints(&server.db.pool).await.unwrap();
    for projection in projections::all() {
        assert_eq!(
            checkpoints[projection.name()].events,
            events,
            "{}",
            projection.name()
        );
    }
}
