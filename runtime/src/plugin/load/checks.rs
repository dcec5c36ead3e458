//! The checks a component passes before it is linked: a component header, the exports of
//! an mlauth world, and only imports the host provides and the operator granted.

use wasmtime::component::{types::ComponentItem, Component};

use super::PluginError;
use crate::plugin::grants::{judge_import, ImportVerdict};
use crate::plugin::{Capability, PluginKind};
use crate::sandbox::Sandbox;

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

/// Whether export `name` is `mlauth:plugin/<interface>` at a version this host speaks.
fn is_mlauth_export(name: &str, interface: &str) -> bool {
    let Some((base, version)) = name.split_once('@') else {
        return false;
    };
    base == format!("mlauth:plugin/{interface}") && version.starts_with("0.1.")
}

/// The world the component implements, judged by its exports ([`kind_from_exports`]).
pub(super) fn check_exports(
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

/// Refuses an import that is not granted, not provided yet, or not offered by mlauth at all.
pub(super) fn check_imports(
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
