//! Loading a plugin version: read, digest, compile (off the async runtime), validate the
//! world, exports and imports, pre-instantiate, and for app plugins call `create-app`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{types::ComponentItem, Component, Linker};

use super::fresh::FreshInstances;
use super::grants::{judge_import, ImportVerdict};
use super::{Capability, LoadedPlugin, PluginInfo, PluginKind, PluginSettings, RouteSpec};
use crate::bindings::exports::mlauth::plugin::{app, authenticator};
use crate::sandbox::Sandbox;
use crate::state::HostState;

/// Why a plugin could not be loaded. Every message names the problem and the fix.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The file could not be read.
    #[error("cannot read plugin {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a WebAssembly binary at all.
    #[error("{origin} is not a WebAssembly file (no `\\0asm` header)")]
    NotWasm {
        /// Where the bytes came from.
        origin: String,
    },
    /// A core module instead of a component.
    #[error("{origin} is a core WebAssembly module, not a component: build it for `wasm32-wasip2` or wrap it with `wasm-tools component new`")]
    NotAComponent {
        /// Where the bytes came from.
        origin: String,
    },
    /// The digest pinned in the config does not match.
    #[error("{origin} has sha256 {actual} but the config pins {expected}")]
    DigestMismatch {
        /// Where the bytes came from.
        origin: String,
        /// Configured digest.
        expected: String,
        /// Actual digest.
        actual: String,
    },
    /// Cranelift rejected it.
    #[error("{origin} failed to compile: {message}")]
    Compile {
        /// Where the bytes came from.
        origin: String,
        /// Compiler message.
        message: String,
    },
    /// It does not export `mlauth:plugin/authenticator`.
    #[error("{origin} does not implement an mlauth world: it exports [{exports}] but must export `mlauth:plugin/authenticator@{version}` (world `authenticator-plugin`, or `app-plugin` which also exports `mlauth:plugin/app`)", version = super::WIT_VERSION)]
    WrongWorld {
        /// Where the bytes came from.
        origin: String,
        /// What it does export.
        exports: String,
    },
    /// It imports a capability the operator did not grant.
    #[error("{origin} imports capability `{capability}` which is not granted; add `grants = [\"{capability}\"]` under [plugins.{name}] in the mlauth config if you trust it with that")]
    UngrantedImport {
        /// Where the bytes came from.
        origin: String,
        /// App name.
        name: String,
        /// The capability.
        capability: Capability,
    },
    /// It imports a capability this host version does not provide yet.
    #[error(
        "{origin} imports capability `{capability}` which this mlauth version does not provide"
    )]
    UnavailableCapability {
        /// Where the bytes came from.
        origin: String,
        /// The capability.
        capability: Capability,
    },
    /// It imports something mlauth does not offer at all.
    #[error("{origin} imports `{import}`, which mlauth does not provide (only `wasi:*` and `mlauth:plugin/*` interfaces are available)")]
    UnknownImport {
        /// Where the bytes came from.
        origin: String,
        /// The import name.
        import: String,
    },
    /// Import types did not match the host's (e.g. an incompatible WIT version).
    #[error("{origin} cannot be linked: {message}")]
    Link {
        /// Where the bytes came from.
        origin: String,
        /// Linker message.
        message: String,
    },
    /// `create-app` failed, returned bad routes, or clashed with the host.
    #[error("{origin}: create-app failed: {message}")]
    CreateApp {
        /// Where the bytes came from.
        origin: String,
        /// What went wrong.
        message: String,
    },
}

/// Where plugin bytes come from.
#[derive(Debug, Clone)]
pub enum PluginSource {
    /// A `.wasm` file on disk.
    File(PathBuf),
    /// Bytes compiled into the binary (the built-in basic-auth plugin).
    Builtin {
        /// Display name.
        name: &'static str,
        /// Component bytes.
        bytes: &'static [u8],
    },
}

impl PluginSource {
    /// Where the bytes come from, for messages (`path` or `builtin:name`).
    pub fn origin(&self) -> String {
        match self {
            PluginSource::File(path) => path.display().to_string(),
            PluginSource::Builtin { name, .. } => format!("builtin:{name}"),
        }
    }

