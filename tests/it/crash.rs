//! Crash and fault tests: the real `billing` binary killed with SIGKILL under load, and its
//! PostgreSQL stopped under it. What a caller was told succeeded must stay true, a payment sent
//! again with the same id must never credit twice, the read models must converge on the log, and
//! a database outage must be answered with 503 and healed without restarting the server.
//!
//! Every load goes to 127.0.0.1 only and stops by itself. `BILLING_LONG_TESTS=1` runs more kill
//! rounds and a longer outage than CI does.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::cli::pgcluster::PrivateCluster;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::PgPool;
use tests::{TestDb, billing_binary};
use tokio::process::{Child, Command};
use uuid::Uuid;

/// The administrator token of every server these tests start.
pub(crate) const TOKEN: &str = "crash-test-token";
/// No request may take longer than this: a server that hangs fails the test instead of stalling it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A safety belt on every writer loop, which normally ends on its stop flag.
const MAX_SENDS_PER_WRITER: usize = 20_000;
/// How long the read models may take to reach the head of the log.
const CONVERGENCE_WAIT: Duration = Duration::from_secs(30);

/// Phases of a run, recorded with each payment when it is sent.
const PHASE_UP: u8 = 0;
const PHASE_DB_DOWN: u8 = 1;
const PHASE_DB_BACK: u8 = 2;

fn long_tests() -> bool {
    std::env::var("BILLING_LONG_TESTS").is_ok_and(|value| value == "1")
}

// --- Randomness -----------------------------------------------------------------------------

/// SplitMix64: the tests crate has no `rand`, and kill timings and amounts need only be varied,
/// not cryptographic. The seed is printed in failure messages.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        Rng(std::hash::RandomState::new().hash_one(Instant::now()))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    fn index(&mut self, len: usize) -> usize {
        let len = u64::try_from(len).expect("a small length");
        usize::try_from(self.next() % len).expect("an index")
    }
}

// --- Payments and what the server said about them --------------------------------------------

/// One payment as a caller knows it: its own id, the client, the amount in cents (EUR).
#[derive(Debug, Clone)]
struct Payment {
    id: Uuid,
    client: String,
    cents: i64,
}

impl Payment {
    fn fresh(rng: &mut Rng, clients: &[String]) -> Payment {
        Payment {
            id: Uuid::now_v7(),
            client: clients[rng.index(clients.len())].clone(),
            cents: i64::try_from(rng.between(1, 250_000)).expect("a small amount"),
        }
    }

    fn amount(&self) -> Decimal {
        Decimal::new(self.cents, 2)
    }

    fn path(&self) -> String {
        format!("/v1/clients/{}/payments", self.client)
    }

    pub(crate) fn body(&self) -> Value {
        json!({
            "payment_id": self.id,
            "amount": format!("{}.{:02}", self.cents / 100, self.cents % 100),
            "currency": "EUR",
            "method": "bank_transfer",
        })
    }
}

/// What came back for one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// The server answered.
    Answered {
        status: StatusCode,
        content_type: String,
        body: Value,
        replayed: bool,
        took: Duration,
    },
    /// No (whole) answer: refused, reset, cut off or timed out.
    NoAnswer { error: String, took: Duration },
}

impl Reply {
    pub(crate) fn status(&self) -> Option<StatusCode> {
        match self {
            Reply::Answered { status, .. } => Some(*status),
            Reply::NoAnswer { .. } => None,
        }
    }

    fn took(&self) -> Duration {
        match self {
            Reply::Answered { took, .. } | Reply::NoAnswer { took, .. } => *took,
        }
    }

    pub(crate) fn body(&self) -> Value {
        match self {
            Reply::Answered { body, .. } => body.clone(),
            Reply::NoAnswer { .. } => Value::Null,
        }
    }

    fn describe(&self) -> String {
        match self {
            Reply::Answered {
                status,
                content_type,
                body,
                took,
                ..
            } => format!("{status} ({content_type}) {body} after {took:?}"),
            Reply::NoAnswer { error, took } => format!("no answer after {took:?}: {error}"),
        }
    }
}

/// A client for load: bounded waits, so that a hung server fails the test instead of stalling it.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

pub(crate) async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> Reply {
    let started = Instant::now();
    let mut request = http.request(method, url).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Reply::NoAnswer {
                error: format!("{error:?}"),
                took: started.elapsed(),
            };
        }
    };
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(error) => {
            return Reply::NoAnswer {
                error: format!("the body was cut off: {error:?}"),
                took: started.elapsed(),
            };
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    Reply::Answered {
        status,
        content_type: header("content-type"),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        replayed: header("idempotent-replayed") == "true",
        took: started.elapsed(),
    }
}

