//! The app registry: mlauth's stand-in for MLflow's `mlflow.app` entry points. An app name
//! resolves to an installed plugin (`<dir>/<name>.wasm`) or to a plugin built into the
//! binary; `mlauth plugins install|list|inspect` manage the directory.

use std::path::{Path, PathBuf};

use wasmtime::component::{types::ComponentItem, Component};

use crate::plugin::load::sha256_hex;
use crate::plugin::{installed_path, PluginKind, PluginSource};
use crate::sandbox::Sandbox;

/// Environment variable naming the plugin directory.
pub const PLUGINS_DIR_ENV: &str = "MLAUTH_PLUGINS_DIR";

/// The built-in basic-auth plugin (`example-plugins/basic-auth`, built by `build.rs`).
pub const BUILTIN_BASIC_AUTH: &[u8] = include_bytes!(env!("MLAUTH_BUILTIN_BASIC_AUTH"));

/// The name of MLflow's built-in app.
pub const BASIC_AUTH_APP: &str = "basic-auth";

/// Plugins compiled into the binary, by app name.
pub fn builtin_plugins() -> Vec<(&'static str, PluginSource)> {
    vec![(
        BASIC_AUTH_APP,
        PluginSource::Builtin {
            name: BASIC_AUTH_APP,
            bytes: BUILTIN_BASIC_AUTH,
        },
    )]
}

/// Capabilities a built-in plugin gets without configuration.
pub fn builtin_grants(name: &str) -> Vec<crate::plugin::Capability> {
    match name {
        BASIC_AUTH_APP => vec![crate::plugin::Capability::Users],
        _ => Vec::new(),
    }
}

/// Errors resolving or installing apps.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No installed or built-in app has this name.
    #[error("unknown app `{name}`; available apps: [{available}] (install one with `mlauth plugins install FILE --name {name}`, or pass --plugin FILE)")]
    Unknown {
        /// Requested name.
        name: String,
        /// Names that exist.
        available: String,
    },
    /// An app name that cannot be a file name.
    #[error("invalid app name {0:?}: use letters, digits, `-` and `_`")]
    BadName(String),
    /// File system trouble.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The component could not be read as a plugin.
    #[error(transparent)]
    Plugin(#[from] crate::plugin::PluginError),
}

/// One row of `mlauth plugins list` / the result of `inspect`.
#[derive(Debug, Clone)]
pub struct PluginListing {
    /// App name (file stem) or file path.
    pub name: String,
    /// World, when it implements one.
    pub world: Option<&'static str>,
    /// WIT package version of its mlauth exports.
    pub wit_version: Option<String>,
    /// Size in bytes.
    pub size: usize,
    /// Hex sha256.
    pub sha256: String,
    /// Export names.
    pub exports: Vec<String>,
    /// Import names (what it asks the host for).
    pub imports: Vec<String>,
}

/// The directory of installed plugins.
pub struct AppRegistry {
    dir: PathBuf,
}

impl AppRegistry {
    /// Uses `dir`, else `$MLAUTH_PLUGINS_DIR`, else the per-user data directory.
    pub fn new(dir: Option<PathBuf>) -> Self {
        let dir = dir
            .or_else(|| std::env::var_os(PLUGINS_DIR_ENV).map(PathBuf::from))
            .unwrap_or_else(|| {
                dirs::data_dir()
                    .unwrap_or_else(|| PathBuf::from("."))
                    .join("mlauth")
                    .join("plugins")
            });
        Self { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Resolves an app name: installed plugins first, then built-ins.
    pub fn resolve(&self, name: &str) -> Result<PluginSource, AppError> {
        check_name(name)?;
        let path = installed_path(&self.dir, name);
        if path.is_file() {
            return Ok(PluginSource::File(path));
        }
        if let Some((_, source)) = builtin_plugins().into_iter().find(|(n, _)| *n == name) {
            return Ok(source);
        }
        Err(AppError::Unknown {
            name: name.to_string(),
            available: self.names().join(", "),
        })
    }

    /// Installed and built-in app names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = builtin_plugins()
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "wasm") {
                    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                        names.push(stem.to_string());
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Validates `file` as a plugin and copies it in as `<name>.wasm` (atomically).
    pub fn install(
        &self,
        sandbox: &Sandbox,
        file: &Path,
        name: &str,
    ) -> Result<PluginListing, AppError> {
        check_name(name)?;
        let bytes = std::fs::read(file).map_err(|source| AppError::Io {
            action: "cannot read",
            path: file.into(),
            source,
        })?;
        let listing = inspect_bytes(sandbox, &bytes, name)?;
        if listing.world.is_none() {
            return Err(crate::plugin::PluginError::WrongWorld {
                origin: file.display().to_string(),
                exports: listing.exports.join(", "),
            }
            .into());
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| AppError::Io {
            action: "cannot create",
            path: self.dir.clone(),
            source,
        })?;
        let target = installed_path(&self.dir, name);
        // A new file with an unpredictable name (O_EXCL, mode 0600), renamed over the target:
        // no symlink planted in a shared directory can redirect the write.
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| AppError::Io {
                action,
                path,
                source,
            }
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".wasm.tmp")
            .tempfile_in(&self.dir)
            .map_err(io("cannot write", &self.dir))?;
        std::io::Write::write_all(&mut tmp, &bytes).map_err(io("cannot write", tmp.path()))?;
        tmp.as_file()
            .sync_all()
            .map_err(io("cannot write", tmp.path()))?;
        tmp.persist(&target)
            .map_err(|e| io("cannot install", &target)(e.error))?;
        Ok(listing)
    }

    /// Every installed and built-in plugin, inspected.
    pub fn list(&self, sandbox: &Sandbox) -> Vec<Result<PluginListing, AppError>> {
        self.names()
            .into_iter()
            .map(|name| match self.resolve(&name)? {
                PluginSource::File(path) => {
                    let bytes = std::fs::read(&path).map_err(|source| AppError::Io {
                        action: "cannot read",
                        path,
                        source,
                    })?;
                    inspect_bytes(sandbox, &bytes, &name)
                }
                PluginSource::Builtin { bytes, .. } => inspect_bytes(sandbox, bytes, &name),
            })
            .collect()
    }
}

fn check_name(name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::BadName(name.to_string()))
    }
}

/// Compiles `bytes` and reports its world, exports and imports without linking it.
pub fn inspect_bytes(
    sandbox: &Sandbox,
    bytes: &[u8],
    name: &str,
) -> Result<PluginListing, AppError> {
    let origin = name.to_string();
    crate::plugin::load::check_header(bytes, &origin)?;
    let component = Component::new(&sandbox.engine, bytes).map_err(|e| {
        crate::plugin::PluginError::Compile {
            origin: origin.clone(),
            message: format!("{e:#}"),
        }
    })?;
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(&sandbox.engine)
        .map(|(n, _)| n.to_string())
        .collect();
    let imports: Vec<String> = ty
        .imports(&sandbox.engine)
        .filter(|(_, item)| !matches!(item.ty, ComponentItem::Type(_)))
        .map(|(n, _)| n.to_string())
        .collect();
    let kind = crate::plugin::load::kind_from_exports(&exports);
    let wit_version = exports
        .iter()
        .find_map(|e| e.strip_prefix("mlauth:plugin/authenticator@"))
        .map(str::to_string);
    Ok(PluginListing {
        name: name.to_string(),
        world: kind.map(PluginKind::world),
        wit_version,
        size: bytes.len(),
        sha256: sha256_hex(bytes),
        exports,
        imports,
    })
}
