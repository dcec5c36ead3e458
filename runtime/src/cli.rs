//! Command-line interface (clap). `main.rs` only calls [`main`], which sets up logging,
//! parses and calls [`run_cli`].
//!
//! This file holds the argument types, the dispatch and `db upgrade`; `mlauth run` is in
//! `run`, `mlauth plugins install|list|inspect` in `plugins`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::MlauthConfig;

mod entry;
mod plugins;
mod run;

pub use entry::main;

use plugins::plugins;
use run::run;
pub use run::shutdown_signal;

/// mlauth: a WebAssembly-sandboxed authentication gateway for MLflow.
#[derive(Debug, Parser)]
#[command(name = "mlauth", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway in front of an MLflow server.
    Run(RunArgs),
    /// Manage installed plugins (the app registry).
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Manage the basic-auth database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Check the config.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Ask a running gateway to reload its config and plugin (through the admin listener).
    Reload(ReloadArgs),
}

/// `mlauth config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and every plugin it names (compile, world, imports against
    /// grants, create-app routes) without starting the server. Exits non-zero with the
    /// reasons.
    Check(crate::cli_ops::CheckArgs),
}

/// `mlauth reload`.
#[derive(Debug, Args)]
pub struct ReloadArgs {
    /// Admin listener address, `host:port` (default: from `--config`'s `[admin]`).
    #[arg(long)]
    pub admin: Option<String>,
    /// mlauth config file (TOML), to find the admin listener.
    #[arg(long, env = "MLAUTH_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `mlauth db ...`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Upgrade an older MLflow auth database to the schema mlauth uses (as
    /// `python -m mlflow.server.auth db upgrade` does). Defaults to `database_uri` from
    /// basic_auth.ini (`MLFLOW_AUTH_CONFIG_PATH`).
    Upgrade {
        /// SQLAlchemy-style URL, e.g. `sqlite:///basic_auth.db` or `postgresql://user@host/db`.
        #[arg(long)]
        url: Option<String>,
    },
}

/// `mlauth run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The app to run (an installed plugin name, or a built-in app such as basic-auth).
    #[arg(long)]
    pub app_name: String,
    /// Use this plugin component instead of the installed one.
    #[arg(long)]
    pub plugin: Option<PathBuf>,
    /// Base URL of the MLflow server (overrides server.upstream).
    #[arg(long)]
    pub upstream: Option<String>,
    /// Listen address (overrides server.host).
    #[arg(long)]
    pub host: Option<String>,
    /// Listen port (overrides server.port).
    #[arg(long)]
    pub port: Option<u16>,
    /// mlauth config file (TOML).
    #[arg(long, env = "MLAUTH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Plugin directory.
    #[arg(long, env = crate::apps::PLUGINS_DIR_ENV)]
    pub plugins_dir: Option<PathBuf>,
    /// Compile-cache directory (default: `[cache] dir`, else the per-user cache directory).
    #[arg(long, env = crate::plugin::cache::CACHE_DIR_ENV)]
    pub cache_dir: Option<PathBuf>,
}

/// `mlauth plugins ...`.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Validate a component and install it under an app name.
    Install {
        /// The component file.
        file: PathBuf,
        /// App name to install it as.
        #[arg(long)]
        name: String,
        /// Plugin directory.
        #[arg(long, env = crate::apps::PLUGINS_DIR_ENV)]
        plugins_dir: Option<PathBuf>,
    },
    /// List installed and built-in apps.
    List {
        /// Plugin directory.
        #[arg(long, env = crate::apps::PLUGINS_DIR_ENV)]
        plugins_dir: Option<PathBuf>,
    },
    /// Show a component's world, exports and imports (the capabilities it asks for).
    Inspect {
        /// The component file.
        file: PathBuf,
    },
    /// Run the conformance kit: standard requests through the real gateway, a pass/fail table.
    Test(crate::conformance::cli::TestArgs),
}

/// Loads the config and applies command-line overrides.
pub fn effective_config(args: &RunArgs) -> Result<MlauthConfig, crate::config::ConfigError> {
    let mut config = match &args.config {
        Some(path) => MlauthConfig::load(path)?,
        None => MlauthConfig::default(),
    };
    if let Some(upstream) = &args.upstream {
        config.server.upstream = upstream.clone();
    }
    if let Some(host) = &args.host {
        config.server.host = host.clone();
    }
    if let Some(port) = args.port {
        config.server.port = port;
    }
    config.validate()?;
    Ok(config)
}

/// Runs a parsed command line. Errors carry messages meant for the operator.
pub async fn run_cli(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::Plugins(PluginsCommand::Test(args)) => crate::conformance::cli::run(args).await,
        Command::Plugins(cmd) => plugins(cmd),
        Command::Db(DbCommand::Upgrade { url }) => db_upgrade(url).await,
        Command::Config(ConfigCommand::Check(args)) => crate::cli_ops::config_check(args).await,
        Command::Reload(args) => crate::cli_ops::reload(args).await,
    }
}

async fn db_upgrade(url: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    let sqlx_url = match url {
        Some(url) => crate::basic_auth::ini::DatabaseUri::parse(&url)?.to_sqlx_url(),
        None => crate::basic_auth::ini::load_auth_config(&crate::basic_auth::ini::ProcessEnv)?
            .database_uri
            .to_sqlx_url(),
    };
    let outcome = crate::store::migrate::upgrade(&sqlx_url).await?;
    if outcome.applied.is_empty() {
        println!(
            "auth database is at revision {} (nothing to do)",
            outcome.to
        );
    } else {
        println!(
            "auth database upgraded to {} (applied {})",
            outcome.to,
            outcome.applied.join(", ")
        );
    }
    Ok(())
}
