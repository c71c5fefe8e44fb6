//! The `billing` binary's commands, one module each.

pub mod audit;
pub mod bench;
pub mod bench_billing;
pub mod bench_deep;
pub mod bulk;
pub mod demo;
pub mod pgcluster;
pub mod rebuild;
