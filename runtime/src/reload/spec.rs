//! Where the app's plugin comes from ([`PluginSpec`]: the same precedence at start and at
//! every reload), how a version is fingerprinted, and reading its bytes.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::apps::{AppError, AppRegistry};
use crate::config::{ConfigError, MlauthConfig, PluginConfig};
use crate::host::services::build_services;
use crate::host::HostServices;
use crate::plugin::{PluginError, PluginSettings, PluginSource, RouteSpec};

/// How the app's plugin is found: the same precedence at start and at every reload.
#[derive(Clone, Default)]
pub struct PluginSpec {
    /// The app name.
    pub app_name: String,
    /// The config file to re-read (`--config`), if any.
    pub config_path: Option<PathBuf>,
    /// `--plugin` (overrides the config and the registry).
    pub plugin_file: Option<PathBuf>,
    /// The app's own default (e.g. basic-auth's `authorization_function`).
    pub default_plugin: Option<PathBuf>,
    /// Installed plugins directory.
    pub plugins_dir: Option<PathBuf>,
    /// Backends of granted capabilities, as built at start.
    pub services: crate::host::HostServices,
    /// The app's own store (basic-auth's), which a `kv` grant uses.
    pub app_store: Option<crate::store::Store>,
    /// Routes the host serves itself (checked against `create-app`).
    pub host_routes: Vec<RouteSpec>,
}

impl PluginSpec {
    /// The source and settings for `[plugins.<app>]` = `plugin_config`.
    pub fn resolve(
        &self,
        plugin_config: &PluginConfig,
    ) -> Result<(PluginSource, PluginSettings), AppError> {
        let source = match (&self.plugin_file, &plugin_config.path, &self.default_plugin) {
            (Some(path), _, _) | (None, Some(path), _) | (None, None, Some(path)) => {
                PluginSource::File(path.clone())
            }
            (None, None, None) => {
                AppRegistry::new(self.plugins_dir.clone()).resolve(&self.app_name)?
            }
        };
        let mut settings = plugin_config.settings();
        settings.services = self.services.clone();
        if let PluginSource::Builtin { name, .. } = &source {
            settings.grants.extend(crate::apps::builtin_grants(name));
        }
        Ok((source, settings))
    }

    /// The backends for a reloaded `[plugins.<app>]`: the stores attached at start are kept
    /// (a `[store]` change needs a restart; a newly granted `users` or `kv` is opened now),
    /// while keys, secrets and JWT key sets are built again from `config`, so a reload can
    /// revoke or rotate them.
    pub async fn rebuild_services(
        &self,
        config: &MlauthConfig,
        plugin_config: &PluginConfig,
        grants: &[crate::plugin::Capability],
    ) -> Result<HostServices, ConfigError> {
        let stores = HostServices {
            users: self.services.users.clone(),
            kv: self.services.kv.clone(),
            ..HostServices::default()
        };
        build_services(
            config,
            plugin_config,
            grants,
            stores,
            self.app_store.as_ref(),
        )
        .await
        .map_err(ConfigError::Invalid)
    }
}

/// A digest of everything that makes a version: the bytes, the settings and what the
/// granted backends hold.
pub fn fingerprint(sha256: &str, source: &PluginSource, settings: &PluginSettings) -> String {
    let text = format!(
        "{sha256}\n{}\n{:?}\n{:?}\n{:?}\n{:?}\n{}",
        source.origin(),
        settings.config,
        settings.grants,
        settings.sha256,
        settings.request_headers,
        settings.services.fingerprint()
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The plugin's bytes and a name for them (its path, or `builtin:<name>`).
pub(super) async fn read_source(source: &PluginSource) -> Result<(String, Vec<u8>), PluginError> {
    match source {
        PluginSource::File(path) => tokio::fs::read(path)
            .await
            .map(|bytes| (path.display().to_string(), bytes))
            .map_err(|source| PluginError::Read {
                path: path.clone(),
                source,
            }),
        PluginSource::Builtin { name, bytes } => Ok((format!("builtin:{name}"), bytes.to_vec())),
    }
}
