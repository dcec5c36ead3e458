//! Brute-force protection for every plugin: failed authentications are counted per
//! (username, client address), per client address and per username, in a sliding window;
//! a tier that reaches its threshold is locked for `lockout_secs` and answered with 429 and
//! `Retry-After` without running the plugin.
//!
//! * A *failure* is a `401` or `403` from the plugin's `authenticate` for a request that
//!   carried an `Authorization` header (a request without credentials gets the challenge,
//!   which is not a guess). The username is taken from a `Basic` header when it parses;
//!   other schemes count for the address only. A `401` or `403` from a *public* plugin
//!   route (a login endpoint the plugin adds, whose credentials are in the body) is a
//!   failure for the client address, and a locked address gets 429 there too; so is a
//!   wrong `current_password` in the auth API (a response marked [`CredentialRefused`]).
//! * A success resets only its own (username, address) counter: a login with one valid
//!   account does not lift a lock earned by spraying other usernames from that address.
//! * The per-username tier (guessing from many addresses) never refuses clients in
//!   `user_lockout_exempt` (loopback by default), so an attacker cannot lock the operator
//!   out of the admin account on the gateway host. State is in memory: a restart clears it,
//!   and [`BruteForce::clear`] does so at run time.
//! * Memory is bounded: at most `max_entries` counters; the oldest is evicted first.
//!
//! The settings are in `config` ([`BruteForceConfig`]), the reading of addresses, usernames
//! and denials in `request`, and the bounded counter table in `table`.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::HeaderMap;

mod config;
mod request;
mod table;
#[cfg(test)]
mod tests;

pub use config::BruteForceConfig;
use request::{address_key, basic_username, is_denial};
use table::Table;

/// Which counter a lock belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// One username from one address.
    UserAddress,
    /// One address, any username.
    Address,
    /// One username, any address.
    User,
}

/// Who is trying: the client address and, when the credentials name one, the username.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// The client address as connected (for `user_lockout_exempt`).
    client: Option<IpAddr>,
    /// The address counters are kept for (IPv6 by /64).
    addr: Option<IpAddr>,
    username: Option<String>,
    has_credentials: bool,
}

impl Attempt {
    /// Reads the attempt from the client address and the request headers.
    pub fn from_request(addr: Option<IpAddr>, headers: &HeaderMap) -> Self {
        let authorization = headers.get(http::header::AUTHORIZATION);
        Self {
            client: addr.map(|a| a.to_canonical()),
            addr: addr.map(address_key),
            username: authorization.and_then(|v| basic_username(v.as_bytes())),
            has_credentials: authorization.is_some(),
        }
    }
}

impl Attempt {
    /// An attempt whose credentials the gateway does not read (a login form a public plugin
    /// route serves, the auth API's current-password check): it counts for the client
    /// address only.
    pub fn address_only(addr: Option<IpAddr>) -> Self {
        Self {
            client: addr.map(|a| a.to_canonical()),
            addr: addr.map(address_key),
            username: None,
            has_credentials: true,
        }
    }
}

/// Attached to a response that refused credentials checked behind the plugin (the auth
/// API's `current_password`): the gateway counts it as a failure for the client address.
#[derive(Debug, Clone, Copy)]
pub struct CredentialRefused;

/// A refusal: how long until the lock ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Seconds to put in `Retry-After` (at least 1).
    pub retry_after_secs: u64,
    /// The tier that refused (for logs; never shown to the client).
    pub tier: Tier,
}

/// The limiter, shared by all requests of a gateway.
pub struct BruteForce {
    config: BruteForceConfig,
    table: Mutex<Table>,
    keys: RandomState,
}

impl std::fmt::Debug for BruteForce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BruteForce")
            .field("config", &self.config)
            .finish()
    }
}

impl BruteForce {
    /// A limiter with these settings (validated separately).
    pub fn new(config: BruteForceConfig) -> Self {
        let table = Table::new(config.max_entries);
        Self {
            config,
            table: Mutex::new(table),
            keys: RandomState::new(),
        }
    }

    /// Whether the limiter is on.
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// Refuses an attempt that falls under a current lock (checked before the plugin runs).
    pub fn check(&self, attempt: &Attempt) -> Result<(), Lockout> {
        self.check_at(attempt, Instant::now())
    }

