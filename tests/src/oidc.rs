//! A stand-in OIDC provider for tests: signing keys made on the spot (RSA and EC P-256),
//! their JWKS served on loopback (rotatable, with a request counter), and token minting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use mlauth_test_support::jwt::{now, SigningKey};
use serde_json::{json, Value};

/// The issuer the test provider signs as.
pub const ISSUER: &str = "https://idp.test/";

/// Standard claims for `username` (issuer [`ISSUER`], audience `mlflow`, 5 minutes), with
/// `extra` merged over them.
pub fn claims(username: &str, extra: Value) -> Value {
    let mut base = json!({"iss": ISSUER, "aud": "mlflow", "sub": format!("sub-{username}"),
        "preferred_username": username, "iat": now(), "exp": now() + 300});
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    base
}

/// A JWKS endpoint on loopback.
pub struct JwksServer {
    /// `http://127.0.0.1:<port>/jwks`.
    pub url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    /// Serves the public halves of `keys`.
    pub async fn start(keys: &[&SigningKey]) -> Self {
        let keys: Arc<Mutex<Vec<Value>>> =
            Arc::new(Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (k, h) = (keys.clone(), hits.clone());
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                h.fetch_add(1, Ordering::SeqCst);
                let body = json!({"keys": k.lock().unwrap().clone()});
                async move { axum::Json(body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self {
            url: format!("http://{addr}/jwks"),
            keys,
            hits,
        }
    }

    /// Publishes one more key (a rotation).
    pub fn add(&self, key: &SigningKey) {
        self.keys.lock().unwrap().push(key.jwk.clone());
    }

    /// How many times the JWKS was fetched.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
