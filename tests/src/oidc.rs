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
    /// A fresh RSA-2048 key (RS256), made by the `openssl` command (ring cannot generate
    /// RSA keys).
    pub fn rsa(kid: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let pem = dir.path().join("k.pem");
        let der = dir.path().join("k.der");
        let run = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .output()
                .expect("run openssl");
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
            String::from_utf8(out.stdout).expect("utf-8")
        };
        let (pem_s, der_s) = (pem.to_str().unwrap(), der.to_str().unwrap());
        run(&["genrsa", "-traditional", "-out", pem_s, "2048"]);
        run(&[
            "rsa",
            "-in",
            pem_s,
            "-outform",
            "DER",
            "-traditional",
            "-out",
            der_s,
        ]);
        let modulus = run(&["rsa", "-in", pem_s, "-noout", "-modulus"]);
        let hex = modulus.trim().trim_start_matches("Modulus=");
        let n: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        Self {
            kid: kid.into(),
            alg: Algorithm::RS256,
            enc: EncodingKey::from_rsa_der(&std::fs::read(&der).expect("der")),
            jwk: json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                "n": B64.encode(n), "e": B64.encode([1u8, 0, 1])}),
        }
    }

    /// A fresh EC P-256 key (ES256), made with ring.
    pub fn ec(kid: &str) -> Self {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING as ALG};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ALG, &rng).expect("ec keygen");
        let pair = EcdsaKeyPair::from_pkcs8(&ALG, pkcs8.as_ref(), &rng).expect("ec key");
        let point = pair.public_key().as_ref(); // 0x04 || x || y
        Self {
            kid: kid.into(),
            alg: Algorithm::ES256,
            enc: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])}),
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
