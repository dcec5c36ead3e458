//! Host interfaces a plugin may import. Each capability is one file and is linked once per
//! process; which plugin may *use* it is decided at load time from its grants
//! (see [`crate::plugin::grants`]).

pub mod config;
pub mod crypto;
pub mod jwks;
pub mod jwt;
pub mod kv;
pub mod log;
pub mod output;
pub mod secrets;
pub mod services;
pub mod settings;
pub mod store_users;
pub mod users;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker};

use crate::bindings::mlauth::plugin as wit;
use crate::state::HostState;

/// Adds WASI p2 (with no ambient authority, see [`HostState::new`]) and every mlauth host
/// interface to `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wit::log::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    wit::config::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    wit::users::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    wit::kv::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    wit::crypto::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    wit::jwt::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    wit::secrets::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    Ok(())
}

/// Longest a single host call a plugin awaits may take (then it traps; the request is
/// refused with 503).
pub const HOST_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A host backend the plugin awaited (the kv store, a JWKS fetch) failed or timed out. The
/// call traps and the request is refused with 503, as when the user store is down: the
/// service is unavailable, the plugin did nothing wrong.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendUnavailable(pub String);

/// Runs one host call the plugin awaits under [`HOST_CALL_TIMEOUT`], outside the plugin's
/// CPU deadline (the time is added to `host_time`). An error or the timeout traps with
/// [`BackendUnavailable`].
pub(crate) async fn timed_call<T, E: std::fmt::Display>(
    state: &mut HostState,
    what: &'static str,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> wasmtime::Result<T> {
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(HOST_CALL_TIMEOUT, call).await;
    state.host_time += started.elapsed();
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(wasmtime::Error::new(BackendUnavailable(format!(
            "{what} failed: {err}"
        )))),
        Err(_) => Err(wasmtime::Error::new(BackendUnavailable(format!(
            "{what} timed out"
        )))),
    }
}

/// Backends behind the granted capabilities of one plugin (absent or empty = not offered).
/// Named resources (keys, secrets, JWT key sets) hold only those granted to the plugin, so
/// a name it was not given is indistinguishable from one that does not exist.
#[derive(Clone, Default)]
pub struct HostServices {
    /// Backend of the `users` capability.
    pub users: Option<Arc<dyn users::UserDirectory>>,
    /// Backend of the `kv` capability.
    pub kv: Option<crate::store::KvStore>,
    /// HMAC keys granted to the plugin (`crypto`), by name.
    pub keys: std::collections::BTreeMap<String, settings::SecretBytes>,
    /// Secrets granted to the plugin (`secrets`), by name.
    pub secrets: std::collections::BTreeMap<String, settings::SecretBytes>,
    /// JWT key sets granted to the plugin (`jwt`), by name.
    pub jwt: std::collections::BTreeMap<String, Arc<jwks::KeySet>>,
}

impl HostServices {
    /// A digest of what the backends hold: which stores are attached, and each key's,
    /// secret's and JWT key set's name and material. Two sets of backends that differ in
    /// any of these differ here (a reload compares them); the material only enters the
    /// digest, never a log line.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(format!(
            "users={} kv={}\n",
            self.users.is_some(),
            self.kv.is_some()
        ));
        for (kind, named) in [("key", &self.keys), ("secret", &self.secrets)] {
            for (name, material) in named {
                let bytes = material.expose();
                hash.update(format!("{kind} {name} {}\n", bytes.len()));
                hash.update(bytes);
            }
        }
        for (name, set) in &self.jwt {
            hash.update(format!("jwt {name} {}\n", set.describe()));
        }
        hex::encode(hash.finalize())
    }
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: key and secret material never reaches a log line.
        f.debug_struct("HostServices")
            .field("users", &self.users.is_some())
            .field("kv", &self.kv.is_some())
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("jwt", &self.jwt.keys().collect::<Vec<_>>())
            .finish()
    }
}
