//! [`BruteForceConfig`]: the `[brute_force]` section, its defaults and its validation.

use std::net::{IpAddr, Ipv6Addr};

use serde::Deserialize;

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
