//! `mlauth run`: start the gateway (and the basic-auth app when asked), serve until SIGTERM
//! or Ctrl-C, then drain.

use super::{effective_config, RunArgs};
use crate::runner::Gateway;

/// Runs the gateway for `args` until a shutdown signal.
pub(super) async fn run(args: RunArgs) -> Result<(), Box<dyn std::error::Error>> {
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
