//! Plugins: loading (once per plugin version) and invoking (once per request).
//!
//! * [`load`] compiles a component off the async runtime, checks what it exports and imports
//!   against the WIT contract and the operator's grants, and pre-instantiates it.
//! * [`invoke`] runs one call in a fresh [`wasmtime::Store`] with a memory cap and a deadline,
//!   and turns every failure into an [`InvokeError`] (the caller fails closed).
//! * `fresh` makes those stores and instances, a few of them ahead of the requests
//!   (`sandbox.warm_instances`, decided per plugin version by [`warm`]), and drops answered
//!   ones off the request's latency.

pub mod cache;
mod fresh;
pub mod grants;
pub mod invoke;
pub mod load;
pub mod request_headers;
pub mod routes;
pub mod types;
pub mod warm;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::bindings::exports::mlauth::plugin::{app, authenticator};
use crate::sandbox::Sandbox;

pub use grants::Capability;
pub use invoke::InvokeError;
pub use load::{load_plugin, PluginError, PluginSource};
pub use request_headers::RequestHeaders;
pub use routes::RouteSpec;
pub use types::{Identity, PluginRequest, PluginResponse};

/// The WIT package version this host implements.
pub const WIT_VERSION: &str = "0.1.0";

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    /// `authenticator-plugin`: exports only `authenticate` (MLflow's `authorization_function`).
    Function,
    /// `app-plugin`: `authenticate` plus `create-app` and `handle` (MLflow's app factory).
    App,
}

impl PluginKind {
    /// The WIT world name.
    pub fn world(self) -> &'static str {
        match self {
            PluginKind::Function => "authenticator-plugin",
            PluginKind::App => "app-plugin",
        }
    }
}

/// What the operator configured for one plugin (from `[plugins.<name>]`).
#[derive(Debug, Clone, Default)]
pub struct PluginSettings {
    /// Plain settings readable through `mlauth:plugin/config`.
    pub config: BTreeMap<String, String>,
    /// Capabilities beyond `log` and `config` the plugin may import.
    pub grants: Vec<Capability>,
    /// Expected sha256 of the component (hex); loading fails on mismatch.
    pub sha256: Option<String>,
    /// Backends for granted capabilities.
    pub services: crate::host::HostServices,
    /// The request headers the plugin is shown (all by default).
    pub request_headers: RequestHeaders,
}

/// Identity and settings of one loaded plugin version, shared with every instance.
#[derive(Debug)]
pub struct PluginInfo {
    /// The app name the plugin serves (`--app-name`).
    pub name: String,
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// Where it came from (a file, or "builtin").
    pub origin: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// Function or app plugin.
    pub kind: PluginKind,
    /// The plugin's settings.
    pub config: BTreeMap<String, String>,
    /// Capabilities granted to it.
    pub grants: Vec<Capability>,
    /// Backends of the host capabilities.
    pub services: crate::host::HostServices,
    /// The request headers the plugin is shown (all by default).
    pub request_headers: RequestHeaders,
}

impl PluginInfo {
    /// The first 12 hex digits of the sha256, for log lines.
    pub fn short_sha(&self) -> &str {
        &self.sha256[..self.sha256.len().min(12)]
    }
}

/// A compiled, validated, pre-instantiated plugin version. Cheap to share (`Arc`); each
/// request gets a fresh instance of it (made ahead of time when one is ready).
pub struct LoadedPlugin {
    /// Name, digest, kind, settings.
    pub info: Arc<PluginInfo>,
    /// Routes the plugin added through `create-app` (empty for function plugins).
    pub routes: Vec<RouteSpec>,
    fresh: Arc<fresh::FreshInstances>,
    authenticator: authenticator::GuestIndices,
    app: Option<app::GuestIndices>,
    sandbox: Sandbox,
}

impl LoadedPlugin {
    /// Starts making the version's [`Self::warm_target`] instances ahead of the first requests.
    pub fn prewarm(&self) {
        self.fresh.prewarm();
    }

    /// Instances this version keeps made ahead (`sandbox.warm_instances`, with `auto`
    /// decided at load); 0 when every request instantiates inline.
    pub fn warm_target(&self) -> usize {
        self.fresh.target()
    }

    /// Fresh instances currently made ahead and waiting for a request.
    pub fn warm_ready(&self) -> usize {
        self.fresh.ready()
    }
}

impl Drop for LoadedPlugin {
    /// A retired version (replaced by a reload) releases its made-ahead instances at once.
    fn drop(&mut self) {
        self.fresh.close();
    }
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("info", &self.info)
            .field("routes", &self.routes)
            .finish()
    }
}

/// Where installed plugins live, and the path of one named plugin.
pub fn installed_path(dir: &std::path::Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.wasm"))
}
