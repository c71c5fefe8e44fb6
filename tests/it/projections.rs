//! The projection engine: exactly once, rebuilds, version bumps, one worker at a time.

use std::time::Duration;

use projections::engine::{self, Outcome};
use projections::{Progress, WorkerConfig};
use serde_json::json;
use tests::{READ_MODELS, TestServer, table_digest};
use tokio::sync::watch;

async fn digests(server: &TestServer) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in READ_MODELS {
        out.push(table_digest(&server.db.pool, table, order).await);
    }
    out
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
    eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_and_rebuilding_every_projection_gives_identical_read_models() {
    // Arrange: read models built incrementally by the running workers.
    let mut server = TestServer::start().await;
    let last = history(&server).await;
    wait_caught_up(&server, last).await;
    server.stop().await;
    let incremental = digests(&server).await;

    // Act: empty them all and rebuild from the log.
    let rebuilt = api::rebuild::rebuild(&server.db.pool, &projections::all(), 7, false)
        .await
        .unwrap();

    // Assert
    assert_eq!(digests(&server).await, incremental);
    let events = server.event_count().await;
    assert_eq!(
        rebuilt.events,
        u64::try_from(events).unwrap() * u64::try_from(projections::all().len()).unwrap()
    );
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
    let last = history(&server).await;
    wait_caught_up(&server, last).await;
    server.stop().await;
    let expected = digests(&server).await;
    for projection in projections::all() {
        engine::reset(&server.db.pool, projection.as_ref())
            .await
            .unwrap();
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
    stop.send(true).unwrap();
    for handle in loops {
        handle.await.unwrap();
    }

    // Assert: the same rows as a lone rebuild, and each checkpoint counted every event once.
    assert_eq!(digests(&server).await, expected);
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
    let mut server = TestServer::start().await;
    server.stop().await;
    let mut other = server.db.pool.begin().await.unwrap();
    let held: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('projection:' || 'clients', 0))",
    )
    .fetch_one(&mut *other)
    .await
    .unwrap();
    assert!(held);

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