    async fn read(&self) -> Result<Vec<u8>, PluginError> {
        match self {
            PluginSource::File(path) => {
                tokio::fs::read(path)
                    .await
                    .map_err(|source| PluginError::Read {
                        path: path.clone(),
                        source,
                    })
            }
            PluginSource::Builtin { bytes, .. } => Ok(bytes.to_vec()),
        }
    }
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Loads one plugin version for app `name`. `host_routes` are the routes the host serves
/// itself (handed to `create-app`; a plugin route overlapping one is an error).
pub async fn load_plugin(
    sandbox: &Sandbox,
    linker: &Arc<Linker<HostState>>,
    name: &str,
    source: &PluginSource,
    settings: &PluginSettings,
    host_routes: &[RouteSpec],
) -> Result<LoadedPlugin, PluginError> {
    let origin = source.origin();
    let bytes = source.read().await?;
    load_plugin_bytes(sandbox, linker, name, &origin, bytes, settings, host_routes).await
}

/// [`load_plugin`] for bytes already read (`origin` names where they came from).
pub async fn load_plugin_bytes(
    sandbox: &Sandbox,
    linker: &Arc<Linker<HostState>>,
    name: &str,
    origin: &str,
    bytes: Vec<u8>,
    settings: &PluginSettings,
    host_routes: &[RouteSpec],
) -> Result<LoadedPlugin, PluginError> {
    let origin = origin.to_string();
    check_header(&bytes, &origin)?;
    let sha256 = sha256_hex(&bytes);
    if let Some(expected) = &settings.sha256 {
        if !expected.eq_ignore_ascii_case(&sha256) {
            return Err(PluginError::DigestMismatch {
                origin,
                expected: expected.clone(),
                actual: sha256,
            });
        }
    }
    let size = bytes.len();
    let component = compile(sandbox, bytes, &sha256, &origin).await?;
    let kind = check_exports(sandbox, &component, &origin)?;
    check_imports(sandbox, &component, &origin, name, &settings.grants)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| PluginError::Link {
            origin: origin.clone(),
            message: format!("{e:#}"),
        })?;
    let link_err = |e: wasmtime::Error| PluginError::Link {
        origin: origin.clone(),
        message: format!("{e:#}"),
    };
    let authenticator = authenticator::GuestIndices::new(&pre).map_err(link_err)?;
    let app = match kind {
        PluginKind::App => Some(app::GuestIndices::new(&pre).map_err(link_err)?),
        PluginKind::Function => None,
    };
    let info = Arc::new(PluginInfo {
        name: name.to_string(),
        sha256,
        origin: origin.clone(),
        size,
        kind,
        config: settings.config.clone(),
        grants: settings.grants.clone(),
        services: settings.services.clone(),
        request_headers: settings.request_headers.clone(),
    });
    let fresh = Arc::new(FreshInstances::new(pre, info.clone(), sandbox.clone()));
    let mut plugin = LoadedPlugin {
        info,
        routes: Vec::new(),
        fresh,
        authenticator,
        app,
        sandbox: sandbox.clone(),
    };
    if kind == PluginKind::App {
        plugin.routes = create_app(&plugin, host_routes).await?;
    }
    plugin.fresh.settle_target().await;
    plugin.prewarm();
    Ok(plugin)
}

/// Refuses bytes that are not a WebAssembly component, naming what they are instead.
pub fn check_header(bytes: &[u8], origin: &str) -> Result<(), PluginError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(PluginError::NotWasm {
            origin: origin.to_string(),
        });
    }
    if bytes[4..8] == [1, 0, 0, 0] {
        return Err(PluginError::NotAComponent {
            origin: origin.to_string(),
        });
    }
    Ok(())
}

