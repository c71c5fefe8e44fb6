//! Provisioning modules (issue 20.5, ADR 25), end to end over real HTTP: an example module, a
//! small axum server in the test that speaks the protocol of `docs/modules.md` (it checks every
//! signature with its own HMAC code and reports back with signed callbacks), receives every
//! operation of a service's life, in order, each once, also across an outage of its own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use chrono::{NaiveDate, TimeZone, Utc};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use tests::TestServer;
use uuid::Uuid;

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of hex.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

pub(crate) fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// `t=<t>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>`, as the protocol says.
pub(crate) fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Whether `header` signs `body` with `secret` within five minutes of now.
pub(crate) fn signed(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(unhex(value)),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    (now() - t).abs() <= 300 && mac.verify_slice(&v1).is_ok()
}

/// One request the module took.
#[derive(Debug, Clone)]
struct Received {
    kind: String,
    operation_id: String,
    idempotency_key: String,
    key_id: String,
}

/// The example provisioning module's state.
#[derive(Default)]
struct Panel {
    /// Its module id and secret, once registered.
    registered: Mutex<Option<(Uuid, Vec<u8>, String)>>,
    /// The billing core's URL, for callbacks.
    billing: Mutex<String>,
    /// What it took, in order.
    received: Mutex<Vec<Received>>,
    /// Requests still to refuse with 503 (an outage).
    down: AtomicUsize,
    /// Requests refused during the outage.
    refused: AtomicUsize,
    /// Requests whose signature did not verify.
    bad_signatures: AtomicUsize,
    /// Callbacks the billing core did not accept.
    callbacks_failed: AtomicUsize,
    /// Their answers.
    callback_errors: Mutex<Vec<String>>,
}

