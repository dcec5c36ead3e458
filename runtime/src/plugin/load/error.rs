//! [`PluginError`]: why a plugin could not be loaded, each message naming the problem
//! and the fix.

use std::path::PathBuf;

use crate::plugin::Capability;

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
    #[error("{origin} does not implement an mlauth world: it exports [{exports}] but must export `mlauth:plugin/authenticator@{version}` (world `authenticator-plugin`, or `app-plugin` which also exports `mlauth:plugin/app`)", version = crate::plugin::WIT_VERSION)]
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
