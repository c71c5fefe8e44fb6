//! The CPU a node and its database use, for `billing bench --workload compare`: wall-clock
//! throughput on a shared machine moves with whatever else runs, the CPU each payment costs does
//! not. The node's own time and that of every PostgreSQL backend connected to its database are
//! read from `/proc/<pid>/stat` (user and system time), before and after the load.

use std::collections::HashMap;

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time so far, in ticks, of the node's process and of each backend of its database.
#[derive(Debug, Default, Clone)]
pub struct CpuSample {
    node: u64,
    backends: HashMap<i32, u64>,
}

impl CpuSample {
    /// The node `pid`'s ticks and those of every backend connected to `database` now.
    pub async fn take(pool: &sqlx::PgPool, database: &str, pid: Option<u32>) -> Option<Self> {
        let node = ticks(pid?)?;
        let pids: Vec<i32> =
            sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(database)
                .fetch_all(pool)
                .await
                .ok()?;
        let backends = pids
            .into_iter()
            .filter_map(|pid| Some((pid, ticks(u32::try_from(pid).ok()?)?)))
            .collect();
        Some(Self { node, backends })
    }

    /// Seconds of CPU used between `earlier` and this sample: the node's, and its database's (a
    /// backend that was not there earlier counts from its start; one gone since is not counted).
    pub fn since(&self, earlier: &Self) -> (f64, f64) {
        let node = self.node.saturating_sub(earlier.node);
        let database: u64 = self
            .backends
            .iter()
            .map(|(pid, now)| now.saturating_sub(earlier.backends.get(pid).copied().unwrap_or(0)))
            .sum();
        #[expect(clippy::as_conversions, reason = "tick counts far below 2^53")]
        let seconds = |ticks: u64| ticks as f64 / TICKS_PER_SECOND;
        (seconds(node), seconds(database))
    }
}

/// CPU per payment in µs between two samples of a node over the scratch database `pool` serves,
/// the node's and its database's, over every payment in its log (warm-up and set-up included).
pub async fn per_payment(
    pool: &sqlx::PgPool,
    before: Option<CpuSample>,
    after: Option<CpuSample>,
) -> Option<(f64, f64)> {
    let (before, after) = before.zip(after)?;
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PaymentPosted'")
            .fetch_one(pool)
            .await
            .ok()?;
    if payments <= 0 {
        return None;
    }
    let (node_s, database_s) = after.since(&before);
    #[expect(clippy::as_conversions, reason = "a count far below 2^53")]
    let payments = payments as f64;
    Some((node_s * 1e6 / payments, database_s * 1e6 / payments))
}

/// The line the compare bench prints: each node's CPU per payment in µs, `(all, database)`, the
/// read side's (the difference) and the ratio a saturated quiet machine's throughputs would have.
pub fn line(command_only: (f64, f64), whole: (f64, f64)) -> String {
    let ((c, cd), (w, wd)) = (command_only, whole);
    let ratio = if w > 0.0 { c / w } else { 0.0 };
    format!(
        "CPU per payment (node + its database): command-only {c:.0} µs ({:.0} + {cd:.0}), \
         whole {w:.0} µs ({:.0} + {wd:.0}): the read side {:.0} µs ({:.0} + {:.0}), \
         command-only / whole {ratio:.2}x\n",
        c - cd,
        w - wd,
        w - c,
        (w - wd) - (c - cd),
        wd - cd,
    )
}

/// User plus system time of `pid` so far, in ticks; `None` if it is gone.
fn ticks(pid: u32) -> Option<u64> {
    ticks_in(&format!("/proc/{pid}/stat"))
}

/// User plus system time of the calling thread so far, in ticks: what a piece of synchronous
/// work between two calls cost (the tick is sampled, so only sums over many pieces mean much).
pub fn thread_ticks() -> Option<u64> {
    ticks_in("/proc/thread-self/stat")
}

/// Seconds of CPU in `ticks`.
#[expect(clippy::as_conversions, reason = "tick counts far below 2^53")]
pub fn seconds_of(ticks: u64) -> f64 {
    ticks as f64 / TICKS_PER_SECOND
}

fn ticks_in(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The fields after the command name, which is in parentheses and may hold anything.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After ")": state (3), ppid … cmajflt (4–13), utime (14), stime (15).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::{line, ticks};

    #[test]
    fn the_read_side_is_what_the_whole_node_costs_beyond_the_command_only_one() {
        let printed = line((500.0, 300.0), (600.0, 380.0));
        assert!(
            printed.contains("the read side 100 µs (20 + 80), command-only / whole 0.83x"),
            "{printed}"
        );
    }

    #[test]
    fn a_running_process_has_a_cpu_time_and_a_missing_one_none() {
        assert!(ticks(std::process::id()).is_some());
        assert_eq!(ticks(u32::MAX), None);
        assert!(super::thread_ticks().is_some());
    }
}
