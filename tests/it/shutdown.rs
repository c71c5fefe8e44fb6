//! Stopping: the `billing` binary exits within seconds of SIGTERM whatever its clients do, keeps
//! what it answered, and neither a stalled client nor a process manager waiting for a stopped
//! read model holds the stop. The bounds here are correctness properties (an orchestrator kills
//! a process that does not stop), generous enough for a loaded machine; each test prints the
//! figure it measured.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, TestDb, TestServer, billing_binary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use uuid::Uuid;

/// The longest a stop may take: the brief asks for 5 s; the bound leaves room for a slow machine.
const STOP_BOUND: Duration = Duration::from_secs(10);

pub(crate) const TOKEN: &str = "shutdown-test-token";

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn spawn(database_url: &str, port: u16, log: &Path) -> Child {
    spawn_with(database_url, port, log, 16)
}

/// `billing serve` over `database_url` on `port`, logging to `log`, with
/// `BILLING_DB_CONNECTIONS=connections`.
pub(crate) fn spawn_with(database_url: &str, port: u16, log: &Path, connections: u32) -> Child {
    let out = std::fs::File::create(log).expect("create the server log");
    let err = out.try_clone().expect("clone the log handle");
    Command::new(billing_binary())
        .args(["serve", "--log-format", "text"])
        .env("DATABASE_URL", database_url)
        .env("BILLING_LISTEN", format!("127.0.0.1:{port}"))
        .env("BILLING_ADMIN_TOKEN", TOKEN)
        .env("BILLING_DB_CONNECTIONS", connections.to_string())
        .env_remove("BILLING_NO_PROJECTIONS")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn billing serve")
}