async fn post_payment(http: &reqwest::Client, base: &str, payment: &Payment) -> Reply {
    send(
        http,
        Method::POST,
        &format!("{base}{}", payment.path()),
        Some(&payment.body()),
    )
    .await
}

/// One request and its reply.
struct Exchange {
    payment: Payment,
    /// The phase the request was sent in.
    phase: u8,
    /// Whether it sent again a payment that had no 2xx answer yet, with the same id.
    retry: bool,
    reply: Reply,
    /// When the reply came.
    ended: Instant,
}

/// Every payment sent and every answer, shared by the writers of a test.
#[derive(Default)]
struct Ledger {
    /// Every payment sent at least once, by id.
    sent: HashMap<Uuid, Payment>,
    /// The first 2xx answer body of each acknowledged payment.
    acknowledged: HashMap<Uuid, Value>,
    /// Every exchange in the order it ended.
    exchanges: Vec<Exchange>,
    /// Payments without a 2xx answer, waiting to be sent again with the same id.
    to_retry: Vec<Payment>,
    /// Answers no caller should ever get, described with their request.
    unexpected: Vec<String>,
}

impl Ledger {
    fn record(&mut self, payment: &Payment, phase: u8, retry: bool, reply: Reply, again: bool) {
        self.sent
            .entry(payment.id)
            .or_insert_with(|| payment.clone());
        match &reply {
            Reply::Answered {
                status: StatusCode::CREATED,
                body,
                ..
            } => match self.acknowledged.get(&payment.id) {
                Some(first) if first != body => self.unexpected.push(format!(
                    "POST {} {} answered {body} after it had answered {first}",
                    payment.path(),
                    payment.body()
                )),
                Some(_) => {}
                None => {
                    self.acknowledged.insert(payment.id, body.clone());
                }
            },
            Reply::Answered {
                status: StatusCode::SERVICE_UNAVAILABLE,
                ..
            }
            | Reply::NoAnswer { .. } => {
                if again {
                    self.to_retry.push(payment.clone());
                }
            }
            Reply::Answered { .. } => self.unexpected.push(format!(
                "POST {} {} -> {}",
                payment.path(),
                payment.body(),
                reply.describe()
            )),
        }
        self.exchanges.push(Exchange {
            payment: payment.clone(),
            phase,
            retry,
            reply,
            ended: Instant::now(),
        });
    }

    fn no_answers(&self) -> usize {
        self.exchanges
            .iter()
            .filter(|exchange| matches!(exchange.reply, Reply::NoAnswer { .. }))
            .count()
    }

    /// Payments that got no answer at first and were acknowledged when sent again.
    fn acknowledged_retries(&self) -> usize {
        self.exchanges
            .iter()
            .filter(|exchange| {
                exchange.retry && exchange.reply.status() == Some(StatusCode::CREATED)
            })
            .count()
    }

    fn acknowledged_sum_by_client(&self) -> HashMap<String, Decimal> {
        let mut sums: HashMap<String, Decimal> = HashMap::new();
        for id in self.acknowledged.keys() {
            let payment = &self.sent[id];
            *sums.entry(payment.client.clone()).or_default() += payment.amount();
        }
        sums
    }
}

/// A crowd of writers posting payments until told to stop.
struct Load {
    http: reqwest::Client,
    base: String,
    clients: Arc<Vec<String>>,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    phase: Arc<AtomicU8>,
    /// The share (in percent) of payments left without an answer that are sent again later
    /// with the same id.
    retry_percent: u64,
    /// Whether a writer gives up at its first request without an answer (the server is gone).
    stop_at_no_answer: bool,
}

impl Load {
    fn spawn(self: &Arc<Self>, writers: usize, rng: &mut Rng) -> Vec<tokio::task::JoinHandle<()>> {
        (0..writers)
            .map(|_| tokio::spawn(Arc::clone(self).write(Rng(rng.next()))))
            .collect()
    }

