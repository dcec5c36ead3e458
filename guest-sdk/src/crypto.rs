//! The `crypto` capability: SHA-256, secure random bytes, constant-time equality, and
//! HMAC-SHA256 with keys the host holds (the plugin names a key; its bytes never enter the
//! plugin). Grant with `grants = ["crypto"]` and `keys = ["<name>"]`.
//!
//! Off-wasm (in a plugin's unit tests) HMAC keys come from [`set_key_for_test`] and the
//! primitives are small local implementations.

use crate::prelude::*;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    imp::sha256(data)
}

/// `len` random bytes from the host's secure generator (at most 1024).
pub fn random_bytes(len: u32) -> Vec<u8> {
    imp::random_bytes(len)
}

/// Whether `a == b`, in time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    crate::ct_eq(a, b)
}

/// HMAC-SHA256 of `data` under the host key `key`; `Err` names a key that is not granted.
pub fn hmac_sign(key: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    imp::hmac_sign(key, data)
}

/// Whether `tag` is the HMAC-SHA256 of `data` under key `key` (constant time).
pub fn hmac_verify(key: &str, data: &[u8], tag: &[u8]) -> Result<bool, String> {
    imp::hmac_verify(key, data, tag)
}

/// Lower-case hex of `bytes` (for tokens and kv keys).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::prelude::*;
    use crate::wit::crypto;

    pub(super) fn sha256(data: &[u8]) -> Vec<u8> {
        crypto::sha256(data)
    }

    pub(super) fn random_bytes(len: u32) -> Vec<u8> {
        crypto::random_bytes(len)
    }

    pub(super) fn hmac_sign(key: &str, data: &[u8]) -> Result<Vec<u8>, String> {
        crypto::hmac_sign(key, data)
    }

    pub(super) fn hmac_verify(key: &str, data: &[u8], tag: &[u8]) -> Result<bool, String> {
        crypto::hmac_verify(key, data, tag)
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use imp::set_key_for_test;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    //! Test doubles: a deterministic "hash" and "MAC" that are *not* cryptographic, only
    //! distinct per input and key, so plugin logic can be unit-tested off-wasm.
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        static KEYS: RefCell<BTreeMap<String, Vec<u8>>> = const { RefCell::new(BTreeMap::new()) };
        static COUNTER: RefCell<u64> = const { RefCell::new(0) };
    }

    /// Defines an HMAC key for the current thread. Only available off-wasm.
    pub fn set_key_for_test(name: &str, key: &[u8]) {
        KEYS.with_borrow_mut(|keys| keys.insert(name.to_owned(), key.to_vec()));
    }

    fn mix(parts: &[&[u8]]) -> Vec<u8> {
        // FNV-1a over the parts with separators, stretched to 32 bytes.
        let mut out = Vec::with_capacity(32);
        for round in 0u8..4 {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(round);
            for part in parts {
                for &b in part.iter().chain([0xffu8].iter()) {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
            out.extend_from_slice(&h.to_le_bytes());
        }
        out
    }

    pub(super) fn sha256(data: &[u8]) -> Vec<u8> {
        mix(&[data])
    }

    pub(super) fn random_bytes(len: u32) -> Vec<u8> {
        let n = COUNTER.with_borrow_mut(|c| {
            *c += 1;
            *c
        });
        let mut out = Vec::new();
        while out.len() < len as usize {
            out.extend(mix(&[&n.to_le_bytes(), &out.len().to_le_bytes()]));
        }
        out.truncate(len as usize);
        out
    }

    fn key(name: &str) -> Result<Vec<u8>, String> {
        KEYS.with_borrow(|keys| keys.get(name).cloned())
            .ok_or_else(|| format!("key `{name}` is not granted to this plugin"))
    }

    pub(super) fn hmac_sign(name: &str, data: &[u8]) -> Result<Vec<u8>, String> {
        Ok(mix(&[&key(name)?, data]))
    }

    pub(super) fn hmac_verify(name: &str, data: &[u8], tag: &[u8]) -> Result<bool, String> {
        Ok(crate::ct_eq(&hmac_sign(name, data)?, tag))
    }
}
