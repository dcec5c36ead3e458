//! JWT signing keys made on the spot: RSA-2048 (RS256, by the `openssl` command, since ring
//! cannot generate RSA keys) and EC P-256 (ES256, by ring), each with its public JWK.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// A private signing key and its public half as a JWK.
pub struct SigningKey {
    /// Key id (the JWK's `kid`).
    pub kid: String,
    /// The JWS algorithm the key signs with.
    pub alg: Algorithm,
    enc: EncodingKey,
    /// The public half as a JWK (`kty`, `kid`, `alg`, `use` and the key parameters).
    pub jwk: Value,
}

impl SigningKey {
    /// A fresh RSA-2048 key (RS256).
    pub fn rsa(kid: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let pem = dir.path().join("k.pem");
        let der = dir.path().join("k.der");
        let (pem, der) = (pem.to_str().expect("utf-8"), der.to_str().expect("utf-8"));
        openssl(&["genrsa", "-traditional", "-out", pem, "2048"]);
        openssl(&[
            "rsa",
            "-in",
            pem,
            "-outform",
            "DER",
            "-traditional",
            "-out",
            der,
        ]);
        let modulus = openssl(&["rsa", "-in", pem, "-noout", "-modulus"]);
        let n = decode_hex(modulus.trim().trim_start_matches("Modulus="));
        Self {
            kid: kid.into(),
            alg: Algorithm::RS256,
            enc: EncodingKey::from_rsa_der(&std::fs::read(der).expect("read DER key")),
            jwk: json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                "n": B64.encode(n), "e": B64.encode([1u8, 0, 1])}),
        }
    }

    /// A fresh EC P-256 key (ES256).
    pub fn ec(kid: &str) -> Self {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING as ALG};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ALG, &rng).expect("EC key generation");
        let pair = EcdsaKeyPair::from_pkcs8(&ALG, pkcs8.as_ref(), &rng).expect("EC key");
        let point = pair.public_key().as_ref(); // 0x04 || x || y
        Self {
            kid: kid.into(),
            alg: Algorithm::ES256,
            enc: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])}),
        }
    }

    /// Signs `claims` with this key, the header naming its own key id.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }

    /// Signs `claims` with this key under the header key id `kid` (which may name another
    /// key or none that exists, to test how a verifier picks keys).
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_string());
        encode(&header, claims, &self.enc).expect("sign")
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// Runs the `openssl` command; panics with its output when it fails.
fn openssl(args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digit"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sign_tokens_their_jwks_verify() {
        use jsonwebtoken::{decode, DecodingKey, Validation};
        let claims = json!({"sub": "alice", "exp": now() + 60});
        for key in [SigningKey::rsa("r"), SigningKey::ec("e")] {
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk.clone()).unwrap();
            let token = key.sign(&claims);
            let decoded = decode::<Value>(
                &token,
                &DecodingKey::from_jwk(&jwk).unwrap(),
                &Validation::new(key.alg),
            )
            .unwrap();
            assert_eq!(decoded.claims["sub"], "alice");
            let header = jsonwebtoken::decode_header(&key.sign_as("other", &claims)).unwrap();
            assert_eq!(header.kid.as_deref(), Some("other"));
        }
    }
}
