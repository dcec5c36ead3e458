//! Putting it together: config → sandbox → linker → plugin → gateway state → listener.
//!
//! [`Gateway`] is the started gateway; [`GatewayBuilder`] (in `builder`, re-exported here)
//! validates the config and loads the plugin.
//!
//! The start-up and serving futures ([`GatewayBuilder::build`], [`Gateway::serve`]) are
//! returned boxed. An `async fn`'s body is compiled into every crate that awaits it, and
//! each test or benchmark binary awaiting these would compile the whole start-up path
//! (plugin loading, the auth store, the HTTP server) again; boxed, it is compiled here once.
//! They run once per gateway, so the allocation costs nothing that matters.

use std::net::SocketAddr;
use std::sync::Arc;

use futures::future::BoxFuture;
use wasmtime::component::Linker;

use crate::apps::AppError;
use crate::config::{ConfigError, MlauthConfig};
use crate::plugin::PluginError;
use crate::proxy::{self, GatewayState};
use crate::reload::Reloader;
use crate::sandbox::Sandbox;
use crate::state::HostState;

mod builder;

pub use builder::GatewayBuilder;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Bad config.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// App name did not resolve.
    #[error(transparent)]
    App(#[from] AppError),
    /// Plugin failed to load.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// Engine or linker setup failed.
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
    /// Listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// A ready-to-serve gateway.
pub struct Gateway {
    /// Shared request state (plugin, upstream client, host app).
    pub state: Arc<GatewayState>,
    /// The engine and limits.
    pub sandbox: Sandbox,
    /// The linker every plugin version is pre-instantiated with.
    pub linker: Arc<Linker<HostState>>,
    /// Reloads the plugin and its settings (file watch, SIGHUP, admin `POST /reload`).
    pub reloader: Arc<Reloader>,
    /// The validated config the gateway started with.
    pub config: MlauthConfig,
}

impl Gateway {
    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub fn serve<'a>(
        &'a self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'a,
    ) -> BoxFuture<'a, ()> {
        self.serve_until(listener, Box::pin(shutdown))
    }

    /// [`Self::serve`] with its shutdown signal boxed: the serving code does not depend on
    /// the caller's future type, so it is compiled here once (see the module docs).
    #[inline(never)]
    fn serve_until<'a>(
        &'a self,
        listener: tokio::net::TcpListener,
        shutdown: BoxFuture<'a, ()>,
    ) -> BoxFuture<'a, ()> {
        let router = proxy::app(self.state.clone());
        Box::pin(proxy::serve::serve(
            listener,
            router,
            &self.state.server,
            shutdown,
        ))
    }

    /// Starts watching the config and plugin files (when `[reload] watch` is on); the
    /// watch stops when the handle is dropped.
    pub fn watch(&self) -> Option<crate::reload::watch::WatchHandle> {
        if !self.config.reload.watch {
            return None;
        }
        let debounce = std::time::Duration::from_millis(self.config.reload.debounce_ms);
        match crate::reload::watch::spawn(self.reloader.clone(), debounce) {
            Ok(handle) => Some(handle),
            Err(err) => {
                tracing::warn!(error = %err, "cannot watch files; reload with SIGHUP or `mlauth reload`");
                None
            }
        }
    }

    /// Binds the admin listener (`[admin]`), if enabled.
    pub async fn bind_admin(
        &self,
    ) -> Result<Option<(tokio::net::TcpListener, SocketAddr)>, StartError> {
        crate::metrics::install();
        if !self.config.admin.enabled {
            return Ok(None);
        }
        bind_addr(self.config.admin.addr()).await.map(Some)
    }

    /// What the admin routes act on.
    pub fn admin_state(&self) -> crate::admin::AdminState {
        crate::admin::AdminState {
            gateway: self.state.clone(),
            reloader: Some(self.reloader.clone()),
        }
    }

    /// Binds the configured address.
    pub async fn bind(&self) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
        bind_addr(format!(
            "{}:{}",
            self.state.server.host, self.state.server.port
        ))
        .await
    }
}

/// Binds `addr`, naming it in the error.
async fn bind_addr(addr: String) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    Ok((listener, local))
}

/// A linker with WASI (no ambient authority) and every mlauth host interface.
pub fn new_linker(sandbox: &Sandbox) -> Result<Arc<Linker<HostState>>, StartError> {
    let mut linker = Linker::new(&sandbox.engine);
    crate::host::add_to_linker(&mut linker).map_err(|e| StartError::Engine(format!("{e:#}")))?;
    Ok(Arc::new(linker))
}
