//! The demo data set: written through the commands, projected like everything else.

use std::sync::Arc;
use std::time::Duration;

use eventstore::EventStore;
use eventstore::clock::SystemClock;
use tests::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_data_set_is_written_through_commands_and_adds_up() {
    // Arrange
    let server = TestServer::start().await;
    let store = EventStore::new(server.db.pool.clone(), Arc::new(SystemClock));

    // Act
    let seeded = api::cli::demo::seed(&store, 40, 7).await.unwrap();
    let again = api::cli::demo::seed(&store, 40, 7).await.unwrap();
    let state = &server.running.as_ref().unwrap().state;
    // The process managers act on the seeded events (the invoicing process numbers drafts, the
    // prepayment process issues and marks paid the invoice of each prepaid payment): wait for
    // them first, then for the read models to take in what they wrote too.
    let seeded_head = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap();
    for process in ["invoicing", "prepayment_invoices"] {
        let reached = projections::engine::wait_for_position(
            &server.db.pool,
            &state.progress,
            process,
            seeded_head,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
        assert!(reached, "{process}");
    }
    let head = eventstore::log::head_position(&server.db.pool)
        .await
        .unwrap();
    for projection in projections::all() {
        let reached = projections::engine::wait_for_position(
            &server.db.pool,
            &state.progress,
            projection.name(),
            head,
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        assert!(reached, "{}", projection.name());
    }

    // Assert: the counts, a second seed that writes nothing, and every balance equal to the
    // money events of its account in the log.
    assert_eq!(
        (seeded.providers, seeded.clients, seeded.tariffs),
        (2, 40, 6)
    );
    assert!(seeded.payments > 0 && seeded.services > 0, "{seeded:?}");
    assert_eq!(seeded.companies, 2);
    assert!(seeded.invoices > 0, "{seeded:?}");
    // The demo's client user signs in to the customer panel and sees its own client's page.
    assert_eq!(seeded.client_users, 1);
    let my = crate::my_panel::MyPanel::sign_in(
        &server,
        api::cli::demo::DEMO_USER,
        api::cli::demo::DEMO_PASSWORD,
    )
    .await;
    let home = my.get("/my").await;
    assert_eq!(home.status, reqwest::StatusCode::OK, "{home:?}");
    assert!(home.body.contains("Personal accounts"), "{}", home.body);
    let numbered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invoices WHERE number IS NOT NULL AND status = 'issued'",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(numbered, i64::try_from(seeded.invoices).unwrap());
    // Started again on the same database, the demo writes nothing and says what it kept.
    assert_eq!(again.clients, 0);
    let kept = again.kept.expect("a second seed reports what it kept");
    assert_eq!(
        (kept.providers, kept.clients, kept.services),
        (2, 40, i64::try_from(seeded.services).unwrap()),
        "{kept:?}"
    );
    assert!(kept.events > 0, "{kept:?}");
    let clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients")
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
    assert_eq!(clients, 40);
    let mismatched: i64 = sqlx::query_scalar(
        "WITH moved AS (
             SELECT aggregate_id::uuid AS account_id,
                    sum(CASE event_type
                          WHEN 'PaymentPosted' THEN (payload::jsonb->'PaymentPosted'->'amount'->>'amount')::numeric
                          WHEN 'BalanceAdjusted' THEN (payload::jsonb->'BalanceAdjusted'->'amount'->>'amount')::numeric
                          WHEN 'ExpenseCharged' THEN -(payload::jsonb->'ExpenseCharged'->'expense'->'amount'->>'amount')::numeric
                          ELSE 0 END) AS total
               FROM events WHERE aggregate_type = 'Account' GROUP BY 1)
         SELECT count(*) FROM balances b LEFT JOIN moved m USING (account_id)
          WHERE b.balance <> coalesce(m.total, 0)",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
}
