//! Shared helpers for mlauth's integration tests.

/// Absolute paths of the guest components that `build.rs` builds: one constant per crate
/// of `example-plugins/` and `tests/fixtures/` (`static-token` -> [`wasm::STATIC_TOKEN`]),
/// and [`wasm::ALL`] listing them with their crate names.
/// A `GET /api/x` plugin request carrying `x-mode: <mode>` (the fixtures' switch), from
/// 127.0.0.1:1, with the given request id.
pub fn mode_request(mode: &str, request_id: &str) -> mlauth::plugin::PluginRequest {
    mlauth::plugin::PluginRequest {
        method: "GET".into(),
        raw_path: "/api/x".into(),
        path: "/api/x".into(),
        query: String::new(),
        headers: vec![("x-mode".into(), mode.as_bytes().to_vec())],
        body: None,
        client_addr: "127.0.0.1:1".into(),
        request_id: request_id.into(),
    }
}

pub mod wasm {
    include!(concat!(env!("OUT_DIR"), "/plugins.rs"));
}

pub mod component;
pub mod faults;
pub mod gateway;
pub mod loadgen;
pub mod mlflow;
pub mod oidc;
pub mod polyglot;
pub mod upstream;
