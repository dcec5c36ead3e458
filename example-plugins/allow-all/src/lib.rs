//! An mlauth function plugin that lets every request through as one user.
//!
//! Settings: `username` (default `anonymous`). Use it for benchmarks and local trials only.
//!
//! Built `no_std` with the SDK's lean runtime ([`mlauth_guest_sdk::lean_runtime!`]): no Rust
//! `std` and no WASI imports, so each request's fresh instance is cheaper to create.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use mlauth_guest_sdk::{config, Authenticator, Authorization, Request, Response};

/// The user every request runs as when `username` is not set.
const DEFAULT_USERNAME: &str = "anonymous";

/// The plugin.
struct AllowAll;

impl Authenticator for AllowAll {
    fn authenticate(_req: Request) -> Result<Authorization, Response> {
        let username = config::get("username").unwrap_or_else(|| DEFAULT_USERNAME.into());
        Ok(Authorization::user(username))
    }
}

mlauth_guest_sdk::export_authenticator!(AllowAll);
mlauth_guest_sdk::lean_runtime!();
