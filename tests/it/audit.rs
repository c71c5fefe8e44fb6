//! Issue 6 for auditors: the sealed log and its verification, the NDJSON stream, the replay from
//! the raw log, and balances, statements and services as of a past moment.

use std::collections::HashMap;
use std::time::Duration;

use eventstore::log::{self, LogPosition};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;

use crate::projections::{history, wait_caught_up};

/// A small history, with every projection (the seal included) caught up with it.
async fn sealed_history() -> (TestServer, i64) {
    let server = TestServer::start().await;
    let head = history(&server).await;
    wait_caught_up(&server, head).await;
    (server, head)
}

/// The position of the `n`-th event (in safe order) of type `event_type`.
async fn position_of(server: &TestServer, event_type: &str, n: usize) -> i64 {
    let positions: Vec<i64> = sqlx::query_scalar(
        "SELECT global_position FROM events WHERE event_type = $1 ORDER BY tx_id, global_position",
    )
    .bind(event_type)
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    positions[n]
}

/// Runs `sql` as a superuser tampering with the log would: with triggers off for the
/// transaction, so the append-only trigger does not refuse it.
async fn tamper(server: &TestServer, sql: &str) {
    let mut tx = server.db.pool.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    let done = sqlx::query(sql).execute(&mut *tx).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
    tx.commit().await.unwrap();
}

/// Turns the fifth payment's method from card to cash behind the seal; returns its position.
async fn alter_a_payment(server: &TestServer) -> i64 {
    let target = position_of(server, "PaymentPosted", 4).await;
    tamper(
        server,
        &format!(
            "UPDATE events SET payload = replace(payload::text, '\"card\"', '\"cash\"')::json
              WHERE global_position = {target}"
        ),
    )
    .await;
    target
}

