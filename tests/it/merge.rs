//! Merging clients, moving services, payers, client groups and status, over HTTP. The merge is
//! also run by the real `billing` binary killed with SIGKILL while the merge runs and restarted
//! against the same database: it must finish with the exact sums and do nothing twice.

use std::str::FromStr;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use tests::{TestDb, TestServer};
use uuid::Uuid;

use crate::crash::{BillingProcess, Reply, http_client, send};

// --- Over a running binary ---------------------------------------------------------------------

/// A client of the billing process: the base URL and an HTTP client.
struct Remote {
    http: reqwest::Client,
    base: String,
}

impl Remote {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        send(
            &self.http,
            method,
            &format!("{}{path}", self.base),
            body.as_ref(),
        )
        .await
    }

    async fn post_ok(&self, path: &str, body: Value) -> Value {
        let reply = self.call(Method::POST, path, Some(body)).await;
        assert!(
            matches!(
                reply.status(),
                Some(StatusCode::OK | StatusCode::CREATED | StatusCode::ACCEPTED)
            ),
            "POST {path}: {reply:?}"
        );
        reply.body()
    }

    async fn get_ok(&self, path: &str) -> Value {
        let reply = self.call(Method::GET, path, None).await;
        assert_eq!(
            reply.status(),
            Some(StatusCode::OK),
            "GET {path}: {reply:?}"
        );
        reply.body()
    }
}

/// One provider's scene: a target and two sources, with services and balances.
struct Books {
    currency: &'static str,
    target: String,
    sources: [String; 2],
    merge_id: Uuid,
    /// What the target must hold after the merge.
    expected_target: Decimal,
    services: usize,
    payer: String,
}

