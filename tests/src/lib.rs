//! Shared helpers for mlauth's integration tests.

/// Absolute paths of the guest components that `build.rs` builds: one constant per crate
/// of `example-plugins/` and `tests/fixtures/` (`static-token` -> [`wasm::STATIC_TOKEN`]),
/// and [`wasm::ALL`] listing them with their crate names.
pub mod wasm {
    include!(concat!(env!("OUT_DIR"), "/plugins.rs"));
}

pub mod component;
pub mod faults;
pub mod gateway;
pub mod loadgen;
pub mod mlflow;
pub mod oidc;
pub mod pgdb;
pub mod polyglot;
pub mod upstream;
