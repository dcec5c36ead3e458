//! `basic_auth.ini`, section `[mlflow]` (reference §2): the same file MLflow's `read_auth_config`
//! reads, parsed into a typed [`AuthConfig`].
//!
//! Differences from MLflow, all stricter: unknown keys in `[mlflow]` and bad values fail at load
//! time (MLflow ignores the former and fails lazily on some of the latter), counts must be
//! non-negative, and `authorization_function` must be the built-in function or a `.wasm` plugin.
//! Other sections (e.g. `[mlauth]`) are ignored here.

mod admin;
mod configparser;
mod database_uri;
mod error;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use admin::{
    meets_password_policy, validate_bootstrap_admin_username, validate_new_admin_password,
    LEGACY_DEFAULT_ADMIN_PASSWORD, LEGACY_DEFAULT_ADMIN_USERNAME, MIN_PASSWORD_CHARS,
    PASSWORD_POLICY_MESSAGE,
};
pub use database_uri::DatabaseUri;
pub use error::IniError;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::permissions::{python_tuple, Permission};
use configparser::MlflowSection;

/// Path of the ini file; unset or empty → the packaged defaults ([`SHIPPED_BASIC_AUTH_INI`]).
pub const CONFIG_PATH_ENV: &str = "MLFLOW_AUTH_CONFIG_PATH";
/// Overrides `admin_username` whenever set, even to an empty value (→ `None`).
pub const ADMIN_USERNAME_ENV: &str = "MLFLOW_AUTH_ADMIN_USERNAME";
/// Overrides `admin_password` whenever set, even to an empty value (→ `None`).
pub const ADMIN_PASSWORD_ENV: &str = "MLFLOW_AUTH_ADMIN_PASSWORD";
/// `DEFAULT_AUTHORIZATION_FUNCTION`.
pub const DEFAULT_AUTHORIZATION_FUNCTION: &str =
    "mlflow.server.auth:authenticate_request_basic_auth";

/// The effective settings of MLflow 3.18's packaged `basic_auth.ini` (comments omitted).
pub const SHIPPED_BASIC_AUTH_INI: &str = "[mlflow]\n\
    default_permission = READ\n\
    database_uri = sqlite:///basic_auth.db\n\
    admin_username = admin\n\
    authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n\
    grant_default_workspace_access = false\n";

/// Every key `read_auth_config` reads.
pub const KNOWN_KEYS: [&str; 11] = [
    "default_permission",
    "database_uri",
    "read_database_uri",
    "admin_username",
    "admin_password",
    "authorization_function",
    "grant_default_workspace_access",
    "workspace_cache_max_size",
    "workspace_cache_ttl_seconds",
    "auth_cache_max_size",
    "auth_cache_ttl_seconds",
];

/// How the authentication step is performed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFunction {
    /// `mlflow.server.auth:authenticate_request_basic_auth` (`users/current` says `is_basic_auth`).
    BuiltinBasicAuth,
    /// A WebAssembly component implementing the hook; the path is absolute or CWD-relative.
    Plugin(PathBuf),
}

impl AuthFunction {
    /// Whether this is the built-in basic auth (`is_basic_auth` in `users/current`).
    pub fn is_basic_auth(&self) -> bool {
        matches!(self, AuthFunction::BuiltinBasicAuth)
    }

    /// Parses the ini value; `.wasm` paths are resolved against `ini_dir` when relative.
    pub fn parse(value: &str, ini_dir: &Path) -> Result<Self, IniError> {
        if value == DEFAULT_AUTHORIZATION_FUNCTION {
            return Ok(AuthFunction::BuiltinBasicAuth);
        }
        if value.ends_with(".wasm") && value.len() > ".wasm".len() {
            return Ok(AuthFunction::Plugin(ini_dir.join(value)));
        }
        Err(IniError::UnsupportedAuthorizationFunction {
            value: value.to_owned(),
        })
    }
}

/// Where environment variables come from (the process, or a map in tests).
pub trait EnvSource {
    /// The variable's value if it is set (possibly empty).
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
    }
}

impl EnvSource for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// MLflow's `AuthConfig`, typed.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Permission when no grant matches, and the floor of positive grants.
    pub default_permission: Permission,
    /// The auth database.
    pub database_uri: DatabaseUri,
    /// An optional read replica.
    pub read_database_uri: Option<DatabaseUri>,
    /// Bootstrap admin username (`None` when unset or empty).
    pub admin_username: Option<String>,
    /// Bootstrap admin password (`None` when unset or empty). Secret: redacted in `Debug`.
    pub admin_password: Option<String>,
    /// The authentication hook.
    pub authorization_function: AuthFunction,
    /// Workspaces mode only: default-workspace members inherit `default_permission`.
    pub grant_default_workspace_access: bool,
    /// Size of the resource → workspace cache.
    pub workspace_cache_max_size: u64,
    /// TTL of the resource → workspace cache.
    pub workspace_cache_ttl_seconds: u64,
    /// Size of the credential cache.
    pub auth_cache_max_size: u64,
    /// TTL of the credential cache; 0 disables it.
    pub auth_cache_ttl_seconds: u64,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("default_permission", &self.default_permission)
            .field("database_uri", &self.database_uri)
            .field("read_database_uri", &self.read_database_uri)
            .field("admin_username", &self.admin_username)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "<redacted>"),
            )
            .field("authorization_function", &self.authorization_function)
            .field(
                "grant_default_workspace_access",
                &self.grant_default_workspace_access,
            )
            .field("workspace_cache_max_size", &self.workspace_cache_max_size)
            .field(
                "workspace_cache_ttl_seconds",
                &self.workspace_cache_ttl_seconds,
            )
            .field("auth_cache_max_size", &self.auth_cache_max_size)
            .field("auth_cache_ttl_seconds", &self.auth_cache_ttl_seconds)
            .finish()
    }
}

