//! `[plugins.<app-name>]`: one plugin's file, pinned digest, grants and settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::plugin::{Capability, PluginSettings, RequestHeaders};

/// `[plugins.<app-name>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// The component file (relative to the config file).
    pub path: Option<PathBuf>,
    /// Pinned sha256 (hex).
    pub sha256: Option<String>,
    /// Capabilities granted beyond `log` and `config`.
    #[serde(default)]
    pub grants: Vec<Capability>,
    /// Settings readable by the plugin through `mlauth:plugin/config`.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    /// Names of `[keys.<name>]` the plugin may use (needs the `crypto` grant).
    #[serde(default)]
    pub keys: Vec<String>,
    /// Names of `[secrets.<name>]` the plugin may read (needs the `secrets` grant).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Names of `[jwt.<name>]` key sets the plugin may verify with (needs the `jwt` grant).
    #[serde(default)]
    pub jwt: Vec<String>,
    /// The only request headers the plugin is shown; absent: all of them.
    #[serde(default)]
    pub request_headers: RequestHeaders,
}

impl PluginConfig {
    /// The settings handed to the plugin loader.
    pub fn settings(&self) -> PluginSettings {
        let config = self
            .config
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        PluginSettings {
            config,
            grants: self.grants.clone(),
            sha256: self.sha256.clone(),
            services: Default::default(),
            request_headers: self.request_headers.clone(),
        }
    }
}