/// Compiles off the async runtime: the last compiled component when the digest is the same,
/// else the on-disk cache (when enabled), else Cranelift.
async fn compile(
    sandbox: &Sandbox,
    bytes: Vec<u8>,
    sha256: &str,
    origin: &str,
) -> Result<Component, PluginError> {
    let last = sandbox.last_compiled.clone();
    if let Some((sha, component)) = last.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        if sha == sha256 {
            return Ok(component.clone());
        }
    }
    let engine = sandbox.engine.clone();
    let cache = sandbox.cache.clone();
    let sha = sha256.to_string();
    tokio::task::spawn_blocking(move || {
        let component = match &cache {
            Some(cache) => cache.load_or_compile(&engine, &bytes, &sha),
            None => Component::new(&engine, &bytes),
        }?;
        *last.lock().unwrap_or_else(|e| e.into_inner()) = Some((sha, component.clone()));
        Ok::<_, wasmtime::Error>(component)
    })
    .await
    .map_err(|e| PluginError::Compile {
        origin: origin.to_string(),
        message: e.to_string(),
    })?
    .map_err(|e| PluginError::Compile {
        origin: origin.to_string(),
        message: format!("{e:#}"),
    })
}

/// Whether export `name` is `mlauth:plugin/<interface>` at a version this host speaks.
fn is_mlauth_export(name: &str, interface: &str) -> bool {
    let Some((base, version)) = name.split_once('@') else {
        return false;
    };
    base == format!("mlauth:plugin/{interface}") && version.starts_with("0.1.")
}

fn check_exports(
    sandbox: &Sandbox,
    component: &Component,
    origin: &str,
) -> Result<PluginKind, PluginError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(&sandbox.engine)
        .map(|(name, _)| name.to_string())
        .collect();
    kind_from_exports(&exports).ok_or_else(|| PluginError::WrongWorld {
        origin: origin.to_string(),
        exports: exports.join(", "),
    })
}

/// The world a component implements, judged by its export names.
pub fn kind_from_exports(exports: &[String]) -> Option<PluginKind> {
    let has = |iface: &str| exports.iter().any(|e| is_mlauth_export(e, iface));
    match (has("authenticator"), has("app")) {
        (true, true) => Some(PluginKind::App),
        (true, false) => Some(PluginKind::Function),
        _ => None,
    }
}

fn check_imports(
    sandbox: &Sandbox,
    component: &Component,
    origin: &str,
    name: &str,
    granted: &[Capability],
) -> Result<(), PluginError> {
    let ty = component.component_type();
    for (import, item) in ty.imports(&sandbox.engine) {
        if matches!(item.ty, ComponentItem::Type(_)) {
            continue;
        }
        match judge_import(import, granted) {
            ImportVerdict::Allowed => {}
            ImportVerdict::Granted(capability) if !capability.is_implemented() => {
                return Err(PluginError::UnavailableCapability {
                    origin: origin.to_string(),
                    capability,
                })
            }
            ImportVerdict::Granted(_) => {}
            ImportVerdict::NotGranted(capability) => {
                return Err(PluginError::UngrantedImport {
                    origin: origin.to_string(),
                    name: name.to_string(),
                    capability,
                })
            }
            ImportVerdict::Unknown => {
                return Err(PluginError::UnknownImport {
                    origin: origin.to_string(),
                    import: import.to_string(),
                })
            }
        }
    }
    Ok(())
}

async fn create_app(
    plugin: &LoadedPlugin,
    host_routes: &[RouteSpec],
) -> Result<Vec<RouteSpec>, PluginError> {
    let origin = plugin.info.origin.clone();
    let err = |message: String| PluginError::CreateApp {
        origin: origin.clone(),
        message,
    };
    let wit_routes: Vec<_> = host_routes.iter().map(RouteSpec::to_wit).collect();
    let answer = plugin
        .create_app(&wit_routes)
        .await
        .map_err(|e| err(e.to_string()))?;
    let routes = answer.map_err(|msg| err(format!("the plugin refused to start: {msg}")))?;
    let routes = routes
        .into_iter()
        .map(RouteSpec::from_wit)
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    for route in &routes {
        if let Some(host) = host_routes.iter().find(|h| h.overlaps(route)) {
            return Err(err(format!(
                "route {} clashes with host route {}",
                route.path, host.path
            )));
        }
    }
    Ok(routes)
}

/// Reads a plugin file's digest without loading it.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    Ok(sha256_hex(&std::fs::read(path)?))
}
