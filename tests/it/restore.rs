//! Backup and restore from the log: an auditor's export loaded into an empty database gives the
//! same sealed log and the same read models; an altered export writes nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use tests::{ADMIN_TOKEN, READ_MODELS, TestDb, TestServer, table_digest};

async fn digests(pool: &sqlx::PgPool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (table, order) in READ_MODELS {
        out.push((table, table_digest(pool, table, order).await));
    }
    out
}

/// Waits until every projection and process manager has applied the whole log and the log has
/// stopped growing (the process managers write too).
async fn settled(server: &TestServer) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let head = eventstore::log::head_position(&server.db.pool)
            .await
            .unwrap();
        let behind: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projection_checkpoints c JOIN events e
                     ON e.global_position = $1
                  WHERE (c.tx_id, c.position) < (e.tx_id, e.global_position)",
        )
        .bind(head)
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = eventstore::log::head_position(&server.db.pool)
            .await
            .unwrap();
        if behind == 0 && again == head {
            return head;
        }
        assert!(Instant::now() < deadline, "the log did not settle");
    }
}

/// `GET /v1/audit/events` into `file`, as `billing audit stream --out` keeps it.
async fn export(server: &TestServer, file: &Path) -> Vec<String> {
    let body = server
        .http
        .get(format!("{}/v1/audit/events", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(file, &body).unwrap();
    body.lines().map(str::to_owned).collect()
}

/// `billing restore FILE` over `database_url`: its exit, its report (stdout) and its log.
async fn restore(database_url: &str, file: &Path) -> (bool, Value, String) {
    let ran = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(tests::billing_binary())
            .args(["restore", "--quiet"])
            .arg(file)
            .env("DATABASE_URL", database_url)
            .env("BILLING_LOG_FORMAT", "text")
            .env("BILLING_DB_CONNECTIONS", "8")
            .env("NO_COLOR", "1")
            .output(),
    )
    .await
    .expect("billing restore finishes")
    .expect("run billing restore");
    let report = serde_json::from_slice(&ran.stdout).unwrap_or(Value::Null);
    (
        ran.status.success(),
        report,
        String::from_utf8_lossy(&ran.stderr).into_owned(),
    )
}

/// The log's key and indexes, as PostgreSQL would create them again: a restore drops them while
/// it loads and builds them before it commits.
async fn log_indexes(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'events' AND schemaname = current_schema()
          ORDER BY indexdef",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn event_count(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_restored_into_an_empty_database_gives_the_same_log_seal_and_read_models() {
    // Arrange: a history with money, documents and services, sealed and projected.
    let mut server = TestServer::start().await;
    crate::projections::history(&server).await;
    let head = settled(&server).await;
    let file = std::env::temp_dir().join(format!("billing-export-{}.ndjson", uuid::Uuid::now_v7()));
    let lines = export(&server, &file).await;
    server.stop().await;
    let original = digests(&server.db.pool).await;
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["position"].as_i64(), Some(head));
    let target = TestDb::new().await;

    // Act
    let (ok, report, log) = restore(&target.url, &file).await;

    // Assert: every event, the chain checked line by line and ending at the exported link; the
    // log verifies; every read model equals the original's; the next append goes after it.
    assert!(ok, "{log}");
    assert_eq!(
        report["events"].as_u64(),
        Some(u64::try_from(lines.len()).unwrap()),
        "{report}"
    );
    assert_eq!(report["links_checked"], report["events"], "{report}");
    assert_eq!(report["head"]["position"].as_i64(), Some(head), "{report}");
    assert_eq!(report["head"]["hash"], last["hash"], "{report}");
    assert_eq!(
        event_count(&target.pool).await,
        i64::try_from(lines.len()).unwrap()
    );
    // The link the auditor kept from the original is in the restored chain.
    let anchor = projections::seal::Anchor {
        position: head,
        hash: projections::seal::from_hex(last["hash"].as_str().unwrap()).unwrap(),
    };
    let verification = projections::seal::verify(&target.pool, Some(anchor))
        .await
        .unwrap();
    assert!(verification.clean, "{verification:?}");
    assert_eq!(
        verification.events_checked,
        u64::try_from(lines.len()).unwrap()
    );
    let restored = digests(&target.pool).await;
    for ((table, want), (_, got)) in original.iter().zip(&restored) {
        assert_eq!(got, want, "read model {table}");
    }
    let mut restarted =
        TestServer::start_on(target, std::sync::Arc::new(eventstore::clock::SystemClock)).await;
    let provider = restarted.provider("EUR").await;
    let position: i64 =
        sqlx::query_scalar("SELECT global_position FROM events WHERE aggregate_id = $1")
            .bind(&provider)
            .fetch_one(&restarted.db.pool)
            .await
            .unwrap();
    assert!(
        position > head,
        "a new event goes after the restored ones: {position} <= {head}"
    );
    let sealed = settled(&restarted).await;
    let verification = projections::seal::verify(&restarted.db.pool, Some(anchor))
        .await
        .unwrap();
    assert!(verification.clean, "{verification:?} at {sealed}");
    restarted.stop().await;
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_or_reordered_export_is_refused_and_writes_nothing() {
    // Arrange
    let mut server = TestServer::start().await;
    crate::projections::history(&server).await;
    settled(&server).await;
    let file = std::env::temp_dir().join(format!("billing-export-{}.ndjson", uuid::Uuid::now_v7()));
    let lines = export(&server, &file).await;
    server.stop().await;
    let middle = lines.len() / 2;
    let paid = lines
        .iter()
        .position(|line| line.contains("\"PaymentPosted\""))
        .expect("a payment in the history");
    let target = TestDb::new().await;
    let indexed = log_indexes(&target.pool).await;
    assert!(indexed.len() >= 3, "{indexed:?}");

    // Act 1: a payment's amount changed, its line's hash left as it was.
    let mut altered = lines.clone();
    altered[paid] = altered[paid].replacen("\"10.50\"", "\"90.50\"", 1);
    assert_ne!(
        altered[paid], lines[paid],
        "the payment of 10.50 is there to alter"
    );
    std::fs::write(&file, altered.join("\n") + "\n").unwrap();
    let (ok, _, log) = restore(&target.url, &file).await;

    // Assert: refused at that line, naming its position; nothing written.
    assert!(!ok);
    let position = serde_json::from_str::<Value>(&lines[paid]).unwrap()["position"]
        .as_i64()
        .unwrap();
    assert!(
        log.contains(&format!("the chain breaks at position {position}")),
        "{log}"
    );
    assert_eq!(event_count(&target.pool).await, 0);
    assert_eq!(log_indexes(&target.pool).await, indexed);

    // Act 2: two lines swapped.
    let mut swapped = lines.clone();
    swapped.swap(middle, middle + 1);
    std::fs::write(&file, swapped.join("\n") + "\n").unwrap();
    let (ok, _, log) = restore(&target.url, &file).await;
    // The first line out of place is refused: its link no longer follows from the one before.
    assert!(!ok);
    assert!(log.contains(&format!("line {}: ", middle + 1)), "{log}");
    assert_eq!(event_count(&target.pool).await, 0);

    // Act 3: the whole export, then again into the now full database.
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (ok, _, log) = restore(&target.url, &file).await;
    assert!(ok, "{log}");
    assert_eq!(log_indexes(&target.pool).await, indexed);
    let (ok, _, log) = restore(&target.url, &file).await;
    assert!(!ok);
    assert!(
        log.contains(&format!("already holds {} events", lines.len())),
        "{log}"
    );
    assert_eq!(
        event_count(&target.pool).await,
        i64::try_from(lines.len()).unwrap()
    );
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn the_transaction_counter_is_advanced_past_an_export_from_an_older_cluster() {
    // Arrange: an export whose last transaction id is ahead of this cluster's counter.
    let db = TestDb::new().await;
    let next: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let last = next + 30_000;

    // Act
    let advanced = api::cli::restore::advance_counter_past(&db.pool, last)
        .await
        .unwrap();

    // Assert: a transaction begun now is past it, so the log reader's safe order (tx_id below
    // the oldest running transaction's) takes every restored event.
    let now: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(now > last, "{now} <= {last}");
    // The other tests share the cluster and take transaction ids too, so the function may have
    // needed a few fewer than 30,000; it took some, and no more than the counter moved.
    assert!(advanced > 0 && advanced <= now - next, "{advanced}");
    let far =
        api::cli::restore::advance_counter_past(&db.pool, now + 2 * api::cli::restore::MAX_ADVANCE)
            .await;
    assert!(
        far.as_ref()
            .is_err_and(|e| e.to_string().contains("pg_resetwal -x")),
        "{far:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_log_takes_new_events_after_its_highest_position_not_its_last_lines() {
    // Arrange: two transactions that committed at once, their positions interleaved, so that
    // the export's last line (in the safe order, by transaction) is not its highest position.
    let mut server = TestServer::start().await;
    server.provider("EUR").await;
    let mut first = server.db.pool.begin().await.unwrap();
    let mut second = server.db.pool.begin().await.unwrap();
    // The first transaction takes its id first, so it comes first in the safe order; the second
    // then takes the lower position.
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *first)
        .await
        .unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *second)
        .await
        .unwrap();
    crate::pressure::insert_probe(&mut second, 1).await;
    let highest = crate::pressure::insert_probe(&mut first, 2).await;
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    let head = settled(&server).await;
    assert!(
        highest > head,
        "the positions interleave: {highest} <= {head}"
    );
    let file = std::env::temp_dir().join(format!("billing-export-{}.ndjson", uuid::Uuid::now_v7()));
    export(&server, &file).await;
    server.stop().await;
    let target = TestDb::new().await;
    let (ok, _, log) = restore(&target.url, &file).await;
    assert!(ok, "{log}");

    // Act: a command on the restored database.
    let mut restarted =
        TestServer::start_on(target, std::sync::Arc::new(eventstore::clock::SystemClock)).await;
    let created = restarted
        .post(
            "/v1/providers",
            serde_json::json!({"name": "After the restore", "currency": "EUR"}),
        )
        .await;

    // Assert: accepted, and its event goes after every restored one.
    assert_eq!(created.status, reqwest::StatusCode::CREATED, "{created:?}");
    let position: i64 = sqlx::query_scalar(
        "SELECT max(global_position) FROM events WHERE aggregate_type = 'Provider'",
    )
    .fetch_one(&restarted.db.pool)
    .await
    .unwrap();
    assert!(position > highest, "{position} <= {highest}");
    restarted.stop().await;
    let _ = std::fs::remove_file(&file);
}
