//! The `kv` capability: a key-value namespace of this plugin's own, in the app's database
//! (shared by every mlauth instance on that database). Grant with `grants = ["kv"]`.
//!
//! Keys are 1..=256 bytes, values at most 64 KiB, TTLs 1..=400 days; a call outside the
//! limits, or a database failure, traps (the request is refused). Off-wasm (in a plugin's
//! unit tests) the store is a per-thread map with a test clock ([`advance_clock_for_test`]).

use crate::prelude::*;

/// The value under `key`, or `None` when absent or expired. A counter reads as its decimal
/// text.
pub fn get(key: &str) -> Option<Vec<u8>> {
    imp::get(key)
}

/// Stores `value` under `key`, expiring after `ttl_seconds` when given.
pub fn set(key: &str, value: &[u8], ttl_seconds: Option<u32>) {
    imp::set(key, value, ttl_seconds)
}

/// Removes `key`; whether a live entry was removed.
pub fn delete(key: &str) -> bool {
    imp::delete(key)
}

/// Adds `delta` to the counter under `key` atomically and returns the new value. A new (or
/// expired) counter starts at 0 and expires `ttl_seconds` after this increment; a live one
/// keeps its expiry (a fixed window).
pub fn increment(key: &str, delta: i64, ttl_seconds: Option<u32>) -> i64 {
    imp::increment(key, delta, ttl_seconds)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub(super) use crate::wit::kv::{delete, get, increment, set};
}

#[cfg(not(target_arch = "wasm32"))]
pub use imp::advance_clock_for_test;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    struct Entry {
        value: Option<Vec<u8>>,
        counter: Option<i64>,
        expires: Option<u64>,
    }

    thread_local! {
        static NOW: RefCell<u64> = const { RefCell::new(0) };
        static MAP: RefCell<BTreeMap<String, Entry>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// Moves this thread's test clock forward (entries whose TTL passes expire). Only
    /// available off-wasm, for unit tests of a plugin.
    pub fn advance_clock_for_test(seconds: u64) {
        NOW.with_borrow_mut(|now| *now += seconds);
    }

    fn now() -> u64 {
        NOW.with_borrow(|now| *now)
    }

    fn live(entry: &Entry) -> bool {
        entry.expires.is_none_or(|at| at > now())
    }

    pub(super) fn get(key: &str) -> Option<Vec<u8>> {
        MAP.with_borrow(|map| {
            let entry = map.get(key).filter(|e| live(e))?;
            Some(match entry.counter {
                Some(n) => n.to_string().into_bytes(),
                None => entry.value.clone().unwrap_or_default(),
            })
        })
    }

    pub(super) fn set(key: &str, value: &[u8], ttl: Option<u32>) {
        let expires = ttl.map(|t| now() + u64::from(t));
        MAP.with_borrow_mut(|map| {
            map.insert(
                key.to_owned(),
                Entry {
                    value: Some(value.to_vec()),
                    counter: None,
                    expires,
                },
            )
        });
    }

    pub(super) fn delete(key: &str) -> bool {
        MAP.with_borrow_mut(|map| map.remove(key).is_some_and(|e| live(&e)))
    }

    pub(super) fn increment(key: &str, delta: i64, ttl: Option<u32>) -> i64 {
        MAP.with_borrow_mut(|map| {
            let fresh = map.get(key).is_none_or(|e| !live(e) || e.counter.is_none());
            if fresh {
                map.insert(
                    key.to_owned(),
                    Entry {
                        value: None,
                        counter: Some(0),
                        expires: ttl.map(|t| now() + u64::from(t)),
                    },
                );
            }
            let entry = map.get_mut(key).expect("inserted above");
            let count = entry.counter.unwrap_or_default() + delta;
            entry.counter = Some(count);
            count
        })
    }
}
