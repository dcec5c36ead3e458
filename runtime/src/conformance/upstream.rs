//! The kit's stand-in for MLflow: a loopback server that answers `200` to everything and
//! records the headers of each request it gets.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::Router;
use http::HeaderMap;

/// The running recorder (stops with the process; the kit is short-lived).
pub(crate) struct Recorder {
    pub url: String,
    seen: Arc<Mutex<Vec<HeaderMap>>>,
}

impl Recorder {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let seen: Arc<Mutex<Vec<HeaderMap>>> = Arc::default();
        let app = Router::new().fallback(record).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            url: format!("http://{addr}"),
            seen,
        })
    }

    /// The headers of every request received since the last [`Recorder::clear`].
    pub fn seen(&self) -> Vec<HeaderMap> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
        }
    }
}

async fn record(
    State(seen): State<Arc<Mutex<Vec<HeaderMap>>>>,
    headers: HeaderMap,
) -> &'static str {
    if let Ok(mut seen) = seen.lock() {
        seen.push(headers);
    }
    "{}"
}
