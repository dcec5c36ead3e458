//! The `jwt` capability: verify a JSON Web Token with a key set the host holds (a JWKS
//! file, or a JWKS URL the host fetches itself). Grant with `grants = ["jwt"]` and
//! `jwt = ["<key set>"]`. The plugin gets verified claims, never network access.
//!
//! Off-wasm (in a plugin's unit tests) results come from [`set_for_test`].

use crate::prelude::*;

use serde_json::{Map, Value};

/// What a token must satisfy beyond its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// Accepted issuers (`iss`); non-empty, and allowed by the host's key set config.
    pub issuers: Vec<String>,
    /// Accepted audiences (`aud` must contain one); non-empty.
    pub audiences: Vec<String>,
    /// Clock skew tolerated for `exp`/`nbf`, in seconds (at most 300).
    pub leeway_seconds: u32,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a well-formed token.
    Malformed(String),
    /// The key set is not configured or not granted.
    UnknownKeySet(String),
    /// No key matches the token's `kid`.
    UnknownKey(String),
    /// Bad signature or disallowed algorithm.
    BadSignature,
    /// `exp` passed (or missing).
    Expired,
    /// `nbf` in the future.
    NotYetValid,
    /// `iss` not accepted.
    WrongIssuer,
    /// `aud` not accepted.
    WrongAudience,
    /// The expectations are invalid.
    InvalidRequest(String),
    /// The key set could not be loaded.
    KeysUnavailable(String),
}

impl core::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            VerifyError::Malformed(m) => write!(f, "malformed token: {m}"),
            VerifyError::UnknownKeySet(m) => write!(f, "unknown key set: {m}"),
            VerifyError::UnknownKey(kid) => write!(f, "no key for kid {kid}"),
            VerifyError::BadSignature => f.write_str("bad signature"),
            VerifyError::Expired => f.write_str("token expired"),
            VerifyError::NotYetValid => f.write_str("token not yet valid"),
            VerifyError::WrongIssuer => f.write_str("issuer not accepted"),
            VerifyError::WrongAudience => f.write_str("audience not accepted"),
            VerifyError::InvalidRequest(m) => write!(f, "invalid verification request: {m}"),
            VerifyError::KeysUnavailable(m) => write!(f, "keys unavailable: {m}"),
        }
    }
}

/// The verified claims of a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims(Map<String, Value>);

impl Claims {
    /// Parses a JSON object.
    pub fn from_json(json: &str) -> Option<Claims> {
        match serde_json::from_str(json).ok()? {
            Value::Object(map) => Some(Claims(map)),
            _ => None,
        }
    }

    /// A string claim.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.as_str()
    }

    /// A claim holding a list of strings (a single string counts as a list of one; other
    /// items are skipped).
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every claim.
    pub fn all(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// Verifies `token` with key set `key_set`.
pub fn verify(key_set: &str, token: &str, expect: &Expectations) -> Result<Claims, VerifyError> {
    let json = imp::verify(key_set, token, expect)?;
    Claims::from_json(&json)
        .ok_or_else(|| VerifyError::Malformed("claims are not an object".into()))
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{Expectations, VerifyError};
    use crate::prelude::*;
    use crate::wit::jwt as raw;

    pub(super) fn verify(
        key_set: &str,
        token: &str,
        e: &Expectations,
    ) -> Result<String, VerifyError> {
        let expect = raw::Expectations {
            issuers: e.issuers.clone(),
            audiences: e.audiences.clone(),
            leeway_seconds: e.leeway_seconds,
        };
        raw::verify(key_set, token, &expect).map_err(|err| match err {
            raw::VerifyError::Malformed(m) => VerifyError::Malformed(m),
            raw::VerifyError::UnknownKeySet(m) => VerifyError::UnknownKeySet(m),
            raw::VerifyError::UnknownKey(m) => VerifyError::UnknownKey(m),
            raw::VerifyError::BadSignature => VerifyError::BadSignature,
            raw::VerifyError::Expired => VerifyError::Expired,
            raw::VerifyError::NotYetValid => VerifyError::NotYetValid,
            raw::VerifyError::WrongIssuer => VerifyError::WrongIssuer,
            raw::VerifyError::WrongAudience => VerifyError::WrongAudience,
            raw::VerifyError::InvalidRequest(m) => VerifyError::InvalidRequest(m),
            raw::VerifyError::KeysUnavailable(m) => VerifyError::KeysUnavailable(m),
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use imp::set_for_test;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::{Expectations, VerifyError};

    thread_local! {
        static RESULTS: RefCell<BTreeMap<String, Result<String, VerifyError>>> =
            const { RefCell::new(BTreeMap::new()) };
    }

    /// Decides what verifying `token` returns on the current thread (claims JSON or an
    /// error). Unknown tokens are `Malformed`. Only available off-wasm.
    pub fn set_for_test(token: &str, result: Result<&str, VerifyError>) {
        RESULTS.with_borrow_mut(|r| r.insert(token.to_owned(), result.map(str::to_owned)));
    }

    pub(super) fn verify(
        _key_set: &str,
        token: &str,
        _e: &Expectations,
    ) -> Result<String, VerifyError> {
        RESULTS
            .with_borrow(|r| r.get(token).cloned())
            .unwrap_or_else(|| Err(VerifyError::Malformed("unknown test token".into())))
    }
}
