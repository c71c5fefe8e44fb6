//! The test harness: a fresh PostgreSQL database per test, and the real server on a loopback port.
//!
//! Tests need a PostgreSQL server they may create databases on: `BILLING_TEST_DATABASE_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Each database is dropped when its
//! [`TestDb`] goes out of scope, even when the test fails.

// A harness fails loudly: a test that cannot set itself up should stop with the reason.
#![allow(clippy::expect_used, clippy::panic)]

pub mod smtp;

use std::sync::Arc;
use std::time::Duration;

use api::http::auth::throttle::SignInConfig;
use api::node::{self as server, Running, ServerConfig};
use chrono::{DateTime, TimeZone, Utc};
use eventstore::clock::{Clock, FixedClock, SystemClock};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The administrator token every test server accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The server to create test databases on.
pub fn admin_url() -> String {
    std::env::var("BILLING_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn url_for(database: &str) -> String {
    let admin = admin_url();
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{database}")
}

/// A database of one test, migrated, dropped on drop.
pub struct TestDb {
    /// A pool on it.
    pub pool: PgPool,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl TestDb {
    /// Creates and migrates a fresh database.
    pub async fn new() -> TestDb {
        let db = Self::empty().await;
        server::migrate(&db.pool).await.expect("migrate");
        db
    }

    /// Creates a fresh database without migrating it (to build an older schema's history).
    pub async fn empty() -> TestDb {
        let name = format!("billing_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect_admin().await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let url = url_for(&name);
        // Two tests run at once, each with this pool and its server's worker pool (one
        // connection per projection): together they stay inside PostgreSQL's default of 100.
        // (12: the support and notifier workers took two of the 16 this pool had, and the
        // pressure tests' 32 writers beside a server left no margin at 14.)
        let pool = PgPoolOptions::new()
            .max_connections(12)
            .connect(&url)
            .await
            .expect("connect to the test database");
        TestDb { pool, name, url }
    }
}

trait ConnectAdmin {
    async fn connect_admin() -> sqlx::PgConnection;
}

impl ConnectAdmin for sqlx::PgConnection {
    async fn connect_admin() -> sqlx::PgConnection {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&admin_url())
            .await
            .expect("connect to the test PostgreSQL server (BILLING_TEST_DATABASE_URL)")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async code: a thread with its own small runtime removes the database.
        // The pool is not closed first: its connections belong to the test's runtime, which may
        // be gone, and FORCE ends them anyway.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let mut admin = sqlx::PgConnection::connect_admin().await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            });
        })
        .join();
    }
}

/// A fixed instant for scripted tests.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// The server on a loopback port over its own database, with an HTTP client.
pub struct TestServer {
    /// The running server.
    pub running: Option<Running>,
    /// The database (dropped after the server).
    pub db: TestDb,
    /// The base URL.
    pub url: String,
    /// An HTTP client.
    pub http: reqwest::Client,
}

/// An HTTP answer: status, content type and JSON body (`Null` when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The Content-Type header.
    pub content_type: String,
    /// The body parsed as JSON.
    pub body: Value,
    /// The raw headers.
    pub headers: reqwest::header::HeaderMap,
}

impl TestServer {
    /// A server with the system clock.
    pub async fn start() -> TestServer {
        Self::start_with_clock(Arc::new(SystemClock)).await
    }

