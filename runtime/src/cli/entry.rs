//! The whole `mlauth` program behind `main`: logging set up from the environment, the command
//! line parsed, the command run on a multi-threaded tokio runtime. The shipped binary
//! (`runtime/src/main.rs`) and the one the integration tests build (`mlauth-under-test`) are
//! both one call to [`main`], so the tests run exactly what ships.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use super::{run_cli, Cli};

/// Exit status of a command that failed (its error is printed to stderr first).
const FAILURE_STATUS: i32 = 2;

/// Runs the `mlauth` command line and exits with status 2 and `error: <message>` on stderr
/// when the command fails.
///
/// Logging: `MLAUTH_LOG` is an `EnvFilter` directive (default `info`), `MLAUTH_LOG_FORMAT=json`
/// switches from text lines to JSON lines; both go to stderr.
pub fn main() {
    init_logging();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => fail(&format!("cannot start the async runtime: {err}")),
    };
    if let Err(err) = runtime.block_on(run_cli(cli)) {
        fail(&err.to_string());
    }
}

fn init_logging() {
    let filter = EnvFilter::try_from_env("MLAUTH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("MLAUTH_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(FAILURE_STATUS);
}
