//! Operations commands and the run-time side jobs of `mlauth run`: the admin listener, the
//! file watcher and SIGHUP reloads; `mlauth config check` and `mlauth reload`.

use std::path::PathBuf;

use clap::Args;

use crate::config::MlauthConfig;
use crate::plugin::cache::CacheConfig;
use crate::plugin::load_plugin;
use crate::reload::PluginSpec;
use crate::runner::{Gateway, StartError};
use crate::sandbox::{Sandbox, SandboxLimits};

/// `mlauth config check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// mlauth config file (TOML).
    #[arg(long, env = "MLAUTH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Also check this app (an installed plugin name or a built-in app).
    #[arg(long)]
    pub app_name: Option<String>,
    /// The plugin file for `--app-name` (as `mlauth run --plugin`).
    #[arg(long)]
    pub plugin: Option<PathBuf>,
    /// Plugin directory.
    #[arg(long, env = crate::apps::PLUGINS_DIR_ENV)]
    pub plugins_dir: Option<PathBuf>,
}

/// The compile-cache directory: `--cache-dir`/`$MLAUTH_CACHE_DIR`, else `[cache] dir`,
/// else the per-user default; `None` when `[cache] enabled = false`.
pub fn cache_dir(arg: Option<PathBuf>, config: &CacheConfig) -> Option<PathBuf> {
    if !config.enabled {
        return None;
    }
    arg.or_else(|| config.dir.clone())
        .or_else(crate::plugin::cache::default_dir)
}

/// Side jobs of a running gateway; they stop when this is dropped.
pub struct Ops {
    _watch: Option<crate::reload::watch::WatchHandle>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Ops {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// Starts the admin listener, the file watcher and the SIGHUP handler.
pub async fn start_ops(gateway: &Gateway) -> Result<Ops, StartError> {
    let mut tasks = Vec::new();
    if let Some((listener, addr)) = gateway.bind_admin().await? {
        tracing::info!(%addr, "admin listener (metrics, livez, readyz, reload)");
        eprintln!("mlauth admin listening on http://{addr}");
        let state = gateway.admin_state();
        tasks.push(tokio::spawn(crate::admin::serve(
            listener,
            state,
            std::future::pending(),
        )));
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                let reloader = gateway.reloader.clone();
                tasks.push(tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        let _ = reloader.reload("sighup").await;
                    }
                }));
            }
            Err(err) => tracing::warn!(error = %err, "cannot handle SIGHUP"),
        }
    }
    Ok(Ops {
        _watch: gateway.watch(),
        tasks,
    })
}

/// `mlauth reload`.
pub async fn reload(args: crate::cli::ReloadArgs) -> Result<(), Box<dyn std::error::Error>> {
    let addr = match (args.admin, &args.config) {
        (Some(addr), _) => addr,
        (None, Some(path)) => MlauthConfig::load(path)?.admin.addr(),
        (None, None) => crate::admin::AdminConfig::default().addr(),
    };
    let answer = crate::admin::client::request_reload(&addr).await?;
    println!("{}", answer.trim_end());
    Ok(())
}

/// `mlauth config check`: every problem is printed; the result is an error if any.
pub async fn config_check(args: CheckArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = match &args.config {
        Some(path) => MlauthConfig::load(path)?,
        None => MlauthConfig::default(),
    };
    config.validate()?;
    if let Err(err) = crate::audit::AuditLog::open(&config.audit) {
        return Err(err.into());
    }
    let sandbox = Sandbox::new(SandboxLimits {
        pooling: false,
        ..config.sandbox.clone()
    })?;
    let linker = crate::runner::new_linker(&sandbox)?;
    let mut apps: Vec<String> = config.plugins.keys().cloned().collect();
    apps.extend(args.app_name.clone());
    apps.sort();
    apps.dedup();
    let mut problems = 0;
    for app in &apps {
        let mut host_routes = crate::proxy::builtin_public_routes();
        if app == crate::apps::BASIC_AUTH_APP {
            host_routes.extend(crate::basic_auth::api::routes());
        }
        let spec = PluginSpec {
            app_name: app.clone(),
            plugin_file: args
                .plugin
                .clone()
                .filter(|_| Some(app) == args.app_name.as_ref()),
            plugins_dir: args.plugins_dir.clone(),
            host_routes,
            ..PluginSpec::default()
        };
        let plugin_config = config.plugins.get(app).cloned().unwrap_or_default();
        let result = match spec.resolve(&plugin_config) {
            Ok((source, settings)) => load_plugin(
                &sandbox,
                &linker,
                app,
                &source,
                &settings,
                &spec.host_routes,
            )
            .await
            .map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        };
        match result {
            Ok(plugin) => println!(
                "ok    {app}: {} ({}, sha256 {}, {} route(s))",
                plugin.info.origin,
                plugin.info.kind.world(),
                plugin.info.sha256,
                plugin.routes.len()
            ),
            Err(err) => {
                problems += 1;
                println!("error {app}: {err}");
            }
        }
    }
    match problems {
        0 => {
            println!("config ok ({} app(s) checked)", apps.len());
            Ok(())
        }
        n => Err(format!("config check failed: {n} problem(s)").into()),
    }
}
