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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::plugin::{Capability, PluginSettings, RequestHeaders};
use crate::sandbox::SandboxLimits;

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

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address.
    pub host: String,
    /// Listen port.
    pub port: u16,
    /// Base URL of the plain `mlflow server` (http only; keep it on loopback or a private network).
    pub upstream: String,
    /// Header that carries the authenticated username to the upstream. Any client-sent
    /// copy (in any case, or with `_` for `-`) is removed.
    pub identity_header: String,
    /// Extra public path prefixes (segment-aware), e.g. `/public`.
    pub public_prefixes: Vec<String>,
    /// Largest request body, in bytes (413 above).
    pub max_body_bytes: u64,
    /// Largest total size of request headers, in bytes (431 above).
    pub max_header_bytes: usize,
    /// Bodies up to this size are buffered and shown to the plugin; larger ones stream past it.
    pub plugin_body_limit: usize,
    /// Seconds to wait for the upstream's response headers (504 after).
    pub upstream_timeout_secs: u64,
    /// Seconds a client has to send its request headers (slow clients are cut off).
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a body the gateway reads itself (the plugin's view), and
    /// the longest pause between two pieces of any request body (408 / connection closed).
    pub body_read_timeout_secs: u64,
    /// Forward the client's `Authorization` header to the upstream (off: credentials stop here).
    pub forward_authorization: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 5000,
            upstream: "http://127.0.0.1:5001".into(),
            identity_header: "x-mlauth-user".into(),
            public_prefixes: Vec::new(),
            max_body_bytes: 1 << 30,
            max_header_bytes: 64 << 10,
            plugin_body_limit: 64 << 10,
            upstream_timeout_secs: 60,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            forward_authorization: false,
        }
    }
}

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
        toml::from_str(text).map_err(|e| e.to_string())
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

/// Headers the identity header may not be, because clients or the proxy own them.
const RESERVED_HEADERS: [&str; 8] = [
    "authorization",
    "host",
    "cookie",
    "connection",
    "content-length",
    "transfer-encoding",
    "x-forwarded-for",
    "x-request-id",
];

impl ServerConfig {
    fn validate(&self) -> Result<(), String> {
        parse_upstream(&self.upstream)?;
        let ident = self.identity_header.to_ascii_lowercase();
        if http::HeaderName::from_bytes(ident.as_bytes()).is_err()
            || RESERVED_HEADERS.contains(&ident.as_str())
        {
            return Err(format!(
                "server.identity_header = {:?} is not usable; pick a custom header name such as \"x-mlauth-user\"",
                self.identity_header
            ));
        }
        for prefix in &self.public_prefixes {
            let clean = prefix.starts_with('/')
                && prefix.len() > 1
                && !prefix.ends_with('/')
                && crate::proxy::path::normalize(prefix).as_deref() == Ok(prefix.as_str());
            if !clean {
                return Err(format!(
                    "server.public_prefixes entry {prefix:?} is invalid; use a normalised absolute path without a trailing slash, e.g. \"/public\""
                ));
            }
        }
        if self.max_header_bytes < 1024
            || self.plugin_body_limit > 16 << 20
            || self.upstream_timeout_secs == 0
            || self.header_read_timeout_secs == 0
            || self.body_read_timeout_secs == 0
        {
            return Err("server limits out of range: max_header_bytes >= 1024, plugin_body_limit <= 16 MiB, timeouts >= 1 s".into());
        }
        Ok(())
    }
}

/// Parses and checks the upstream base URL (`http://host:port`, optional path prefix).
pub fn parse_upstream(upstream: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = upstream
        .parse()
        .map_err(|e| format!("server.upstream = {upstream:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(format!(
            "server.upstream = {upstream:?} must be an http:// URL with a host (run mlflow on loopback or a private network)"
        ));
    }
    if uri.query().is_some() {
        return Err(format!(
            "server.upstream = {upstream:?} must not have a query string"
        ));
    }
    Ok(uri)
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = MlauthConfig::parse("[server]\nprot = 5000\n").unwrap_err();
        assert!(err.contains("prot"), "{err}");
        let err = MlauthConfig::parse("[sandbox]\nmemory = 1\n").unwrap_err();
        assert!(err.contains("memory"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key_and_the_range() {
        let mut config = MlauthConfig::parse("[sandbox]\ndeadline_ms = 0\n").unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("sandbox.deadline_ms = 0"));
        config = MlauthConfig::parse("[sandbox]\nwarm_instances = 65\n").unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("sandbox.warm_instances = 65"));
        let err = MlauthConfig::parse("[sandbox]\nwarm_instances = \"lots\"\n").unwrap_err();
        assert!(err.contains("warm_instances"), "{err}");
        assert!(err.contains("use \"auto\""), "{err}");
        config = MlauthConfig::parse("[sandbox]\nwarm_instances = \"auto\"\n").unwrap();
        assert!(config.validate().is_ok());
        config = MlauthConfig::parse("[server]\nupstream = \"https://x\"\n").unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("http://"));
        config = MlauthConfig::parse("[server]\nidentity_header = \"Authorization\"\n").unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("identity_header"));
        config = MlauthConfig::parse("[server]\npublic_prefixes = [\"/a/../b\"]\n").unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("public_prefixes"));
        config =
            MlauthConfig::parse("[plugins.x]\ngrants = [\"users\"]\nsha256 = \"abc\"\n").unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("plugins.x.sha256"));
    }

    #[test]
    fn unknown_capability_is_a_parse_error() {
        let err = MlauthConfig::parse("[plugins.x]\ngrants = [\"network\"]\n").unwrap_err();
        assert!(err.contains("network"), "{err}");
    }

    #[test]
    fn plugin_config_values_become_strings() {
        let config = MlauthConfig::parse("[plugins.x.config]\ntoken = \"t\"\nlimit = 3\n").unwrap();
        let settings = config.plugins["x"].settings();
        assert_eq!(settings.config["token"], "t");
        assert_eq!(settings.config["limit"], "3");
    }
}
