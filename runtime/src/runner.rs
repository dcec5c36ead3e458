//! Putting it together: config → sandbox → linker → plugin → gateway state → listener.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::Linker;

use crate::apps::AppError;
use crate::audit::AuditLog;
use crate::config::{ConfigError, MlauthConfig};
use crate::host_app::HostApp;
use crate::plugin::{load_plugin, PluginError, PluginSource};
use crate::proxy::{self, GatewayState};
use crate::reload::{PluginSpec, Reloader};
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
    /// Reloads the plugin and its settings (file watch, SIGHUP, admin `POST /reload`).
    pub reloader: Arc<Reloader>,
    /// The validated config the gateway started with.
    pub config: MlauthConfig,
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
    config_path: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
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
            config_path: None,
            cache_dir: None,
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

/// `[provisioning]` only makes sense for the basic-auth app with a plugin that authenticates
/// users by other means: the built-in password check admits only existing users and
/// reports no groups (every managed role would be taken away).
fn check_provisioning(
    config: &MlauthConfig,
    app_name: &str,
    source: &PluginSource,
) -> Result<(), StartError> {
    if !config.provisioning.is_enabled() {
        return Ok(());
    }
    let problem = if app_name != crate::apps::BASIC_AUTH_APP {
        format!("[provisioning] applies to the basic-auth app only, not `{app_name}`; remove the section")
    } else if matches!(source, PluginSource::Builtin { .. }) {
        "[provisioning] needs a plugin that authenticates users by other means \
         (authorization_function = your_plugin.wasm in basic_auth.ini, or --plugin): the \
         built-in password check admits only existing users and reports no groups"
            .to_string()
    } else {
        return Ok(());
    };
    Err(StartError::Config(ConfigError::Invalid(problem)))
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
        let provisioner = Some(self.config.provisioning.clone())
            .filter(|p| p.is_enabled())
            .map(crate::basic_auth::provisioning::Provisioner::new);
        self.host_app(Arc::new(BasicAuthApp {
            core: started.core,
            provisioner,
        }))
    }

    /// Provides the backends of host capabilities (e.g. the user store).
    pub fn services(mut self, services: crate::host::HostServices) -> Self {
        self.services = services;
        self
    }

    /// The config file the gateway was started from; reloads re-read it.
    pub fn config_path(mut self, path: Option<PathBuf>) -> Self {
        self.config_path = path;
        self
    }

    /// Uses an on-disk compile cache in `dir` (`None`: the config's `[cache] dir`, if set).
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }

    /// Validates everything and loads the plugin; nothing listens yet.
    pub async fn build(self) -> Result<Gateway, StartError> {
        self.config.validate()?;
        let mut sandbox = Sandbox::new(self.config.sandbox.clone())
            .map_err(|e| StartError::Engine(format!("{e:#}")))?;
        let cache_dir = self.cache_dir.or_else(|| self.config.cache.dir.clone());
        if let Some(dir) = cache_dir.filter(|_| self.config.cache.enabled) {
            sandbox = sandbox.with_cache_dir(&dir);
        }
        let linker = new_linker(&sandbox)?;
        let plugin_config = self
            .config
            .plugins
            .get(&self.app_name)
            .cloned()
            .unwrap_or_default();
        let mut spec = PluginSpec {
            app_name: self.app_name.clone(),
            config_path: self.config_path,
            plugin_file: self.plugin_file,
            default_plugin: self.default_plugin,
            plugins_dir: self.plugins_dir,
            services: self.services,
            host_routes: GatewayState::host_routes(&self.config.server, self.host_app.as_ref()),
        };
        let (source, mut settings) = spec.resolve(&plugin_config)?;
        check_provisioning(&self.config, &self.app_name, &source)?;
        settings.services = crate::host::services::build_services(
            &self.config,
            &plugin_config,
            &settings.grants,
            spec.services.clone(),
            self.app_store.as_ref(),
        )
        .await
        .map_err(|e| StartError::Config(ConfigError::Invalid(e)))?;
        // Reloads keep these backends (store, keys, secrets, JWKS); changing them needs a restart.
        spec.services = settings.services.clone();
        let started = std::time::Instant::now();
        let plugin = load_plugin(
            &sandbox,
            &linker,
            &self.app_name,
            &source,
            &settings,
            &spec.host_routes,
        )
        .await?;
        tracing::info!(
            app = %self.app_name,
            origin = %plugin.info.origin,
            sha256 = %plugin.info.sha256,
            world = plugin.info.kind.world(),
            pooling = sandbox.pooling,
            compile_cache = sandbox.cache.is_some(),
            load_ms = started.elapsed().as_secs_f64() * 1e3,
            "plugin loaded"
        );
        let audit = AuditLog::open(&self.config.audit)
            .map_err(|e| StartError::Config(ConfigError::Invalid(e)))?;
        let brute_force = crate::brute_force::BruteForce::new(self.config.brute_force.clone());
        let state = GatewayState::with_audit(
            self.config.server.clone(),
            plugin,
            self.host_app,
            brute_force,
            audit,
        )
        .map_err(|e| StartError::Config(ConfigError::Invalid(e)))?;
        let reloader = Arc::new(Reloader::new(
            spec,
            sandbox.clone(),
            linker.clone(),
            state.clone(),
            source,
            &settings,
        ));
        Ok(Gateway {
            state,
            sandbox,
            linker,
            reloader,
            config: self.config,
        })
    }
}
