//! A stand-in OIDC provider for tests: signing keys made on the spot (RSA and EC P-256),
//! their JWKS served on loopback (rotatable, with a request counter), and token minting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// The issuer the test provider signs as.
pub const ISSUER: &str = "https://idp.test/";

/// A signing key and its public JWK.
pub struct SigningKey {
    /// Key id.
    pub kid: String,
    alg: Algorithm,
    enc: EncodingKey,
    /// The public half as a JWK.
    pub jwk: Value,
}

impl SigningKey {
    /// A fresh RSA-2048 key (RS256).
    pub fn rsa(kid: &str) -> Self {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let sk = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("rsa keygen");
        Self {
            kid: kid.into(),
            alg: Algorithm::RS256,
            enc: EncodingKey::from_rsa_der(sk.to_pkcs1_der().expect("der").as_bytes()),
            jwk: json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                "n": B64.encode(sk.n().to_bytes_be()), "e": B64.encode(sk.e().to_bytes_be())}),
        }
    }

    /// A fresh EC P-256 key (ES256).
    pub fn ec(kid: &str) -> Self {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let sk = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let point = sk.public_key().to_encoded_point(false);
        Self {
            kid: kid.into(),
            alg: Algorithm::ES256,
            enc: EncodingKey::from_ec_der(sk.to_pkcs8_der().expect("der").as_bytes()),
            jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                "x": B64.encode(point.x().expect("x")), "y": B64.encode(point.y().expect("y"))}),
        }
    }

    /// Signs `claims` with this key (header `kid` = its id).
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        encode(&header, claims, &self.enc).expect("sign")
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

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
        let keys = Arc::new(Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect()));
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