    /// Records a plugin denial: a `401`/`403` counts as a failure when credentials were sent.
    pub fn denied(&self, attempt: &Attempt, status: http::StatusCode) {
        if is_denial(status) && attempt.has_credentials {
            self.failure_at(attempt, Instant::now());
        }
    }

    /// Records a successful authentication: resets the (username, address) counter only.
    pub fn succeeded(&self, attempt: &Attempt) {
        self.success_at(attempt);
    }

    /// Forgets every counter and lock (operator recovery without a restart).
    pub fn clear(&self) {
        self.lock_table().clear();
    }

    /// Number of counters currently held (bounded by `max_entries`).
    pub fn entries(&self) -> usize {
        self.lock_table().len()
    }

    pub(crate) fn check_at(&self, attempt: &Attempt, now: Instant) -> Result<(), Lockout> {
        if !self.config.enabled {
            return Ok(());
        }
        let mut table = self.lock_table();
        let mut worst: Option<Lockout> = None;
        for (tier, key) in self.keys_for(attempt, true) {
            if let Some(left) = table.locked(key, now) {
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                let lockout = Lockout {
                    retry_after_secs: secs.max(1),
                    tier,
                };
                if worst.is_none_or(|w| w.retry_after_secs < lockout.retry_after_secs) {
                    worst = Some(lockout);
                }
            }
        }
        worst.map_or(Ok(()), Err)
    }

    pub(crate) fn failure_at(&self, attempt: &Attempt, now: Instant) {
        if !self.config.enabled {
            return;
        }
        let window = Duration::from_secs(self.config.window_secs);
        let lockout = Duration::from_secs(self.config.lockout_secs);
        let mut table = self.lock_table();
        for (tier, key) in self.keys_for(attempt, false) {
            let threshold = self.threshold(tier);
            if table.fail(key, now, window, threshold, lockout) {
                log_lock(tier, attempt, self.config.lockout_secs);
            }
        }
    }

    pub(crate) fn success_at(&self, attempt: &Attempt) {
        if !self.config.enabled {
            return;
        }
        let pair = self
            .keys_for(attempt, false)
            .into_iter()
            .find(|(tier, _)| *tier == Tier::UserAddress);
        if let Some((_, key)) = pair {
            self.lock_table().reset(key);
        }
    }

    fn threshold(&self, tier: Tier) -> u32 {
        match tier {
            Tier::UserAddress => self.config.max_failures_per_user_address,
            Tier::Address => self.config.max_failures_per_address,
            Tier::User => self.config.max_failures_per_user,
        }
    }

    /// The counters an attempt touches. When `checking`, the per-username tier is skipped for
    /// exempt addresses (their failures still count towards it).
    fn keys_for(&self, attempt: &Attempt, checking: bool) -> Vec<(Tier, u64)> {
        let mut keys = Vec::with_capacity(3);
        let user = attempt.username.as_deref();
        let addr = attempt.addr;
        let mut push = |tier: Tier, user: Option<&str>, addr: Option<IpAddr>| {
            if self.threshold(tier) > 0 {
                keys.push((tier, self.key(tier, user, addr)));
            }
        };
        if let (Some(u), Some(a)) = (user, addr) {
            push(Tier::UserAddress, Some(u), Some(a));
        }
        if let Some(a) = addr {
            push(Tier::Address, None, Some(a));
        }
        let exempt = attempt
            .client
            .is_some_and(|a| self.config.user_lockout_exempt.contains(&a));
        if let Some(u) = user.filter(|_| !(checking && exempt)) {
            push(Tier::User, Some(u), None);
        }
        keys
    }

    /// A keyed (per-process random) hash: fixed-size entries whatever the username length,
    /// and collisions cannot be aimed at.
    fn key(&self, tier: Tier, user: Option<&str>, addr: Option<IpAddr>) -> u64 {
        self.keys.hash_one((tier, user, addr))
    }

    fn lock_table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Logs that a tier locked (the username cut to 64 characters).
fn log_lock(tier: Tier, attempt: &Attempt, lockout_secs: u64) {
    let user: Option<String> = attempt
        .username
        .as_deref()
        .map(|u| u.chars().take(64).collect());
    tracing::warn!(
        tier = ?tier,
        client = ?attempt.addr,
        username = ?user,
        lockout_secs,
        "too many failed authentications; locked"
    );
}
