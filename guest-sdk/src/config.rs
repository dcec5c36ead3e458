//! The plugin's settings from the operator's config (`[plugins.<name>.config]`).
//!
//! Off-wasm (in a plugin's unit tests) the settings come from [`set_for_test`] instead.

use crate::prelude::*;

/// The value of setting `key`, or `None` when the operator did not set it.
pub fn get(key: &str) -> Option<String> {
    imp::get(key)
}

/// The names of every setting the operator gave this plugin.
pub fn keys() -> Vec<String> {
    imp::keys()
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub(super) use crate::wit::config::{get, keys};
}

#[cfg(not(target_arch = "wasm32"))]
pub use imp::set_for_test;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        static SETTINGS: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// Sets (`Some`) or removes (`None`) a setting for the current thread. Only available
    /// off-wasm, for unit tests of a plugin.
    pub fn set_for_test(key: &str, value: Option<&str>) {
        SETTINGS.with_borrow_mut(|settings| match value {
            Some(value) => settings.insert(key.to_owned(), value.to_owned()),
            None => settings.remove(key),
        });
    }

    pub(super) fn get(key: &str) -> Option<String> {
        SETTINGS.with_borrow(|settings| settings.get(key).cloned())
    }

    pub(super) fn keys() -> Vec<String> {
        SETTINGS.with_borrow(|settings| settings.keys().cloned().collect())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn test_settings_are_per_thread() {
        set_for_test("token", Some("t"));
        assert_eq!(get("token").as_deref(), Some("t"));
        assert_eq!(keys(), ["token"]);
        std::thread::spawn(|| assert_eq!(get("token"), None))
            .join()
            .unwrap();
        set_for_test("token", None);
        assert_eq!(get("token"), None);
    }
}