async fn verify(server: &TestServer) -> Value {
    let answer = server.get("/v1/audit/verify").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_log_verifies_clean_up_to_its_sealed_head() {
    // Arrange
    let (server, head) = sealed_history().await;

    // Act
    let verdict = verify(&server).await;

    // Assert
    assert_eq!(verdict["clean"], true, "{verdict}");
    assert_eq!(verdict["events_checked"], server.event_count().await);
    assert_eq!(verdict["sealed_head"]["position"], head);
    assert_eq!(verdict["unsealed"], 0);
    assert!(verdict.get("first_problem").is_none(), "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_head_verifies_and_a_link_that_is_not_in_the_chain_does_not() {
    // Arrange
    let (server, head) = sealed_history().await;
    let exported = server.get("/v1/audit/head").await;
    assert_eq!(exported.status, StatusCode::OK, "{exported:?}");
    assert_eq!(exported.body["position"], head);
    assert_eq!(exported.body["sealed_events"], server.event_count().await);
    let hash = exported.body["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    let stored: Vec<u8> = sqlx::query_scalar("SELECT hash FROM audit_chain WHERE position = $1")
        .bind(head)
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
    assert_eq!(projections::seal::to_hex(&stored), hash);

    // Act
    let held = server
        .get(&format!("/v1/audit/verify?position={head}&hash={hash}"))
        .await;
    let forged = format!(
        "{}{}",
        if hash.starts_with('0') { "1" } else { "0" },
        &hash[1..]
    );
    let wrong = server
        .get(&format!("/v1/audit/verify?position={head}&hash={forged}"))
        .await;
    let malformed = server
        .get(&format!("/v1/audit/verify?position={head}&hash=xyz"))
        .await;
    let half = server
        .get(&format!("/v1/audit/verify?position={head}"))
        .await;

    // Assert
    assert_eq!(held.body["clean"], true, "{held:?}");
    assert_eq!(wrong.body["clean"], false, "{wrong:?}");
    assert_eq!(wrong.body["first_problem"]["kind"], "link_not_in_chain");
    assert_eq!(wrong.body["first_problem"]["position"], head);
    for bad in [malformed, half] {
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(bad.content_type, "application/problem+json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_payload_is_reported_at_its_position() {
    // Arrange
    let (server, _) = sealed_history().await;

    // Act
    let target = alter_a_payment(&server).await;
    let verdict = verify(&server).await;

    // Assert
    assert_eq!(verdict["clean"], false, "{verdict}");
    assert_eq!(verdict["first_problem"]["kind"], "altered");
    assert_eq!(verdict["first_problem"]["position"], target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_event_is_reported_at_its_position() {
    // Arrange
    let (server, _) = sealed_history().await;
    let target = position_of(&server, "ExpenseCharged", 1).await;

    // Act
    tamper(
        &server,
        &format!("DELETE FROM events WHERE global_position = {target}"),
    )
    .await;
    let verdict = verify(&server).await;

    // Assert
    assert_eq!(verdict["clean"], false, "{verdict}");
    assert_eq!(verdict["first_problem"]["kind"], "removed");
    assert_eq!(verdict["first_problem"]["position"], target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inserted_event_is_reported_at_its_position() {
    // Arrange: a forged payment slipped into the transaction of an old one, behind the seal.
    let (server, head) = sealed_history().await;
    let old = position_of(&server, "PaymentPosted", 2).await;
    let forged = head + 1000;

    // Act
    tamper(
        &server,
        &format!(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata, global_position, tx_id)
             OVERRIDING SYSTEM VALUE
             SELECT aggregate_type, aggregate_id, 9999, event_type, event_version, payload,
                    metadata, {forged}, tx_id
               FROM events WHERE global_position = {old}"
        ),
    )
    .await;
    let verdict = verify(&server).await;

    // Assert
    assert_eq!(verdict["clean"], false, "{verdict}");
    assert_eq!(verdict["first_problem"]["kind"], "inserted");
    assert_eq!(verdict["first_problem"]["position"], forged);
}

/// The chain's rows as written: each row's transaction id with its position. A row written again
/// has another.
async fn chain_writes(server: &TestServer) -> String {
    sqlx::query_scalar(
        "SELECT string_agg(position || ':' || xmin::text, ',' ORDER BY position) FROM audit_chain",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_checks_the_log_against_its_seal_and_never_seals_an_altered_log_again() {
    // Arrange: a sealed history, no worker running.
    let (mut server, _) = sealed_history().await;
    server.stop().await;
    let sealed = chain_writes(&server).await;

    // Act: rebuild every read model over the untouched log, then alter a payment behind the
    // seal and rebuild again.
    let clean = api::cli::rebuild::rebuild(&server.db.pool, &projections::all(), 7, false).await;
    let after_clean = chain_writes(&server).await;
    let target = alter_a_payment(&server).await;
    let altered = api::cli::rebuild::rebuild(&server.db.pool, &projections::all(), 7, false).await;

    // Assert: the untouched log matched its chain, which was kept, not written again; the
    // altered one stops the rebuild at the altered event, the chain stays as it was sealed, and
    // verification still names the event.
    assert!(clean.is_ok(), "{clean:?}");
    assert_eq!(after_clean, sealed);
    match altered {
        Err(projections::ProjectionError::Tampered(finding)) => {
            assert_eq!(finding.position, target, "{finding:?}");
            assert_eq!(finding.kind, projections::seal::Tampering::Altered);
        }
        other => panic!("the rebuild of an altered log answered {other:?}"),
    }
    assert_eq!(chain_writes(&server).await, sealed);
    let verdict = projections::seal::verify(&server.db.pool, None)
        .await
        .unwrap();
    assert!(!verdict.clean, "{verdict:?}");
    let problem = verdict.first_problem.unwrap();
    assert_eq!(
        (problem.kind, problem.position),
        (projections::seal::Tampering::Altered, target)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_finds_a_sealed_event_removed_from_the_end_of_the_log() {
    // Arrange: a sealed history whose last event is deleted behind the seal, no worker running.
    let (mut server, _) = sealed_history().await;
    server.stop().await;
    let last: i64 = sqlx::query_scalar(
        "SELECT global_position FROM events ORDER BY tx_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    tamper(
        &server,
        &format!("DELETE FROM events WHERE global_position = {last}"),
    )
    .await;

    // Act: no event after it is left for the rebuild to compare with the chain's last link.
    let rebuilt = api::cli::rebuild::rebuild(&server.db.pool, &projections::all(), 7, false).await;

    // Assert: the link no event reaches is reported as the event removed, as `verify` does.
    match rebuilt {
        Err(projections::ProjectionError::Tampered(finding)) => {
            assert_eq!(
                (finding.kind, finding.position),
                (projections::seal::Tampering::Removed, last),
                "{finding:?}"
            );
        }
        other => panic!("the rebuild of a log without its last event answered {other:?}"),
    }
    let verdict = projections::seal::verify(&server.db.pool, None)
        .await
        .unwrap();
    let problem = verdict.first_problem.unwrap();
    assert_eq!(
        (problem.kind, problem.position),
        (projections::seal::Tampering::Removed, last)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ndjson_stream_is_the_log_in_safe_order_with_its_chain_hashes() {
    // Arrange
    let (server, _) = sealed_history().await;
    let events = log::read_after(&server.db.pool, LogPosition::default(), 100_000)
        .await
        .unwrap();
    let hashes: HashMap<i64, Vec<u8>> =
        sqlx::query_as::<_, (i64, Vec<u8>)>("SELECT position, hash FROM audit_chain")
            .fetch_all(&server.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();

    // Act
    let response = server
        .http
        .get(format!("{}/v1/audit/events", server.url))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    let middle = events[events.len() / 2].position;
    let resumed = server
        .http
        .get(format!("{}/v1/audit/events?after={middle}", server.url))
        .bearer_auth(tests::ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(content_type, "application/x-ndjson");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), events.len());
    for (line, event) in lines.iter().zip(&events) {
        assert_eq!(line["position"], event.position);
        assert_eq!(line["tx_id"], event.tx_id);
        assert_eq!(line["aggregate"]["type"], event.aggregate_type.as_str());
        assert_eq!(line["aggregate"]["id"], event.aggregate_id.as_str());
        assert_eq!(line["sequence"], event.sequence);
        assert_eq!(line["type"], event.event_type.as_str());
        assert_eq!(line["version"], event.event_version.as_str());
        assert_eq!(
            line["payload"],
            serde_json::from_str::<Value>(&event.payload).unwrap()
        );
        assert_eq!(
            line["metadata"],
            serde_json::from_str::<Value>(&event.metadata).unwrap()
        );
        let recorded: chrono::DateTime<chrono::Utc> =
            line["recorded_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(recorded, event.recorded_at);
        assert_eq!(
            line["hash"].as_str().unwrap(),
            projections::seal::to_hex(&hashes[&event.position])
        );
    }
    let after_middle: Vec<i64> = resumed
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["position"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let expected: Vec<i64> = events
        .iter()
        .skip_while(|e| e.position != middle)
        .skip(1)
        .map(|e| e.position)
        .collect();
    assert_eq!(after_middle, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_after_or_as_of_is_a_problem_not_a_server_error() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Anna Berg").await;

    // Act
    let mut answers = Vec::new();
    for path in [
        "/v1/audit/events?after=abc".to_owned(),
        "/v1/audit/events?after=-3".to_owned(),
        "/v1/audit/events?after=999999".to_owned(),
        format!("/v1/clients/{client}/balance?as_of=yesterday"),
        format!("/v1/clients/{client}/statement?as_of=2027-13-01T00:00:00Z"),
        format!("/v1/clients/{client}/services?as_of=2027-01-01"),
    ] {
        answers.push((path.clone(), server.get(&path).await));
    }

    // Assert
    for (path, answer) in answers {
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_the_log_reproduces_the_read_models_and_reports_an_altered_row() {
    // Arrange
    let (mut server, _) = sealed_history().await;
    server.stop().await;

    // Act
    let clean = projections::replay::replay(&server.db.pool).await.unwrap();
    let account: uuid::Uuid = sqlx::query_scalar(
        "SELECT account_id FROM balances WHERE balance <> 0 ORDER BY account_id LIMIT 1",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE balances SET balance = balance + 0.01 WHERE account_id = $1")
        .bind(account)
        .execute(&server.db.pool)
        .await
        .unwrap();
    let expense: uuid::Uuid =
        sqlx::query_scalar("SELECT expense_id FROM expenses ORDER BY expense_id LIMIT 1")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
    sqlx::query("UPDATE expenses SET returned = 1 WHERE expense_id = $1")
        .bind(expense)
        .execute(&server.db.pool)
        .await
        .unwrap();
    let altered = projections::replay::replay(&server.db.pool).await.unwrap();

    // Assert
    assert!(clean.differences.is_empty(), "{:?}", clean.differences);
    assert_eq!(
        clean.events,
        u64::try_from(server.event_count().await).unwrap()
    );
    assert!(
        clean.accounts >= 6 && clean.expenses >= 3 && clean.invoices >= 1,
        "{clean:?}"
    );
    let found: Vec<(&str, String, &str)> = altered
        .differences
        .iter()
        .map(|d| (d.read_model, d.key.clone(), d.field))
        .collect();
    assert_eq!(
        found,
        vec![
            ("balances", account.to_string(), "balance"),
            ("expenses", expense.to_string(), "returned"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_statement_and_services_as_of_a_past_moment_are_what_they_were_then() {
    // Arrange: a client pays and orders a service at t0; an hour later, what it looks like is
    // kept. Then more happens: another payment, an adjustment, the activation, a suspension.
    let (server, clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({"provider_id": provider, "name": "VDS S", "item_type": "vds",
                   "prices": [{"period": "P1M", "price": {"amount": "5.00", "currency": "EUR"}}]}),
        )
        .await;
    let tariff = tariff.body["id"].as_str().unwrap().to_owned();
    let client = server.client(&provider, "Olga Berg").await;
    let before_client = tests::t0() - chrono::Duration::minutes(1);
    clock.advance(chrono::Duration::minutes(5));
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": uuid::Uuid::now_v7(), "amount": "20.00", "currency": "EUR",
                   "method": "card"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P1M"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    let head = log::head_position(&server.db.pool).await.unwrap();
    clock.advance(chrono::Duration::hours(1));
    let then = clock_now(&clock);
    let balance_then = server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await
        .body;
    let statement_then = server
        .get(&format!(
            "/v1/clients/{client}/statement?min_position={head}"
        ))
        .await
        .body;
    let services_then = server
        .get(&format!(
            "/v1/clients/{client}/services?min_position={head}"
        ))
        .await
        .body;
    clock.advance(chrono::Duration::days(3));
    let later = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": uuid::Uuid::now_v7(), "amount": "7.00", "currency": "EUR",
                   "method": "card"}),
        )
        .await;
    assert_eq!(later.status, StatusCode::CREATED, "{later:?}");
    let adjusted = server
        .post(
            &format!("/v1/clients/{client}/adjustments"),
            json!({"adjustment_id": uuid::Uuid::now_v7(), "amount": "-1.50", "currency": "EUR",
                   "reason": "bank fee"}),
        )
        .await;
    assert_eq!(adjusted.status, StatusCode::CREATED, "{adjusted:?}");
    let head = log::head_position(&server.db.pool).await.unwrap();
    let pending = server
        .get(&format!(
            "/v1/operations?status=pending&min_position={head}"
        ))
        .await;
    let operation = pending.body["items"][0]["id"].as_str().unwrap().to_owned();
    let activated = server
        .post(&format!("/v1/operations/{operation}/complete"), json!({}))
        .await;
    assert_eq!(activated.status, StatusCode::OK, "{activated:?}");
    let suspended = server
        .post(
            &format!("/v1/services/{service}/suspend"),
            json!({"reason": "abuse"}),
        )
        .await;
    assert!(suspended.status.is_success(), "{suspended:?}");
    let head = log::head_position(&server.db.pool).await.unwrap();
    let now_balance = server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await
        .body;
    assert_ne!(now_balance, balance_then);

    // Act
    let at = then.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let balance = server
        .get(&format!("/v1/clients/{client}/balance?as_of={at}"))
        .await;
    let statement = server
        .get(&format!("/v1/clients/{client}/statement?as_of={at}"))
        .await;
    let services = server
        .get(&format!("/v1/clients/{client}/services?as_of={at}"))
        .await;
    let services_now = server
        .get(&format!(
            "/v1/clients/{client}/services?as_of={}",
            clock_now(&clock).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ))
        .await;
    let current_services = server
        .get(&format!(
            "/v1/clients/{client}/services?min_position={head}"
        ))
        .await;
    let unborn = server
        .get(&format!(
            "/v1/clients/{client}/balance?as_of={}",
            before_client.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ))
        .await;

    // Assert
    assert_eq!(balance.status, StatusCode::OK, "{balance:?}");
    assert_eq!(balance.body, balance_then);
    assert_eq!(balance.body["accounts"][0]["balance"], "15.00");
    assert_eq!(statement.body, statement_then);
    assert_eq!(services.body, services_then);
    assert_eq!(services_now.body, current_services.body);
    assert_eq!(unborn.status, StatusCode::NOT_FOUND, "{unborn:?}");
}

fn clock_now(clock: &eventstore::clock::FixedClock) -> chrono::DateTime<chrono::Utc> {
    use eventstore::clock::Clock;
    clock.now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_written_in_bulk_are_genuine_sealed_and_replay_clean() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let loaded = api::cli::bulk::load(&server.db.pool, 2_000, 7)
        .await
        .unwrap();
    let head = log::head_position(&server.db.pool).await.unwrap();
    wait_caught_up(&server, head).await;
    let replayed = projections::replay::replay(&server.db.pool).await.unwrap();
    let verdict = verify(&server).await;

    // Assert: each aggregate's sequences run from 1 without gaps, the read models agree with
    // the fold of the log, and the log verifies against its seal.
    assert!(loaded.events >= 2_000, "{loaded:?}");
    assert_eq!(
        loaded.events,
        u64::try_from(server.event_count().await).unwrap()
    );
    let gapped: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT aggregate_type, aggregate_id FROM events
                                GROUP BY 1, 2 HAVING max(sequence) <> count(*)) g",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(gapped, 0);
    assert!(
        replayed.differences.is_empty(),
        "{:?}",
        replayed.differences
    );
    assert_eq!(verdict["clean"], true, "{verdict}");
    let balance_check = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM balances WHERE balance < 0")
            .fetch_one(&server.db.pool),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(balance_check, 0);
}
