//! The `billing` binary: serve the API, migrate, rebuild projections, run the demo.
//! Every flag is also an environment variable; the command line is in `api::cli::args`, each
//! command in its own module of `api::cli`.

use api::cli::args::{Cli, Command};
use api::cli::{audit, bench, demo, import, migrate, projections, restore, run_billing, serve};
use api::telemetry;
use clap::Parser;

/// mimalloc rather than the C library's allocator: a rebuild spent about a quarter of its own CPU
/// in glibc's malloc and free (many small, short-lived allocations across the runtime's
/// threads: rows, arrays of parameters, decoded events), which mimalloc serves from per-thread
/// pages (BENCHMARKS.md, issue 16).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init_logs(cli.log_format);
    match &cli.command {
        Command::Serve(args) => serve::command(&cli, args).await,
        Command::Migrate => migrate::command(&cli).await,
        Command::Projections { command } => projections::command(&cli, command).await,
        Command::RunBilling(args) => run_billing::command(&cli, args).await,
        Command::Bench(args) => bench::command(&cli, args).await,
        Command::Audit { command } => audit::command(&cli, command).await,
        Command::Demo(args) => demo::command(&cli, args).await,
        Command::Restore(args) => restore::command(&cli, args).await,
        Command::Import(args) => import::command(&cli, args).await,
    }
}
