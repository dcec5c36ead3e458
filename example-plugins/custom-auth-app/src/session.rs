//! Sessions and lockout on top of the `users`, `kv` and `crypto` capabilities.
//!
//! kv layout (the plugin's own namespace):
//! * `session:<hex sha256(token)>` → username, TTL `session_ttl_seconds`;
//! * `failures:<username>` → failed attempts, a counter whose window is `lockout_seconds`
//!   from the first failure.

use mlauth_guest_sdk::{config, crypto, kv, users};

/// Operator settings with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Lifetime of a session token, in seconds.
    pub session_ttl: u32,
    /// Failed attempts that lock a username out.
    pub max_failed_logins: i64,
    /// Length of the failure window (and so of a lockout), in seconds.
    pub lockout_seconds: u32,
}

fn number<T: std::str::FromStr>(
    key: &str,
    default: T,
    ok: impl Fn(&T) -> bool,
) -> Result<T, String> {
    match config::get(key) {
        None => Ok(default),
        Some(text) => text
            .parse::<T>()
            .ok()
            .filter(|v| ok(v))
            .ok_or_else(|| format!("setting `{key}` = {text:?} is out of range")),
    }
}

impl Settings {
    /// Reads and checks the settings.
    pub fn from_config() -> Result<Settings, String> {
        Ok(Settings {
            session_ttl: number("session_ttl_seconds", 3600, |v| {
                (60..=2_592_000).contains(v)
            })?,
            max_failed_logins: number("max_failed_logins", 5, |v| (1..=1000).contains(v))?,
            lockout_seconds: number("lockout_seconds", 900, |v| (1..=86_400).contains(v))?,
        })
    }
}

/// The outcome of a credential check.
#[derive(Debug, PartialEq, Eq)]
pub enum Login {
    /// Valid; the username.
    Ok(String),
    /// Too many failures: refused without checking the password.
    LockedOut,
    /// Unknown user or wrong password.
    Refused,
}

fn failures_key(username: &str) -> String {
    format!("failures:{username}")
}

fn session_key(token: &str) -> String {
    format!("session:{}", crypto::hex(&crypto::sha256(token.as_bytes())))
}

fn failures(username: &str) -> i64 {
    kv::get(&failures_key(username))
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Checks credentials through `users`, counting failures and honouring the lockout.
pub fn check_password(settings: &Settings, username: &str, password: &str) -> Login {
    if username.is_empty() || username.len() > 200 {
        return Login::Refused;
    }
    if failures(username) >= settings.max_failed_logins {
        return Login::LockedOut;
    }
    match users::verify(username, password) {
        Some(user) => {
            kv::delete(&failures_key(username));
            Login::Ok(user.username)
        }
        None => {
            let count = kv::increment(&failures_key(username), 1, Some(settings.lockout_seconds));
            if count >= settings.max_failed_logins {
                mlauth_guest_sdk::log::warn(format!(
                    "user {username:?} locked out after {count} failed logins"
                ));
            }
            Login::Refused
        }
    }
}

/// Creates a session for `username`; returns the token (shown to the client once).
pub fn issue(settings: &Settings, username: &str) -> String {
    let token = crypto::hex(&crypto::random_bytes(32));
    kv::set(
        &session_key(&token),
        username.as_bytes(),
        Some(settings.session_ttl),
    );
    token
}

/// The user of a live session whose account still exists.
pub fn lookup(token: &str) -> Option<String> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let username = String::from_utf8(kv::get(&session_key(token))?).ok()?;
    users::get(&username).map(|u| u.username)
}

/// Revokes a session; whether it was live.
pub fn revoke(token: &str) -> bool {
    token.len() == 64 && kv::delete(&session_key(token))
}

/// `{"username": "...", "password": "..."}`.
pub fn parse_login(body: &[u8]) -> Option<(String, String)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let username = value.get("username")?.as_str()?.to_owned();
    let password = value.get("password")?.as_str()?.to_owned();
    Some((username, password))
}
