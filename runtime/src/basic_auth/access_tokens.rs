//! Personal access tokens of basic-auth users (`docs/access-tokens.md`).
//!
//! A token is `mlat_<prefix>_<secret>`: `prefix` is 8 random lowercase letters and digits,
//! stored in clear to identify the token in listings and to find its row; `secret` is 32
//! random bytes, base64url without padding. Only the SHA-256 of the whole token is stored
//! (the secret has 256 bits of entropy, so a slow hash adds nothing); a presented token's hash
//! is compared in constant time with the stored ones of its prefix. Tokens expire (at most
//! [`MAX_EXPIRY_DAYS`] days after minting) and are revoked by deleting their row. Checks are
//! never cached: every use reads the store, so an expiry or a revocation made by any instance
//! applies to the next request everywhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::app::BasicAuthCore;
use crate::host::users::{DirectoryError, UserRecord};

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "mlat_";
/// Length of the public prefix.
pub const PREFIX_LEN: usize = 8;
/// Length of the base64url secret (32 bytes).
pub const SECRET_LEN: usize = 43;
/// Longest lifetime a token may be given.
pub const MAX_EXPIRY_DAYS: i64 = 366;
/// Lifetime when the request names none.
pub const DEFAULT_EXPIRY_DAYS: i64 = 30;
/// Live tokens a user may hold at once.
pub const MAX_TOKENS_PER_USER: i64 = 20;

const PREFIX_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + PREFIX_LEN + 1 + SECRET_LEN;
/// Milliseconds per day.
pub const DAY_MS: i64 = 86_400_000;

/// A freshly minted token: the string (shown once) and what is stored.
#[derive(Clone)]
pub struct MintedToken {
    /// The whole token; give it to the user once, never store or log it.
    pub token: String,
    /// Its public prefix.
    pub prefix: String,
    /// Hex SHA-256 of `token`.
    pub hash: String,
}

impl std::fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedToken")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Draws a new token from the OS random source.
pub fn mint() -> MintedToken {
    let prefix: String = (0..PREFIX_LEN)
        .map(|_| PREFIX_ALPHABET[OsRng.gen_range(0..PREFIX_ALPHABET.len())] as char)
        .collect();
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{prefix}_{}", URL_SAFE_NO_PAD.encode(secret));
    MintedToken {
        hash: token_hash(&token),
        prefix,
        token,
    }
}

/// Hex SHA-256 of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `candidate` has the exact shape of a token (it may still be unknown or dead).
pub fn looks_like_token(candidate: &str) -> bool {
    parse_prefix(candidate).is_some()
}

/// The public prefix of a well-formed token.
pub fn parse_prefix(token: &str) -> Option<&str> {
    if token.len() != TOKEN_LEN || !token.starts_with(TOKEN_PREFIX) {
        return None;
    }
    let rest = &token[TOKEN_PREFIX.len()..];
    let (prefix, tail) = rest.split_at(PREFIX_LEN);
    let secret = tail.strip_prefix('_')?;
    let prefix_ok = prefix.bytes().all(|b| PREFIX_ALPHABET.contains(&b));
    let secret_ok = secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (prefix_ok && secret_ok).then_some(prefix)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

impl BasicAuthCore {
    /// Checks a token: the owner when it is well-formed, known, unexpired and (when
    /// `username` is given, i.e. it came as a Basic password) minted for that username.
    pub async fn verify_token(
        &self,
        token: &str,
        username: Option<&str>,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        let Some(prefix) = parse_prefix(token) else {
            return Ok(None);
        };
        let presented = token_hash(token);
        let candidates = self
            .store
            .access_token_candidates(prefix)
            .await
            .map_err(|e| DirectoryError(e.to_string()))?;
        let now = now_ms();
        let mut found = None;
        for candidate in candidates {
            let same: bool = presented
                .as_bytes()
                .ct_eq(candidate.token_hash.as_bytes())
                .into();
            let live = candidate.token.expires_at > now;
            let owner_ok = username.is_none_or(|u| u == candidate.owner.username);
            if same && live && owner_ok {
                found = Some(UserRecord {
                    id: candidate.owner.id,
                    username: candidate.owner.username,
                    is_admin: candidate.owner.is_admin,
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_and_hash_consistently() {
        let a = mint();
        let b = mint();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), TOKEN_LEN);
        assert_eq!(parse_prefix(&a.token), Some(a.prefix.as_str()));
        assert_eq!(a.hash, token_hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(!format!("{a:?}").contains(&a.token));
    }

    #[test]
    fn malformed_tokens_are_not_tokens() {
        let good = mint().token;
        for bad in [
            String::new(),
            "mlat_".to_string(),
            good[..good.len() - 1].to_string(),
            format!("{good}x"),
            good.replacen("mlat_", "mlax_", 1),
            format!("mlat_ABCDEFGH_{}", &good[14..]),
            format!("{}!{}", &good[..20], &good[21..]),
            good.replacen('_', "-", 2),
        ] {
            assert!(!looks_like_token(&bad), "{bad:?}");
        }
    }
}
