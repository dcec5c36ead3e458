//! The admin listener, loopback only: Prometheus metrics, liveness, readiness, and reload.
//!
//! | route | answer |
//! |---|---|
//! | `GET /metrics` | Prometheus text format (see [`crate::metrics`]) |
//! | `GET /livez` | `200 ok` while the process serves |
//! | `GET /readyz` | `200` when the plugin is loaded, the store (if any) and the upstream answer; else `503`. The body names each check `ok`/`fail`, nothing more |
//! | `POST /reload` | reloads the config and plugin; needs the header `X-Mlauth-Admin: reload` (a browser page cannot send it cross-origin) |

pub mod client;

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use crate::proxy::GatewayState;
use crate::reload::{ReloadOutcome, Reloader};

/// Header `POST /reload` requires (value `reload`).
pub const RELOAD_HEADER: &str = "x-mlauth-admin";

/// `[admin]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Start the admin listener.
    pub enabled: bool,
    /// Listen address: a loopback IP (`127.0.0.1` or `::1`).
    pub host: String,
    /// Listen port (0 picks a free one and logs it).
    pub port: u16,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: "127.0.0.1".into(),
            port: 9901,
        }
    }
}

impl AdminConfig {
    /// Checks the host is a loopback address.
    pub fn validate(&self) -> Result<(), String> {
        match self.host.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() => Ok(()),
            _ => Err(format!(
                "admin.host = {:?} must be a loopback IP address (127.0.0.1 or ::1): the admin listener has no authentication",
                self.host
            )),
        }
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// What the admin routes act on.
#[derive(Clone)]
pub struct AdminState {
    /// The gateway (plugin, upstream, host app).
    pub gateway: Arc<GatewayState>,
    /// The reloader, if reload is available.
    pub reloader: Option<Arc<Reloader>>,
}

/// The admin router.
pub fn router(state: AdminState) -> Router {
    crate::metrics::install();
    Router::new()
        .route("/metrics", get(metrics))
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/reload", post(reload))
        .layer(axum::middleware::from_fn(local_host_only))
        .with_state(state)
}

/// Answers only requests addressed to an IP address or `localhost`. A web page that points
/// its own DNS name at 127.0.0.1 (DNS rebinding) reaches the loopback listener under that
/// name, same-origin to the browser, and is refused here.
async fn local_host_only(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok());
    match host {
        None => next.run(req).await,
        Some(host) if is_local_host(host) => next.run(req).await,
        Some(_) => (
            StatusCode::MISDIRECTED_REQUEST,
            "the admin listener answers only requests addressed to an IP address or localhost\n",
        )
            .into_response(),
    }
}

/// Whether a `Host` value (with or without port) is an IP literal or `localhost`.
fn is_local_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
}

async fn metrics() -> Response {
    match crate::metrics::render() {
        Some(text) => (
            [(
                http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable\n").into_response(),
    }
}

/// Runs the readiness checks: `(ready, [(check, ok)])`.
pub async fn readiness(gateway: &GatewayState) -> (bool, Vec<(&'static str, bool)>) {
    let plugin = !gateway.plugin.load().info.sha256.is_empty();
    let store = async {
        match &gateway.host_app {
            Some(app) => app.ready().await,
            None => true,
        }
    };
    let (store, upstream) = tokio::join!(store, gateway.upstream.probe());
    let checks = vec![("plugin", plugin), ("store", store), ("upstream", upstream)];
    (checks.iter().all(|(_, ok)| *ok), checks)
}

async fn readyz(State(state): State<AdminState>) -> Response {
    let (ready, checks) = readiness(&state.gateway).await;
    let body: serde_json::Map<String, serde_json::Value> = checks
        .into_iter()
        .map(|(name, ok)| (name.to_string(), json!(if ok { "ok" } else { "fail" })))
        .collect();
    let status = match ready {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(json!({ "ready": ready, "checks": body }))).into_response()
}

async fn reload(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if headers.get(RELOAD_HEADER).and_then(|v| v.to_str().ok()) != Some("reload") {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": format!("send the header {RELOAD_HEADER}: reload")})),
        )
            .into_response();
    }
    let Some(reloader) = &state.reloader else {
        return (
            StatusCode::NOT_IMPLEMENTED,
            Json(json!({"error": "reload is not available"})),
        )
            .into_response();
    };
    match reloader.reload("admin").await {
        Ok(ReloadOutcome::Swapped {
            old_sha256,
            new_sha256,
            elapsed,
        }) => Json(json!({
            "result": "reloaded",
            "app": reloader.app_name(),
            "old_sha256": old_sha256,
            "new_sha256": new_sha256,
            "elapsed_ms": elapsed.as_secs_f64() * 1e3,
        }))
        .into_response(),
        Ok(ReloadOutcome::Unchanged { sha256 }) => Json(json!({
            "result": "unchanged",
            "app": reloader.app_name(),
            "sha256": sha256,
        }))
        .into_response(),
        // The operator asked on loopback: the reason (a config or plugin error, no secret)
        // helps them fix it.
        Err(err) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"result": "failed", "app": reloader.app_name(), "error": err.to_string()})),
        )
            .into_response(),
    }
}

/// Serves the admin router on `listener` until `shutdown` resolves.
pub fn serve(
    listener: tokio::net::TcpListener,
    state: AdminState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> BoxFuture<'static, ()> {
    serve_until(listener, state, Box::pin(shutdown))
}

/// [`serve`] with the shutdown signal boxed, so the server is compiled here once rather
/// than in every crate that calls `serve` (as with `runner::Gateway::serve`).
#[inline(never)]
fn serve_until(
    listener: tokio::net::TcpListener,
    state: AdminState,
    shutdown: BoxFuture<'static, ()>,
) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let app = router(state);
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %err, "admin listener failed");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_host_must_be_loopback() {
        let mut config = AdminConfig::default();
        assert!(config.validate().is_ok());
        config.host = "::1".into();
        assert!(config.validate().is_ok());
        assert_eq!(config.addr(), "[::1]:9901");
        for bad in ["0.0.0.0", "10.0.0.1", "localhost", ""] {
            config.host = bad.into();
            let err = config.validate().unwrap_err();
            assert!(
                err.contains("admin.host") && err.contains("loopback"),
                "{err}"
            );
        }
    }
}
