//! Projection groups spread over nodes (issue 21.3, ADR 35): `billing serve` processes on one
//! database, each running the groups `BILLING_RUN_GROUPS` names, bring every read model to the
//! head of the log, equal to a single-node rebuild of the same log; a node killed with SIGKILL
//! leaves its group to another node configured to run it; an assignment that leaves a projection
//! out, or names one that does not exist, stops the node at start.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::node::{self as server, ServerConfig};
use eventstore::clock::SystemClock;
use reqwest::StatusCode;
use serde_json::json;
use tests::{ADMIN_TOKEN, READ_MODELS, TestDb, TestServer, billing_binary, table_digest};
use tokio::process::{Child, Command};

/// Every process manager beside the ledger's read models in a group of their own, so that the two
/// groups' workers can only be told apart by which node applied what.
const GROUPS: &str = "ledger=balances,statement,payments,expenses,invoices,settlement;rest=*";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A `billing serve` process over the test's database that runs the groups `run`.
struct Node {
    port: u16,
    log: PathBuf,
    child: Child,
}

impl Node {
    async fn start(db: &TestDb, root: &Path, name: &str, run: &str, connections: u32) -> Node {
        let port = free_port();
        let log = root.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("the node's log");
        let err = out.try_clone().expect("clone the log handle");
        let child = Command::new(billing_binary())
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("BILLING_LISTEN", format!("127.0.0.1:{port}"))
            .env("BILLING_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("BILLING_LOG_FORMAT", "text")
            .env("BILLING_DB_CONNECTIONS", connections.to_string())
            .env("BILLING_PROJECTION_GROUPS", GROUPS)
            .env("BILLING_RUN_GROUPS", run)
            .env_remove("BILLING_NO_PROJECTIONS")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn billing serve");
        let mut node = Node { port, log, child };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(answer) = http
                .get(format!("http://127.0.0.1:{port}/v1/health"))
                .send()
                .await
                && answer.status() == StatusCode::OK
            {
                return node;
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                panic!("billing serve exited with {status}:\n{}", node.log_text());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("billing serve not healthy in 90 s:\n{}", node.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many events this node's workers applied to `projection` (0 when none).
    async fn projected(&self, projection: &str) -> f64 {
        let metrics = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{}/metrics", self.port))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("the metrics");
        let wanted = format!("billing_projected_events_total{{projection=\"{projection}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&wanted))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    }

    async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

async fn digests(db: &TestDb) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in READ_MODELS {
        out.push(table_digest(&db.pool, table, order).await);
    }
    out
}

/// A server in this process that takes the requests and runs no worker: the `billing serve`
/// nodes do all the projection work.
async fn front(db: TestDb) -> TestServer {
    let running = server::start(
        db.pool.clone(),
        Arc::new(SystemClock),
        ServerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            admin_token: ADMIN_TOKEN.to_owned(),
            run_projections: false,
            projection_groups: Default::default(),
            query_wait: Duration::from_secs(10),
            mailer: projections::notify::Mailer::new(None, "Test Hosting <billing@example.com>")
                .expect("no SMTP"),
            sign_in: Default::default(),
            public_url: None,
        },
    )
    .await
    .expect("start the front server");
    let url = running.url();
    TestServer {
        db,
        running: Some(running),
        url,
        http: reqwest::Client::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_running_different_groups_bring_every_read_model_to_the_head_and_hand_over_a_killed_nodes_group()
 {
    // Arrange: a front without workers, one node running the ledger's group, one the rest.
    let root = std::env::temp_dir().join(format!("billing-groups-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&root).expect("the test's folder");
    let mut front = front(TestDb::new().await).await;
    let ledger = Node::start(&front.db, &root, "ledger-1", "ledger", 10).await;
    let rest = Node::start(&front.db, &root, "rest", "rest", 16).await;

    // Act: a history through the front, which settles only when every read model and process
    // manager has reached the head.
    crate::projections::history(&front).await;

    // Assert: each node applied its own group's read models and only those.
    assert!(
        ledger.projected("balances").await > 0.0,
        "{}",
        ledger.log_text()
    );
    assert_eq!(ledger.projected("action_log").await, 0.0);
    assert!(
        rest.projected("action_log").await > 0.0,
        "{}",
        rest.log_text()
    );
    assert!(rest.projected("services").await > 0.0);
    assert_eq!(rest.projected("balances").await, 0.0);
    assert_eq!(rest.projected("statement").await, 0.0);

    // Act: a second node for the ledger; the first is killed; more payments come.
    let standby = Node::start(&front.db, &root, "ledger-2", "ledger", 10).await;
    ledger.kill().await;
    let provider = front.provider("EUR").await;
    let client = front.client(&provider, "After The Kill").await;
    for cents in [1234, 1, 99_999] {
        let paid = front
            .post(
                &format!("/v1/clients/{client}/payments"),
                json!({
                    "payment_id": uuid::Uuid::now_v7(),
                    "amount": format!("{}.{:02}", cents / 100, cents % 100),
                    "currency": "EUR",
                    "method": "card",
                }),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    }
    front.settled().await;

    // Assert: the surviving ledger node took the group over and the client's balance is right.
    assert!(
        standby.projected("balances").await > 0.0,
        "{}",
        standby.log_text()
    );
    assert_eq!(rest.projected("balances").await, 0.0);
    let balance = front.get(&format!("/v1/clients/{client}/balance")).await;
    assert_eq!(balance.status, StatusCode::OK, "{balance:?}");
    assert_eq!(
        balance.body["accounts"][0]["balance"], "1012.34",
        "{balance:?}"
    );

    // Assert: the read models the two groups built equal a single-node rebuild of the same log.
    standby.kill().await;
    rest.kill().await;
    front.stop().await;
    let spread = digests(&front.db).await;
    api::cli::rebuild::rebuild(&front.db.pool, &projections::all(), 7, false)
        .await
        .expect("rebuild every read model");
    assert_eq!(digests(&front.db).await, spread);
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_that_leaves_a_projection_out_or_names_an_unknown_one_stops_the_node() {
    let db = TestDb::new().await;
    for (groups, run, expected) in [
        (
            "ledger=balances,statement;rest=action_log",
            "all",
            "in no group, so no node would ever run them",
        ),
        (
            "ledger=balances,balance;rest=*",
            "all",
            "names balance, which is no projection",
        ),
        (GROUPS, "ledger,audit", "no group is called audit"),
    ] {
        // Act
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            Command::new(billing_binary())
                .arg("serve")
                .env("DATABASE_URL", &db.url)
                .env("BILLING_LISTEN", format!("127.0.0.1:{}", free_port()))
                .env("BILLING_ADMIN_TOKEN", ADMIN_TOKEN)
                .env("BILLING_LOG_FORMAT", "text")
                .env("BILLING_PROJECTION_GROUPS", groups)
                .env("BILLING_RUN_GROUPS", run)
                .env_remove("BILLING_NO_PROJECTIONS")
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("billing serve stops at once")
        .expect("run billing serve");

        // Assert
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{groups} / {run} refused");
        assert!(said.contains(expected), "{groups} / {run}: {said}");
    }
}
