//! Cache of successful basic-auth credential checks (reference §9.2, `auth_cache_ttl_seconds`).
//!
//! An entry is keyed by `HMAC-SHA256(k, len(username) ‖ username ‖ 0x00 ‖ password)`, `k` being
//! 32 random bytes drawn once per cache, so neither the password nor anything an attacker could
//! test offline without `k` is stored. The entry also keeps the username and is only a hit for
//! that exact username. Only successes are cached; callers must not cache logins that MLflow
//! refuses after the password check (the legacy `password1234` admin login).
//!
//! An entry is also bound to the stored password hash it was verified against (an HMAC of it):
//! callers re-read the user's row on a hit and accept it only if [`CredentialCache::hash_matches`],
//! so a password changed by any writer of the database (another mlauth instance, MLflow's own
//! tooling) is never served from the cache.
//!
//! Races with invalidation are closed by a generation counter: read [`CredentialCache::generation`]
//! *before* the slow password check and pass it to [`CredentialCache::insert`]; the insert is
//! dropped if any invalidation or clear happened in between.

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;

type CacheKey = [u8; 32];

/// What a cache hit returns: the identity established by the cached check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedIdentity {
    /// `users.id`.
    pub user_id: i64,
    /// `users.is_admin` at the time of the check.
    pub is_admin: bool,
    /// The cache generation the entry was inserted under.
    pub generation: u64,
    /// HMAC of the stored password hash the check was made against.
    hash_tag: [u8; 32],
}

struct Entry {
    username: String,
    identity: CachedIdentity,
    inserted_at: Instant,
    /// Insertion sequence number, to tell a live queue slot from a stale one.
    seq: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<CacheKey, Entry>,
    /// `(key, seq, inserted_at)` in insertion order; stale slots are skipped lazily.
    order: VecDeque<(CacheKey, u64, Instant)>,
    next_seq: u64,
    generation: u64,
}

/// A bounded, thread-safe TTL cache of successful credential checks.
pub struct CredentialCache {
    hmac_key: [u8; 32],
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl CredentialCache {
    /// A cache holding at most `max_entries` successes for `ttl` each, with a fresh random key.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        let mut hmac_key = [0u8; 32];
        OsRng.fill_bytes(&mut hmac_key);
        CredentialCache {
            hmac_key,
            ttl,
            max_entries,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The cache `basic_auth.ini` asks for: `None` when `auth_cache_ttl_seconds` is 0 (disabled).
    pub fn from_settings(ttl_seconds: u64, max_size: u64) -> Option<Self> {
        (ttl_seconds > 0).then(|| {
            Self::new(
                Duration::from_secs(ttl_seconds),
                usize::try_from(max_size).unwrap_or(usize::MAX),
            )
        })
    }

    /// The current generation; read it before verifying a password and pass it to [`Self::insert`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The identity cached for exactly this username and password, if still fresh.
    pub fn get(&self, username: &str, password: &str) -> Option<CachedIdentity> {
        self.get_at(username, password, Instant::now())
    }

    /// Records a successful check of `password` against the stored `password_hash`, made under
    /// `generation_at_start`; returns whether it was stored
    /// (not stored when the cache is size 0 or was invalidated since that generation).
    pub fn insert(
        &self,
        username: &str,
        password: &str,
        user_id: i64,
        is_admin: bool,
        password_hash: &str,
        generation_at_start: u64,
    ) -> bool {
        self.insert_at(
            username,
            password,
            user_id,
            is_admin,
            password_hash,
            generation_at_start,
            Instant::now(),
        )
    }

    /// Whether `hit` was verified against `stored_hash` (the hash currently in the database);
    /// constant time.
    pub fn hash_matches(&self, hit: &CachedIdentity, stored_hash: &str) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.hash_tag(stored_hash).ct_eq(&hit.hash_tag))
    }

    /// Forgets every entry of `username` (password change, admin change, deletion).
    pub fn invalidate_user(&self, username: &str) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.retain(|_, entry| entry.username != username);
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
        inner.order.clear();
    }

    /// Number of entries held (expired ones included until they are purged).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get_at(&self, username: &str, password: &str, now: Instant) -> Option<CachedIdentity> {
        let key = self.cache_key(username, password);
        let inner = self.lock();
        let entry = inner.entries.get(&key)?;
        let fresh = now.saturating_duration_since(entry.inserted_at) < self.ttl;
        (fresh && entry.username == username).then_some(entry.identity)
    }

    #[allow(clippy::too_many_arguments)] // the entry's fields, plus the clock for tests
    fn insert_at(
        &self,
        username: &str,
        password: &str,
        user_id: i64,
        is_admin: bool,
        password_hash: &str,
        generation: u64,
        now: Instant,
    ) -> bool {
        if self.max_entries == 0 {
            return false;
        }
        let key = self.cache_key(username, password);
        let mut inner = self.lock();
        if inner.generation != generation {
            return false;
        }
        self.purge(&mut inner, now);
        while inner.entries.len() >= self.max_entries && !inner.entries.contains_key(&key) {
            if !evict_oldest(&mut inner) {
                break;
            }
        }
        let identity = CachedIdentity {
            user_id,
            is_admin,
            generation,
            hash_tag: self.hash_tag(password_hash),
        };
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.entries.insert(
            key,
            Entry {
                username: username.to_owned(),
                identity,
                inserted_at: now,
                seq,
            },
        );
        inner.order.push_back((key, seq, now));
        compact_order(&mut inner, self.max_entries);
        true
    }

    /// Drops expired entries from the front of the insertion order (TTL is uniform, so
    /// insertion order is expiry order).
    fn purge(&self, inner: &mut Inner, now: Instant) {
        while let Some(&(key, seq, inserted_at)) = inner.order.front() {
            if now.saturating_duration_since(inserted_at) < self.ttl {
                break;
            }
            inner.order.pop_front();
            remove_if_live(inner, &key, seq);
        }
    }

    fn cache_key(&self, username: &str, password: &str) -> CacheKey {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.hmac_key).expect("HMAC accepts any key length");
        mac.update(&(username.len() as u64).to_be_bytes());
        mac.update(username.as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn hash_tag(&self, password_hash: &str) -> [u8; 32] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.hmac_key).expect("HMAC accepts any key length");
        mac.update(b"stored-hash\0");
        mac.update(password_hash.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps inconsistent enough to matter.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Removes the entry of `key` if the queue slot `seq` is still its live one.
fn remove_if_live(inner: &mut Inner, key: &CacheKey, seq: u64) -> bool {
    let live = inner.entries.get(key).is_some_and(|e| e.seq == seq);
    if live {
        inner.entries.remove(key);
    }
    live
}

/// Removes the oldest live entry; false when there is none.
fn evict_oldest(inner: &mut Inner) -> bool {
    while let Some((key, seq, _)) = inner.order.pop_front() {
        if remove_if_live(inner, &key, seq) {
            return true;
        }
    }
    false
}

/// Rebuilds the order queue when stale pairs (from re-inserts and invalidations) pile up.
fn compact_order(inner: &mut Inner, max_entries: usize) {
    if inner.order.len() <= max_entries.saturating_mul(2).saturating_add(16) {
        return;
    }
    let Inner { entries, order, .. } = inner;
    order.retain(|(key, seq, _)| entries.get(key).is_some_and(|e| e.seq == *seq));
}
