//! Several nodes behind a real proxy (issue 21.2): a private primary, a streaming hot standby
//! made with `pg_basebackup`, three `billing serve` processes reading the standby
//! (`BILLING_REPLICA_URLS`) and HAProxy in front. Payments and reads with `min_position` go
//! through the proxy while one node and then the standby are killed with SIGKILL. What a caller
//! was told succeeded is in the log exactly once, every answered read saw its own writes, and the
//! survivors carry on.
//!
//! Everything listens on 127.0.0.1 only and lives in a temporary folder. `BILLING_LONG_TESTS=1`
//! runs longer phases and more kills: each node once (each restarted before the next goes down),
//! and the standby twice (restarted from its data folder in between, and read again once it
//! has caught up).

use std::collections::HashMap;
use std::fs::OpenOptions;
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
use tests::billing_binary;
use tokio::process::{Child, Command};
use uuid::Uuid;

const TOKEN: &str = "multinode-test-token";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

fn long_tests() -> bool {
    std::env::var("BILLING_LONG_TESTS").is_ok_and(|value| value == "1")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The newest `/usr/lib/postgresql/<major>/bin` (the one the private cluster runs).
fn server_bin_dir() -> PathBuf {
    let mut majors: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect();
    majors.sort_unstable();
    let major = majors.last().expect("a PostgreSQL major version");
    PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"))
}

/// A server program, as user `postgres` when this process is root (PostgreSQL refuses root).
fn server_program(program: &str) -> std::process::Command {
    let path = server_bin_dir().join(program);
    if running_as_root() {
        let mut command = std::process::Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command.current_dir("/");
        command
    } else {
        std::process::Command::new(path)
    }
}

fn run(mut command: std::process::Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn postmaster_pid(data_dir: &Path) -> Option<u32> {
    std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

fn signal(pid: u32, name: &str) {
    let _ = std::process::Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}

/// The temporary folder of the primary (`<root>/pg`) and the standby (`<root>/standby/pg`),
/// their servers stopped the quick way and the folder removed when the test ends, however it
/// ends.
struct Clusters {
    root: PathBuf,
}

impl Clusters {
    fn standby_data(&self) -> PathBuf {
        self.root.join("standby").join("pg")
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        for data in [self.root.join("pg"), self.standby_data()] {
            if let Some(pid) = postmaster_pid(&data) {
                // SIGQUIT is PostgreSQL's immediate shutdown.
                signal(pid, "QUIT");
                // A killed postmaster leaves its pid file: wait only while it lives.
                for _ in 0..100 {
                    if !Path::new(&format!("/proc/{pid}")).exists()
                        || !data.join("postmaster.pid").exists()
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Makes a hot standby of the primary on `primary_port` with `pg_basebackup` (streaming, with
/// `standby.signal` and the connection written by `-R`) and starts it on `port`.
fn start_standby(clusters: &Clusters, primary_port: u16, port: u16) {
    let home = clusters.root.join("standby");
    std::fs::create_dir_all(&home).expect("the standby's folder");
    if running_as_root() {
        run(
            {
                let mut c = std::process::Command::new("chown");
                c.args(["-R", "postgres:postgres"]).arg(&home);
                c
            },
            "chown the standby's folder",
        );
    }
    let data = clusters.standby_data();
    let mut backup = server_program("pg_basebackup");
    backup
        .args(["-h", "127.0.0.1", "-p", &primary_port.to_string()])
        .args(["-U", "postgres", "-X", "stream", "-R", "-c", "fast", "-D"])
        .arg(&data);
    run(backup, "pg_basebackup");
    let mut start = server_program("pg_ctl");
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(home.join("standby.log"))
        .args([
            "-w",
            "-t",
            "60",
            "-o",
            &format!("-p {port} -k '' -c listen_addresses=127.0.0.1 -c hot_standby=on"),
            "start",
        ]);
    run(start, "start the standby");
}

/// Starts the standby again from its data folder after a SIGKILL. Its server processes exit
/// shortly after their postmaster; until they have, the new one refuses to start (its shared
/// memory is still in use), so this tries again for a while.
fn restart_standby(clusters: &Clusters, port: u16) {
    let home = clusters.root.join("standby");
    let data = clusters.standby_data();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut start = server_program("pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(home.join("standby.log"))
            .args([
                "-w",
                "-t",
                "60",
                "-o",
                &format!("-p {port} -k '' -c listen_addresses=127.0.0.1 -c hot_standby=on"),
                "start",
            ]);
        let out = start.output().expect("run pg_ctl start");
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "restart the standby: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(home.join("standby.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// One `billing serve` behind the proxy.
struct Node {
    port: u16,
    log: PathBuf,
    child: Option<Child>,
    primary: String,
    replica: String,
}

impl Node {
    fn new(primary: &str, replica: &str, root: &Path, n: usize) -> Node {
        Node {
            port: free_port(),
            log: root.join(format!("node-{n}.log")),
            child: None,
            primary: primary.to_owned(),
            replica: replica.to_owned(),
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the node's log");
        let err = log.try_clone().expect("clone the log handle");
        let child = Command::new(billing_binary())
            .arg("serve")
            .env("DATABASE_URL", &self.primary)
            .env("BILLING_REPLICA_URLS", &self.replica)
            .env("BILLING_REPLICA_MAX_LAG_MS", "2000")
            .env("BILLING_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("BILLING_ADMIN_TOKEN", TOKEN)
            .env("BILLING_LOG_FORMAT", "text")
            .env("BILLING_DB_CONNECTIONS", "18")
            .env_remove("BILLING_NO_PROJECTIONS")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .expect("spawn billing serve");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(response) = http.get(format!("{}/v1/health", self.base())).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("billing serve exited with {status}:\n{}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("billing serve not healthy in 90 s:\n{}", self.log_text());
    }

    async fn kill(&mut self) {
        let mut child = self.child.take().expect("a running node");
        child.start_kill().expect("SIGKILL");
        let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn metrics(&self) -> String {
        reqwest::Client::new()
            .get(format!("{}/metrics", self.base()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("the metrics")
    }
}

/// HAProxy over the nodes, round robin, health-checked, retrying refused connections elsewhere.
fn start_proxy(root: &Path, port: u16, nodes: &[&Node]) -> Child {
    let mut config = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n  \
         retries 3\n  option redispatch\n  retry-on conn-failure empty-response\n\
         frontend billing\n  bind 127.0.0.1:{port}\n  default_backend nodes\n\
         backend nodes\n  balance roundrobin\n  option httpchk GET /v1/health\n  \
         default-server inter 300ms fall 2 rise 2\n"
    );
    for (n, node) in nodes.iter().enumerate() {
        config.push_str(&format!("  server node{n} 127.0.0.1:{} check\n", node.port));
    }
    let path = root.join("haproxy.cfg");
    std::fs::write(&path, config).expect("write haproxy.cfg");
    let log = std::fs::File::create(root.join("haproxy.log")).expect("haproxy's log");
    let program = if Path::new("/usr/sbin/haproxy").exists() {
        "/usr/sbin/haproxy"
    } else {
        "haproxy"
    };
    Command::new(program)
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().expect("clone")))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn haproxy (apt-get install -y haproxy)")
}

/// A request's status and body, or `None` without an (entire) answer.
async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> Option<(StatusCode, Value)> {
    let mut request = http.request(method, url).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.ok()?;
    let status = response.status();
    let bytes = response.bytes().await.ok()?;
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

const PHASE_ALL_UP: u8 = 0;
const PHASE_NODE_KILLED: u8 = 1;
const PHASE_REPLICA_KILLED: u8 = 2;

/// What the writers saw.
#[derive(Default)]
struct Seen {
    /// Acknowledged payments: id and amount.
    acknowledged: HashMap<Uuid, Decimal>,
    /// Acknowledgements and answered reads per phase.
    acks: [usize; 3],
    reads: [usize; 3],
    /// Reads that did not see their own writes, and answers no caller should get.
    wrong: Vec<String>,
}

/// One writer: its own client, so its balance is the sum of its own payments.
async fn writer(
    http: reqwest::Client,
    proxy: String,
    client: String,
    stop: Arc<AtomicBool>,
    phase: Arc<AtomicU8>,
    seen: Arc<Mutex<Seen>>,
    seed: u64,
) {
    let mut acked_sum = Decimal::ZERO;
    let mut sent_sum = Decimal::ZERO;
    let mut pending: Option<(Uuid, i64)> = None;
    let mut n = seed;
    // Keeps going until stopped and until its last payment is acknowledged (bounded).
    let give_up = Instant::now() + Duration::from_secs(600);
    while Instant::now() < give_up {
        if stop.load(Ordering::SeqCst) && pending.is_none() {
            return;
        }
        let (id, cents) = pending.unwrap_or_else(|| {
            n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let cents = i64::try_from(n >> 48).unwrap_or(1) % 100_000 + 1;
            sent_sum += Decimal::new(cents, 2);
            (Uuid::now_v7(), cents)
        });
        let body = json!({
            "payment_id": id,
            "amount": Decimal::new(cents, 2).to_string(),
            "currency": "EUR",
            "method": "bank_transfer",
        });
        let now = usize::from(phase.load(Ordering::SeqCst));
        let posted = send(
            &http,
            Method::POST,
            &format!("{proxy}/v1/clients/{client}/payments"),
            Some(&body),
        )
        .await;
        let position = match posted {
            Some((StatusCode::CREATED, answer)) => answer["position"].as_i64(),
            Some((StatusCode::SERVICE_UNAVAILABLE, _)) | None => None,
            Some((status, answer)) => {
                seen.lock()
                    .expect("seen")
                    .wrong
                    .push(format!("POST payment {id}: {status} {answer}"));
                None
            }
        };
        let Some(position) = position else {
            // Sent again with the same id: it must not credit twice.
            pending = Some((id, cents));
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        pending = None;
        acked_sum += Decimal::new(cents, 2);
        {
            let mut seen = seen.lock().expect("seen");
            seen.acknowledged.insert(id, Decimal::new(cents, 2));
            seen.acks[now] += 1;
        }
        // Read it back through the proxy, on whichever node and database answers.
        for _ in 0..50 {
            let read = send(
                &http,
                Method::GET,
                &format!("{proxy}/v1/clients/{client}/balance?min_position={position}"),
                None,
            )
            .await;
            match read {
                Some((StatusCode::OK, answer)) => {
                    let balance = answer["accounts"]
                        .as_array()
                        .and_then(|accounts| accounts.iter().find(|a| a["currency"] == "EUR"))
                        .and_then(|account| account["balance"].as_str())
                        .and_then(|text| Decimal::from_str(text).ok())
                        .unwrap_or_default();
                    let mut seen = seen.lock().expect("seen");
                    if balance < acked_sum || balance > sent_sum {
                        seen.wrong.push(format!(
                            "client {client} read {balance} at min_position {position}, \
                             acknowledged {acked_sum}, sent {sent_sum}"
                        ));
                    }
                    seen.reads[usize::from(phase.load(Ordering::SeqCst))] += 1;
                    break;
                }
                Some((StatusCode::SERVICE_UNAVAILABLE, _)) | None => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Some((status, answer)) => {
                    seen.lock().expect("seen").wrong.push(format!(
                        "GET balance of {client} at {position}: {status} {answer}"
                    ));
                    break;
                }
            }
        }
    }
}

/// Every `PaymentPosted` in the primary's log, counted by payment id.
async fn logged_payments(pool: &PgPool) -> HashMap<Uuid, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload::jsonb->'PaymentPosted'->>'payment_id', count(*)
           FROM events WHERE event_type = 'PaymentPosted' GROUP BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("read the payments in the log");
    rows.into_iter()
        .map(|(id, count)| (Uuid::parse_str(&id).expect("a payment id"), count))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_behind_haproxy_with_a_replica_survive_kills() {
    // Arrange: a primary, a standby, three nodes and the proxy.
    let long = long_tests();
    let root = std::env::temp_dir().join(format!("billing-multinode-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&root).expect("the test's folder");
    let clusters = Clusters { root: root.clone() };
    let primary = tokio::time::timeout(
        Duration::from_secs(120),
        PrivateCluster::start(&root, "billing"),
    )
    .await
    .expect("the primary starts within 120 s")
    .expect("start the primary");
    let standby_port = free_port();
    start_standby(&clusters, primary.port(), standby_port);
    let primary_url = primary.database_url();
    let replica_url = format!("postgres://postgres@127.0.0.1:{standby_port}/billing");
    let mut nodes: Vec<Node> = (0..3)
        .map(|n| Node::new(&primary_url, &replica_url, &root, n))
        .collect();
    for node in &mut nodes {
        node.start().await;
    }
    let proxy_port = free_port();
    let _proxy = start_proxy(&root, proxy_port, &nodes.iter().collect::<Vec<_>>());
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("a client");
    let mut ready = false;
    for _ in 0..100 {
        if let Some((StatusCode::OK, _)) =
            send(&http, Method::GET, &format!("{proxy}/v1/health"), None).await
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "HAProxy answers on {proxy}");
    let Some((StatusCode::CREATED, provider)) = send(
        &http,
        Method::POST,
        &format!("{proxy}/v1/providers"),
        Some(&json!({ "name": "Multinode Hosting", "currency": "EUR" })),
    )
    .await
    else {
        panic!("create a provider through the proxy");
    };
    let provider = provider["id"].as_str().expect("an id").to_owned();
    let writers = 6;
    let mut clients = Vec::new();
    for n in 0..writers {
        let body = json!({
            "provider_id": provider,
            "name": format!("Multinode Client {n}"),
            "email": format!("multinode.{n}@example.com"),
            "kind": "individual",
            "country": "DE",
        });
        let Some((StatusCode::CREATED, client)) = send(
            &http,
            Method::POST,
            &format!("{proxy}/v1/clients"),
            Some(&body),
        )
        .await
        else {
            panic!("create a client through the proxy");
        };
        clients.push(client["id"].as_str().expect("an id").to_owned());
    }

    // Act: load, kill a node, kill the standby.
    let stop = Arc::new(AtomicBool::new(false));
    let phase = Arc::new(AtomicU8::new(PHASE_ALL_UP));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(n, client)| {
            tokio::spawn(writer(
                http.clone(),
                proxy.clone(),
                client.clone(),
                Arc::clone(&stop),
                Arc::clone(&phase),
                Arc::clone(&seen),
                u64::try_from(n).unwrap_or(0) + 17,
            ))
        })
        .collect();
    let step = if long {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(4)
    };
    tokio::time::sleep(step).await;
    let replica_reads_before = nodes[0].metrics().await;
    nodes[1].kill().await;
    phase.store(PHASE_NODE_KILLED, Ordering::SeqCst);
    tokio::time::sleep(step).await;
    let replica = format!("127.0.0.1:{standby_port}");
    let usable = |up: bool| {
        format!(
            "billing_replica_usable{{replica=\"{replica}\"}} {}",
            u8::from(up)
        )
    };
    let kill_standby = || {
        let standby_pid = postmaster_pid(&clusters.standby_data()).expect("the standby's pid");
        signal(standby_pid, "KILL");
    };
    if long {
        // Each node goes down once, under load, after the one before came back.
        for (back, down) in [(1, 2), (2, 0)] {
            nodes[back].start().await;
            nodes[down].kill().await;
            tokio::time::sleep(step).await;
        }
        nodes[0].start().await;
        tokio::time::sleep(step).await;
        // The standby goes down, comes back from its data folder and is read again.
        kill_standby();
        phase.store(PHASE_REPLICA_KILLED, Ordering::SeqCst);
        tokio::time::sleep(step).await;
        assert!(
            nodes[0].metrics().await.contains(&usable(false)),
            "the killed replica is skipped"
        );
        restart_standby(&clusters, standby_port);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !nodes[0].metrics().await.contains(&usable(true)) {
            assert!(
                Instant::now() < deadline,
                "the restarted replica is read again within 60 s:\n{}",
                nodes[0].metrics().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(step).await;
    }
    kill_standby();
    phase.store(PHASE_REPLICA_KILLED, Ordering::SeqCst);
    tokio::time::sleep(step).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .expect("the writers finish their last payment")
            .expect("a writer");
    }
    let metrics_after = nodes[0].metrics().await;

    // Assert
    let seen = std::mem::take(&mut *seen.lock().expect("seen"));
    let pool = PgPool::connect(&primary_url).await.expect("the primary");
    let logged = logged_payments(&pool).await;
    pool.close().await;
    let mut missing = Vec::new();
    for id in seen.acknowledged.keys() {
        if logged.get(id) != Some(&1) {
            missing.push(format!("{id}: {:?} times in the log", logged.get(id)));
        }
    }
    let twice: Vec<_> = logged.iter().filter(|(_, count)| **count > 1).collect();
    let tail = |node: &Node| {
        let text = node.log_text();
        let lines: Vec<_> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    assert!(
        missing.is_empty() && twice.is_empty(),
        "every acknowledged payment exactly once in the log: {missing:?}, twice: {twice:?}"
    );
    assert!(
        seen.wrong.is_empty(),
        "reads with min_position see their own writes: {:#?}",
        seen.wrong
    );
    for phase in [PHASE_ALL_UP, PHASE_NODE_KILLED, PHASE_REPLICA_KILLED] {
        let p = usize::from(phase);
        assert!(
            seen.acks[p] > 0 && seen.reads[p] > 0,
            "payments acknowledged {:?} and reads answered {:?} in every phase; node 0:\n{}",
            seen.acks,
            seen.reads,
            tail(&nodes[0])
        );
    }
    let replica_reads = |metrics: &str| {
        metrics
            .lines()
            .find(|line| line.starts_with("billing_reads_total{target=\"replica\"}"))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(
        replica_reads(&replica_reads_before) > 0.0,
        "queries read the replica while it was up:\n{replica_reads_before}"
    );
    assert!(
        metrics_after.contains(&usable(false)),
        "the killed replica is skipped:\n{metrics_after}"
    );
    assert!(
        nodes[0]
            .log_text()
            .contains(&format!("replica {replica} skipped")),
        "a log line says the replica is skipped:\n{}",
        tail(&nodes[0])
    );
    println!(
        "acknowledged {} payments, {:?} per phase; reads {:?}",
        seen.acknowledged.len(),
        seen.acks,
        seen.reads
    );
    for node in &mut nodes {
        if node.child.is_some() {
            node.kill().await;
        }
    }
    drop(primary);
    drop(clusters);
}
