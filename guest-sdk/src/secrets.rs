//! The `secrets` capability: secrets the operator gave the host (from an environment
//! variable or a file) and granted to this plugin by name. Grant with
//! `grants = ["secrets"]` and `secrets = ["<name>"]`. Never log them.
//!
//! Off-wasm (in a plugin's unit tests) secrets come from [`set_for_test`].

use crate::prelude::*;

/// The secret `name`, or `None` when it is not granted to this plugin.
pub fn get(name: &str) -> Option<String> {
    imp::get(name)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub(super) use crate::wit::secrets::get;
}

#[cfg(not(target_arch = "wasm32"))]
pub use imp::set_for_test;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        static SECRETS: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// Sets (`Some`) or removes (`None`) a secret for the current thread. Only available
    /// off-wasm, for unit tests of a plugin.
    pub fn set_for_test(name: &str, value: Option<&str>) {
        SECRETS.with_borrow_mut(|s| match value {
            Some(v) => s.insert(name.to_owned(), v.to_owned()),
            None => s.remove(name),
        });
    }

    pub(super) fn get(name: &str) -> Option<String> {
        SECRETS.with_borrow(|s| s.get(name).cloned())
    }
}
