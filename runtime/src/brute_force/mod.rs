//! Brute-force protection for every plugin: failed authentications are counted per
//! (username, client address), per client address and per username, in a sliding window;
//! a tier that reaches its threshold is locked for `lockout_secs` and answered with 429 and
//! `Retry-After` without running the plugin.
//!
//! * A *failure* is a `401` or `403` from the plugin's `authenticate` for a request that
//!   carried an `Authorization` header (a request without credentials gets the challenge,
//!   which is not a guess). The username is taken from a `Basic` header when it parses;
//!   other schemes count for the address only.
//! * A success resets only its own (username, address) counter: a login with one valid
//!   account does not lift a lock earned by spraying other usernames from that address.
//! * The per-username tier (guessing from many addresses) never refuses clients in
//!   `user_lockout_exempt` (loopback by default), so an attacker cannot lock the operator
//!   out of the admin account on the gateway host. State is in memory: a restart clears it,
//!   and [`BruteForce::clear`] does so at run time.
//! * Memory is bounded: at most `max_entries` counters; the oldest is evicted first.

mod table;
#[cfg(test)]
mod tests;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::HeaderMap;
use serde::Deserialize;

use table::Table;

/// `[brute_force]` in the mlauth config. On by default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BruteForceConfig {
    /// Turn the limiter on (default) or off.
    pub enabled: bool,
    /// Failures older than this many seconds no longer count (sliding window).
    pub window_secs: u64,
    /// How long a locked tier refuses requests, in seconds.
    pub lockout_secs: u64,
    /// Failures of one username from one client address before that pair is locked
    /// (0 = off).
    pub max_failures_per_user_address: u32,
    /// Failures from one client address, any username, before the address is locked
    /// (0 = off). IPv6 clients are counted per /64.
    pub max_failures_per_address: u32,
    /// Failures of one username from all addresses before the username is locked for every
    /// client outside `user_lockout_exempt` (0 = off).
    pub max_failures_per_user: u32,
    /// Client addresses the per-username lock never refuses (the operator's way in).
    pub user_lockout_exempt: Vec<IpAddr>,
    /// Upper bound on counters kept in memory; the oldest is evicted first.
    pub max_entries: usize,
}

impl Default for BruteForceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            window_secs: 300,
            lockout_secs: 300,
            max_failures_per_user_address: 5,
            max_failures_per_address: 20,
            max_failures_per_user: 100,
            user_lockout_exempt: vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(Ipv6Addr::LOCALHOST),
            ],
            max_entries: 100_000,
        }
    }
}

/// Largest accepted threshold (each counter keeps up to this many timestamps).
const MAX_THRESHOLD: u32 = 1000;
/// Longest accepted window or lockout: one day.
const MAX_SECS: u64 = 86_400;

impl BruteForceConfig {
    /// Checks every value; the message names the key and what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        for (key, secs) in [
            ("window_secs", self.window_secs),
            ("lockout_secs", self.lockout_secs),
        ] {
            if !(1..=MAX_SECS).contains(&secs) {
                return Err(format!(
                    "brute_force.{key} = {secs} is out of range; allowed 1..={MAX_SECS}"
                ));
            }
        }
        for (key, n) in [
            (
                "max_failures_per_user_address",
                self.max_failures_per_user_address,
            ),
            ("max_failures_per_address", self.max_failures_per_address),
            ("max_failures_per_user", self.max_failures_per_user),
        ] {
            if n > MAX_THRESHOLD {
                return Err(format!(
                    "brute_force.{key} = {n} is out of range; allowed 0 (off) ..={MAX_THRESHOLD}"
                ));
            }
        }
        if !(1000..=10_000_000).contains(&self.max_entries) {
            return Err(format!(
                "brute_force.max_entries = {} is out of range; allowed 1000..=10000000",
                self.max_entries
            ));
        }
        Ok(())
    }
}

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

/// Plugin answers that count as a failed authentication.
fn is_denial(status: http::StatusCode) -> bool {
    status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN
}

/// IPv4 (also IPv4-mapped IPv6) as is; other IPv6 addresses by their /64 prefix, since one
/// client usually owns a whole /64.
fn address_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(Ipv6Addr::from(segments))
        }
        v4 => v4,
    }
}

/// The username of a `Basic` Authorization header, if it decodes.
fn basic_username(value: &[u8]) -> Option<String> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8_lossy(&decoded);
    let (user, _) = text.split_once(':')?;
    Some(user.to_string())
}

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