fn amount(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

/// Sets up a provider in `currency`: a target paid `target_paid`; a first source paid
/// `rich_paid` with `rich_services` services at 2.00 and a payer; a second source in debt
/// (paid 1.00, credit limit 30.00, `poor_services` services at 2.00).
async fn books(
    remote: &Remote,
    currency: &'static str,
    target_paid: &str,
    rich_paid: &str,
    rich_services: usize,
    poor_services: usize,
) -> Books {
    let provider = remote
        .post_ok(
            "/v1/providers",
            json!({ "name": format!("Merge Hosting {currency}"), "currency": currency }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tariff = remote
        .post_ok(
            "/v1/tariffs",
            json!({
                "provider_id": provider,
                "name": "VDS XS",
                "item_type": "vds",
                "prices": [{"period": "P1M", "price": {"amount": "2.00", "currency": currency}}],
            }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut clients = Vec::new();
    for name in ["Target", "Rich Source", "Poor Source"] {
        let body = json!({
            "provider_id": provider,
            "name": format!("{name} {currency}"),
            "email": format!("{}@example.com", Uuid::now_v7().simple()),
            "kind": "individual",
            "country": "DE",
        });
        clients.push(
            remote.post_ok("/v1/clients", body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let pay = |client: String, amount: &str| {
        let body = json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": currency,
                          "method": "bank_transfer"});
        async move {
            remote
                .post_ok(&format!("/v1/clients/{client}/payments"), body)
                .await;
        }
    };
    let order = |client: String| {
        let body = json!({"tariff_id": tariff, "period": "P1M"});
        async move {
            remote
                .post_ok(&format!("/v1/clients/{client}/services"), body)
                .await;
        }
    };
    pay(clients[0].clone(), target_paid).await;
    pay(clients[1].clone(), rich_paid).await;
    for _ in 0..rich_services {
        order(clients[1].clone()).await;
    }
    let limit = remote
        .call(
            Method::PUT,
            &format!("/v1/clients/{}/credit-limit", clients[2]),
            Some(json!({"amount": "30.00", "currency": currency})),
        )
        .await;
    assert_eq!(limit.status(), Some(StatusCode::OK), "{limit:?}");
    pay(clients[2].clone(), "1.00").await;
    for _ in 0..poor_services {
        order(clients[2].clone()).await;
    }
    let payer = Uuid::now_v7().to_string();
    remote
        .post_ok(
            &format!("/v1/clients/{}/payers", clients[1]),
            json!({"payer_id": payer, "kind": "company", "name": "Rich Source GmbH",
                   "country": "AT"}),
        )
        .await;
    let two = Decimal::new(200, 2);
    let count = |n: usize| Decimal::from(u64::try_from(n).unwrap());
    let expected_target = amount(target_paid) + amount(rich_paid) - two * count(rich_services)
        + Decimal::ONE
        - two * count(poor_services);
    Books {
        currency,
        target: clients[0].clone(),
        sources: [clients[1].clone(), clients[2].clone()],
        merge_id: Uuid::now_v7(),
        expected_target,
        services: rich_services + poor_services,
        payer,
    }
}

fn merge_body(books: &Books) -> Value {
    json!({ "merge_id": books.merge_id, "sources": books.sources })
}

async fn count(pool: &PgPool, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(pool)
        .await
        .expect("count")
}

/// What the log says about a merge: (step events, completed).
async fn merge_progress(pool: &PgPool, merge_id: Uuid) -> (i64, bool) {
    let id = merge_id.to_string();
    let steps = count(
        pool,
        "SELECT count(*) FROM events
          WHERE event_type IN ('ClientMerged', 'ServiceTransferred', 'PayerTransferred',
                               'BalanceTransferredOut', 'BalanceTransferredIn')
            AND payload::text LIKE '%' || $1 || '%'",
        &id,
    )
    .await;
    let completed = count(
        pool,
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'MergeCompleted'",
        &id,
    )
    .await;
    (steps, completed == 1)
}

async fn balance(remote: &Remote, client: &str, currency: &str, position: i64) -> Decimal {
    let body = remote
        .get_ok(&format!(
            "/v1/clients/{client}/balance?min_position={position}"
        ))
        .await;
    let accounts = body["accounts"].as_array().expect("accounts");
    accounts
        .iter()
        .find(|a| a["currency"] == currency)
        .map_or(Decimal::ZERO, |a| {
            amount(a["balance"].as_str().expect("a balance"))
        })
}

async fn head(pool: &PgPool) -> i64 {
    eventstore::log::head_position(pool).await.expect("head")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_killed_between_steps_finishes_after_restart_with_the_exact_sums() {
    // Arrange: two providers (EUR and USD), each with a target and two sources, one with money
    // and services, one in debt; the binary as a process.
    let db = TestDb::new().await;
    let mut server = BillingProcess::new(&db.url);
    server.start().await;
    let remote = Remote {
        http: http_client(),
        base: server.base(),
    };
    let eur = books(&remote, "EUR", "7.00", "100.00", 8, 4).await;
    let usd = books(&remote, "USD", "3.50", "40.00", 6, 5).await;
    assert_eq!(eur.expected_target, amount("84.00"));
    assert_eq!(usd.expected_target, amount("22.50"));
    let mut seed = u64::try_from(Instant::now().elapsed().as_nanos() % 97).unwrap() + 11;

    // Act: start both merges and SIGKILL the server a few milliseconds later; restart, send the
    // same merges again (a retry answers from the first request), and kill again, until the
    // log shows both merges done.
    let mut kills_mid_merge = 0;
    let mut rounds = 0;
    loop {
        rounds += 1;
        for books in [&eur, &usd] {
            let reply = remote
                .call(
                    Method::POST,
                    &format!("/v1/clients/{}/merge", books.target),
                    Some(merge_body(books)),
                )
                .await;
            assert_eq!(reply.status(), Some(StatusCode::ACCEPTED), "{reply:?}");
        }
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        tokio::time::sleep(Duration::from_millis(2 + (seed >> 33) % 25)).await;
        server.kill().await;
        let (eur_steps, eur_done) = merge_progress(&db.pool, eur.merge_id).await;
        let (usd_steps, usd_done) = merge_progress(&db.pool, usd.merge_id).await;
        if (eur_steps > 0 && !eur_done) || (usd_steps > 0 && !usd_done) {
            kills_mid_merge += 1;
        }
        server.start().await;
        if (eur_done && usd_done) || rounds >= 12 {
            break;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(merge_progress(&db.pool, eur.merge_id).await.1
        && merge_progress(&db.pool, usd.merge_id).await.1)
    {
        assert!(
            Instant::now() < deadline,
            "the merges did not finish after the restart:\n{}",
            server.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events_before_retry = head(&db.pool).await;
    let retried = remote
        .call(
            Method::POST,
            &format!("/v1/clients/{}/merge", eur.target),
            Some(merge_body(&eur)),
        )
        .await;

    // Assert: at least one kill landed between the steps of a merge.
    assert!(
        kills_mid_merge >= 1,
        "no kill landed in the middle of a merge in {rounds} rounds"
    );
    // Merging again with the same merge id answers 202 and writes nothing.
    assert_eq!(retried.status(), Some(StatusCode::ACCEPTED), "{retried:?}");
    assert_eq!(retried.body()["id"], json!(eur.merge_id));
    let position = head(&db.pool).await;
    assert_eq!(
        position, events_before_retry,
        "a repeated merge wrote events"
    );
    for books in [&eur, &usd] {
        let view = remote
            .get_ok(&format!(
                "/v1/merges/{}?min_position={position}",
                books.merge_id
            ))
            .await;
        assert_eq!(view["status"], "completed", "{view}");
        // The target holds the exact sum; the sources hold nothing.
        assert_eq!(
            balance(&remote, &books.target, books.currency, position).await,
            books.expected_target,
            "{} target",
            books.currency
        );
        for source in &books.sources {
            assert_eq!(
                balance(&remote, source, books.currency, position).await,
                Decimal::ZERO
            );
        }
        // Each balance moved out once and in once, each service and payer moved once.
        let merge = books.merge_id.to_string();
        for event_type in [
            "BalanceTransferredOut",
            "BalanceTransferredIn",
            "ClientMerged",
        ] {
            let moved: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM events WHERE event_type = $1
                    AND payload::text LIKE '%' || $2 || '%'",
            )
            .bind(event_type)
            .bind(&merge)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            assert_eq!(moved, 2, "{event_type} of {}", books.currency);
        }
        let per_service: Vec<i64> = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE event_type = 'ServiceTransferred'
                AND payload::text LIKE '%' || $1 || '%' GROUP BY aggregate_id",
        )
        .bind(&merge)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(per_service.len(), books.services, "{}", books.currency);
        assert!(per_service.iter().all(|n| *n == 1), "{per_service:?}");
        let services = remote
            .get_ok(&format!(
                "/v1/clients/{}/services?min_position={position}",
                books.target
            ))
            .await;
        let services = services["items"].as_array().unwrap().clone();
        assert_eq!(services.len(), books.services);
        for source in &books.sources {
            let left = remote
                .get_ok(&format!(
                    "/v1/clients/{source}/services?min_position={position}"
                ))
                .await;
            assert_eq!(left["items"], json!([]));
        }
        let payers = remote
            .get_ok(&format!(
                "/v1/clients/{}/payers?min_position={position}",
                books.target
            ))
            .await;
        assert_eq!(payers["items"][0]["payer_id"], json!(books.payer));
        // The statement adds up to the balance.
        let statement = remote
            .get_ok(&format!(
                "/v1/clients/{}/statement?min_position={position}&limit=500",
                books.target
            ))
            .await;
        assert_eq!(
            amount(statement["closing_balance"].as_str().unwrap()),
            books.expected_target
        );
        let kinds: Vec<&str> = statement["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "transfer_in").count(),
            2,
            "{kinds:?}"
        );
        // A moved service is charged to the target from now on.
        let service = services[0]["id"].as_str().unwrap().to_owned();
        let prolonged = remote
            .call(
                Method::POST,
                &format!("/v1/services/{service}/prolong"),
                None,
            )
            .await;
        assert_eq!(prolonged.status(), Some(StatusCode::OK), "{prolonged:?}");
        let after = head(&db.pool).await;
        assert_eq!(
            balance(&remote, &books.target, books.currency, after).await,
            books.expected_target - Decimal::new(200, 2)
        );
        for source in &books.sources {
            assert_eq!(
                balance(&remote, source, books.currency, after).await,
                Decimal::ZERO
            );
        }
        // The sources refuse new commands.
        let source = &books.sources[0];
        let paid = remote
            .call(
                Method::POST,
                &format!("/v1/clients/{source}/payments"),
                Some(json!({"payment_id": Uuid::now_v7(), "amount": "1.00",
                            "currency": books.currency, "method": "bank_transfer"})),
            )
            .await;
        assert_eq!(paid.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(paid.body()["code"], "client_merged");
        let renamed = remote
            .call(
                Method::PATCH,
                &format!("/v1/clients/{source}"),
                Some(json!({"name": "Renamed"})),
            )
            .await;
        assert_eq!(renamed.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(renamed.body()["code"], "client_merged");
        let client = remote
            .get_ok(&format!("/v1/clients/{source}?min_position={after}"))
            .await;
        assert_eq!(client["status"], "merged");
        assert_eq!(client["merged_into"], json!(books.target));
        // The action log tells the story: on the target, the merge, what arrived and the end;
        // on a source, its mark and what left.
        let log = remote
            .get_ok(&format!(
                "/v1/action-log?client_id={}&limit=500&min_position={after}",
                books.target
            ))
            .await;
        let told: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap())
            .collect();
        for expected in [
            "MergeStarted",
            "ServiceTransferred",
            "PayerTransferred",
            "BalanceTransferredIn",
            "MergeCompleted",
        ] {
            assert!(told.contains(&expected), "{expected} missing in {told:?}");
        }
        let log = remote
            .get_ok(&format!(
                "/v1/action-log?client_id={source}&limit=500&min_position={after}"
            ))
            .await;
        let told: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap())
            .collect();
        for expected in ["ClientMerged", "BalanceTransferredOut"] {
            assert!(told.contains(&expected), "{expected} missing in {told:?}");
        }
    }
}

// --- In process --------------------------------------------------------------------------------

async fn tariff(server: &TestServer, provider: &str, price: &str) -> String {
    let answer = server
        .post(
            "/v1/tariffs",
            json!({
                "provider_id": provider,
                "name": "VDS S",
                "item_type": "vds",
                "prices": [{"period": "P1M", "price": {"amount": price, "currency": "EUR"}}],
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    answer.body["id"].as_str().unwrap().to_owned()
}

async fn pay(server: &TestServer, client: &str, amount: &str) -> tests::Answer {
    server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": amount, "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await
}

async fn order(server: &TestServer, client: &str, tariff: &str) -> tests::Answer {
    server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff, "period": "P1M"}),
        )
        .await
}

fn kinds_and_amounts(statement: &Value) -> Vec<(String, String)> {
    statement["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_transferred_service_leaves_its_past_expenses_with_the_old_owner() {
    // Arrange: client A paid and was charged for a service; client B has money.
    let (server, _clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let other_provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider, "5.00").await;
    let a = server.client(&provider, "Anna Alt").await;
    let b = server.client(&provider, "Bernd Neu").await;
    let stranger = server.client(&other_provider, "Carl Fremd").await;
    assert_eq!(pay(&server, &a, "20.00").await.status, StatusCode::CREATED);
    assert_eq!(pay(&server, &b, "10.00").await.status, StatusCode::CREATED);
    let ordered = order(&server, &a, &tariff).await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();

    // Act
    let moved = server
        .post(
            &format!("/v1/services/{service}/transfer"),
            json!({ "client_id": b }),
        )
        .await;
    let events_after_move = server.event_count().await;
    let again = server
        .post(
            &format!("/v1/services/{service}/transfer"),
            json!({ "client_id": b }),
        )
        .await;
    let events_after_again = server.event_count().await;
    let elsewhere = server
        .post(
            &format!("/v1/services/{service}/transfer"),
            json!({ "client_id": stranger }),
        )
        .await;
    let unknown = server
        .post(
            &format!("/v1/services/{service}/transfer"),
            json!({ "client_id": Uuid::now_v7() }),
        )
        .await;
    let prolonged = server
        .post(&format!("/v1/services/{service}/prolong"), json!({}))
        .await;
    let position = prolonged.body["position"].as_i64().unwrap_or(0);

    // Assert
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(
        events_after_again, events_after_move,
        "a repeated move wrote"
    );
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(elsewhere.body["code"], "service_of_another_provider");
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["code"], "client_not_found");
    assert_eq!(prolonged.status, StatusCode::OK, "{prolonged:?}");
    let view = server
        .get(&format!("/v1/services/{service}?min_position={position}"))
        .await;
    assert_eq!(view.body["client_id"], json!(b));
    let old = server
        .get(&format!(
            "/v1/clients/{a}/statement?min_position={position}"
        ))
        .await;
    assert_eq!(
        kinds_and_amounts(&old.body),
        [
            ("payment".to_owned(), "20.00".to_owned()),
            ("charge".to_owned(), "-5.00".to_owned())
        ]
    );
    assert_eq!(old.body["closing_balance"], "15.00");
    let new = server
        .get(&format!(
            "/v1/clients/{b}/statement?min_position={position}"
        ))
        .await;
    assert_eq!(
        kinds_and_amounts(&new.body),
        [
            ("payment".to_owned(), "10.00".to_owned()),
            ("charge".to_owned(), "-5.00".to_owned())
        ]
    );
    assert_eq!(new.body["closing_balance"], "5.00");
}

/// Asserts `client`'s statement at `head`: its movements as (kind, amount) and its closing
/// balance.
async fn assert_statement(
    server: &TestServer,
    client: &str,
    head: i64,
    movements: &[(&str, &str)],
    closing: &str,
) {
    let statement = server
        .get(&format!(
            "/v1/clients/{client}/statement?min_position={head}"
        ))
        .await;
    let expected: Vec<(String, String)> = movements
        .iter()
        .map(|(kind, amount)| ((*kind).to_owned(), (*amount).to_owned()))
        .collect();
    assert_eq!(
        kinds_and_amounts(&statement.body),
        expected,
        "{}",
        statement.body
    );
    assert_eq!(
        statement.body["closing_balance"], closing,
        "{}",
        statement.body
    );
}

/// Merges `source` into `target` and waits until the merge is completed.
pub(crate) async fn merge_and_wait(server: &TestServer, target: &str, source: &str) -> String {
    let started = server
        .post(
            &format!("/v1/clients/{target}/merge"),
            json!({"merge_id": Uuid::now_v7(), "sources": [source]}),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{started:?}");
    let merge_id = started.body["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = server.get(&format!("/v1/merges/{merge_id}")).await;
        if view.body["status"] == "completed" {
            return merge_id;
        }
        assert!(Instant::now() < deadline, "{view:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn money_that_reaches_a_merged_account_moves_on_to_the_account_it_was_merged_into() {
    // Arrange: Anna paid 20.00 and 7.27 and was charged 5.00 for a VDS; Bernd paid 10.00. Anna
    // is merged into Bernd, which moves her 22.27 and the VDS.
    let (server, _clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider, "5.00").await;
    let anna = server.client(&provider, "Anna Alt").await;
    let bernd = server.client(&provider, "Bernd Neu").await;
    assert_eq!(
        pay(&server, &anna, "20.00").await.status,
        StatusCode::CREATED
    );
    let card = pay(&server, &anna, "7.27").await;
    assert_eq!(card.status, StatusCode::CREATED, "{card:?}");
    let payment = card.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        pay(&server, &bernd, "10.00").await.status,
        StatusCode::CREATED
    );
    let ordered = order(&server, &anna, &tariff).await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let expenses = server
        .get(&format!(
            "/v1/clients/{anna}/expenses?min_position={}",
            ordered.body["position"]
        ))
        .await;
    let charge = expenses.body["items"][0]["id"].as_str().unwrap().to_owned();
    let merge_id = merge_and_wait(&server, &bernd, &anna).await;

    // Act: staff void Anna's old charge, and her 7.27 card payment is charged back.
    let voided = server
        .post(
            &format!("/v1/expenses/{charge}/corrections"),
            json!({"correction_id": Uuid::now_v7(), "reason": "outage"}),
        )
        .await;
    let reversed = server
        .post(
            &format!("/v1/payments/{payment}/fraud"),
            json!({"reason": "chargeback"}),
        )
        .await;
    let head = server.settled().await;

    // Assert: Anna's account is empty after each; what reached it is on Bernd's.
    assert_eq!(voided.status, StatusCode::CREATED, "{voided:?}");
    assert!(reversed.status.is_success(), "{reversed:?}");
    assert_statement(
        &server,
        &anna,
        head,
        &[
            ("payment", "20.00"),
            ("payment", "7.27"),
            ("charge", "-5.00"),
            ("transfer_out", "-22.27"),
            ("void", "5.00"),
            ("transfer_out", "-5.00"),
            ("reversal", "-7.27"),
            ("transfer_out", "7.27"),
        ],
        "0.00",
    )
    .await;
    assert_statement(
        &server,
        &bernd,
        head,
        &[
            ("payment", "10.00"),
            ("transfer_in", "22.27"),
            ("transfer_in", "5.00"),
            ("transfer_in", "-7.27"),
        ],
        "30.00",
    )
    .await;
    let balance = server
        .get(&format!("/v1/clients/{bernd}/balance?min_position={head}"))
        .await;
    assert_eq!(
        balance.body["accounts"][0]["balance"], "30.00",
        "{balance:?}"
    );
    let steps = server.get(&format!("/v1/merges/{merge_id}")).await;
    // Each forward arrives after it left; two may leave before the first arrives.
    let mut forwarded: Vec<(&str, &str)> = steps.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step["step"].as_str().unwrap().starts_with("forwarded"))
        .map(|step| {
            (
                step["step"].as_str().unwrap(),
                step["amount"].as_str().unwrap(),
            )
        })
        .collect();
    forwarded.sort_unstable();
    assert_eq!(
        forwarded,
        [
            ("forwarded_in", "-7.27"),
            ("forwarded_in", "5.00"),
            ("forwarded_out", "-7.27"),
            ("forwarded_out", "5.00"),
        ],
        "{}",
        steps.body
    );
    let replay = projections::replay::replay(&server.db.pool).await.unwrap();
    assert!(replay.differences.is_empty(), "{:?}", replay.differences);
}

#[tokio::test]
async fn a_card_payment_confirmed_after_its_clients_merge_is_credited_to_the_client_merged_into() {
    // Arrange: Carl, who never paid anything, starts a 25.00 card payment; before the gateway
    // confirms it, he is merged into Bernd.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    crate::payments::method(&server, &company, "card", "card_gateway").await;
    let carl = server.client(&provider, "Carl Neu").await;
    let bernd = server.client(&provider, "Bernd Alt").await;
    let payment = Uuid::now_v7();
    let created = server
        .post(
            "/v1/payments",
            json!({ "payment_id": payment, "client_id": carl, "company_id": company,
                    "method": "card", "amount": "25.00", "currency": "EUR" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let started = server
        .post(
            &format!("/v1/payments/{payment}/start"),
            json!({ "external_id": "ch_late" }),
        )
        .await;
    assert!(started.status.is_success(), "{started:?}");
    merge_and_wait(&server, &bernd, &carl).await;

    // Act
    let confirmed = server
        .post(
            &format!("/v1/payments/{payment}/confirm"),
            json!({ "external_id": "ch_late" }),
        )
        .await;
    let head = server.settled().await;

    // Assert: the merge marked Carl's empty account merged, so the payment moved on to Bernd.
    assert!(confirmed.status.is_success(), "{confirmed:?}");
    assert_statement(
        &server,
        &carl,
        head,
        &[
            ("transfer_out", "0.00"),
            ("payment", "25.00"),
            ("transfer_out", "-25.00"),
        ],
        "0.00",
    )
    .await;
    assert_statement(&server, &bernd, head, &[("transfer_in", "25.00")], "25.00").await;
}

/// Creates a company of `provider` in NL with VAT rules for DE and FR.
async fn company_with_rules(server: &TestServer, provider: &str) -> String {
    let company = crate::invoicing::company(server, provider, "NL", "yearly").await;
    let rules = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/tax-rules"),
            Some(json!({ "rules": [
                { "country": "DE", "rate": "19", "mode": "added", "reverse_charge": true },
                { "country": "FR", "rate": "20", "mode": "added", "reverse_charge": true },
            ]})),
        )
        .await;
    assert_eq!(rules.status, StatusCode::OK, "{rules:?}");
    company
}

#[tokio::test]
async fn an_invoice_for_a_payer_freezes_the_payers_details_and_is_taxed_by_its_country() {
    // Arrange: a German individual with a French payer.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = company_with_rules(&server, &provider).await;
    let client = server.client(&provider, "Dieter Deutsch").await;
    let other = server.client(&provider, "Otto Other").await;
    let payer = Uuid::now_v7();
    let created = server
        .post(
            &format!("/v1/clients/{client}/payers"),
            json!({"payer_id": payer, "kind": "individual", "name": "Françoise Payeur",
                   "country": "FR", "address": "1 rue de la Paix\n75002 Paris",
                   "registration_number": " 123 456 789 "}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let method = server
        .call(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-methods/wire"),
            Some(json!({ "kind": "bank_transfer", "display_name": "Wire", "enabled": true })),
        )
        .await;
    assert_eq!(method.status, StatusCode::OK, "{method:?}");
    let lines = json!([{ "description": "VDS M", "quantity": "1", "unit_price": "10.00" }]);

    // Act
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                   "payer_id": payer, "lines": lines, "issued_on": "2027-02-01"}),
        )
        .await;
    let renamed = server
        .call(
            Method::PATCH,
            &format!("/v1/payers/{payer}"),
            Some(json!({"name": "Françoise Nouveau", "address": null})),
        )
        .await;
    let foreign = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": Uuid::now_v7(), "client_id": other, "company_id": company,
                   "payer_id": payer, "lines": lines}),
        )
        .await;
    let paid = server
        .post(
            "/v1/payments",
            json!({"payment_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                   "method": "wire", "amount": "12.00", "currency": "EUR",
                   "payer_id": payer, "proforma": true}),
        )
        .await;

    // Assert
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    let position = renamed.body["position"].as_i64().unwrap();
    let id = issued.body["id"].as_str().unwrap();
    let invoice = server
        .get(&format!("/v1/invoices/{id}?min_position={position}"))
        .await;
    let document = &invoice.body["document"];
    assert_eq!(document["payer"]["name"], "Françoise Payeur", "{document}");
    assert_eq!(document["payer"]["country"], "FR");
    assert_eq!(document["payer"]["payer_id"], json!(payer));
    assert_eq!(
        document["payer"]["address"],
        "1 rue de la Paix\n75002 Paris"
    );
    assert_eq!(
        invoice.body["tax"], "2.00",
        "French VAT, not German: {invoice:?}"
    );
    let payers = server
        .get(&format!(
            "/v1/clients/{client}/payers?min_position={position}"
        ))
        .await;
    assert_eq!(payers.body["items"][0]["name"], "Françoise Nouveau");
    assert_eq!(payers.body["items"][0]["address"], Value::Null);
    assert_eq!(
        payers.body["items"][0]["registration_number"],
        "123 456 789"
    );
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(foreign.body["code"], "payer_of_another_client");
    // The payment keeps its payer, and its proforma is made out to the payer as it is now.
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let position = paid.body["position"].as_i64().unwrap();
    let payment = server
        .get(&format!(
            "/v1/payments/{}?min_position={position}",
            paid.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(payment.body["payer_id"], json!(payer));
    let proforma = server
        .get(&format!(
            "/v1/invoices/{}?min_position={position}",
            paid.body["invoice_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        proforma.body["document"]["payer"]["name"],
        "Françoise Nouveau"
    );
}

#[tokio::test]
async fn bad_merge_requests_are_refused_and_write_nothing() {
    // Arrange: a target, a source merged into it already, and clients to try.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let other_provider = server.provider("EUR").await;
    let target = server.client(&provider, "Tina Target").await;
    let merged = server.client(&provider, "Mario Merged").await;
    let free = server.client(&provider, "Fritz Free").await;
    let stranger = server.client(&other_provider, "Stefan Stranger").await;
    let first = server
        .post(
            &format!("/v1/clients/{target}/merge"),
            json!({"merge_id": Uuid::now_v7(), "sources": [merged]}),
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{first:?}");
    let merge_id = first.body["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = server.get(&format!("/v1/merges/{merge_id}")).await;
        if view.body["status"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "{view:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = server.event_count().await;
    let merge = |target: &str, sources: Value| {
        let path = format!("/v1/clients/{target}/merge");
        let body = json!({"merge_id": Uuid::now_v7(), "sources": sources});
        let server = &server;
        async move { server.post(&path, body).await }
    };

    // Act
    let unknown = merge(&target, json!([Uuid::now_v7()])).await;
    let itself = merge(&target, json!([free, target])).await;
    let foreign = merge(&target, json!([stranger])).await;
    let again = merge(&free, json!([merged])).await;
    let into_merged = merge(&merged, json!([free])).await;
    let none = merge(&target, json!([])).await;
    let twice = merge(&target, json!([free, free])).await;
    let no_target = merge(&Uuid::now_v7().to_string(), json!([free])).await;
    let malformed = server
        .http
        .post(format!("{}/v1/clients/{target}/merge", server.url))
        .bearer_auth(tests::ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body("{\"merge_id\": ")
        .send()
        .await
        .unwrap();
    let malformed = tests::answer(malformed).await;

    // Assert
    let expect = |answer: &tests::Answer, status: StatusCode, code: &str| {
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.body["code"], code, "{answer:?}");
    };
    expect(
        &unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "source_not_found",
    );
    expect(
        &itself,
        StatusCode::UNPROCESSABLE_ENTITY,
        "target_in_sources",
    );
    expect(
        &foreign,
        StatusCode::UNPROCESSABLE_ENTITY,
        "source_of_another_provider",
    );
    expect(&again, StatusCode::UNPROCESSABLE_ENTITY, "client_merged");
    expect(
        &into_merged,
        StatusCode::UNPROCESSABLE_ENTITY,
        "client_merged",
    );
    expect(&none, StatusCode::UNPROCESSABLE_ENTITY, "no_sources");
    expect(&twice, StatusCode::UNPROCESSABLE_ENTITY, "duplicate_source");
    expect(&no_target, StatusCode::NOT_FOUND, "client_not_found");
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{malformed:?}");
    assert_eq!(malformed.content_type, "application/problem+json");
    assert_eq!(server.event_count().await, before, "a refused merge wrote");
}

#[tokio::test]
async fn groups_and_status_filter_clients_and_a_client_not_active_takes_no_orders_or_payments() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider, "1.00").await;
    let reseller = server.client(&provider, "Rita Reseller").await;
    let quiet = server.client(&provider, "Quentin Quiet").await;
    let group = Uuid::now_v7();
    let created = server
        .post(
            "/v1/client-groups",
            json!({"group_id": group, "provider_id": provider, "name": "Resellers"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");

    // Act
    let grouped = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{reseller}/groups"),
            Some(json!({"group_ids": [group]})),
        )
        .await;
    let bad_group = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{quiet}/groups"),
            Some(json!({"group_ids": [Uuid::now_v7()]})),
        )
        .await;
    let stopped = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{quiet}/status"),
            Some(json!({"status": "inactive"})),
        )
        .await;
    let ordered = order(&server, &quiet, &tariff).await;
    let paid = pay(&server, &quiet, "5.00").await;
    let position = stopped.body["position"]
        .as_i64()
        .unwrap()
        .max(grouped.body["position"].as_i64().unwrap());
    let in_group = server
        .get(&format!(
            "/v1/clients?group={group}&min_position={position}"
        ))
        .await;
    let inactive = server
        .get(&format!(
            "/v1/clients?status=inactive&min_position={position}"
        ))
        .await;
    let groups = server
        .get(&format!(
            "/v1/client-groups?provider_id={provider}&min_position={position}"
        ))
        .await;
    let restarted = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{quiet}/status"),
            Some(json!({"status": "active"})),
        )
        .await;
    let paid_again = pay(&server, &quiet, "5.00").await;

    // Assert
    assert_eq!(grouped.status, StatusCode::OK, "{grouped:?}");
    assert_eq!(bad_group.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_group.body["code"], "client_group_not_found");
    assert_eq!(stopped.status, StatusCode::OK, "{stopped:?}");
    assert_eq!(ordered.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ordered.body["code"], "client_inactive");
    assert_eq!(paid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(paid.body["code"], "client_inactive");
    let ids = |page: &tests::Answer| -> Vec<String> {
        page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&in_group), std::slice::from_ref(&reseller));
    assert_eq!(in_group.body["items"][0]["groups"], json!([group]));
    assert_eq!(ids(&inactive), std::slice::from_ref(&quiet));
    assert_eq!(groups.body["items"][0]["clients"], 1);
    assert_eq!(restarted.status, StatusCode::OK);
    assert_eq!(paid_again.status, StatusCode::CREATED, "{paid_again:?}");
}

/// Orders `name` for `client` with a new contact of its own in every role; the domain's id.
async fn domain_of(server: &TestServer, provider: &str, client: &str, name: &str) -> String {
    let priced = server
        .call(
            Method::PUT,
            "/v1/tlds/com",
            Some(
                json!({"provider_id": provider, "currency": "EUR", "prices": [
                {"years": 1, "register": "3.00", "renew": "3.00", "transfer": "3.00"}]}),
            ),
        )
        .await;
    assert_eq!(priced.status, StatusCode::OK, "{priced:?}");
    let contact = Uuid::now_v7().to_string();
    let created = server
        .post(
            &format!("/v1/clients/{client}/domain-contacts"),
            json!({"contact_id": contact, "kind": "person", "name": "Ivan Petrov",
                   "email": "ivan@example.ru", "phone": "+74951234567",
                   "address": {"street": "Tverskaya 1", "city": "Moscow",
                               "postal_code": "125009", "country": "RU"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/domains"),
            json!({"name": name, "tld": "com", "years": 1, "operation": "register",
                   "auto_renew": true,
                   "contacts": {"registrant": contact, "admin": contact, "tech": contact}}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    ordered.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_merging_process_read_again_from_the_start_moves_nothing_twice_nor_what_staff_moved() {
    // Arrange: Anna ordered three VDSs and a domain; staff moved the first VDS to Dora and Anna
    // closed the second. Anna was merged into Bernd, and Bernd into Carl.
    let (server, _clock) = TestServer::start_fixed().await;
    let provider = server.provider("EUR").await;
    let tariff = tariff(&server, &provider, "5.00").await;
    let [anna, bernd, carl, dora] = [
        server.client(&provider, "Anna Alt").await,
        server.client(&provider, "Bernd Neu").await,
        server.client(&provider, "Carl Dritt").await,
        server.client(&provider, "Dora Viert").await,
    ];
    assert_eq!(
        pay(&server, &anna, "30.00").await.status,
        StatusCode::CREATED
    );
    let mut services = Vec::new();
    for _ in 0..3 {
        let ordered = order(&server, &anna, &tariff).await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
        services.push(ordered.body["id"].as_str().unwrap().to_owned());
    }
    let domain = domain_of(&server, &provider, &anna, "anna.com").await;
    let moved = server
        .post(
            &format!("/v1/services/{}/transfer", services[0]),
            json!({ "client_id": dora }),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
    // The provisioning robot finishes the orders' operations, and then the close's.
    server.complete_operations().await;
    let closed = server
        .post(&format!("/v1/services/{}/close", services[1]), json!({}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{closed:?}");
    server.complete_operations().await;
    merge_and_wait(&server, &bernd, &anna).await;
    merge_and_wait(&server, &carl, &bernd).await;
    let owner = |path: String| {
        let server = &server;
        async move {
            let head = server.settled().await;
            let answer = server.get(&format!("{path}?min_position={head}")).await;
            assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
            answer.body["client_id"].as_str().unwrap().to_owned()
        }
    };
    let head = server.settled().await;
    let status = server
        .get(&format!("/v1/services/{}?min_position={head}", services[1]))
        .await;
    assert_eq!(status.body["status"], "deleted", "{status:?}");
    let before = [
        owner(format!("/v1/services/{}", services[0])).await,
        owner(format!("/v1/services/{}", services[1])).await,
        owner(format!("/v1/services/{}", services[2])).await,
        owner(format!("/v1/domains/{domain}")).await,
    ];
    assert_eq!(
        before,
        [dora.clone(), anna.clone(), carl.clone(), carl.clone()]
    );
    let carl_balance = balance_of(&server, &carl).await;
    let events = server.event_count().await;

    // Act: the process reads the log again from its start, as a new version of it does.
    sqlx::query("UPDATE projection_checkpoints SET version = 1 WHERE name = 'merge_process'")
        .execute(&server.db.pool)
        .await
        .unwrap();
    // Something new to wake its worker.
    assert_eq!(
        pay(&server, &dora, "1.00").await.status,
        StatusCode::CREATED
    );
    let written = server.event_count().await - events;

    // Assert: it caught up (settled asserts every process reaches the head), wrote nothing but
    // the payment's own events, and every service and the domain stayed where they were.
    let after = [
        owner(format!("/v1/services/{}", services[0])).await,
        owner(format!("/v1/services/{}", services[1])).await,
        owner(format!("/v1/services/{}", services[2])).await,
        owner(format!("/v1/domains/{domain}")).await,
    ];
    assert_eq!(after, before);
    assert_eq!(server.event_count().await - events, written);
    assert_eq!(balance_of(&server, &carl).await, carl_balance);
}

async fn balance_of(server: &TestServer, client: &str) -> String {
    let head = server.settled().await;
    let answer = server
        .get(&format!("/v1/clients/{client}/balance?min_position={head}"))
        .await;
    answer.body["accounts"][0]["balance"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn two_merges_asked_at_once_each_into_the_others_client_merge_one_way_and_stop() {
    // Arrange: Anna paid 20.00, Bernd 10.00. Two requests at once: Anna into Bernd, and Bernd
    // into Anna, each checked while both were still free (the requests' checks, on the same
    // states).
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let anna = server.client(&provider, "Anna Alt").await;
    let bernd = server.client(&provider, "Bernd Neu").await;
    assert_eq!(
        pay(&server, &anna, "20.00").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        pay(&server, &bernd, "10.00").await.status,
        StatusCode::CREATED
    );
    let store = &server.running.as_ref().unwrap().state.store;
    let client = |id: &str| {
        let id = id.to_owned();
        async move {
            store
                .load::<domain::client::Client>(&id)
                .await
                .unwrap()
                .aggregate
        }
    };
    let (a, b) = (client(&anna).await, client(&bernd).await);
    let id = |text: &str| domain::ids::ClientId::from_uuid(Uuid::parse_str(text).unwrap());
    let today = chrono::Utc::now().date_naive();
    let (m1, m2) = (Uuid::now_v7(), Uuid::now_v7());
    let into_bernd = domain::merge::MergePlan::new(
        domain::ids::MergeId::from_uuid(m1),
        id(&bernd),
        &b,
        vec![id(&anna)],
    )
    .unwrap()
    .start(std::slice::from_ref(&a), today)
    .unwrap();
    let into_anna = domain::merge::MergePlan::new(
        domain::ids::MergeId::from_uuid(m2),
        id(&anna),
        &a,
        vec![id(&bernd)],
    )
    .unwrap()
    .start(std::slice::from_ref(&b), today)
    .unwrap();
    let context = eventstore::metadata::CommandContext::new(eventstore::metadata::Actor::System(
        "test".to_owned(),
    ));

    // Act: both started.
    for (merge, command) in [(m1, into_bernd), (m2, into_anna)] {
        store
            .execute::<domain::merge::Merge>(&merge.to_string(), command, &context, &[])
            .await
            .unwrap();
    }

    // Assert: both merges finish; Anna is merged into Bernd and Bernd is left out of the other
    // (he would have been merged into a client merged into him); the log stops growing; the
    // 30.00 is all on Bernd's account.
    let deadline = Instant::now() + Duration::from_secs(30);
    for merge in [m1, m2] {
        loop {
            let view = server.get(&format!("/v1/merges/{merge}")).await;
            if view.body["status"] == "completed" {
                break;
            }
            assert!(Instant::now() < deadline, "{view:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let settled = server.settled().await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(server.settled().await, settled, "the log stopped growing");
    let status = |client: &str| {
        let path = format!("/v1/clients/{client}?min_position={settled}");
        let server = &server;
        async move { server.get(&path).await.body["status"].clone() }
    };
    assert_eq!(status(&anna).await, "merged");
    assert_eq!(status(&bernd).await, "active");
    let balance = server
        .get(&format!(
            "/v1/clients/{bernd}/balance?min_position={settled}"
        ))
        .await;
    assert_eq!(
        balance.body["accounts"][0]["balance"], "30.00",
        "{balance:?}"
    );
}
