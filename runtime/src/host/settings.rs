//! The operator's capability settings in the mlauth TOML, and resolving them into the
//! [`HostServices`](super::HostServices) of one plugin.
//!
//! ```toml
//! [store]
//! database_uri = "sqlite:///var/lib/mlauth/mlauth.db"   # kv (and users, for non-basic-auth apps)
//!
//! [keys.session]            # an HMAC key for `crypto`
//! env = "MLAUTH_SESSION_KEY"  # or: file = "/run/secrets/session-key"
//!
//! [secrets.client-secret]   # a secret for `secrets`
//! file = "/run/secrets/oidc-client-secret"
//!
//! [jwt.corp]                # a key set for `jwt`
//! jwks_url = "https://login.example.com/.well-known/jwks.json"   # or: jwks_file = "jwks.json"
//! issuers = ["https://login.example.com/"]
//!
//! [plugins.my-app]
//! grants = ["kv", "crypto", "secrets", "jwt"]
//! keys = ["session"]
//! secrets = ["client-secret"]
//! jwt = ["corp"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::plugin::Capability;

/// Key or secret material: shared, never printed (`Debug` shows `***`).
#[derive(Clone)]
pub struct SecretBytes(Arc<[u8]>);

impl SecretBytes {
    /// Wraps bytes.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self(bytes.into())
    }

    /// The bytes (for the host's own use only).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Shortest HMAC key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// `[keys.<name>]` / `[secrets.<name>]`: where the host reads the material. Exactly one of
/// `env` and `file`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// An environment variable holding the value.
    pub env: Option<String>,
    /// A file holding the value (one trailing newline is dropped). Relative to the config.
    pub file: Option<PathBuf>,
}

/// `[jwt.<name>]`: a JWKS the host holds for the `jwt` capability.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeySetConfig {
    /// A JWKS JSON file (read at start). Relative to the config.
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL the host fetches itself (`https://`, or `http://` to a loopback address).
    pub jwks_url: Option<String>,
    /// Issuers (`iss`) tokens verified with this set may carry. Required.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Seconds a fetched JWKS is used before it is fetched again (default 3600).
    pub refresh_secs: Option<u64>,
    /// Least seconds between two fetches triggered by an unknown `kid` (default 30).
    pub min_refetch_secs: Option<u64>,
}

/// `[store]`: the database of mlauth's own tables for apps other than basic-auth
/// (basic-auth keeps them in its auth database).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// SQLAlchemy-style (`sqlite:///mlauth.db`, `postgresql://…`) or sqlx URL. Default: an
    /// SQLite file `mlauth.db` next to the config file, else in the mlauth data directory.
    pub database_uri: Option<String>,
}

impl StoreSettings {
    /// The sqlx URL to open, given the config file's directory (if any).
    pub fn sqlx_url(&self, config_dir: Option<&Path>) -> Result<String, String> {
        match &self.database_uri {
            Some(uri) => crate::store::sqlx_url_from_sqlalchemy(uri)
                .map_err(|e| format!("store.database_uri: {e}")),
            None => {
                let dir = config_dir.map(Path::to_path_buf).unwrap_or_else(|| {
                    dirs::data_dir()
                        .unwrap_or_else(|| PathBuf::from("."))
                        .join("mlauth")
                });
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let dir = dir
                    .canonicalize()
                    .map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
                Ok(format!("sqlite://{}", dir.join("mlauth.db").display()))
            }
        }
    }
}

impl SecretSource {
    /// Checks that exactly one source is given.
    pub fn validate(&self, what: &str) -> Result<(), String> {
        match (&self.env, &self.file) {
            (Some(_), None) | (None, Some(_)) => Ok(()),
            _ => Err(format!(
                "{what} needs exactly one of `env = \"VAR\"` or `file = \"path\"`"
            )),
        }
    }

    /// Reads the material (never included in errors).
    pub fn read(&self, what: &str, base: Option<&Path>) -> Result<SecretBytes, String> {
        self.validate(what)?;
        let bytes = if let Some(var) = &self.env {
            std::env::var_os(var)
                .ok_or_else(|| format!("{what}: environment variable {var} is not set"))?
                .into_encoded_bytes()
        } else {
            let path = resolve(base, self.file.as_ref().expect("validated"));
            let mut bytes = std::fs::read(&path)
                .map_err(|e| format!("{what}: cannot read {}: {e}", path.display()))?;
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            bytes
        };
        if bytes.is_empty() {
            return Err(format!("{what} is empty"));
        }
        Ok(SecretBytes::new(bytes))
    }
}

/// `path` against the config directory when relative.
pub fn resolve(base: Option<&Path>, path: &Path) -> PathBuf {
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}

/// The named resources one plugin was given (`keys`, `secrets`, `jwt` under its
/// `[plugins.<name>]`), checked against its grants and the defined names.
pub fn check_named_grants(
    plugin: &str,
    grants: &[Capability],
    listed: [(&str, Capability, &[String], Vec<&String>); 3],
) -> Result<(), String> {
    for (field, capability, names, defined) in listed {
        if !names.is_empty() && !grants.contains(&capability) {
            return Err(format!(
                "plugins.{plugin}.{field} is set but capability `{capability}` is not granted; add \"{capability}\" to plugins.{plugin}.grants"
            ));
        }
        for name in names {
            if !defined.contains(&name) {
                return Err(format!(
                    "plugins.{plugin}.{field} names `{name}`, which is not defined; add a [{field}.{name}] section"
                ));
            }
        }
    }
    Ok(())
}

/// Reads the material of the `names` among `defined` (keys or secrets).
pub fn read_named(
    section: &str,
    names: &[String],
    defined: &BTreeMap<String, SecretSource>,
    base: Option<&Path>,
    min_len: usize,
) -> Result<BTreeMap<String, SecretBytes>, String> {
    let mut out = BTreeMap::new();
    for name in names {
        let source = defined
            .get(name)
            .ok_or_else(|| format!("[{section}.{name}] is not defined"))?;
        let what = format!("{section}.{name}");
        let bytes = source.read(&what, base)?;
        if bytes.expose().len() < min_len {
            return Err(format!(
                "{what} is {} bytes; use at least {min_len} random bytes",
                bytes.expose().len()
            ));
        }
        out.insert(name.clone(), bytes);
    }
    Ok(out)
}