    async fn write(self: Arc<Self>, mut rng: Rng) {
        for _ in 0..MAX_SENDS_PER_WRITER {
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
            let retried = self.ledger.lock().expect("the ledger").to_retry.pop();
            let retry = retried.is_some();
            let payment = retried.unwrap_or_else(|| Payment::fresh(&mut rng, &self.clients));
            let phase = self.phase.load(Ordering::SeqCst);
            let reply = post_payment(&self.http, &self.base, &payment).await;
            let gone = matches!(reply, Reply::NoAnswer { .. });
            let unavailable = reply.status() == Some(StatusCode::SERVICE_UNAVAILABLE);
            let again = rng.between(1, 100) <= self.retry_percent;
            self.ledger
                .lock()
                .expect("the ledger")
                .record(&payment, phase, retry, reply, again);
            if gone && self.stop_at_no_answer {
                return;
            }
            if unavailable || gone {
                // The answer asks to retry after a second; a shorter pause keeps the load up
                // without spinning.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

// --- The server as a process ------------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One `billing serve` process over a database, restarted on the same port after a kill.
pub(crate) struct BillingProcess {
    binary: PathBuf,
    database_url: String,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl BillingProcess {
    pub(crate) fn new(database_url: &str) -> BillingProcess {
        BillingProcess {
            binary: billing_binary(),
            database_url: database_url.to_owned(),
            port: free_port(),
            log: std::env::temp_dir().join(format!("billing-crash-{}.log", Uuid::now_v7())),
            child: None,
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Spawns the server and waits until `/v1/health` answers (migrations are applied by then).
    pub(crate) async fn start(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the server log");
        let log_err = log.try_clone().expect("clone the log handle");
        let child = Command::new(&self.binary)
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("BILLING_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("BILLING_ADMIN_TOKEN", TOKEN)
            .env("BILLING_LOG_FORMAT", "text")
            // Several tests share one PostgreSQL server: keep this one's share small (10 for
            // requests, 8 for the projection workers).
            .env("BILLING_DB_CONNECTIONS", "18")
            .env_remove("BILLING_NO_PROJECTIONS")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn billing serve");
        self.child = Some(child);
        self.wait_healthy().await;
    }

    async fn wait_healthy(&mut self) {
        let http = http_client();
        let url = format!("{}/v1/health", self.base());
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(response) = http.get(&url).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            let child = self.child.as_mut().expect("a spawned server");
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "billing serve exited early with {status}:\n{}",
                    self.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "billing serve did not become healthy in 60 s:\n{}",
            self.log_tail(30)
        );
    }

    /// SIGKILL: no chance to finish anything, as when the machine loses power.
    pub(crate) async fn kill(&mut self) {
        let mut child = self.child.take().expect("a running server");
        child.start_kill().expect("send SIGKILL");
        tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("a killed server is gone within 10 s")
            .expect("reap the killed server");
    }

    /// SIGTERM, and the exit status of a graceful stop.
    async fn terminate(&mut self) {
        let mut child = self.child.take().expect("a running server");
        let pid = child.id().expect("a running child").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("send SIGTERM");
        assert!(sent.success(), "kill -TERM {pid} failed");
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("billing serve stops within 30 s after SIGTERM")
            .expect("wait for billing serve");
        assert!(
            status.success(),
            "billing serve exited with {status} after SIGTERM:\n{}",
            self.log_tail(30)
        );
    }

    fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub(crate) fn log_tail(&self, lines: usize) -> String {
        let all = self.log_lines();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The log lines that contain `needle`, at most `limit` of them.
    fn log_matching(&self, needle: &str, limit: usize) -> String {
        self.log_lines()
            .into_iter()
            .filter(|line| line.contains(needle))
            .take(limit)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for BillingProcess {
    fn drop(&mut self) {
        // A child still here is killed by `kill_on_drop`; the log goes with the test.
        let _ = std::fs::remove_file(&self.log);
    }
}

// --- Setting up over HTTP ---------------------------------------------------------------------

async fn create_provider(http: &reqwest::Client, base: &str) -> String {
    let body = json!({ "name": "Crash Hosting", "currency": "EUR" });
    let reply = send(
        http,
        Method::POST,
        &format!("{base}/v1/providers"),
        Some(&body),
    )
    .await;
    assert_eq!(reply.status(), Some(StatusCode::CREATED), "{reply:?}");
    reply.body()["id"].as_str().expect("an id").to_owned()
}

async fn create_clients(
    http: &reqwest::Client,
    base: &str,
    provider: &str,
    count: usize,
) -> Vec<String> {
    let mut clients = Vec::with_capacity(count);
    for n in 0..count {
        let body = json!({
            "provider_id": provider,
            "name": format!("Crash Client {n}"),
            "email": format!("crash.client.{n}@example.com"),
            "kind": "individual",
            "country": "DE",
        });
        let reply = send(
            http,
            Method::POST,
            &format!("{base}/v1/clients"),
            Some(&body),
        )
        .await;
        assert_eq!(reply.status(), Some(StatusCode::CREATED), "{reply:?}");
        clients.push(reply.body()["id"].as_str().expect("an id").to_owned());
    }
    clients
}

// --- Reading the log and the read models ------------------------------------------------------

/// Every `PaymentPosted` in the log: payment id, account (aggregate id), amount.
async fn logged_payments(pool: &PgPool) -> Vec<(String, String, Decimal)> {
    sqlx::query_as(
        "SELECT payload::jsonb->'PaymentPosted'->>'payment_id',
                aggregate_id,
                (payload::jsonb->'PaymentPosted'->'amount'->>'amount')::numeric
           FROM events
          WHERE event_type = 'PaymentPosted'",
    )
    .fetch_all(pool)
    .await
    .expect("read the payments in the log")
}

/// The owner of every account, from the log's own `AccountOpened` events.
async fn account_owners(pool: &PgPool) -> HashMap<String, String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT aggregate_id, payload::jsonb->'AccountOpened'->>'client_id'
           FROM events
          WHERE event_type = 'AccountOpened'",
    )
    .fetch_all(pool)
    .await
    .expect("read the accounts in the log");
    rows.into_iter().collect()
}

/// The sum of `PaymentPosted` amounts in the log per client, computed in SQL.
async fn logged_sum_by_client(pool: &PgPool) -> HashMap<String, Decimal> {
    let rows: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT opened.payload::jsonb->'AccountOpened'->>'client_id',
                sum((paid.payload::jsonb->'PaymentPosted'->'amount'->>'amount')::numeric)
           FROM events paid
           JOIN events opened
             ON opened.aggregate_id = paid.aggregate_id
            AND opened.event_type = 'AccountOpened'
          WHERE paid.event_type = 'PaymentPosted'
          GROUP BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("sum the payments in the log");
    rows.into_iter().collect()
}

/// The last event of the log in its safe order: what a read waits for to see everything.
async fn head_position(pool: &PgPool) -> i64 {
    eventstore::log::head_position(pool)
        .await
        .expect("read the head of the log")
}

/// Waits until every projection's checkpoint has reached the last event of the log in its safe
/// order (transaction id, then position). Returns the laggards if the wait runs out.
pub(crate) async fn wait_for_checkpoints_at_head(
    pool: &PgPool,
    wait: Duration,
) -> Result<(), String> {
    let head: (i64, i64) = sqlx::query_as(
        "SELECT tx_id::text::bigint, global_position
           FROM events ORDER BY tx_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .expect("read the head of the log in safe order");
    let expected: Vec<&str> = projections::all().iter().map(|p| p.name()).collect();
    let deadline = Instant::now() + wait;
    loop {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT name, tx_id::text::bigint, position FROM projection_checkpoints ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .expect("read the checkpoints");
        let mut behind: Vec<String> = rows
            .iter()
            .filter(|(_, tx_id, position)| (*tx_id, *position) < head)
            .map(|(name, tx_id, position)| format!("{name} at ({tx_id}, {position})"))
            .collect();
        behind.extend(
            expected
                .iter()
                .filter(|name| !rows.iter().any(|(found, _, _)| found == *name))
                .map(|name| format!("{name} has no checkpoint")),
        );
        if behind.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the log's head is {head:?}; behind after {wait:?}: {}",
                behind.join(", ")
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The client's EUR balance as the API shows it once its read model has `min_position`, with the
/// raw text (to check it is written to the cent).
async fn api_balance(
    http: &reqwest::Client,
    base: &str,
    client: &str,
    min_position: i64,
) -> (Decimal, String) {
    let reply = send(
        http,
        Method::GET,
        &format!("{base}/v1/clients/{client}/balance?min_position={min_position}"),
        None,
    )
    .await;
    assert_eq!(reply.status(), Some(StatusCode::OK), "{reply:?}");
    let body = reply.body();
    let accounts = body["accounts"].as_array().expect("accounts");
    let Some(account) = accounts.iter().find(|a| a["currency"] == "EUR") else {
        return (Decimal::ZERO, "0.00".to_owned());
    };
    let text = account["balance"].as_str().expect("a balance").to_owned();
    (Decimal::from_str(&text).expect("a decimal balance"), text)
}

fn written_to_the_cent(text: &str) -> bool {
    text.split_once('.')
        .is_some_and(|(_, cents)| cents.len() == 2 && cents.bytes().all(|b| b.is_ascii_digit()))
}

// --- The tests --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_payment_and_projections_converge() {
    // Arrange
    let rounds = if long_tests() { 20 } else { 3 };
    let writers = 16;
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let db = TestDb::new().await;
    let mut server = BillingProcess::new(&db.url);
    server.start().await;
    let http = http_client();
    let provider = create_provider(&http, &server.base()).await;
    let clients = Arc::new(create_clients(&http, &server.base(), &provider, 20).await);
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    // Act: rounds of load, each ended by SIGKILL at a random moment and followed by a restart;
    // three in four payments left without an answer are sent again, with the same id, by the
    // next round's writers.
    let started = Instant::now();
    for _ in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let load = Arc::new(Load {
            // A fresh client per round: the last one's pooled connections died with the server.
            http: http_client(),
            base: server.base(),
            clients: Arc::clone(&clients),
            ledger: Arc::clone(&ledger),
            stop: Arc::clone(&stop),
            phase: Arc::new(AtomicU8::new(PHASE_UP)),
            retry_percent: 75,
            stop_at_no_answer: true,
        });
        let tasks = load.spawn(writers, &mut rng);
        tokio::time::sleep(Duration::from_millis(rng.between(300, 1500))).await;
        server.kill().await;
        // The writers meet the dead server, then stop.
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::SeqCst);
        for task in tasks {
            tokio::time::timeout(REQUEST_TIMEOUT * 2, task)
                .await
                .expect("a writer stops by itself")
                .expect("a writer does not panic");
        }
        server.start().await;
    }
    // The last kill's leftovers are sent again too, until the running server answers them.
    let leftovers = std::mem::take(&mut ledger.lock().expect("the ledger").to_retry);
    let retry_http = http_client();
    for payment in leftovers {
        for _ in 0..50 {
            let reply = post_payment(&retry_http, &server.base(), &payment).await;
            let done = reply.status() == Some(StatusCode::CREATED);
            ledger
                .lock()
                .expect("the ledger")
                .record(&payment, PHASE_UP, true, reply, false);
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let load_time = started.elapsed();
    let converged = wait_for_checkpoints_at_head(&db.pool, CONVERGENCE_WAIT).await;
    let head = head_position(&db.pool).await;
    let mut shown = HashMap::new();
    for client in clients.iter() {
        shown.insert(
            client.clone(),
            api_balance(&http, &server.base(), client, head).await,
        );
    }
    let logged = logged_payments(&db.pool).await;
    let owners = account_owners(&db.pool).await;
    let logged_sums = logged_sum_by_client(&db.pool).await;
    server.terminate().await;

    // Assert
    let ledger = ledger.lock().expect("the ledger");
    let context = format!(
        "seed {seed}, {rounds} rounds in {load_time:?}: {} sent, {} acknowledged, {} without an \
         answer, {} acknowledged on a retry",
        ledger.sent.len(),
        ledger.acknowledged.len(),
        ledger.no_answers(),
        ledger.acknowledged_retries()
    );
    eprintln!("{context}");
    assert_eq!(converged, Ok(()), "{context}");
    assert!(
        ledger.unexpected.is_empty(),
        "unexpected answers ({context}):\n{}",
        ledger.unexpected.join("\n")
    );
    assert!(
        !ledger.acknowledged.is_empty(),
        "no payment got through ({context})"
    );
    assert!(
        ledger.no_answers() > 0,
        "the kills never caught a request in flight ({context})"
    );
    let mut times_logged: HashMap<&str, usize> = HashMap::new();
    for (payment_id, _, _) in &logged {
        *times_logged.entry(payment_id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = times_logged.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "payments credited more than once: {twice:?} ({context})"
    );
    let lost: Vec<_> = ledger
        .acknowledged
        .keys()
        .filter(|id| !times_logged.contains_key(id.to_string().as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged payments missing from the log: {lost:?} ({context})"
    );
    for (payment_id, account, amount) in &logged {
        let sent = Uuid::parse_str(payment_id)
            .ok()
            .and_then(|id| ledger.sent.get(&id));
        let sent = sent.unwrap_or_else(|| panic!("{payment_id} in the log was never sent"));
        assert_eq!(*amount, sent.amount(), "the amount of {payment_id}");
        assert_eq!(
            owners.get(account),
            Some(&sent.client),
            "the account {payment_id} was credited to"
        );
    }
    let acknowledged_sums = ledger.acknowledged_sum_by_client();
    for client in clients.iter() {
        let (balance, text) = &shown[client];
        let in_log = logged_sums.get(client).copied().unwrap_or_default();
        assert_eq!(
            *balance, in_log,
            "client {client}: the API shows {text}, the log sums to {in_log} ({context})"
        );
        assert!(written_to_the_cent(text), "client {client}: {text}");
        let acknowledged = acknowledged_sums.get(client).copied().unwrap_or_default();
        assert!(
            *balance >= acknowledged,
            "client {client}: {balance} < acknowledged {acknowledged}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_retries_across_a_crash_credit_once() {
    // Arrange
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let db = TestDb::new().await;
    let mut server = BillingProcess::new(&db.url);
    server.start().await;
    let http = http_client();
    let provider = create_provider(&http, &server.base()).await;
    let clients = create_clients(&http, &server.base(), &provider, 4).await;
    let answered = Payment::fresh(&mut rng, &clients);
    let in_flight: Vec<Payment> = (0..20)
        .map(|_| Payment::fresh(&mut rng, &clients))
        .collect();

    // Act: one payment answered and the server killed right after; twenty more, over four
    // accounts, sent at once and the server killed while it works on them; then every one of
    // them sent again.
    let first = post_payment(&http, &server.base(), &answered).await;
    server.kill().await;
    server.start().await;
    let crowd = http_client();
    let (first_answer, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let tasks: Vec<_> = in_flight
        .iter()
        .map(|payment| {
            let (http, base, payment) = (crowd.clone(), server.base(), payment.clone());
            let first_answer = first_answer.clone();
            tokio::spawn(async move {
                let reply = post_payment(&http, &base, &payment).await;
                let _ = first_answer.send(reply.status());
                reply
            })
        })
        .collect();
    // SIGKILL as soon as the first of them is answered: the others are then anywhere between
    // being read, decided, committed and answered.
    let _ = tokio::time::timeout(REQUEST_TIMEOUT, answers.recv()).await;
    server.kill().await;
    let mut before_kill = Vec::new();
    for task in tasks {
        before_kill.push(task.await.expect("a sender does not panic"));
    }
    server.start().await;
    let committed_before_resend = logged_payments(&db.pool).await.len();
    let http = http_client();
    let again = post_payment(&http, &server.base(), &answered).await;
    let mut after_restart = Vec::new();
    for payment in &in_flight {
        after_restart.push(post_payment(&http, &server.base(), payment).await);
    }
    let head = head_position(&db.pool).await;
    let mut balances = Vec::new();
    for client in &clients {
        balances.push(api_balance(&http, &server.base(), client, head).await);
    }
    let logged = logged_payments(&db.pool).await;
    server.terminate().await;

    // Assert
    let context = format!(
        "seed {seed}; answered before the kill: {} of {}; in the log before they were sent \
         again: {} of {}",
        before_kill
            .iter()
            .filter(|r| r.status() == Some(StatusCode::CREATED))
            .count(),
        before_kill.len(),
        committed_before_resend,
        before_kill.len() + 1
    );
    eprintln!("{context}");
    assert_eq!(first.status(), Some(StatusCode::CREATED), "{first:?}");
    assert_eq!(again.status(), Some(StatusCode::CREATED), "{again:?}");
    assert_eq!(again.body(), first.body(), "the same answer after a crash");
    assert_eq!(again.body()["id"], json!(answered.id));
    assert!(
        matches!(again, Reply::Answered { replayed: true, .. }),
        "the answer after the crash is marked as a replay: {again:?}"
    );
    for ((payment, before), after) in in_flight.iter().zip(&before_kill).zip(&after_restart) {
        assert_eq!(
            after.status(),
            Some(StatusCode::CREATED),
            "{} sent again: {after:?} ({context})",
            payment.id
        );
        if before.status() == Some(StatusCode::CREATED) {
            assert_eq!(
                after.body(),
                before.body(),
                "{}: the same id and position before and after the crash ({context})",
                payment.id
            );
        }
    }
    let mut times_logged: HashMap<String, usize> = HashMap::new();
    for (payment_id, _, _) in &logged {
        *times_logged.entry(payment_id.clone()).or_default() += 1;
    }
    let expected: HashMap<String, usize> = std::iter::once(&answered)
        .chain(&in_flight)
        .map(|payment| (payment.id.to_string(), 1))
        .collect();
    assert_eq!(
        times_logged, expected,
        "each payment once in the log ({context})"
    );
    for (client, (balance, text)) in clients.iter().zip(&balances) {
        let paid: Decimal = std::iter::once(&answered)
            .chain(&in_flight)
            .filter(|payment| payment.client == *client)
            .map(Payment::amount)
            .sum();
        assert_eq!(
            *balance, paid,
            "client {client}: balance {text} ({context})"
        );
    }
}

/// The folder of a private PostgreSQL cluster, removed with the test. A test that fails half-way
/// may leave the cluster running: it is stopped first, the quick way.
struct ClusterFolder {
    root: PathBuf,
}

impl Drop for ClusterFolder {
    fn drop(&mut self) {
        let pid_file = self.root.join("pg").join("postmaster.pid");
        let pid = std::fs::read_to_string(&pid_file).ok().and_then(|text| {
            text.lines()
                .next()
                .and_then(|line| line.trim().parse::<u32>().ok())
        });
        if let Some(pid) = pid {
            // SIGQUIT is PostgreSQL's immediate shutdown; the postmaster removes its pid file.
            let _ = std::process::Command::new("kill")
                .args(["-QUIT", &pid.to_string()])
                .status();
            for _ in 0..100 {
                if !pid_file.exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Waits until `cluster` is given back by `start`, bounded.
async fn start_cluster(root: &Path) -> PrivateCluster {
    tokio::time::timeout(
        Duration::from_secs(120),
        PrivateCluster::start(root, "billing"),
    )
    .await
    .expect("the private cluster starts within 120 s")
    .expect("start the private cluster")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_answers_503_and_the_server_recovers_by_itself() {
    // Arrange
    let mut rng = Rng::seeded();
    let folder = ClusterFolder {
        root: std::env::temp_dir().join(format!("billing-crash-pg-{}", Uuid::now_v7().simple())),
    };
    let cluster = start_cluster(&folder.root).await;
    let port = cluster.port();
    let database_url = cluster.database_url();
    let mut server = BillingProcess::new(&database_url);
    server.start().await;
    let http = http_client();
    let provider = create_provider(&http, &server.base()).await;
    let clients = Arc::new(create_clients(&http, &server.base(), &provider, 4).await);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let phase = Arc::new(AtomicU8::new(PHASE_UP));
    let load = Arc::new(Load {
        http: http_client(),
        base: server.base(),
        clients: Arc::clone(&clients),
        ledger: Arc::clone(&ledger),
        stop: Arc::clone(&stop),
        phase: Arc::clone(&phase),
        retry_percent: 0,
        stop_at_no_answer: false,
    });
    let tasks = load.spawn(4, &mut rng);
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Act: stop PostgreSQL under load, probe the server while it is down, start PostgreSQL again
    // and wait for payments to get through without touching the server.
    tokio::time::timeout(Duration::from_secs(90), cluster.stop())
        .await
        .expect("pg_ctl stop returns")
        .expect("stop the private cluster");
    phase.store(PHASE_DB_DOWN, Ordering::SeqCst);
    let down_since = Instant::now();
    let probe = Payment::fresh(&mut rng, &clients);
    let base = server.base();
    let (ready_url, health_url) = (format!("{base}/v1/ready"), format!("{base}/v1/health"));
    let (probe_payment, probe_ready, probe_health) = tokio::join!(
        post_payment(&http, &base, &probe),
        send(&http, Method::GET, &ready_url, None),
        send(&http, Method::GET, &health_url, None),
    );
    ledger
        .lock()
        .expect("the ledger")
        .record(&probe, PHASE_DB_DOWN, false, probe_payment, false);
    // Keep PostgreSQL down until the writers too have had answers to payments sent during the
    // outage, whatever the probes took: a request waits up to the pool's 5 s acquire timeout for
    // a connection before it is answered 503, so this takes about ten seconds.
    let outage_min = Duration::from_secs(if long_tests() { 30 } else { 3 });
    let outage_max = Duration::from_secs(if long_tests() { 60 } else { 25 });
    loop {
        let answered_while_down = ledger
            .lock()
            .expect("the ledger")
            .exchanges
            .iter()
            .filter(|exchange| exchange.phase == PHASE_DB_DOWN)
            .count();
        let elapsed = down_since.elapsed();
        if (answered_while_down >= 3 && elapsed >= outage_min) || elapsed >= outage_max {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restart_began = Instant::now();
    let cluster = start_cluster(&folder.root).await;
    phase.store(PHASE_DB_BACK, Ordering::SeqCst);
    let back_since = Instant::now();
    let mut recovered_after = None;
    while back_since.elapsed() < Duration::from_secs(30) {
        let payment = Payment::fresh(&mut rng, &clients);
        let reply = post_payment(&http, &server.base(), &payment).await;
        let through = reply.status() == Some(StatusCode::CREATED);
        ledger
            .lock()
            .expect("the ledger")
            .record(&payment, PHASE_DB_BACK, false, reply, false);
        if through {
            recovered_after = Some(back_since.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready_again = send(&http, Method::GET, &ready_url, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        tokio::time::timeout(REQUEST_TIMEOUT * 2, task)
            .await
            .expect("a writer stops by itself")
            .expect("a writer does not panic");
    }
    let pool = api::node::connect(&database_url, 2)
        .await
        .expect("connect to the cluster again");
    let head = head_position(&pool).await;
    let mut shown = HashMap::new();
    for client in clients.iter() {
        shown.insert(
            client.clone(),
            api_balance(&http, &server.base(), client, head).await,
        );
    }
    let logged = logged_payments(&pool).await;
    pool.close().await;
    let internal_errors = server.log_matching("internal error", 10);
    server.terminate().await;
    let restarted_port = cluster.port();
    tokio::time::timeout(Duration::from_secs(90), cluster.stop())
        .await
        .expect("pg_ctl stop returns")
        .expect("stop the private cluster");

    // Assert
    let ledger = ledger.lock().expect("the ledger");
    // Sent after PostgreSQL stopped and answered before it was started again. (A request sent
    // during the outage may wait for a connection long enough to see the database come back.)
    let while_down: Vec<&Exchange> = ledger
        .exchanges
        .iter()
        .filter(|exchange| exchange.phase == PHASE_DB_DOWN && exchange.ended < restart_began)
        .collect();
    let slowest_while_down = while_down.iter().map(|e| e.reply.took()).max();
    let context = format!(
        "{} sent, {} acknowledged; {} answered while down, the slowest after \
         {slowest_while_down:?}; /v1/ready took {:?}; recovered after {recovered_after:?}",
        ledger.sent.len(),
        ledger.acknowledged.len(),
        while_down.len(),
        probe_ready.took()
    );
    eprintln!("{context}");
    assert_eq!(restarted_port, port, "the cluster came back on its port");
    assert!(
        ledger.unexpected.is_empty(),
        "answers other than 201 or 503 ({context}):\n{}\nserver log:\n{internal_errors}",
        ledger.unexpected.join("\n")
    );
    for exchange in &while_down {
        let reply = &exchange.reply;
        let Reply::Answered {
            status,
            content_type,
            body,
            took,
            ..
        } = reply
        else {
            panic!(
                "POST {} got no answer while the database was down: {reply:?}",
                exchange.payment.path()
            );
        };
        assert_eq!(
            *status,
            StatusCode::SERVICE_UNAVAILABLE,
            "POST {} {} while the database was down: {reply:?}",
            exchange.payment.path(),
            exchange.payment.body()
        );
        assert_eq!(content_type, "application/problem+json", "{reply:?}");
        assert_eq!(body["status"], 503, "{reply:?}");
        assert!(*took < REQUEST_TIMEOUT, "{reply:?}");
    }
    assert!(
        while_down.len() >= 3,
        "the writers met the outage ({context})"
    );
    assert_eq!(
        probe_ready.status(),
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "/v1/ready while the database is down: {}",
        probe_ready.describe()
    );
    assert!(
        matches!(&probe_ready, Reply::Answered { content_type, .. } if content_type == "application/problem+json"),
        "{probe_ready:?}"
    );
    assert_eq!(
        probe_health.status(),
        Some(StatusCode::OK),
        "/v1/health while the database is down: {}",
        probe_health.describe()
    );
    assert!(
        probe_health.took() < Duration::from_secs(1),
        "{probe_health:?}"
    );
    assert!(
        recovered_after.is_some(),
        "no payment got through within 30 s of PostgreSQL's restart ({context})"
    );
    assert_eq!(
        ready_again.status(),
        Some(StatusCode::OK),
        "{ready_again:?}"
    );
    let logged_ids: HashSet<String> = logged.iter().map(|(id, _, _)| id.clone()).collect();
    let acknowledged_ids: HashSet<String> =
        ledger.acknowledged.keys().map(Uuid::to_string).collect();
    assert_eq!(
        logged.len(),
        logged_ids.len(),
        "no payment twice in the log"
    );
    assert_eq!(
        logged_ids, acknowledged_ids,
        "the log holds exactly the acknowledged payments ({context})"
    );
    let acknowledged_sums = ledger.acknowledged_sum_by_client();
    for client in clients.iter() {
        let (balance, text) = &shown[client];
        let acknowledged = acknowledged_sums.get(client).copied().unwrap_or_default();
        assert_eq!(
            *balance, acknowledged,
            "client {client}: the API shows {text}, the acknowledged payments sum to {acknowledged}"
        );
    }
}
