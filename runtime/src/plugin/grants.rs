//! Capabilities: which `mlauth:plugin/*` interfaces a plugin may import. Everything beyond
//! `log` and `config` is denied unless the operator grants it for that plugin.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// A host capability that must be granted explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// `mlauth:plugin/users`: verify credentials and look users up.
    Users,
    /// `mlauth:plugin/kv`: the plugin's key-value namespace.
    Kv,
    /// `mlauth:plugin/crypto`: hashing, random bytes, HMAC with host-held keys.
    Crypto,
    /// `mlauth:plugin/jwt`: JWT verification against host-held keys.
    Jwt,
    /// `mlauth:plugin/secrets`: secrets the operator hands to this plugin.
    Secrets,
}

impl Capability {
    /// Every capability, for error messages.
    pub const ALL: [Capability; 5] = [
        Capability::Users,
        Capability::Kv,
        Capability::Crypto,
        Capability::Jwt,
        Capability::Secrets,
    ];

    /// The WIT interface name (`mlauth:plugin/<name>`).
    pub fn interface(self) -> &'static str {
        match self {
            Capability::Users => "users",
            Capability::Kv => "kv",
            Capability::Crypto => "crypto",
            Capability::Jwt => "jwt",
            Capability::Secrets => "secrets",
        }
    }

    /// Whether the host links this interface today (later capabilities are declared here
    /// first so configs stay stable).
    pub fn is_implemented(self) -> bool {
        true
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.interface() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Capability::ALL.iter().map(|c| c.interface()).collect();
                format!(
                    "unknown capability `{s}`; known capabilities: {}",
                    names.join(", ")
                )
            })
    }
}

/// Interfaces of `mlauth:plugin` every plugin may import without a grant.
pub const ALWAYS_GRANTED: [&str; 3] = ["types", "log", "config"];

/// How one import of a component is judged.
#[derive(Debug, PartialEq, Eq)]
pub enum ImportVerdict {
    /// WASI or an always-granted mlauth interface: linked, sandboxed.
    Allowed,
    /// An mlauth capability the operator granted.
    Granted(Capability),
    /// An mlauth capability the operator did not grant.
    NotGranted(Capability),
    /// Something the host does not provide.
    Unknown,
}

/// Judges one import name such as `mlauth:plugin/kv@0.1.0` or `wasi:cli/stdout@0.2.6`.
pub fn judge_import(name: &str, granted: &[Capability]) -> ImportVerdict {
    let base = name.split('@').next().unwrap_or(name);
    if base.starts_with("wasi:") {
        return ImportVerdict::Allowed;
    }
    let Some(interface) = base.strip_prefix("mlauth:plugin/") else {
        return ImportVerdict::Unknown;
    };
    if ALWAYS_GRANTED.contains(&interface) {
        return ImportVerdict::Allowed;
    }
    match interface.parse::<Capability>() {
        Ok(cap) if granted.contains(&cap) => ImportVerdict::Granted(cap),
        Ok(cap) => ImportVerdict::NotGranted(cap),
        Err(_) => ImportVerdict::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_and_basic_interfaces_need_no_grant() {
        assert_eq!(
            judge_import("wasi:cli/stdout@0.2.6", &[]),
            ImportVerdict::Allowed
        );
        assert_eq!(
            judge_import("mlauth:plugin/log@0.1.0", &[]),
            ImportVerdict::Allowed
        );
        assert_eq!(
            judge_import("mlauth:plugin/config@0.1.0", &[]),
            ImportVerdict::Allowed
        );
    }

    #[test]
    fn capabilities_are_denied_by_default_and_allowed_when_granted() {
        assert_eq!(
            judge_import("mlauth:plugin/kv@0.1.0", &[]),
            ImportVerdict::NotGranted(Capability::Kv)
        );
        assert_eq!(
            judge_import("mlauth:plugin/kv@0.1.0", &[Capability::Kv]),
            ImportVerdict::Granted(Capability::Kv)
        );
    }

    #[test]
    fn foreign_interfaces_are_unknown() {
        assert_eq!(
            judge_import("acme:evil/net@1.0.0", &[]),
            ImportVerdict::Unknown
        );
        assert_eq!(
            judge_import("mlauth:plugin/teleport@0.1.0", &[]),
            ImportVerdict::Unknown
        );
    }

    #[test]
    fn capability_names_parse_with_a_helpful_error() {
        assert_eq!("jwt".parse::<Capability>(), Ok(Capability::Jwt));
        let err = "network".parse::<Capability>().unwrap_err();
        assert!(
            err.contains("unknown capability `network`") && err.contains("users"),
            "{err}"
        );
    }
}