    /// A server whose clock stands at [`t0`] until moved.
    pub async fn start_fixed() -> (TestServer, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::new(t0()));
        (Self::start_with_clock(clock.clone()).await, clock)
    }

    /// A server with `clock`.
    pub async fn start_with_clock(clock: Arc<dyn Clock>) -> TestServer {
        Self::start_on(TestDb::new().await, clock).await
    }

    /// A server over `db`, which may already hold a history (a crash's leftovers, say).
    pub async fn start_on(db: TestDb, clock: Arc<dyn Clock>) -> TestServer {
        Self::start_mailing(db, clock, None).await
    }

    /// A server over `db` whose notifier e-mails through the SMTP server at `smtp_url` (none:
    /// notices are recorded as not configured).
    pub async fn start_mailing(
        db: TestDb,
        clock: Arc<dyn Clock>,
        smtp_url: Option<&str>,
    ) -> TestServer {
        Self::start_configured(db, clock, smtp_url, SignInConfig::default()).await
    }

    /// A server with the system clock and the sign-in limits of `sign_in`.
    pub async fn start_signing_in(sign_in: SignInConfig) -> TestServer {
        Self::start_configured(TestDb::new().await, Arc::new(SystemClock), None, sign_in).await
    }

    /// A server over `db` with everything configurable that tests configure.
    pub async fn start_configured(
        db: TestDb,
        clock: Arc<dyn Clock>,
        smtp_url: Option<&str>,
        sign_in: SignInConfig,
    ) -> TestServer {
        Self::start_public(db, clock, smtp_url, sign_in, None).await
    }

    /// A server configured like [`TestServer::start_configured`] that clients reach at
    /// `public_url` (`BILLING_PUBLIC_URL`).
    pub async fn start_public(
        db: TestDb,
        clock: Arc<dyn Clock>,
        smtp_url: Option<&str>,
        sign_in: SignInConfig,
        public_url: Option<&str>,
    ) -> TestServer {
        let mailer =
            projections::notify::Mailer::new(smtp_url, "Test Hosting <billing@example.com>")
                .expect("SMTP settings");
        let running = server::start(
            db.pool.clone(),
            clock,
            ServerConfig {
                listen: "127.0.0.1:0".parse().expect("address"),
                admin_token: ADMIN_TOKEN.to_owned(),
                run_projections: true,
                projection_groups: Default::default(),
                query_wait: Duration::from_secs(10),
                mailer,
                sign_in,
                public_url: public_url.map(str::to_owned),
            },
        )
        .await
        .expect("start the server");
        let url = running.url();
        TestServer {
            db,
            running: Some(running),
            url,
            http: reqwest::Client::new(),
        }
    }

    /// Sends a request with the administrator's token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("send the request")).await
    }

    /// `GET` with the administrator's token.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    /// `POST` with the administrator's token.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Creates a provider and returns its id.
    pub async fn provider(&self, currency: &str) -> String {
        let answer = self
            .post(
                "/v1/providers",
                serde_json::json!({ "name": "Test Hosting", "currency": currency }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().expect("id").to_owned()
    }

    /// Registers a client of `provider` and returns its id.
    pub async fn client(&self, provider: &str, name: &str) -> String {
        let answer = self
            .post(
                "/v1/clients",
                serde_json::json!({
                    "provider_id": provider,
                    "name": name,
                    "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
                    "kind": "individual",
                    "country": "DE",
                }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().expect("id").to_owned()
    }

    /// How many events the log holds.
    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.db.pool)
            .await
            .expect("count events")
    }

    /// Waits until every read model and process manager has applied the whole log, including
    /// what the process managers wrote meanwhile (the log stands still), and returns its head.
    /// Completes every provisioning operation pending at the log's head, as the provisioning
    /// robot does.
    pub async fn complete_operations(&self) {
        let head = eventstore::log::head_position(&self.db.pool)
            .await
            .expect("read the log's head");
        let pending = self
            .get(&format!(
                "/v1/operations?status=pending&min_position={head}"
            ))
            .await;
        for operation in pending.body["items"].as_array().into_iter().flatten() {
            let id = operation["id"].as_str().expect("an operation's id");
            let done = self
                .post(
                    &format!("/v1/operations/{id}/complete"),
                    serde_json::json!({}),
                )
                .await;
            assert_eq!(done.status, StatusCode::OK, "{done:?}");
        }
    }

    pub async fn settled(&self) -> i64 {
        let state = &self.running.as_ref().expect("a running server").state;
        let names: Vec<&'static str> = projections::all()
            .iter()
            .chain(api::usecases::process::all(state.store.clone()).iter())
            .map(|projection| projection.name())
            .collect();
        loop {
            let head = eventstore::log::head_position(&self.db.pool)
                .await
                .expect("read the log's head");
            for name in &names {
                let reached = projections::engine::wait_for_position(
                    &self.db.pool,
                    &state.progress,
                    name,
                    head,
                    Duration::from_secs(30),
                )
                .await
                .expect("read a checkpoint");
                assert!(reached, "{name} reached {head}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = eventstore::log::head_position(&self.db.pool)
                .await
                .expect("read the log's head");
            if now == head {
                return head;
            }
        }
    }

    /// Stops the server gracefully.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}

/// Reads an answer.
pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("read the body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        body,
        headers,
    }
}

/// Every read-model table with the column that orders it, for comparing read models whole.
pub const READ_MODELS: [(&str, &str); 47] = [
    ("providers", "id"),
    ("clients", "id"),
    ("balances", "account_id"),
    ("action_log", "seq"),
    ("action_log_subjects", "aggregate_id"),
    ("tariffs", "id"),
    ("services", "id"),
    ("operations", "id"),
    ("expenses", "expense_id"),
    ("account_movements", "position"),
    ("payments", "payment_id"),
    ("payment_accounts", "account_id"),
    ("invoices", "invoice_id"),
    ("companies", "company_id"),
    ("payment_methods", "company_id, method"),
    ("exchange_rates", "base, quote, effective_from"),
    ("promo_codes", "promo_code_id"),
    ("report_services", "service_id"),
    ("report_expenses", "expense_id"),
    (
        "report_revenue_daily",
        "day, provider_id, tariff_id, item_type, currency",
    ),
    (
        "report_recognised_daily",
        "day, provider_id, tariff_id, item_type, currency",
    ),
    ("report_payment_methods", "payment_id"),
    (
        "report_payments_daily",
        "day, provider_id, method, currency",
    ),
    ("report_accounts", "account_id"),
    ("report_clients", "client_id"),
    (
        "report_client_activity",
        "client_id, active_from, active_until",
    ),
    ("report_sandbox_providers", "provider_id"),
    ("report_domains", "domain_id"),
    ("client_groups", "group_id"),
    ("client_group_members", "client_id, group_id"),
    ("payers", "payer_id"),
    ("merges", "merge_id"),
    ("merge_steps", "position"),
    ("departments", "id"),
    ("staff_members", "id"),
    ("client_users", "id"),
    ("access_tokens", "id"),
    ("audit_chain", "position"),
    ("tickets", "ticket_id"),
    ("ticket_messages", "message_id"),
    ("ticket_categories", "category_id"),
    ("answer_templates", "template_id"),
    ("announcements", "announcement_id"),
    ("message_templates", "kind, language"),
    ("notice_settings", "client_id"),
    ("contract_templates", "template_id"),
    ("contracts", "contract_id"),
];

/// A hash of a table's whole content in a stable order, to compare read models.
pub async fn table_digest(pool: &PgPool, table: &str, order_by: &str) -> String {
    sqlx::query_scalar(&format!(
        "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY {order_by})), 'empty') FROM {table} t"
    ))
    .fetch_one(pool)
    .await
    .expect("digest a table")
}

/// Builds the `billing` binary (a no-op when it is fresh) and returns its path, for tests that
/// run the server as an operator would: as a process that can be signalled and killed.
pub fn billing_binary() -> std::path::PathBuf {
    let workspace = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "--quiet", "-p", "api", "--bin", "billing"])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build --bin billing failed");
    let test_binary = std::env::current_exe().expect("test binary path");
    test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("billing")
}
