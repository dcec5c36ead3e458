//! Putting it together: config → sandbox → linker → plugin → gateway state → listener.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::Linker;

use crate::apps::{AppError, AppRegistry};
use crate::config::{ConfigError, MlauthConfig};
use crate::host_app::HostApp;
use crate::plugin::{load_plugin, PluginError, PluginSource};
use crate::proxy::{self, GatewayState};
use crate::sandbox::Sandbox;
use crate::state::HostState;

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
}

/// Builds a [`Gateway`].
pub struct GatewayBuilder {
    config: MlauthConfig,
    app_name: String,
    plugin_file: Option<PathBuf>,
    plugins_dir: Option<PathBuf>,
    host_app: Option<Arc<dyn HostApp>>,
    services: crate::host::HostServices,
    default_plugin: Option<PathBuf>,
    app_store: Option<crate::store::Store>,
}

impl Gateway {
    /// Starts building a gateway for app `app_name`.
    pub fn builder(config: MlauthConfig, app_name: &str) -> GatewayBuilder {
        GatewayBuilder {
            config,
            app_name: app_name.to_string(),
            plugin_file: None,
            plugins_dir: None,
            host_app: None,
            services: Default::default(),
            default_plugin: None,
            app_store: None,
        }
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let router = proxy::app(self.state.clone());
        proxy::serve::serve(listener, router, &self.state.server, shutdown).await;
    }

    /// Binds the configured address.
    pub async fn bind(&self) -> Result<(tokio::net::TcpListener, SocketAddr), StartError> {
        let addr = format!("{}:{}", self.state.server.host, self.state.server.port);
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
}

/// A linker with WASI (no ambient authority) and every mlauth host interface.
pub fn new_linker(sandbox: &Sandbox) -> Result<Arc<Linker<HostState>>, StartError> {
    let mut linker = Linker::new(&sandbox.engine);
    crate::host::add_to_linker(&mut linker).map_err(|e| StartError::Engine(format!("{e:#}")))?;
    Ok(Arc::new(linker))
}

impl GatewayBuilder {
    /// Uses this component instead of the installed or built-in one.
    pub fn plugin_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.plugin_file = Some(path.into());
        self
    }

    /// Where installed plugins live.
    pub fn plugins_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.plugins_dir = dir;
        self
    }

    /// Attaches the host side of the app.
    pub fn host_app(mut self, app: Arc<dyn HostApp>) -> Self {
        self.host_app = Some(app);
        self
    }

    /// The app's own choice of plugin file (e.g. `authorization_function` in
    /// `basic_auth.ini`), used when neither `--plugin` nor the config names one.
    pub fn default_plugin_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.default_plugin = Some(path.into());
        self
    }

    /// Attaches the basic-auth app: its REST API and permission rules, and its user store
    /// behind the `users` capability.
    pub fn basic_auth(mut self, started: crate::basic_auth::app::start::BasicAuthStart) -> Self {
        use crate::basic_auth::app::{BasicAuthApp, StoreDirectory};
        if let Some(plugin) = started.plugin {
            self = self.default_plugin_file(plugin);
        }
        self.services.users = Some(Arc::new(StoreDirectory(started.core.clone())));
        self.app_store = Some(started.core.store.clone());
        self.host_app(Arc::new(BasicAuthApp { core: started.core }))
    }

    /// Provides the backends of host capabilities (e.g. the user store).
    pub fn services(mut self, services: crate::host::HostServices) -> Self {
        self.services = services;
        self
    }

    /// Validates everything and loads the plugin; nothing listens yet.
    pub async fn build(self) -> Result<Gateway, StartError> {
        self.config.validate()?;
        let sandbox = Sandbox::new(self.config.sandbox.clone())
            .map_err(|e| StartError::Engine(format!("{e:#}")))?;
        let linker = new_linker(&sandbox)?;
        let plugin_config = self
            .config
            .plugins
            .get(&self.app_name)
            .cloned()
            .unwrap_or_default();
        let source = match (self.plugin_file, &plugin_config.path, self.default_plugin) {
            (Some(path), _, _) => PluginSource::File(path),
            (None, Some(path), _) => PluginSource::File(path.clone()),
            (None, None, Some(path)) => PluginSource::File(path),
            (None, None, None) => AppRegistry::new(self.plugins_dir).resolve(&self.app_name)?,
        };
        let host_routes = GatewayState::host_routes(&self.config.server, self.host_app.as_ref());
        let mut settings = plugin_config.settings();
        if let PluginSource::Builtin { name, .. } = &source {
            settings.grants.extend(crate::apps::builtin_grants(name));
        }
        settings.services = crate::host::services::build_services(
            &self.config,
            &plugin_config,
            &settings.grants,
            self.services,
            self.app_store.as_ref(),
        )
        .await
        .map_err(|e| StartError::Config(ConfigError::Invalid(e)))?;
        let plugin = load_plugin(
            &sandbox,
            &linker,
            &self.app_name,
            &source,
            &settings,
            &host_routes,
        )
        .await?;
        tracing::info!(
            app = %self.app_name,
            origin = %plugin.info.origin,
            sha256 = %plugin.info.sha256,
            world = plugin.info.kind.world(),
            pooling = sandbox.pooling,
            "plugin loaded"
        );
        let state = GatewayState::new(self.config.server.clone(), plugin, self.host_app)
            .map_err(|e| StartError::Config(ConfigError::Invalid(e)))?;
        Ok(Gateway {
            state,
            sandbox,
            linker,
        })
    }
}