impl AuthConfig {
    /// The read replica to route reads to; `None` when absent or equal to the primary (MLflow
    /// warns and does no routing in that case).
    pub fn effective_read_database_uri(&self) -> Option<&DatabaseUri> {
        self.read_database_uri
            .as_ref()
            .filter(|replica| **replica != self.database_uri)
    }
}

/// The ini path from `MLFLOW_AUTH_CONFIG_PATH`; `None` (unset or empty) means the packaged defaults.
pub fn auth_config_path(env: &impl EnvSource) -> Option<PathBuf> {
    env.var(CONFIG_PATH_ENV)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

/// `read_auth_config()`: the file named by `MLFLOW_AUTH_CONFIG_PATH`, or the packaged defaults.
pub fn load_auth_config(env: &impl EnvSource) -> Result<AuthConfig, IniError> {
    match auth_config_path(env) {
        Some(path) => load_auth_config_from_file(&path, env),
        None => parse_auth_config(SHIPPED_BASIC_AUTH_INI, Path::new(""), env),
    }
}

/// Reads and parses one ini file; `.wasm` plugin paths are resolved against its directory.
pub fn load_auth_config_from_file(
    path: &Path,
    env: &impl EnvSource,
) -> Result<AuthConfig, IniError> {
    let text = std::fs::read_to_string(path).map_err(|source| IniError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_auth_config(&text, path.parent().unwrap_or(Path::new("")), env)
}

/// Parses ini text; `ini_dir` anchors relative `.wasm` paths (empty = working directory).
pub fn parse_auth_config(
    text: &str,
    ini_dir: &Path,
    env: &impl EnvSource,
) -> Result<AuthConfig, IniError> {
    let section = MlflowSection::parse(text)?;
    if let Some(unknown) = section
        .own_keys()
        .iter()
        .find(|key| !KNOWN_KEYS.contains(&key.as_str()))
    {
        return Err(IniError::UnknownKey {
            key: unknown.clone(),
        });
    }
    let default_permission = required(&section, "default_permission")?;
    let default_permission = Permission::parse(&default_permission).map_err(|_| {
        let allowed = format!(
            "expected one of {}",
            python_tuple(Permission::ALL.iter().map(|p| p.name()))
        );
        IniError::invalid("default_permission", &default_permission, &allowed)
    })?;
    let authorization_function = section.get("authorization_function")?;
    Ok(AuthConfig {
        default_permission,
        database_uri: database_uri::parse_for_key(
            "database_uri",
            &required(&section, "database_uri")?,
        )?,
        read_database_uri: optional_database_uri(&section)?,
        admin_username: env_overridable(&section, env, ADMIN_USERNAME_ENV, "admin_username")?,
        admin_password: env_overridable(&section, env, ADMIN_PASSWORD_ENV, "admin_password")?,
        authorization_function: match authorization_function {
            Some(value) => AuthFunction::parse(&value, ini_dir)?,
            None => AuthFunction::BuiltinBasicAuth,
        },
        grant_default_workspace_access: section
            .get_bool("grant_default_workspace_access", false)?,
        workspace_cache_max_size: section.get_count("workspace_cache_max_size", 10_000)?,
        workspace_cache_ttl_seconds: section.get_count("workspace_cache_ttl_seconds", 3_600)?,
        auth_cache_max_size: section.get_count("auth_cache_max_size", 10_000)?,
        auth_cache_ttl_seconds: section.get_count("auth_cache_ttl_seconds", 0)?,
    })
}

fn required(section: &MlflowSection, key: &'static str) -> Result<String, IniError> {
    section.get(key)?.ok_or(IniError::MissingKey { key })
}

fn optional_database_uri(section: &MlflowSection) -> Result<Option<DatabaseUri>, IniError> {
    match section.get("read_database_uri")? {
        Some(uri) if !uri.is_empty() => {
            database_uri::parse_for_key("read_database_uri", &uri).map(Some)
        }
        _ => Ok(None),
    }
}

/// The environment variable when set (even empty), else the ini value; empty → `None`.
fn env_overridable(
    section: &MlflowSection,
    env: &impl EnvSource,
    variable: &str,
    key: &'static str,
) -> Result<Option<String>, IniError> {
    let value = match env.var(variable) {
        Some(from_env) => Some(from_env),
        None => section.get(key)?,
    };
    Ok(value.filter(|v| !v.is_empty()))
}
