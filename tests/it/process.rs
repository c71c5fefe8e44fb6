//! The `billing` binary as an operator runs it: its own PostgreSQL cluster when no DATABASE_URL
//! is given, a graceful stop on SIGTERM, data kept across restarts.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tests::{answer, billing_binary};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn spawn(binary: &PathBuf, data_dir: &std::path::Path, port: u16) -> Child {
    Command::new(binary)
        .args(["serve", "--log-format", "text"])
        .env_remove("DATABASE_URL")
        .env("BILLING_DATA_DIR", data_dir)
        .env("BILLING_LISTEN", format!("127.0.0.1:{port}"))
        .env("BILLING_ADMIN_TOKEN", "process-test-token")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn billing serve")
}

async fn wait_healthy(http: &reqwest::Client, base: &str, child: &mut Child) {
    for _ in 0..600 {
        if let Ok(response) = http.get(format!("{base}/v1/health")).send().await
            && response.status() == StatusCode::OK
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("billing serve exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("billing serve did not become healthy in 60 s");
}

async fn terminate(mut child: Child) -> String {
    let pid = child.id().expect("a running child").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("send SIGTERM");
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("billing serve stops within 60 s after SIGTERM")
        .expect("wait for billing serve");
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut log).await;
    }
    assert!(
        status.success(),
        "billing serve exited with {status}: {log}"
    );
    log
}

#[tokio::test]
async fn without_a_database_url_the_server_runs_its_own_cluster_and_keeps_data_across_restarts() {
    // Arrange
    let binary = billing_binary();
    let data_dir = std::env::temp_dir().join(format!("billing-process-{}", uuid::Uuid::now_v7()));
    let http = reqwest::Client::new();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    // Act: start, create a provider, stop; start again and read it back.
    let mut first = spawn(&binary, &data_dir, port);
    wait_healthy(&http, &base, &mut first).await;
    let created = answer(
        http.post(format!("{base}/v1/providers"))
            .bearer_auth("process-test-token")
            .json(&json!({"name": "Kept Hosting", "currency": "EUR"}))
            .send()
            .await
            .expect("create a provider"),
    )
    .await;
    let first_log = terminate(first).await;
    let cluster_stopped = !data_dir.join("pg").join("postmaster.pid").exists();
    let mut second = spawn(&binary, &data_dir, port);
    wait_healthy(&http, &base, &mut second).await;
    let listed = answer(
        http.get(format!(
            "{base}/v1/providers?min_position={}",
            created.body["position"]
        ))
        .bearer_auth("process-test-token")
        .send()
        .await
        .expect("list providers"),
    )
    .await;
    terminate(second).await;
    let _ = std::fs::remove_dir_all(&data_dir);

    // Assert
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert!(
        first_log.contains("private PostgreSQL cluster"),
        "the log says where the database is: {first_log}"
    );
    assert!(
        cluster_stopped,
        "the cluster this process started is stopped with it"
    );
    assert_eq!(listed.body[0]["name"], "Kept Hosting", "{listed:?}");
}
