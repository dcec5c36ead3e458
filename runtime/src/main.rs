//! The `mlauth` binary: parse the command line, set up logging, run.

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_env("MLAUTH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if std::env::var("MLAUTH_LOG_FORMAT").as_deref() == Ok("json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = mlauth::cli::Cli::parse();
    if let Err(err) = mlauth::cli::run_cli(cli).await {
        eprintln!("error: {err}");
        std::process::exit(2);
    }
    Ok(())
}
