//! [`GatewayBuilder`]: what a gateway is started with (app, plugin file, host app,
//! services, cache), and `build`, which validates the config and loads the plugin.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::{new_linker, Gateway, StartError};
use crate::audit::AuditLog;
use crate::config::{ConfigError, MlauthConfig};
use crate::host_app::HostApp;
use crate::plugin::{load_plugin, PluginSource};
use crate::proxy::GatewayState;
use crate::reload::{PluginSpec, Reloader};
use crate::sandbox::Sandbox;

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
    ///
    /// The future is boxed here, so the start-up code is compiled once, in this crate,
    /// rather than again in every binary and test that awaits it (see [`super`]).
    #[inline(never)]
    pub fn build(self) -> BoxFuture<'static, Result<Gateway, StartError>> {
        Box::pin(self.load())
    }

    async fn load(self) -> Result<Gateway, StartError> {
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
            app_store: None,
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
        // Reloads keep the stores and build keys, secrets and JWT key sets again.
        spec.services = settings.services.clone();
        spec.app_store = self.app_store.clone();
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