/// `POST /operations`: checks the signature, records the operation and reports it done.
async fn operations(
    State(panel): State<Arc<Panel>>,
    headers: HeaderMap,
    body: Bytes,
) -> AxumStatus {
    let Some((module, secret, key_id)) = panel.registered.lock().unwrap().clone() else {
        return AxumStatus::SERVICE_UNAVAILABLE;
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    if !signed(&secret, &header("x-billing-signature"), &body) {
        panel.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return AxumStatus::UNAUTHORIZED;
    }
    if panel
        .down
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        panel.refused.fetch_add(1, Ordering::SeqCst);
        return AxumStatus::SERVICE_UNAVAILABLE;
    }
    let request: Value = serde_json::from_slice(&body).unwrap();
    let operation_id = request["operation_id"].as_str().unwrap().to_owned();
    panel.received.lock().unwrap().push(Received {
        kind: request["kind"].as_str().unwrap().to_owned(),
        operation_id: operation_id.clone(),
        idempotency_key: header("idempotency-key"),
        key_id: header("x-billing-key-id"),
    });
    assert_eq!(header("x-billing-key-id"), key_id);
    // The panel did the work; it reports back, signed, after answering.
    let billing = panel.billing.lock().unwrap().clone();
    let panel = Arc::clone(&panel);
    tokio::spawn(async move {
        let body = json!({"operation_id": operation_id, "status": "done"}).to_string();
        let answer = reqwest::Client::new()
            .post(format!("{billing}/v1/modules/{module}/callbacks"))
            .header("content-type", "application/json")
            .header(
                "x-billing-signature",
                signature(&secret, now(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        if !answer.status().is_success() {
            panel.callbacks_failed.fetch_add(1, Ordering::SeqCst);
            let text = format!(
                "{} {}",
                answer.status(),
                answer.text().await.unwrap_or_default()
            );
            panel.callback_errors.lock().unwrap().push(text);
        }
    });
    AxumStatus::ACCEPTED
}

/// Serves `app` on a free loopback port for the rest of the test; answers its base URL. The
/// example modules (a panel, a registrar, a gateway) run on it.
pub(crate) async fn serve_on_loopback(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Starts the example module on a loopback port; answers its base URL.
async fn start_panel(panel: Arc<Panel>) -> String {
    serve_on_loopback(
        axum::Router::new()
            .route("/operations", axum::routing::post(operations))
            .with_state(panel),
    )
    .await
}

struct Scene {
    server: TestServer,
    panel: Arc<Panel>,
    module: Uuid,
    secret: Vec<u8>,
    client: String,
    small: String,
    large: String,
}

fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

impl Scene {
    async fn new() -> Scene {
        let (server, clock) = TestServer::start_fixed().await;
        let day = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        clock.set(Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap()));
        let provider = server.provider("EUR").await;
        let client = server.client(&provider, "Olga Berg").await;
        let mut tariffs = Vec::new();
        for (name, price) in [("VDS S", "10.00"), ("VDS L", "30.00")] {
            let answer = server
                .post(
                    "/v1/tariffs",
                    json!({"provider_id": provider, "name": name, "item_type": "vds",
                           "prices": [{"period": "P1M", "price": money(price)}]}),
                )
                .await;
            assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
            tariffs.push(answer.body["id"].as_str().unwrap().to_owned());
        }
        let panel = Arc::new(Panel::default());
        *panel.billing.lock().unwrap() = server.url.clone();
        let base = start_panel(Arc::clone(&panel)).await;
        let module = Uuid::now_v7();
        let registered = server
            .post(
                "/v1/modules",
                json!({"module_id": module, "provider_id": provider, "kind": "provisioning",
                       "base_url": base, "serves": ["vds"]}),
            )
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
        let secret = unhex(registered.body["secret"].as_str().unwrap());
        assert_eq!(secret.len(), 32);
        let key_id = registered.body["key_id"].as_str().unwrap().to_owned();
        *panel.registered.lock().unwrap() = Some((module, secret.clone(), key_id));
        let paid = server
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({"payment_id": Uuid::now_v7(), "amount": "100.00", "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        Scene {
            server,
            panel,
            module,
            secret,
            client,
            small: tariffs[0].clone(),
            large: tariffs[1].clone(),
        }
    }

    /// Waits until the module has taken `count` requests and the service is `status`.
    async fn reached(&self, service: &str, count: usize, status: &str) {
        for _ in 0..300 {
            let head = eventstore::log::head_position(&self.server.db.pool)
                .await
                .unwrap();
            let seen = self
                .server
                .get(&format!("/v1/services/{service}?min_position={head}"))
                .await;
            if self.panel.received.lock().unwrap().len() >= count && seen.body["status"] == status {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the service did not reach {status} with {count} requests: {:?}, callbacks refused: {:?}",
            self.panel.received.lock().unwrap(),
            self.panel.callback_errors.lock().unwrap()
        );
    }

    fn kinds(&self) -> Vec<String> {
        let received = self.panel.received.lock().unwrap();
        received.iter().map(|r| r.kind.clone()).collect()
    }

    /// With the module down, orders a small VDS; answers the service and the operation of its
    /// activation once it is queued for the module, where it waits for the module's report.
    async fn activation_waiting(&self) -> (String, Uuid) {
        self.panel.down.store(1_000, Ordering::SeqCst);
        let ordered = self
            .server
            .post(
                &format!("/v1/clients/{}/services", self.client),
                json!({"tariff_id": self.small, "period": "P1M", "addons": []}),
            )
            .await;
        let service = ordered.body["id"].as_str().unwrap().to_owned();
        for _ in 0..100 {
            let operation = sqlx::query_scalar::<_, Uuid>("SELECT id FROM module_deliveries")
                .fetch_optional(&self.server.db.pool)
                .await
                .unwrap();
            if let Some(operation) = operation {
                return (service, operation);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the activation was not queued");
    }

    /// Posts a callback body signed with `secret`.
    async fn callback(&self, secret: &[u8], body: &Value) -> tests::Answer {
        let body = body.to_string();
        let response = self
            .server
            .http
            .post(format!(
                "{}/v1/modules/{}/callbacks",
                self.server.url, self.module
            ))
            .header("content-type", "application/json")
            .header(
                "x-billing-signature",
                signature(secret, now(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        tests::answer(response).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_receives_every_operation_of_a_service_signed_in_order_once_across_an_outage() {
    // Arrange
    let scene = Scene::new().await;

    // Act: order, suspend (while the module is down for two requests), resume, change tariff,
    // close; after each the example module reports back with a signed callback.
    let ordered = scene
        .server
        .post(
            &format!("/v1/clients/{}/services", scene.client),
            json!({"tariff_id": scene.small, "period": "P1M", "addons": []}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    let service = ordered.body["id"].as_str().unwrap().to_owned();
    scene.reached(&service, 1, "active").await;
    scene.panel.down.store(2, Ordering::SeqCst);
    let suspended = scene
        .server
        .post(
            &format!("/v1/services/{service}/suspend"),
            json!({"reason": "abuse"}),
        )
        .await;
    assert!(suspended.status.is_success(), "{suspended:?}");
    scene.reached(&service, 2, "suspended").await;
    let resumed = scene
        .server
        .post(&format!("/v1/services/{service}/resume"), json!({}))
        .await;
    assert!(resumed.status.is_success(), "{resumed:?}");
    scene.reached(&service, 3, "active").await;
    let changed = scene
        .server
        .post(
            &format!("/v1/services/{service}/change-tariff"),
            json!({"tariff_id": scene.large, "addons": []}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    scene.reached(&service, 4, "active").await;
    let closed = scene
        .server
        .post(&format!("/v1/services/{service}/close"), json!({}))
        .await;
    assert!(closed.status.is_success(), "{closed:?}");
    scene.reached(&service, 5, "deleted").await;
    // Time for anything sent twice to arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Assert
    assert_eq!(
        scene.kinds(),
        ["create", "suspend", "resume", "change_tariff", "delete"]
    );
    let received = scene.panel.received.lock().unwrap().clone();
    for request in &received {
        assert_eq!(request.idempotency_key, request.operation_id, "{request:?}");
        assert!(request.key_id.starts_with("mk_"), "{request:?}");
    }
    let mut ids: Vec<_> = received.iter().map(|r| r.operation_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "each operation once: {received:?}");
    assert_eq!(scene.panel.refused.load(Ordering::SeqCst), 2, "the outage");
    assert_eq!(scene.panel.bad_signatures.load(Ordering::SeqCst), 0);
    assert_eq!(scene.panel.callbacks_failed.load(Ordering::SeqCst), 0);
    let attempts: Vec<(String, i32, String)> =
        sqlx::query_as("SELECT kind, attempts, status FROM module_deliveries ORDER BY position")
            .fetch_all(&scene.server.db.pool)
            .await
            .unwrap();
    assert_eq!(
        attempts[1],
        ("suspend".to_string(), 3, "delivered".to_string())
    );
    // The secret is in no event.
    let secret_hex = hex(&scene.secret);
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE $1")
        .bind(format!("%{secret_hex}%"))
        .fetch_one(&scene.server.db.pool)
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_with_a_bad_signature_is_refused_and_changes_nothing() {
    // Arrange: the module is down, so the activation waits for its report.
    let scene = Scene::new().await;
    let (service, operation) = scene.activation_waiting().await;
    let report = json!({"operation_id": operation, "status": "done"});
    let events = scene.server.event_count().await;

    // Act
    let forged = scene.callback(b"not the module's secret", &report).await;
    let unsigned = scene
        .server
        .http
        .post(format!(
            "{}/v1/modules/{}/callbacks",
            scene.server.url, scene.module
        ))
        .header("content-type", "application/json")
        .body(report.to_string())
        .send()
        .await
        .unwrap();
    let unsigned = tests::answer(unsigned).await;
    let stale = {
        let body = report.to_string();
        let response = scene
            .server
            .http
            .post(format!(
                "{}/v1/modules/{}/callbacks",
                scene.server.url, scene.module
            ))
            .header(
                "x-billing-signature",
                signature(&scene.secret, now() - 3_600, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        tests::answer(response).await
    };
    let events_after_refusals = scene.server.event_count().await;
    let genuine = scene.callback(&scene.secret, &report).await;

    // Assert
    for refused in [&forged, &unsigned, &stale] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
        assert_eq!(refused.content_type, "application/problem+json");
    }
    assert_eq!(
        events_after_refusals, events,
        "a refused callback writes nothing"
    );
    assert_eq!(genuine.status, StatusCode::OK, "{genuine:?}");
    let head = eventstore::log::head_position(&scene.server.db.pool)
        .await
        .unwrap();
    let seen = scene
        .server
        .get(&format!("/v1/services/{service}?min_position={head}"))
        .await;
    assert_eq!(seen.body["status"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_failure_with_a_nul_in_its_reason_is_refused_and_the_read_side_keeps_going() {
    // Arrange: the module is down, so the activation waits for its report.
    let scene = Scene::new().await;
    let (service, operation) = scene.activation_waiting().await;
    let events = scene.server.event_count().await;

    // Act: a correctly signed report whose reason holds a NUL, then a genuine one.
    let poisoned = scene
        .callback(
            &scene.secret,
            &json!({"operation_id": operation, "status": "failed", "reason": "disk\u{0}full"}),
        )
        .await;
    let events_after_refusal = scene.server.event_count().await;
    let genuine = scene
        .callback(
            &scene.secret,
            &json!({"operation_id": operation, "status": "failed", "reason": "disk full"}),
        )
        .await;

    // Assert: refused, naming the problem, nothing written; the genuine report is read back
    // through the read models, which did not stop.
    assert_eq!(poisoned.status, StatusCode::BAD_REQUEST, "{poisoned:?}");
    assert_eq!(poisoned.content_type, "application/problem+json");
    assert_eq!(poisoned.body["code"], "invalid_callback", "{poisoned:?}");
    assert_eq!(events_after_refusal, events);
    assert_eq!(genuine.status, StatusCode::OK, "{genuine:?}");
    let position = genuine.body["position"].as_i64().unwrap();
    let operations = scene
        .server
        .get(&format!(
            "/v1/operations?status=failed&min_position={position}"
        ))
        .await;
    assert_eq!(operations.status, StatusCode::OK, "{operations:?}");
    let failed = operations.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|op| op["service_id"] == service.as_str())
        .unwrap_or_else(|| panic!("{operations:?}"));
    assert_eq!(failed["reason"], "disk full", "{failed}");
}
