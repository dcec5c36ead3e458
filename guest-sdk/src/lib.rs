//! Write [mlauth](https://example.invalid/mlauth) authentication plugins in Rust.
//!
//! mlauth is a reverse proxy in front of MLflow that asks a WebAssembly component who each
//! caller is. This crate hides the component bindings behind plain Rust types:
//!
//! * a **function plugin** implements [`Authenticator`] (MLflow's `authorization_function`)
//!   and is exported with [`export_authenticator!`];
//! * an **app plugin** also implements [`App`] (MLflow's `--app-name` factory) to serve
//!   routes of its own, and is exported with [`export_app!`].
//!
//! Every request runs in a fresh instance: a plugin keeps no state between calls. Build
//! with `panic = "abort"`: a panic then traps the instance and the host refuses the
//! request (fail closed).
//!
//! # A complete plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "team-token"
//! version = "0.1.0"
//! edition = "2021"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! mlauth-guest-sdk = { path = "../guest-sdk" }
//!
//! [profile.release]
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! strip = true
//! panic = "abort"
//! ```
//!
//! `.cargo/config.toml` sets `[build] target = "wasm32-wasip2"`
//! (`rustup target add wasm32-wasip2` once), and `cargo build --release` writes the
//! component to `target/wasm32-wasip2/release/team_token.wasm`.
//!
//! `src/lib.rs`:
//!
//! ```
//! use mlauth_guest_sdk::{config, ct_eq, log, Authenticator, Authorization, Request, Response};
//!
//! /// Lets in callers presenting the team's shared token, as the configured user.
//! struct TeamToken;
//!
//! impl Authenticator for TeamToken {
//!     fn authenticate(req: Request) -> Result<Authorization, Response> {
//!         let Some(expected) = config::get("token") else {
//!             log::error("the `token` setting is missing");
//!             return Err(Response::mlflow_error(500, "INTERNAL_ERROR", "not configured"));
//!         };
//!         match req.bearer_token() {
//!             Some(token) if ct_eq(token.as_bytes(), expected.as_bytes()) => {
//!                 let user = config::get("username").unwrap_or_else(|| "team".into());
//!                 Ok(Authorization::user(user).group("team"))
//!             }
//!             _ => Err(Response::bearer_challenge("mlflow")),
//!         }
//!     }
//! }
//!
//! mlauth_guest_sdk::export_authenticator!(TeamToken);
//! #
//! # // Off-wasm, `config` reads settings from `config::set_for_test`.
//! # config::set_for_test("token", Some("t0k3n"));
//! # let ok = Request::builder("GET", "/api/2.0/mlflow/experiments/search")
//! #     .header("authorization", "Bearer t0k3n")
//! #     .build();
//! # assert_eq!(TeamToken::authenticate(ok).unwrap().username(), "team");
//! # let bad = Request::builder("GET", "/").header("authorization", "Bearer nope").build();
//! # assert_eq!(TeamToken::authenticate(bad).unwrap_err().status(), 401);
//! ```
//!
//! # Lean plugins
//!
//! A plugin that needs nothing from `std` can be `no_std`: it starts with
//! `#![cfg_attr(target_arch = "wasm32", no_std)]` and `extern crate alloc;` and invokes
//! [`lean_runtime!`] next to its export macro (a bump allocator, a panic handler that logs
//! and traps, `cabi_realloc`). It links no WASI interfaces and each request's instance is
//! about a fifth cheaper; see `docs/authoring/rust.md`.
//!
//! The host grants the plugin only what the operator configured; the SDK's [`log`] and
//! [`config`] modules are the plugin's whole view of the host.
#![deny(missing_docs)]
// On wasm the SDK itself needs only `core` and `alloc`, so it also serves `no_std` plugins
// (see [`lean_runtime!`]); off-wasm (a plugin's unit tests) it uses `std` for its test doubles.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod prelude;

mod authorization;
mod bindings;
pub mod config;
mod convert;
pub mod credentials;
pub mod crypto;
mod ct;
mod export;
mod json;
pub mod jwt;
pub mod kv;
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod lean;
pub mod log;
mod request;
mod response;
mod route;
pub mod secrets;
pub mod users;

pub use authorization::Authorization;
pub use credentials::BasicCredentials;
pub use ct::ct_eq;
pub use export::{App, Authenticator};
pub use request::{Request, RequestBuilder};
pub use response::{Response, PERMISSION_DENIED_BODY, UNAUTHENTICATED_BODY};
pub use route::Route;

#[doc(hidden)]
pub use bindings::wit;
#[doc(hidden)]
pub use wit_bindgen;

/// Items the export macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::Exported;
}