pub(crate) async fn wait_healthy(
    http: &reqwest::Client,
    base: &str,
    child: &mut Child,
    log: &Path,
) {
    for _ in 0..600 {
        if let Ok(response) = http.get(format!("{base}/v1/health")).send().await
            && response.status() == StatusCode::OK
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "billing serve exited early with {status}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("billing serve did not become healthy in 60 s");
}

pub(crate) async fn call(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = match body {
        Some(body) => http.post(format!("{base}{path}")).json(&body),
        None => http.get(format!("{base}{path}")),
    };
    let response = request
        .bearer_auth(TOKEN)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A request whose headers promise a body of 200 bytes, of which it sends 20.
fn half_a_payment(port: u16, client: &str) -> Vec<u8> {
    format!(
        "POST /v1/clients/{client}/payments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: 200\r\n\r\n{{\"payment_id\": \"01"
    )
    .into_bytes()
}

#[tokio::test]
async fn sigterm_with_stalled_clients_exits_within_seconds_and_keeps_the_answered_payment() {
    // Arrange: the binary over a fresh database, a client with a payment the server answered.
    let db = TestDb::new().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::env::temp_dir().join(format!("billing-shutdown-{}.log", Uuid::now_v7()));
    let http = reqwest::Client::new();
    let mut child = spawn(&db.url, port, &log);
    wait_healthy(&http, &base, &mut child, &log).await;
    let (status, provider) = call(
        &http,
        &base,
        "/v1/providers",
        Some(json!({ "name": "Stop Hosting", "currency": "EUR" })),
    )
    .await;
    assert_eq!(status, 201, "{provider}");
    let (status, client) = call(
        &http,
        &base,
        "/v1/clients",
        Some(json!({
            "provider_id": provider["id"], "name": "Stalled Ltd", "email": "stalled@example.com",
            "kind": "individual", "country": "DE",
        })),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    let client = client["id"].as_str().expect("a client id").to_owned();
    let (status, paid) = call(
        &http,
        &base,
        &format!("/v1/clients/{client}/payments"),
        Some(json!({
            "payment_id": Uuid::now_v7(), "amount": "12.34", "currency": "EUR",
            "method": "bank_transfer",
        })),
    )
    .await;
    assert_eq!(status, 201, "{paid}");

    // Act: one connection sends half a body and stalls, another half of its headers; then
    // SIGTERM.
    let mut stalled_body = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stalled_body
        .write_all(&half_a_payment(port, &client))
        .await
        .expect("send half a request");
    let mut stalled_head = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    stalled_head
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: 127")
        .await
        .expect("send half a head");
    // Let the server take both in (a request that arrives after the stop is refused anyway).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().expect("a running child").to_string();
    let signalled = Instant::now();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("send SIGTERM");
    assert!(sent.success(), "kill -TERM {pid} failed");
    let exited = tokio::time::timeout(STOP_BOUND, child.wait()).await;
    let took = signalled.elapsed();
    println!("billing serve exited {took:?} after SIGTERM with two stalled clients");

    // Assert: it stopped in time and cleanly, the stalled request was not answered as a success,
    // and after a restart the payment it answered is in the balance.
    let status = exited
        .unwrap_or_else(|_| {
            panic!(
                "billing serve still runs {took:?} after SIGTERM:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })
        .expect("wait for billing serve");
    assert!(status.success(), "billing serve exited with {status}");
    let mut reply = Vec::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(5), stalled_body.read_to_end(&mut reply)).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        !reply.starts_with("HTTP/1.1 2"),
        "a request without its body was answered as a success: {reply}"
    );
    let mut child = spawn(&db.url, port, &log);
    wait_healthy(&http, &base, &mut child, &log).await;
    let position = paid["position"].as_i64().expect("the payment's position");
    let (status, balance) = call(
        &http,
        &base,
        &format!("/v1/clients/{client}/balance?min_position={position}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{balance}");
    assert_eq!(balance["accounts"][0]["balance"], "12.34", "{balance}");
    let _ = std::fs::remove_file(&log);
}

#[tokio::test]
async fn a_client_that_stops_sending_its_body_gets_408() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Slow Sender").await;
    let addr = server.url.trim_start_matches("http://").to_owned();
    let port: u16 = addr
        .rsplit(':')
        .next()
        .expect("a port")
        .parse()
        .expect("a port");

    // Act: half a body, then nothing.
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    let request = String::from_utf8(half_a_payment(port, &client))
        .expect("text")
        .replace(TOKEN, ADMIN_TOKEN);
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send half a request");
    let started = Instant::now();
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut reply)).await;
    println!(
        "the stalled request was answered after {:?}",
        started.elapsed()
    );

    // Assert
    assert!(
        read.is_ok(),
        "the server still waits for the body after 60 s"
    );
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("application/problem+json"), "{reply}");
    assert!(reply.contains("request_timeout"), "{reply}");
    assert_eq!(
        server.event_count().await,
        2,
        "only the provider and the client"
    );
}

#[tokio::test]
async fn stopping_while_settlement_waits_for_a_read_model_takes_seconds() {
    // Arrange: the services read model held by another "node" (its advisory lock in an open
    // transaction), so settlement, asked to settle a payment, waits for it.
    let mut server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Waiting Client").await;
    let mut holder = server.db.pool.begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('projection:services', 0))")
        .execute(&mut *holder)
        .await
        .expect("take the services lock");
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({
                "payment_id": Uuid::now_v7(), "amount": "5.00", "currency": "EUR",
                "method": "bank_transfer",
            }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let position = paid.body["position"].as_i64().expect("a position");
    let balance = server
        .get(&format!(
            "/v1/clients/{client}/balance?min_position={position}"
        ))
        .await;
    assert_eq!(balance.status, StatusCode::OK, "{balance:?}");
    // Settlement wakes on the same notification as the balances: give it time to start waiting.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Act
    let started = Instant::now();
    let stopped = tokio::time::timeout(Duration::from_secs(60), server.stop()).await;
    let took = started.elapsed();
    println!("the server stopped {took:?} after it was asked, settlement waiting for services");

    // Assert
    assert!(stopped.is_ok(), "the server did not stop in 60 s");
    assert!(took < STOP_BOUND, "stopping took {took:?}");
    holder.rollback().await.expect("release the lock");
}
