//! `Idempotency-Key` on every write (api/src/idempotency.rs): a repeat gets the first answer byte
//! for byte and writes nothing, another request under the same key is a 422, a request while the
//! first runs is a 409, an abandoned request is taken over after its lease, and no write route is
//! left out.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{ADMIN_TOKEN, TestServer};
use uuid::Uuid;

/// An answer as the caller receives it, bytes and all.
#[derive(Debug)]
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn replayed(&self) -> bool {
        self.header("idempotent-replayed") == "true"
    }
}

/// Sends `body` (exactly these bytes) with the administrator's token and `key`.
async fn send(server: &TestServer, method: Method, path: &str, key: &str, body: &str) -> Raw {
    send_as(server, ADMIN_TOKEN, method, path, key, body).await
}

async fn send_as(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    key: &str,
    body: &str,
) -> Raw {
    let response = server
        .http
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    Raw {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

async fn count(server: &TestServer, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(&server.db.pool)
        .await
        .unwrap()
}

/// What the layer fingerprints: the method, the path and the body.
fn fingerprint(method: &str, path: &str, body: &str) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(method.as_bytes());
    digest.update([0]);
    digest.update(path.as_bytes());
    digest.update([0]);
    digest.update(body.as_bytes());
    digest.finalize().to_vec()
}

/// Puts a row for `key` straight into the table, as a request of the administrator that is
/// still running (`lease_secs` > 0) or whose process died (`lease_secs` < 0).
async fn running(
    server: &TestServer,
    key: &str,
    method: &str,
    path: &str,
    body: &str,
    lease_secs: f64,
) {
    sqlx::query(
        "INSERT INTO idempotency_requests
                (principal, key, method, path, fingerprint, lease, locked_until, expires_at)
         VALUES ('staff:admin', $1, $2, $3, $4, $5, now() + make_interval(secs => $6),
                 now() + interval '24 hours')",
    )
    .bind(key)
    .bind(method)
    .bind(path)
    .bind(fingerprint(method, path, body))
    .bind(Uuid::now_v7())
    .bind(lease_secs)
    .execute(&server.db.pool)
    .await
    .unwrap();
}

/// A provider, a funded client named `name` and an active service of theirs:
/// (provider, client, service).
async fn active_service(server: &TestServer, name: &str) -> (String, String, String) {
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, name).await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({
                "provider_id": provider,
                "name": "VDS S",
                "item_type": "vds",
                "prices": [{"period": "P1M", "price": {"amount": "5.00", "currency": "EUR"}}],
            }),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "100.00", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff.body["id"], "period": "P1M"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    // The provisioning robot activates it.
    server.complete_operations().await;
    (
        provider,
        client,
        ordered.body["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn prolonging_twice_with_one_key_charges_once_and_answers_the_same_bytes() {
    // Arrange
    let (server, _clock) = TestServer::start_fixed().await;
    let (_, _, service) = active_service(&server, "Idem Potent").await;
    let path = format!("/v1/services/{service}/prolong");
    let charges = count(&server, "ExpenseCharged").await;

    // Act
    let first = send(&server, Method::POST, &path, "prolong-once", "{}").await;
    let second = send(&server, Method::POST, &path, "prolong-once", "{}").await;

    // Assert
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(
        count(&server, "ExpenseCharged").await,
        charges + 1,
        "charged once"
    );
    assert_eq!(second.status, first.status);
    assert_eq!(second.body, first.body, "the first answer, byte for byte");
    assert_eq!(second.header("content-type"), first.header("content-type"));
    assert!(!first.replayed());
    assert!(second.replayed(), "{second:?}");
}

#[tokio::test]
async fn a_sample_of_write_routes_replays_the_first_answer_and_writes_nothing() {
    // Arrange
    let (server, _clock) = TestServer::start_fixed().await;
    let (provider, client, service) = active_service(&server, "Idem Potent").await;
    let other = server.client(&provider, "Second Client").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({"provider_id": provider, "name": "Web", "item_type": "vds",
                   "prices": [{"period": "P1M", "price": {"amount": "3.00", "currency": "EUR"}}]}),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    let ticket = server
        .post(
            &format!("/v1/clients/{client}/tickets"),
            json!({"subject": "Disk", "body": "The disk is full"}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{ticket:?}");
    let ticket = ticket.body["id"].as_str().unwrap().to_owned();
    let sample: Vec<(Method, String, String)> = vec![
        (
            Method::POST,
            format!("/v1/clients/{other}/services"),
            json!({"tariff_id": tariff.body["id"], "period": "P1M"}).to_string(),
        ),
        (
            Method::POST,
            format!("/v1/clients/{client}/adjustments"),
            json!({"adjustment_id": Uuid::now_v7(), "amount": "-1.50", "currency": "EUR",
                   "reason": "goodwill"})
            .to_string(),
        ),
        (
            Method::POST,
            "/v1/invoices".to_owned(),
            json!({"invoice_id": Uuid::now_v7(), "client_id": client, "company_id": company,
                   "lines": [{"description": "Setup", "quantity": "1", "unit_price": "10.00"}]})
            .to_string(),
        ),
        (
            Method::POST,
            format!("/v1/services/{service}/suspend"),
            json!({"reason": "abuse"}).to_string(),
        ),
        (
            Method::POST,
            format!("/v1/tickets/{ticket}/messages"),
            json!({"body": "We are on it"}).to_string(),
        ),
        (
            Method::PUT,
            format!("/v1/clients/{client}/credit-limit"),
            json!({"amount": "20.00", "currency": "EUR"}).to_string(),
        ),
        (
            Method::PATCH,
            format!("/v1/clients/{client}"),
            json!({"name": "Idem Potent GmbH"}).to_string(),
        ),
    ];

    for (n, (method, path, body)) in sample.into_iter().enumerate() {
        let key = format!("sample-{n}");
        // Act
        let first = send(&server, method.clone(), &path, &key, &body).await;
        let events = server.event_count().await;
        let second = send(&server, method.clone(), &path, &key, &body).await;

        // Assert
        assert!(
            first.status.is_success(),
            "{method} {path}: {first:?} {body}"
        );
        assert_eq!(second.status, first.status, "{method} {path}");
        assert_eq!(second.body, first.body, "{method} {path}: byte for byte");
        assert_eq!(second.header("content-type"), first.header("content-type"));
        assert_eq!(second.header("location"), first.header("location"));
        assert!(second.replayed(), "{method} {path}: {second:?}");
        assert_eq!(
            server.event_count().await,
            events,
            "{method} {path} wrote again"
        );
    }
}

#[tokio::test]
async fn the_same_key_with_another_body_or_path_is_refused_and_writes_nothing() {
    // Arrange
    let (server, _clock) = TestServer::start_fixed().await;
    let (_, client, service) = active_service(&server, "Idem Potent").await;
    let (_, _, other_service) = active_service(&server, "Other Client").await;
    let limit = format!("/v1/clients/{client}/credit-limit");
    let first = send(
        &server,
        Method::PUT,
        &limit,
        "one-key",
        &json!({"amount": "20.00", "currency": "EUR"}).to_string(),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let prolonged = send(
        &server,
        Method::POST,
        &format!("/v1/services/{service}/prolong"),
        "prolong-key",
        "{}",
    )
    .await;
    assert_eq!(prolonged.status, StatusCode::OK, "{prolonged:?}");
    let events = server.event_count().await;

    // Act
    let other_body = send(
        &server,
        Method::PUT,
        &limit,
        "one-key",
        &json!({"amount": "9999.00", "currency": "EUR"}).to_string(),
    )
    .await;
    let other_path = send(
        &server,
        Method::POST,
        &format!("/v1/services/{other_service}/prolong"),
        "prolong-key",
        "{}",
    )
    .await;

    // Assert
    for refused in [&other_body, &other_path] {
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert_eq!(refused.header("content-type"), "application/problem+json");
        assert_eq!(refused.json()["code"], "idempotency_key_reused");
    }
    assert_eq!(server.event_count().await, events, "nothing written");
}

#[tokio::test]
async fn a_request_while_the_first_with_its_key_runs_is_told_to_wait() {
    // Arrange: the first request is running (its row holds a live lease).
    let (server, _clock) = TestServer::start_fixed().await;
    let (_, _, service) = active_service(&server, "Idem Potent").await;
    let path = format!("/v1/services/{service}/prolong");
    running(&server, "busy", "POST", &path, "{}", 60.0).await;
    let events = server.event_count().await;

    // Act
    let second = send(&server, Method::POST, &path, "busy", "{}").await;

    // Assert
    assert_eq!(second.status, StatusCode::CONFLICT, "{second:?}");
    assert_eq!(second.header("content-type"), "application/problem+json");
    assert_eq!(second.json()["code"], "idempotency_key_in_flight");
    assert!(!second.header("retry-after").is_empty());
    assert_eq!(
        server.event_count().await,
        events,
        "the handler did not run"
    );
}

#[tokio::test]
async fn a_request_abandoned_by_a_dead_process_is_taken_over_after_its_lease() {
    // Arrange: a request whose process died before it answered; its lease has passed.
    let (server, _clock) = TestServer::start_fixed().await;
    let (_, _, service) = active_service(&server, "Idem Potent").await;
    let path = format!("/v1/services/{service}/prolong");
    running(&server, "orphan", "POST", &path, "{}", -1.0).await;
    let charges = count(&server, "ExpenseCharged").await;

    // Act
    let retry = send(&server, Method::POST, &path, "orphan", "{}").await;
    let again = send(&server, Method::POST, &path, "orphan", "{}").await;

    // Assert
    assert_eq!(retry.status, StatusCode::OK, "{retry:?}");
    assert!(!retry.replayed());
    assert_eq!(count(&server, "ExpenseCharged").await, charges + 1);
    assert!(again.replayed(), "{again:?}");
    assert_eq!(again.body, retry.body);
}

#[tokio::test]
async fn a_crash_between_the_charge_and_the_kept_answer_charges_nothing_more_on_retry() {
    // Arrange: a prolongation charged, then its process died before the answer was kept (the
    // row is back to running with a lease that has passed).
    let (server, _clock) = TestServer::start_fixed().await;
    let (_, _, service) = active_service(&server, "Idem Potent").await;
    let path = format!("/v1/services/{service}/prolong");
    let first = send(&server, Method::POST, &path, "crash", "{}").await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let charges = count(&server, "ExpenseCharged").await;
    let periods = count(&server, "ServiceProlonged").await + count(&server, "ServiceCharged").await;
    sqlx::query(
        "UPDATE idempotency_requests
            SET status = NULL, headers = NULL, body = NULL,
                locked_until = now() - interval '1 second'
          WHERE key = 'crash'",
    )
    .execute(&server.db.pool)
    .await
    .unwrap();

    // Act
    let retry = send(&server, Method::POST, &path, "crash", "{}").await;

    // Assert
    assert_eq!(retry.status, StatusCode::OK, "{retry:?}");
    assert_eq!(
        count(&server, "ExpenseCharged").await,
        charges,
        "charged twice"
    );
    assert_eq!(
        count(&server, "ServiceProlonged").await + count(&server, "ServiceCharged").await,
        periods,
        "a period recorded twice"
    );
    assert_eq!(retry.json()["id"], first.json()["id"]);
}

#[tokio::test]
async fn a_client_error_is_kept_and_a_server_error_is_not() {
    // Arrange
    let server = TestServer::start().await;
    let missing = format!("/v1/services/{}/prolong", Uuid::now_v7());
    let provider = json!({"name": "Retry Hosting", "currency": "EUR"}).to_string();

    // Act: a 404, twice.
    let not_found = send(&server, Method::POST, &missing, "gone", "{}").await;
    let not_found_again = send(&server, Method::POST, &missing, "gone", "{}").await;
    // Act: a 5xx (the store's table of command keys is away), then the same request once more.
    sqlx::query("ALTER TABLE command_keys RENAME TO command_keys_away")
        .execute(&server.db.pool)
        .await
        .unwrap();
    let failed = send(&server, Method::POST, "/v1/providers", "flaky", &provider).await;
    sqlx::query("ALTER TABLE command_keys_away RENAME TO command_keys")
        .execute(&server.db.pool)
        .await
        .unwrap();
    let retried = send(&server, Method::POST, "/v1/providers", "flaky", &provider).await;

    // Assert
    assert_eq!(not_found.status, StatusCode::NOT_FOUND, "{not_found:?}");
    assert!(not_found_again.replayed());
    assert_eq!(not_found_again.body, not_found.body);
    assert!(failed.status.is_server_error(), "{failed:?}");
    assert_eq!(retried.status, StatusCode::CREATED, "{retried:?}");
    assert!(!retried.replayed(), "the 5xx was kept");
    assert_eq!(count(&server, "ProviderCreated").await, 1);
}

#[tokio::test]
async fn signing_in_with_a_key_keeps_neither_the_password_nor_the_token() {
    // Arrange
    let server = TestServer::start().await;
    let password = "correct horse battery staple";
    let created = server
        .post(
            "/v1/staff",
            json!({"name": "Sam", "email": "sam@example.com", "password": password,
                   "departments": [], "administrator": false}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let body = json!({"email": "sam@example.com", "password": password}).to_string();
    let wrong = json!({"email": "sam@example.com", "password": "wrong password"}).to_string();

    // Act
    let login = send_as(
        &server,
        "",
        Method::POST,
        "/v1/auth/login",
        "login-1",
        &body,
    )
    .await;
    let again = send_as(
        &server,
        "",
        Method::POST,
        "/v1/auth/login",
        "login-1",
        &body,
    )
    .await;
    let refused = send_as(
        &server,
        "",
        Method::POST,
        "/v1/auth/login",
        "login-2",
        &wrong,
    )
    .await;
    let refused_again = send_as(
        &server,
        "",
        Method::POST,
        "/v1/auth/login",
        "login-2",
        &wrong,
    )
    .await;

    // Assert
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let token = login.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    assert_eq!(again.json()["code"], "idempotency_answer_not_kept");
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
    assert!(refused_again.replayed());
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT encode(convert_to(r::text, 'UTF8'), 'escape') FROM idempotency_requests r",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    let kept = rows.join("\n");
    assert_eq!(rows.len(), 2, "{kept}");
    for secret in [password, "wrong password", token.as_str()] {
        assert!(!kept.contains(secret), "{secret} kept: {kept}");
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(!kept.contains(&hex), "{secret} kept as hex: {kept}");
    }
}

#[tokio::test]
async fn registering_a_module_with_a_key_keeps_not_its_secret() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let body = json!({"module_id": Uuid::now_v7(), "provider_id": provider,
                      "kind": "provisioning", "base_url": "http://127.0.0.1:9/panel",
                      "serves": ["vds"]})
    .to_string();

    // Act
    let registered = send_as(
        &server,
        ADMIN_TOKEN,
        Method::POST,
        "/v1/modules",
        "module-1",
        &body,
    )
    .await;
    let again = send_as(
        &server,
        ADMIN_TOKEN,
        Method::POST,
        "/v1/modules",
        "module-1",
        &body,
    )
    .await;

    // Assert: the secret was answered once and kept nowhere a replay could read it back.
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
    let secret = registered.json()["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    assert_eq!(again.json()["code"], "idempotency_answer_not_kept");
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT encode(convert_to(r::text, 'UTF8'), 'escape') FROM idempotency_requests r",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    assert!(!rows.join("\n").contains(&secret), "{rows:?}");
}

/// The OpenAPI document is generated from the same registrations as the router, so its write
/// operations are the router's write routes.
async fn write_operations(server: &TestServer) -> Vec<(String, String, Value)> {
    let spec = server.get("/openapi.json").await;
    assert_eq!(spec.status, StatusCode::OK);
    let mut operations = Vec::new();
    for (path, item) in spec.body["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                operations.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_write_route_is_behind_the_idempotency_layer() {
    // Arrange: for each write route, a key already used for another request.
    let server = TestServer::start().await;
    let operations = write_operations(&server).await;
    assert!(operations.len() > 60, "{} write routes", operations.len());
    for (n, (method, _, _)) in operations.iter().enumerate() {
        for principal in ["staff:admin", "anonymous"] {
            sqlx::query(
                "INSERT INTO idempotency_requests
                        (principal, key, method, path, fingerprint, lease, status, body,
                         expires_at)
                 VALUES ($1, $2, $3, '/elsewhere', '\\x00', $4, 200, '', now() + interval '1 hour')",
            )
            .bind(principal)
            .bind(format!("cover-{n}"))
            .bind(method)
            .bind(Uuid::now_v7())
            .execute(&server.db.pool)
            .await
            .unwrap();
        }
    }
    let events = server.event_count().await;

    // Act
    let mut uncovered = Vec::new();
    for (n, (method, template, _)) in operations.iter().enumerate() {
        let path = template
            .replace("{id}", &Uuid::now_v7().to_string())
            .replace("{code}", "EUR")
            .replace("{method}", "card");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let answer = send(&server, method.clone(), &path, &format!("cover-{n}"), "{}").await;
        if answer.status != StatusCode::UNPROCESSABLE_ENTITY
            || answer.json()["code"] != "idempotency_key_reused"
        {
            uncovered.push(format!(
                "{method} {template}: {} {}",
                answer.status,
                answer.json()
            ));
        }
    }

    // Assert
    assert!(
        uncovered.is_empty(),
        "not behind the layer:\n{}",
        uncovered.join("\n")
    );
    assert_eq!(server.event_count().await, events, "a handler ran");
}

#[tokio::test]
async fn every_write_operation_documents_the_key_and_its_answers() {
    // Arrange
    let server = TestServer::start().await;

    // Act
    let operations = write_operations(&server).await;

    // Assert
    let mut missing = Vec::new();
    for (method, path, operation) in &operations {
        let header = operation["parameters"]
            .as_array()
            .is_some_and(|parameters| {
                parameters
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
            });
        if !header {
            missing.push(format!("{method} {path}: no Idempotency-Key header"));
        }
        for status in ["409", "422"] {
            if operation["responses"].get(status).is_none() {
                missing.push(format!("{method} {path}: no {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
