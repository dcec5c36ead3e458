//! Command-line interface (clap). `main.rs` only parses and calls [`run_cli`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::apps::{inspect_bytes, AppRegistry, PluginListing};
use crate::config::MlauthConfig;
use crate::runner::Gateway;
use crate::sandbox::{Sandbox, SandboxLimits};

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

async fn run(args: RunArgs) -> Result<(), Box<dyn std::error::Error>> {
    crate::metrics::install();
    let config = effective_config(&args)?;
    let upstream = config.server.upstream.clone();
    let config_cache = config.cache.clone();
    let mut builder =
        Gateway::builder(config, &args.app_name).plugins_dir(args.plugins_dir.clone());
    if args.app_name == crate::apps::BASIC_AUTH_APP {
        let env = crate::basic_auth::ini::ProcessEnv;
        let started = crate::basic_auth::app::start::start(&env, &upstream).await?;
        builder = builder.basic_auth(started);
    }
    if let Some(plugin) = &args.plugin {
        builder = builder.plugin_file(plugin);
    }
    let cache_dir = crate::cli_ops::cache_dir(args.cache_dir.clone(), &config_cache);
    let gateway = builder
        .config_path(args.config.clone())
        .cache_dir(cache_dir)
        .build()
        .await?;
    let (listener, addr) = gateway.bind().await?;
    let _ops = crate::cli_ops::start_ops(&gateway).await?;
    tracing::info!(%addr, upstream = %gateway.state.server.upstream, app = %args.app_name, "mlauth listening");
    eprintln!(
        "mlauth {} listening on http://{addr} (app {}, upstream {})",
        env!("CARGO_PKG_VERSION"),
        args.app_name,
        gateway.state.server.upstream
    );
    gateway.serve(listener, shutdown_signal()).await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: draining in-flight requests");
}

fn plugins(cmd: PluginsCommand) -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new(SandboxLimits {
        pooling: false,
        ..SandboxLimits::default()
    })?;
    match cmd {
        PluginsCommand::Install {
            file,
            name,
            plugins_dir,
        } => {
            let registry = AppRegistry::new(plugins_dir);
            let listing = registry.install(&sandbox, &file, &name)?;
            println!(
                "installed {} ({}, sha256 {}) into {}",
                name,
                listing.world.unwrap_or("?"),
                listing.sha256,
                registry.dir().display()
            );
        }
        PluginsCommand::List { plugins_dir } => {
            let registry = AppRegistry::new(plugins_dir);
            println!(
                "{:<24} {:<22} {:<8} {:>10}  sha256",
                "NAME", "WORLD", "WIT", "SIZE"
            );
            for row in registry.list(&sandbox) {
                match row {
                    Ok(l) => println!(
                        "{:<24} {:<22} {:<8} {:>10}  {}",
                        l.name,
                        l.world.unwrap_or("(none)"),
                        l.wit_version.as_deref().unwrap_or("-"),
                        l.size,
                        l.sha256
                    ),
                    Err(e) => println!("(error) {e}"),
                }
            }
        }
        PluginsCommand::Inspect { file } => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            print_inspection(&inspect_bytes(
                &sandbox,
                &bytes,
                &file.display().to_string(),
            )?);
        }
        PluginsCommand::Test(_) => return Err("`plugins test` runs on the async runtime".into()),
    }
    Ok(())
}

fn print_inspection(l: &PluginListing) {
    println!("file:     {}", l.name);
    println!("world:    {}", l.world.unwrap_or("(not an mlauth plugin)"));
    println!("wit:      {}", l.wit_version.as_deref().unwrap_or("-"));
    println!("size:     {} bytes", l.size);
    println!("sha256:   {}", l.sha256);
    println!("exports:");
    for e in &l.exports {
        println!("  {e}");
    }
    println!("imports (capabilities requested):");
    for i in &l.imports {
        let verdict = match crate::plugin::grants::judge_import(i, &crate::plugin::Capability::ALL)
        {
            crate::plugin::grants::ImportVerdict::Allowed => "always available (sandboxed)",
            crate::plugin::grants::ImportVerdict::Granted(_) => "needs a grant",
            _ => "NOT PROVIDED by mlauth",
        };
        println!("  {i}  [{verdict}]");
    }
}
