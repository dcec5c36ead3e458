//! `mlauth reload`: asks a running gateway's admin listener to reload.

use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::RELOAD_HEADER;

/// Sends `POST /reload` to the admin listener at `addr` (`host:port`). Returns the
/// gateway's JSON answer, or an error naming what failed.
pub async fn request_reload(addr: &str) -> Result<String, String> {
    let client: Client<_, Body> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let req = http::Request::post(format!("http://{addr}/reload"))
        .header(RELOAD_HEADER, "reload")
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    // A reload compiles the plugin, which can take a while on a cold cache.
    let response = tokio::time::timeout(Duration::from_secs(120), client.request(req))
        .await
        .map_err(|_| format!("the admin listener at {addr} did not answer in time"))?
        .map_err(|e| {
            format!("cannot reach the admin listener at {addr} ({e}); is mlauth running with [admin] enabled on that port?")
        })?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!("reload failed ({status}): {text}"))
    }
}
