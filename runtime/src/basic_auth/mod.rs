//! MLflow 3.18's `basic-auth` app, the pure-logic half: no database and no HTTP.
//!
//! * [`ini`] — `basic_auth.ini` (`[mlflow]`), its environment overrides and the admin bootstrap rules;
//! * [`password`] — werkzeug-compatible `scrypt`/`pbkdf2` password hashes;
//! * [`permissions`] — permission levels, resource types, grants and the effective-permission
//!   algorithm (tier override, `DENY`, `default_permission` flooring);
//! * [`params`] — MLflow's request-parameter extraction (strict for the rules, Flask's for the
//!   auth API);
//! * [`credential_cache`] — the optional cache of successful credential checks
//!   (`auth_cache_ttl_seconds`);
//! * [`access_tokens`] — personal access tokens (mint, parse, verify);
//! * [`provisioning`] — users and role memberships from a function plugin's authorization.
//!
//! Reference: `mlflow-auth-reference.md` §2, §3.3–3.6 and §9.2.

pub mod access_tokens;
pub mod api;
pub mod app;
pub mod credential_cache;
pub mod ini;
pub mod params;
pub mod password;
pub mod permissions;
pub mod provisioning;
pub mod rules;
