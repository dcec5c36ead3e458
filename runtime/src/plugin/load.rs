//! Loading a plugin version: read, digest, compile (off the async runtime), validate the
//! world, exports and imports, pre-instantiate, and for app plugins call `create-app`.
//!
//! The error type is in `error`, where bytes come from in `source`, and the checks of a
//! component's header, exports and imports in `checks` (their public items re-exported here).

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};

use super::fresh::FreshInstances;
use super::{LoadedPlugin, PluginInfo, PluginKind, PluginSettings, RouteSpec};
use crate::bindings::exports::mlauth::plugin::{app, authenticator};
use crate::sandbox::Sandbox;
use crate::state::HostState;

mod checks;
mod error;
mod source;

use checks::{check_exports, check_imports};
pub use checks::{check_header, kind_from_exports};
pub use error::PluginError;
pub use source::PluginSource;

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

/// Calls an app plugin's `create-app` and checks its routes against the host's.
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
