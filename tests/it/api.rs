//! The HTTP contract, end to end over a loopback port.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestServer, answer};
use uuid::Uuid;

fn pay(amount: &str, currency: &str) -> Value {
    json!({ "payment_id": Uuid::now_v7(), "amount": amount, "currency": currency, "method": "bank_transfer" })
}

#[tokio::test]
async fn health_needs_no_token_and_everything_else_does() {
    // Arrange
    let server = TestServer::start().await;
    let http = reqwest::Client::new();

    // Act
    let health = answer(
        http.get(format!("{}/v1/health", server.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let anonymous = answer(
        http.get(format!("{}/v1/clients", server.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let forged = answer(
        http.get(format!("{}/v1/clients", server.url))
            .bearer_auth("not-the-token")
            .send()
            .await
            .unwrap(),
    )
    .await;

    // Assert
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    for refused in [anonymous, forged] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.content_type, "application/problem+json");
        assert_eq!(refused.body["code"], "unauthorized");
        assert_eq!(refused.headers["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn register_pay_and_read_the_balance_exact_to_the_cent() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Anna Schmidt").await;

    // Act
    let mut last = 0;
    for amount in ["12.50", "0.01", "100", "7.99"] {
        let paid = server
            .post(
                &format!("/v1/clients/{client}/payments"),
                pay(amount, "EUR"),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        let position = paid.body["position"].as_i64().unwrap();
        assert!(position > last, "positions grow");
        last = position;
    }
    let balance = server
        .get(&format!("/v1/clients/{client}/balance?min_position={last}"))
        .await;

    // Assert
    assert_eq!(balance.status, StatusCode::OK);
    assert_eq!(
        balance.body,
        json!({
            "client_id": client,
            "accounts": [{
                "provider_id": provider,
                "currency": "EUR",
                "balance": "120.50",
                "credit_limit": "0.00",
            }],
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_payments_on_one_account_add_up_exactly() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Boris Novak").await;

    // Act: 50 payments of 1.01 .. 1.50 at once.
    let mut tasks = Vec::new();
    for n in 1..=50 {
        let http = server.http.clone();
        let url = format!("{}/v1/clients/{client}/payments", server.url);
        tasks.push(tokio::spawn(async move {
            answer(
                http.post(url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&pay(&format!("1.{n:02}"), "EUR"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }));
    }
    let mut last = 0;
    for task in tasks {
        let paid = task.await.unwrap();
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        last = last.max(paid.body["position"].as_i64().unwrap());
    }
    let balance = server
        .get(&format!("/v1/clients/{client}/balance?min_position={last}"))
        .await;

    // Assert: 50 × 1.00 + (1 + … + 50) cents = 62.75, from exactly 50 payment events.
    assert_eq!(balance.body["accounts"][0]["balance"], "62.75");
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PaymentPosted'")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
    assert_eq!(payments, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_payment_id_credits_once_also_when_sent_concurrently() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Clara Dubois").await;
    let url = format!("/v1/clients/{client}/payments");
    let once = pay("25.00", "EUR");
    let twice = pay("10.00", "EUR");

    // Act: one payment sent twice in a row, another sent ten times at once.
    let first = server.post(&url, once.clone()).await;
    let again = server.post(&url, once.clone()).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let http = server.http.clone();
        let url = format!("{}{url}", server.url);
        let body = twice.clone();
        tasks.push(tokio::spawn(async move {
            answer(
                http.post(url)
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }));
    }
    let mut concurrent = Vec::new();
    for task in tasks {
        concurrent.push(task.await.unwrap());
    }

    // Assert: the same answer each time, and 35.00 credited, not more.
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(first.body, again.body);
    assert_eq!(first.body["id"], once["payment_id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let answers: std::collections::HashSet<String> =
        concurrent.iter().map(|a| a.body.to_string()).collect();
    assert_eq!(answers.len(), 1, "{concurrent:?}");
    assert!(concurrent.iter().all(|a| a.status == StatusCode::CREATED));
    let last = concurrent[0].body["position"].as_i64().unwrap();
    let balance = server
        .get(&format!("/v1/clients/{client}/balance?min_position={last}"))
        .await;
    assert_eq!(balance.body["accounts"][0]["balance"], "35.00");
    assert_eq!(
        server.event_count().await,
        2 + 1 + 2,
        "provider, client, opened + 2 payments"
    );
}

#[tokio::test]
async fn a_payment_id_reused_for_another_payment_is_refused() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Dmitri Petrov").await;
    let url = format!("/v1/clients/{client}/payments");
    let first = pay("25.00", "EUR");
    let mut altered = first.clone();
    altered["amount"] = json!("2500.00");
    server.post(&url, first).await;
    let events = server.event_count().await;

    // Act
    let reused = server.post(&url, altered).await;

    // Assert
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.body["code"], "idempotency_key_reused");
    assert_eq!(server.event_count().await, events);
}

#[tokio::test]
async fn bad_input_gets_a_problem_naming_it_and_writes_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Elena Rossi").await;
    let payments = format!("/v1/clients/{client}/payments");
    let unknown = format!("/v1/clients/{}/payments", Uuid::now_v7());
    let events = server.event_count().await;
    let good = pay("1.00", "EUR");
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let cases: Vec<(&str, &str, Value, StatusCode, &str)> = vec![
        (
            "negative amount",
            &payments,
            with("amount", json!("-5.00")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_positive",
        ),
        (
            "zero amount",
            &payments,
            with("amount", json!("0.00")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_positive",
        ),
        (
            "over-precise amount",
            &payments,
            with("amount", json!("1.005")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_precise",
        ),
        (
            "amount as a number",
            &payments,
            with("amount", json!(12.5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "amount not a number",
            &payments,
            with("amount", json!("12,50")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            "unknown currency",
            &payments,
            with("currency", json!("EUX")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_currency",
        ),
        (
            "lowercase currency",
            &payments,
            with("currency", json!("eur")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_currency",
        ),
        (
            "another currency without a rate for the day",
            &payments,
            with("currency", json!("USD")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_exchange_rate",
        ),
        (
            "payment id not a uuid",
            &payments,
            with("payment_id", json!("abc")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "missing method",
            &payments,
            json!({"payment_id": Uuid::now_v7(), "amount": "1.00", "currency": "EUR"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bad method",
            &payments,
            with("method", json!("Bank Transfer")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_method",
        ),
        (
            "unknown field",
            &payments,
            with("amout", json!("1.00")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "unknown client",
            &unknown,
            good.clone(),
            StatusCode::NOT_FOUND,
            "client_not_found",
        ),
        (
            "client id not a uuid",
            "/v1/clients/42/payments",
            good.clone(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "unknown provider",
            "/v1/clients",
            json!({"provider_id": Uuid::now_v7(), "name": "X", "email": "x@example.com", "kind": "company", "country": "DE"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "provider_not_found",
        ),
        (
            "bad email",
            "/v1/clients",
            json!({"provider_id": provider, "name": "X", "email": "no-at-sign", "kind": "company", "country": "DE"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            "bad kind",
            "/v1/clients",
            json!({"provider_id": provider, "name": "X", "email": "x@example.com", "kind": "robot", "country": "DE"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bad country",
            "/v1/clients",
            json!({"provider_id": provider, "name": "X", "email": "x@example.com", "kind": "company", "country": "XX"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_country",
        ),
        (
            "empty name",
            "/v1/clients",
            json!({"provider_id": provider, "name": "  ", "email": "x@example.com", "kind": "company", "country": "DE"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "unknown provider currency",
            "/v1/providers",
            json!({"name": "X", "currency": "ABC"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_currency",
        ),
        (
            "body not an object",
            "/v1/providers",
            json!([1, 2]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
    ];

    // Act and assert, case by case.
    for (name, path, body, status, code) in cases {
        let answer = server.post(path, body).await;
        assert_eq!(answer.status, status, "{name}: {answer:?}");
        assert_eq!(answer.content_type, "application/problem+json", "{name}");
        assert_eq!(answer.body["code"], code, "{name}: {answer:?}");
        assert_eq!(answer.body["status"], status.as_u16(), "{name}");
        assert!(
            !answer.body["detail"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{name}"
        );
    }
    let malformed = answer(
        server
            .http
            .post(format!("{}{payments}", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body("{\"payment_id\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["code"], "malformed_json");
    let no_type = answer(
        server
            .http
            .post(format!("{}{payments}", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .body(good.to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let no_token = answer(
        server
            .http
            .post(format!("{}{payments}", server.url))
            .json(&good)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);

    // Nothing was written by any of them.
    assert_eq!(server.event_count().await, events);
}

#[tokio::test]
async fn clients_are_searched_by_name_or_email_and_paged_with_a_cursor() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let mut last = 0;
    for n in 0..7 {
        let answer = server
            .post(
                "/v1/clients",
                json!({"provider_id": provider, "name": format!("Nordlicht {n}"),
                       "email": format!("ops{n}@nordlicht.example"), "kind": "company", "country": "DE"}),
            )
            .await;
        last = answer.body["position"].as_i64().unwrap();
    }
    server.client(&provider, "Felix Berg").await;

    // Act: walk the pages of "NORDLICHT" three at a time.
    let mut names = Vec::new();
    let mut path = format!("/v1/clients?q=NORDLICHT&limit=3&min_position={last}");
    let mut pages = 0;
    loop {
        let page = server.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        pages += 1;
        for item in page.body["items"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page.body.get("next").and_then(Value::as_str) {
            Some(next) => path = format!("/v1/clients?q=NORDLICHT&limit=3&after={next}"),
            None => break,
        }
    }
    let by_email = server.get("/v1/clients?q=ops3%40").await;
    let bad_limit = server.get("/v1/clients?limit=501").await;

    // Assert
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        (0..7).map(|n| format!("Nordlicht {n}")).collect::<Vec<_>>()
    );
    assert_eq!(by_email.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(bad_limit.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_client_is_updated_and_deleted_and_a_deleted_client_takes_no_payment() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Greta Keller").await;

    // Act
    let updated = server
        .call(
            Method::PATCH,
            &format!("/v1/clients/{client}"),
            Some(json!({"email": "greta@keller.example", "country": "AT"})),
        )
        .await;
    let deleted = server
        .call(
            Method::DELETE,
            &format!("/v1/clients/{client}?reason=moved%20away"),
            None,
        )
        .await;
    let position = deleted.body["position"].as_i64().unwrap();
    let read = server
        .get(&format!("/v1/clients/{client}?min_position={position}"))
        .await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            pay("5.00", "EUR"),
        )
        .await;
    let missing = server.get(&format!("/v1/clients/{}", Uuid::now_v7())).await;

    // Assert
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
    assert_eq!(read.body["email"], "greta@keller.example");
    assert_eq!(read.body["country"], "AT");
    assert_eq!(read.body["status"], "deleted");
    assert_eq!(paid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(paid.body["code"], "client_deleted");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["code"], "client_not_found");
}

#[tokio::test]
async fn the_action_log_tells_who_did_what_and_pages_in_order() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Hugo Moreau").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            pay("9.99", "EUR"),
        )
        .await;
    let last = paid.body["position"].as_i64().unwrap();

    // Act
    let first = server
        .get(&format!("/v1/action-log?limit=2&min_position={last}"))
        .await;
    let next = first.body["next"].as_str().unwrap().to_owned();
    let second = server
        .get(&format!("/v1/action-log?limit=2&after={next}"))
        .await;
    let of_client = server
        .get(&format!("/v1/action-log?client_id={client}"))
        .await;

    // Assert: ProviderCreated, ClientRegistered | AccountOpened, PaymentPosted.
    let types = |a: &tests::Answer| -> Vec<String> {
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["event_type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(types(&first), ["ProviderCreated", "ClientRegistered"]);
    assert_eq!(types(&second), ["AccountOpened", "PaymentPosted"]);
    assert!(second.body.get("next").is_none());
    assert_eq!(
        types(&of_client),
        ["ClientRegistered", "AccountOpened", "PaymentPosted"]
    );
    let payment = &second.body["items"][1];
    assert_eq!(payment["actor"], "staff:admin");
    assert_eq!(payment["command"], "PostPayment");
    assert_eq!(payment["position"], last);
    assert_eq!(
        payment["payload"]["PaymentPosted"]["amount"]["amount"],
        "9.99"
    );
    assert!(
        payment["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}

#[tokio::test]
async fn an_idempotency_key_makes_creating_a_provider_safe_to_retry() {
    // Arrange
    let server = TestServer::start().await;
    let send = |body: Value| {
        server
            .http
            .post(format!("{}/v1/providers", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", "create-acme")
            .json(&body)
            .send()
    };

    // Act
    let first = answer(
        send(json!({"name": "Acme", "currency": "EUR"}))
            .await
            .unwrap(),
    )
    .await;
    let retry = answer(
        send(json!({"name": "Acme", "currency": "EUR"}))
            .await
            .unwrap(),
    )
    .await;
    let other = answer(
        send(json!({"name": "Other", "currency": "EUR"}))
            .await
            .unwrap(),
    )
    .await;

    // Assert
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(first.body, retry.body);
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.event_count().await, 1);
}

#[tokio::test]
async fn the_openapi_document_and_metrics_are_served() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    server.client(&provider, "Ines Lindqvist").await;

    // Act
    let spec = server.get("/openapi.json").await;
    let metrics = server
        .http
        .get(format!("{}/metrics", server.url))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(spec.status, StatusCode::OK);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/health",
        "/v1/providers",
        "/v1/clients",
        "/v1/clients/{id}",
        "/v1/clients/{id}/payments",
        "/v1/clients/{id}/balance",
        "/v1/action-log",
    ] {
        assert!(spec.body["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(metrics.contains("billing_commands_total"), "{metrics}");
    assert!(metrics.contains("command=\"RegisterClient\""), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_retries_over_a_hundred_keys_have_exactly_a_hundred_effects() {
    // Arrange
    let server = TestServer::start().await;
    let url = format!("{}/v1/providers", server.url);

    // Act: each of 100 keys sent 10 times, all at once.
    let mut tasks = Vec::new();
    for n in 0..1000 {
        let http = server.http.clone();
        let url = url.clone();
        let key = n % 100;
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .bearer_auth(ADMIN_TOKEN)
                .header("idempotency-key", format!("provider-{key}"))
                .json(&json!({"name": format!("Provider {key}"), "currency": "EUR"}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            (key, status, response.bytes().await.unwrap().to_vec())
        }));
    }
    let mut first: std::collections::HashMap<usize, Vec<u8>> = Default::default();
    let mut in_flight = 0;
    for task in tasks {
        let (key, status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => {
                let known = first.entry(key).or_insert_with(|| body.clone());
                assert_eq!(*known, body, "key {key}: the first answer, byte for byte");
            }
            StatusCode::CONFLICT => in_flight += 1,
            other => panic!("key {key}: {other} {body:?}"),
        }
    }

    // Assert
    let created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'ProviderCreated'")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
    assert_eq!(created, 100);
    assert_eq!(
        first.len(),
        100,
        "every key got its answer ({in_flight} were told to wait)"
    );
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_payment_is_refused() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Jonas Weber").await;
    let send = |body: Value| {
        server
            .http
            .post(format!("{}/v1/clients/{client}/payments", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("idempotency-key", "pay-once")
            .json(&body)
            .send()
    };

    // Act
    let first = answer(send(pay("10.00", "EUR")).await.unwrap()).await;
    let other = answer(send(pay("10.00", "EUR")).await.unwrap()).await;

    // Assert: a new payment_id under the same key is another request.
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{other:?}");
    assert_eq!(other.body["code"], "idempotency_key_reused");
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PaymentPosted'")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
    assert_eq!(payments, 1);
}

#[tokio::test]
async fn input_postgres_cannot_hold_or_a_position_never_given_is_refused_with_a_problem() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Katja Novak").await;
    let events = server.event_count().await;
    let nul_reason = r#"{"adjustment_id": "0192f1d2-0000-7000-8000-000000000001", "amount": "1.00", "currency": "EUR", "reason": "a\u0000b"}"#;

    // Act
    let in_body = answer(
        server
            .http
            .post(format!("{}/v1/clients/{client}/adjustments", server.url))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(nul_reason)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let in_query = server.get("/v1/clients?q=%00").await;
    let in_delete = server
        .call(
            Method::DELETE,
            &format!("/v1/clients/{client}?reason=%00"),
            None,
        )
        .await;
    let far_position = server.get("/v1/providers?min_position=999999").await;
    let far_date = server
        .post("/v1/billing/runs", json!({"as_of": "-262143-01-01"}))
        .await;

    // Assert
    assert_eq!(
        in_body.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{in_body:?}"
    );
    assert_eq!(in_query.status, StatusCode::BAD_REQUEST, "{in_query:?}");
    assert_eq!(in_delete.status, StatusCode::BAD_REQUEST, "{in_delete:?}");
    assert_eq!(
        far_position.status,
        StatusCode::BAD_REQUEST,
        "{far_position:?}"
    );
    assert_eq!(far_position.body["code"], "invalid_position");
    assert_eq!(
        far_date.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{far_date:?}"
    );
    for refused in [&in_body, &in_query, &in_delete, &far_position, &far_date] {
        assert_eq!(refused.content_type, "application/problem+json");
    }
    assert_eq!(server.event_count().await, events, "nothing written");
}

#[tokio::test]
async fn the_billing_day_on_an_empty_log_answers_at_once() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let run = server
        .post("/v1/billing/runs", json!({"as_of": "2027-01-31"}))
        .await;

    // Assert: a report, not a wait for a read model to reach a position that does not exist
    // (which ended in the request timeout's empty 503).
    assert_eq!(run.status, StatusCode::OK, "{run:?}");
    assert_eq!(run.body["services"], 0);
}
