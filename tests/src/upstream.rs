//! A recording mock upstream on loopback: answers every request with 200 and a JSON echo,
//! and remembers what it received so tests can assert what reached the "MLflow server".

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::Router;

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Method.
    pub method: Method,
    /// Path and query as received on the wire.
    pub uri: Uri,
    /// Headers as received.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// The running mock.
#[derive(Clone)]
pub struct MockUpstream {
    /// Base URL, e.g. `http://127.0.0.1:40001`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl MockUpstream {
    /// Starts the mock on a free loopback port.
    pub async fn start() -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let app = Router::new().fallback(record).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind mock upstream");
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self {
            url: format!("http://{addr}"),
            seen,
        }
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Paths (with query) received so far.
    pub fn paths(&self) -> Vec<String> {
        self.seen().iter().map(|s| s.uri.to_string()).collect()
    }

    /// Forgets what was received.
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

async fn record(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> String {
    let echo =
        serde_json::json!({ "upstream": true, "path": uri.path(), "method": method.as_str() })
            .to_string();
    seen.lock().unwrap().push(Seen {
        method,
        uri,
        headers,
        body,
    });
    echo
}
