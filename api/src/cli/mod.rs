//! The `billing` binary's commands, one module each; [`args`] is the command line they share.

pub mod args;
pub mod audit;
pub mod bench;
pub mod bench_billing;
pub mod bench_catchup;
pub mod bench_ceiling;
pub mod bench_compare;
pub mod bench_costs;
pub mod bench_cpu;
pub mod bench_deep;
pub mod bench_http;
pub mod bench_usage;
pub mod bulk;
pub mod database;
pub mod demo;
pub mod import;
pub mod migrate;
pub mod pgcluster;
pub mod projections;
pub mod rebuild;
pub mod restore;
pub mod run_billing;
pub mod serve;
