//! The private PostgreSQL cluster a `billing` without `DATABASE_URL` owns: never orphaned by a
//! kill, never started twice, stopped with the process that used it last.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::process::{Child, Command};
use uuid::Uuid;

/// One `billing demo` over a private cluster under `root`, logging to `log`.
fn spawn_demo(root: &Path, port: u16, log: &Path) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the log");
    let err = out.try_clone().expect("clone the log handle");
    Command::new(tests::billing_binary())
        .args(["demo", "--clients", "3"])
        .env_remove("DATABASE_URL")
        .env("BILLING_DATA_DIR", root)
        .env("BILLING_LISTEN", format!("127.0.0.1:{port}"))
        .env("BILLING_ADMIN_TOKEN", "private-cluster-test-token")
        .env("BILLING_LOG_FORMAT", "text")
        .env("BILLING_DB_CONNECTIONS", "16")
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn billing demo")
}

async fn wait_healthy(port: u16, child: &mut Child, log: &Path) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if let Ok(response) = http
            .get(format!("http://127.0.0.1:{port}/v1/health"))
            .send()
            .await
            && response.status() == StatusCode::OK
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("billing exited with {status}:\n{}", read(log));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("billing did not answer within 180 s:\n{}", read(log));
}

/// The log as text, without the terminal's colour codes around its fields.
fn read(log: &Path) -> String {
    let raw = std::fs::read_to_string(log).unwrap_or_default();
    let mut text = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC '[' parameters, ended by a letter.
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            text.push(c);
        }
    }
    text
}

/// The pids of the PostgreSQL postmasters running on `data_dir` (`postgres -D <data_dir> …`).
///
/// A backend the postmaster has just forked shows the postmaster's command line until it sets
/// its own title, so a process whose parent is one of the found ones is a child, not a second
/// server.
fn postmasters(data_dir: &Path) -> Vec<u32> {
    let found = processes_on(data_dir);
    let pids: Vec<u32> = found.iter().map(|(pid, _)| *pid).collect();
    found
        .into_iter()
        .filter(|(_, parent)| !pids.contains(parent))
        .map(|(pid, _)| pid)
        .collect()
}

/// The parent of process `pid` (the fourth field of `/proc/<pid>/stat`, after the command name
/// in parentheses, which may itself hold spaces).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// Every process whose command line is `postgres -D <data_dir> …`, with its parent.
fn processes_on(data_dir: &Path) -> Vec<(u32, u32)> {
    let wanted = data_dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|byte| *byte == 0)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        let is_postgres = args
            .first()
            .is_some_and(|program| program.ends_with("/postgres"));
        let on_dir = args
            .windows(2)
            .any(|pair| pair[0] == "-D" && pair[1] == wanted);
        if is_postgres
            && on_dir
            && let Some(parent) = parent_of(pid)
        {
            found.push((pid, parent));
        }
    }
    found
}

async fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("the child is running");
    let status = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .await
        .expect("run kill");
    assert!(status.success(), "kill -{name} {pid}");
}

async fn exits(child: &mut Child, log: &Path) {
    tokio::time::timeout(Duration::from_secs(90), child.wait())
        .await
        .unwrap_or_else(|_| panic!("billing did not exit within 90 s:\n{}", read(log)))
        .expect("wait for billing");
}

/// Waits until no postmaster runs on `data_dir` (a stop takes a moment after `billing` exits only
/// when something went wrong: `billing` waits for `pg_ctl stop`).
async fn none_left(data_dir: &Path) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = postmasters(data_dir);
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The folder, removed with the test; a postmaster left by a failed assertion is stopped first.
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        for pid in postmasters(&self.0.join("pg")) {
            let _ = std::process::Command::new("kill")
                .args(["-QUIT", &pid.to_string()])
                .status();
        }
        std::thread::sleep(Duration::from_millis(500));
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_billing_leaves_its_cluster_to_the_next_which_stops_it() {
    // Arrange: a first run writes the demo data set into a new private cluster.
    let folder =
        Folder(std::env::temp_dir().join(format!("billing-own-{}", Uuid::now_v7().simple())));
    let root = folder.0.clone();
    let data_dir = root.join("pg");
    let log = root.with_extension("log");
    let port = free_port();
    let mut first = spawn_demo(&root, port, &log);
    wait_healthy(port, &mut first, &log).await;
    let started = postmasters(&data_dir);
    assert_eq!(
        started.len(),
        1,
        "one postmaster after the first start: {started:?}"
    );
    assert!(read(&log).contains("demo data set ready"), "{}", read(&log));

    // Act 1: SIGKILL. Nothing can stop the cluster then: it is left running.
    signal(&first, "KILL").await;
    exits(&mut first, &log).await;
    assert_eq!(
        postmasters(&data_dir),
        started,
        "the cluster outlives a SIGKILL"
    );

    // Act 2: the next start takes it over rather than starting a second one.
    let before = read(&log).len();
    let mut second = spawn_demo(&root, port, &log);
    wait_healthy(port, &mut second, &log).await;
    let second_log = read(&log)[before..].to_owned();

    // Assert: the same single server, taken over; the kept data said as kept, not as written.
    assert_eq!(
        postmasters(&data_dir),
        started,
        "exactly the one server:\n{second_log}"
    );
    assert!(
        second_log.contains("taking over the private PostgreSQL cluster"),
        "{second_log}"
    );
    assert!(
        second_log.contains("the database already holds data") && second_log.contains("clients=3"),
        "{second_log}"
    );
    assert!(!second_log.contains("demo data set ready"), "{second_log}");

    // Act 3: the terminal closes (SIGHUP): the owner stops, and the cluster with it.
    signal(&second, "HUP").await;
    exits(&mut second, &log).await;
    assert_eq!(
        none_left(&data_dir).await,
        Vec::<u32>::new(),
        "{}",
        read(&log)
    );
    assert!(!data_dir.join("postmaster.pid").exists());

    // Act 4: a normal start and SIGTERM: started once, stopped once.
    let before = read(&log).len();
    let mut third = spawn_demo(&root, port, &log);
    wait_healthy(port, &mut third, &log).await;
    let third_log = read(&log)[before..].to_owned();
    assert_eq!(postmasters(&data_dir).len(), 1, "{third_log}");
    assert!(
        third_log.contains("started private PostgreSQL cluster"),
        "{third_log}"
    );
    signal(&third, "TERM").await;
    exits(&mut third, &log).await;
    assert_eq!(
        none_left(&data_dir).await,
        Vec::<u32>::new(),
        "{}",
        read(&log)
    );
    let _ = std::fs::remove_file(&log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_postgresql_cannot_hold_refuses_to_start_and_says_why() {
    // Arrange: an empty database, and a node asking for more connections than the server has.
    let db = tests::TestDb::empty().await;
    let max: i32 = sqlx::query_scalar("SELECT current_setting('max_connections')::int")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let asked = (max + 50).to_string();

    // Act
    let ran = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(tests::billing_binary())
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("BILLING_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("BILLING_ADMIN_TOKEN", "private-cluster-test-token")
            .env("BILLING_LOG_FORMAT", "text")
            .env("BILLING_DB_CONNECTIONS", &asked)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("billing exits by itself")
    .expect("run billing serve");

    // Assert: a failure naming both figures and the way out, before anything was migrated.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(!ran.status.success(), "{said}");
    assert!(
        said.contains(&format!("may open {asked} database connections"))
            && said.contains(&format!("max_connections={max}"))
            && said.contains("raise max_connections or lower BILLING_DB_CONNECTIONS"),
        "{said}"
    );
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(tables, 0, "nothing migrated");
}
