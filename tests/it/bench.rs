//! `billing bench --workload compare`: one run prints the ceiling, the command-only node, the
//! whole node, the ratios and the targets, the auditor's replay finds nothing, and the scratch
//! databases are gone afterwards. No timing thresholds: the figures depend on the machine.

use std::process::Stdio;

use serde_json::Value;
use sqlx::Connection;
use tests::{admin_url, billing_binary};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_comparison_prints_every_figure_and_the_replay_finds_no_difference() {
    // Arrange
    let binary = billing_binary();
    let bench = |json: bool| {
        let mut command = tokio::process::Command::new(&binary);
        command
            .args([
                "bench",
                "--workload",
                "compare",
                "--seconds",
                "1",
                "--warmup-seconds",
                "0",
                "--concurrency",
                "4",
                "--accounts",
                "20",
                "--log-format",
                "text",
            ])
            .env("DATABASE_URL", admin_url())
            .env("BILLING_DB_CONNECTIONS", "16")
            .env_remove("BILLING_NO_PROJECTIONS")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if json {
            command.arg("--json");
        }
        command
    };

    // Act
    let out = bench(true).output().await.expect("run billing bench");
    let table = bench(false).output().await.expect("run billing bench");

    // Assert: every figure is there and not zero, and the replay read the log and found nothing.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let median = &report["median"];
    for figure in [
        "ceiling_per_s",
        "command_only_per_s",
        "command_only_peak_rss_mb",
        "whole_per_s",
        "whole_peak_rss_mb",
        "whole_projection_lag_p99_ms",
        "whole_caught_up_s",
        "whole_to_command_only",
        "command_only_to_ceiling",
        "whole_to_ceiling",
    ] {
        assert!(
            median[figure].as_f64().is_some_and(|v| v > 0.0),
            "{figure}: {}",
            median[figure]
        );
    }
    assert!(median["whole_lag_samples"].as_u64().unwrap() > 0);
    assert!(median["replay_events"].as_u64().unwrap() > 0);
    assert_eq!(median["replay_differences"], 0);
    assert_eq!(report["targets"].as_array().unwrap().len(), 5);

    // The table shows the same rows to people.
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8_lossy(&table.stdout);
    for row in [
        "ceiling: command-shaped tx",
        "command-only node",
        "whole node",
        "whole / command-only",
        "projection lag p99",
        "auditor's replay: 0 differences",
    ] {
        assert!(text.contains(row), "{row} missing from:\n{text}");
    }

    // The scratch databases are gone.
    let databases: Vec<String> = report["runs"][0]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(databases.len(), 3);
    let mut admin = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = ANY($1)")
        .bind(&databases)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0, "{databases:?}");
}
