//! mlauth's own settings: a TOML file (`--config`), validated completely before any
//! listener binds. MLflow's `basic_auth.ini` is read separately by the basic-auth app.
//!
//! ```toml
//! [server]
//! host = "127.0.0.1"
//! port = 5000
//! upstream = "http://127.0.0.1:5001"
//! public_prefixes = ["/public"]
//!
//! [sandbox]
//! memory_limit_mib = 64
//! deadline_ms = 100
//!
//! [plugins.my-auth]
//! path = "my_auth.wasm"        # optional; else --plugin, else the installed app
//! grants = ["users"]
//! config = { token = "s3cret" }
//! ```
//!
//! The sections' own types live in submodules: `[server]` in `server`, `[plugins.*]` in
//! `plugins` (both re-exported here).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::plugin::Capability;
use crate::sandbox::SandboxLimits;

mod plugins;
#[cfg(test)]
mod proptests;
mod server;
#[cfg(test)]
mod tests;

pub use plugins::PluginConfig;
pub use server::{parse_upstream, ServerConfig};

/// A config problem, naming the key, the value and what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown key.
    #[error("invalid config {path}: {message}")]
    Parse {
        /// Path.
        path: PathBuf,
        /// Parser message (names the key).
        message: String,
    },
    /// A value out of range or malformed.
    #[error("invalid config: {0}")]
    Invalid(String),
}

/// The whole mlauth config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlauthConfig {
    /// Listener, upstream and request limits.
    #[serde(default)]
    pub server: ServerConfig,
    /// Sandbox limits for every plugin.
    #[serde(default)]
    pub sandbox: SandboxLimits,
    /// Per-app plugin settings, keyed by app name.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginConfig>,
    /// The loopback admin listener (metrics, health, reload).
    #[serde(default)]
    pub admin: crate::admin::AdminConfig,
    /// The decision audit log.
    #[serde(default)]
    pub audit: crate::audit::AuditConfig,
    /// Hot reload (file watching).
    #[serde(default)]
    pub reload: crate::reload::ReloadConfig,
    /// The on-disk compile cache.
    #[serde(default)]
    pub cache: crate::plugin::cache::CacheConfig,
    /// Limits on failed authentications (on by default).
    #[serde(default)]
    pub brute_force: crate::brute_force::BruteForceConfig,
    /// The database of mlauth's own tables (`kv`, and `users` for non-basic-auth apps).
    #[serde(default)]
    pub store: crate::host::settings::StoreSettings,
    /// HMAC keys for the `crypto` capability, by name (`[keys.<name>]`).
    #[serde(default)]
    pub keys: BTreeMap<String, crate::host::settings::SecretSource>,
    /// Secrets for the `secrets` capability, by name (`[secrets.<name>]`).
    #[serde(default)]
    pub secrets: BTreeMap<String, crate::host::settings::SecretSource>,
    /// JWT key sets for the `jwt` capability, by name (`[jwt.<name>]`).
    #[serde(default)]
    pub jwt: BTreeMap<String, crate::host::settings::JwtKeySetConfig>,
    /// Users and roles created from a plugin's authorization (basic-auth app only).
    #[serde(default)]
    pub provisioning: crate::basic_auth::provisioning::ProvisioningConfig,
    /// Directory of the config file (relative paths resolve against it); not a TOML key.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// A TOML error as position, key and message, without the source line the `toml` crate
/// quotes: that line may hold a secret (a plugin's token in its `config` table), and this
/// text reaches stderr, the log and the admin listener's reload answer.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim_end();
    let Some(start) = err.span().map(|span| span.start) else {
        return format!("TOML parse error: {message}");
    };
    let before = text.get(..start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let key = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| !key.is_empty());
    match key {
        Some(key) => {
            format!("TOML parse error at line {line}, column {column} (`{key} = …`): {message}")
        }
        None => format!("TOML parse error at line {line}, column {column}: {message}"),
    }
}

impl MlauthConfig {
    /// Reads and validates a config file; relative plugin paths resolve against its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.into(),
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.base_dir = Some(base.to_path_buf());
        for plugin in config.plugins.values_mut() {
            if let Some(p) = plugin.path.as_mut().filter(|p| p.is_relative()) {
                *p = base.join(&*p);
            }
        }
        for p in [&mut config.audit.path, &mut config.cache.dir] {
            if let Some(p) = p.as_mut().filter(|p| p.is_relative()) {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// Parses TOML text (no validation).
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| describe_toml_error(text, &e))
    }

    /// Checks every value; the first problem is returned with the key and what is allowed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.sandbox.validate().map_err(ConfigError::Invalid)?;
        self.server.validate().map_err(ConfigError::Invalid)?;
        self.admin.validate().map_err(ConfigError::Invalid)?;
        self.audit.validate().map_err(ConfigError::Invalid)?;
        self.reload.validate().map_err(ConfigError::Invalid)?;
        self.brute_force.validate().map_err(ConfigError::Invalid)?;
        self.provisioning.validate().map_err(ConfigError::Invalid)?;
        for (name, plugin) in &self.plugins {
            if let Some(sha) = &plugin.sha256 {
                if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ConfigError::Invalid(format!(
                        "plugins.{name}.sha256 = {sha:?} is not a hex sha256 (64 hex digits)"
                    )));
                }
            }
        }
        self.validate_capabilities().map_err(ConfigError::Invalid)
    }

    /// Checks `[keys]`, `[secrets]`, `[jwt]` and each plugin's named grants.
    fn validate_capabilities(&self) -> Result<(), String> {
        use crate::host::settings::check_named_grants;
        for (name, source) in &self.keys {
            source.validate(&format!("keys.{name}"))?;
        }
        for (name, source) in &self.secrets {
            source.validate(&format!("secrets.{name}"))?;
        }
        for (name, set) in &self.jwt {
            crate::host::jwks::validate(name, set)?;
        }
        for (name, plugin) in &self.plugins {
            check_named_grants(
                name,
                &plugin.grants,
                [
                    (
                        "keys",
                        Capability::Crypto,
                        plugin.keys.as_slice(),
                        self.keys.keys().collect(),
                    ),
                    (
                        "secrets",
                        Capability::Secrets,
                        plugin.secrets.as_slice(),
                        self.secrets.keys().collect(),
                    ),
                    (
                        "jwt",
                        Capability::Jwt,
                        plugin.jwt.as_slice(),
                        self.jwt.keys().collect(),
                    ),
                ],
            )?;
        }
        Ok(())
    }
}
