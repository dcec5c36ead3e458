//! Host interfaces a plugin may import. Each capability is one file and is linked once per
//! process; which plugin may *use* it is decided at load time from its grants
//! (see [`crate::plugin::grants`]).

pub mod config;
pub mod log;
pub mod output;
pub mod users;

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
    Ok(())
}

/// Longest a single host call a plugin awaits may take (then it traps; the request is
/// refused with 503).
pub const HOST_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Process-wide backends behind the granted capabilities (absent = the app offers none).
#[derive(Clone, Default)]
pub struct HostServices {
    /// Backend of the `users` capability.
    pub users: Option<Arc<dyn users::UserDirectory>>,
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostServices")
            .field("users", &self.users.is_some())
            .finish()
    }
}
