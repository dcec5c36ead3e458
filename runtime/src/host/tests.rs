//! Unit tests of the capability backends: JWT verification with keys made here (RSA and
//! EC, served as a JWKS file and from a loopback JWKS URL), settings, and kv limits.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use mlauth_test_support::jwt::{now, SigningKey};
use serde_json::json;

use super::jwks::KeySet;
use super::jwt::verify;
use super::settings::{check_named_grants, read_named, JwtKeySetConfig, SecretSource};
use crate::bindings::mlauth::plugin::jwt::{Expectations, VerifyError};
use crate::plugin::Capability;

const ISS: &str = "https://idp.test/";

fn token(key: &SigningKey, kid: &str, claims: serde_json::Value) -> String {
    key.sign_as(kid, &claims)
}

fn claims(extra: serde_json::Value) -> serde_json::Value {
    let mut base = json!({"iss": ISS, "aud": "mlflow", "sub": "u1", "exp": now() + 300,
        "preferred_username": "alice", "groups": ["a", "b"]});
    base.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    base
}

fn expect() -> Expectations {
    Expectations {
        issuers: vec![ISS.into()],
        audiences: vec!["mlflow".into()],
        leeway_seconds: 5,
    }
}

fn file_set(keys: &[&SigningKey]) -> (KeySet, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let jwks = json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()});
    std::fs::write(dir.path().join("jwks.json"), jwks.to_string()).unwrap();
    let config = JwtKeySetConfig {
        jwks_file: Some("jwks.json".into()),
        issuers: vec![ISS.into()],
        ..Default::default()
    };
    (
        KeySet::from_config("corp", &config, Some(dir.path())).unwrap(),
        dir,
    )
}

#[tokio::test]
async fn rsa_and_ec_tokens_verify_and_return_their_claims() {
    let (rsa, ec) = (SigningKey::rsa("r1"), SigningKey::ec("e1"));
    let (set, _dir) = file_set(&[&rsa, &ec]);
    for (key, kid) in [(&rsa, "r1"), (&ec, "e1")] {
        let json = verify(&set, &token(key, kid, claims(json!({}))), &expect())
            .await
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["preferred_username"], "alice");
        assert_eq!(parsed["groups"], json!(["a", "b"]));
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_with_the_reason() {
    let ec = SigningKey::ec("e1");
    let (set, _dir) = file_set(&[&ec]);
    let check = |c: serde_json::Value| token(&ec, "e1", claims(c));
    let cases = [
        (check(json!({"exp": now() - 60})), VerifyError::Expired),
        (check(json!({"nbf": now() + 60})), VerifyError::NotYetValid),
        (
            check(json!({"iss": "https://evil.test/"})),
            VerifyError::WrongIssuer,
        ),
        (check(json!({"aud": "other"})), VerifyError::WrongAudience),
        (
            token(&ec, "nope", claims(json!({}))),
            VerifyError::UnknownKey("nope".into()),
        ),
        (
            token(&SigningKey::ec("e1"), "e1", claims(json!({}))),
            VerifyError::BadSignature,
        ),
    ];
    for (tok, want) in cases {
        assert_eq!(verify(&set, &tok, &expect()).await.unwrap_err(), want);
    }
    // Within the leeway an expired token still passes.
    assert!(verify(&set, &check(json!({"exp": now() - 3})), &expect())
        .await
        .is_ok());
    // Missing exp is refused.
    let mut no_exp = claims(json!({}));
    no_exp.as_object_mut().unwrap().remove("exp");
    let err = verify(&set, &token(&ec, "e1", no_exp), &expect())
        .await
        .unwrap_err();
    assert_eq!(err, VerifyError::Expired);
    // HMAC tokens are never accepted, whatever the key set holds.
    let hs = encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(b"k"),
    )
    .unwrap();
    assert_eq!(
        verify(&set, &hs, &expect()).await.unwrap_err(),
        VerifyError::BadSignature
    );
    assert!(matches!(
        verify(&set, "a.b", &expect()).await,
        Err(VerifyError::Malformed(_))
    ));
}

#[tokio::test]
async fn expectations_are_bounded_by_the_host_config() {
    let ec = SigningKey::ec("e1");
    let (set, _dir) = file_set(&[&ec]);
    let tok = token(&ec, "e1", claims(json!({"iss": "https://other.test/"})));
    let mut e = expect();
    e.issuers = vec!["https://other.test/".into()];
    let err = verify(&set, &tok, &e).await.unwrap_err();
    assert!(matches!(err, VerifyError::InvalidRequest(m) if m.contains("not allowed")));
    for broken in [
        Expectations {
            audiences: vec![],
            ..expect()
        },
        Expectations {
            issuers: vec![],
            ..expect()
        },
        Expectations {
            leeway_seconds: 301,
            ..expect()
        },
    ] {
        let err = verify(&set, &tok, &broken).await.unwrap_err();
        assert!(matches!(err, VerifyError::InvalidRequest(_)), "{err:?}");
    }
}

/// A loopback JWKS endpoint serving whatever `keys` holds, counting requests.
async fn jwks_server(
    keys: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    hits: Arc<AtomicUsize>,
) -> String {
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let keys = keys.clone();
            hits.fetch_add(1, Ordering::SeqCst);
            async move { axum::Json(json!({"keys": keys.lock().unwrap().clone()})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}/jwks")
}

#[tokio::test]
async fn a_url_key_set_is_cached_and_refetched_on_an_unknown_kid_rate_limited() {
    let (first, rotated) = (SigningKey::ec("k1"), SigningKey::ec("k2"));
    let keys = Arc::new(std::sync::Mutex::new(vec![first.jwk.clone()]));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(keys.clone(), hits.clone()).await;
    let config = |min_refetch| JwtKeySetConfig {
        jwks_url: Some(url.clone()),
        issuers: vec![ISS.into()],
        min_refetch_secs: Some(min_refetch),
        ..Default::default()
    };
    let set = KeySet::from_config("corp", &config(0), None).unwrap();
    let t1 = token(&first, "k1", claims(json!({})));
    for _ in 0..3 {
        verify(&set, &t1, &expect()).await.unwrap();
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "cached after the first fetch"
    );
    // The provider rotates: a token with the new kid triggers one refetch.
    keys.lock().unwrap().push(rotated.jwk.clone());
    verify(&set, &token(&rotated, "k2", claims(json!({}))), &expect())
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // With a refetch interval, a flood of unknown kids costs at most one fetch.
    let limited = KeySet::from_config("corp", &config(3600), None).unwrap();
    verify(&limited, &t1, &expect()).await.unwrap();
    for i in 0..5 {
        let err = verify(
            &limited,
            &token(&first, &format!("x{i}"), claims(json!({}))),
            &expect(),
        )
        .await;
        assert!(matches!(err, Err(VerifyError::UnknownKey(_))));
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[test]
fn jwks_urls_must_be_https_or_loopback() {
    use super::jwks::check_url;
    assert!(check_url("https://idp.example.com/jwks").is_ok());
    assert!(check_url("http://127.0.0.1:8080/jwks").is_ok());
    assert!(check_url("http://[::1]:8080/jwks").is_ok());
    assert!(check_url("http://idp.example.com/jwks").is_err());
    assert!(check_url("file:///etc/passwd").is_err());
}

#[test]
fn keys_and_secrets_come_from_env_or_file_and_errors_hide_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k"), "0123456789abcdef0123456789abcdef\n").unwrap();
    std::fs::write(dir.path().join("short"), "tiny-secret-value").unwrap();
    let source = |file: &str| SecretSource {
        env: None,
        file: Some(file.into()),
    };
    let defined = [
        ("k".to_string(), source("k")),
        ("short".to_string(), source("short")),
    ]
    .into();
    let keys = read_named("keys", &["k".into()], &defined, Some(dir.path()), 32).unwrap();
    assert_eq!(keys["k"].expose(), b"0123456789abcdef0123456789abcdef");
    assert_eq!(format!("{:?}", keys["k"]), "***");
    let err = read_named("keys", &["short".into()], &defined, Some(dir.path()), 32).unwrap_err();
    assert!(
        err.contains("keys.short is 17 bytes") && !err.contains("tiny"),
        "{err}"
    );
    let env = SecretSource {
        env: Some("MLAUTH_TEST_UNSET_VAR_X".into()),
        file: None,
    };
    let err = env.read("secrets.x", None).unwrap_err();
    assert!(err.contains("MLAUTH_TEST_UNSET_VAR_X is not set"), "{err}");
    assert!(SecretSource::default().validate("keys.x").is_err());
}

#[test]
fn named_grants_need_the_capability_and_a_definition() {
    let names = vec!["session".to_string()];
    let none: Vec<String> = Vec::new();
    let defined = "session".to_string();
    let listed = |grants: &[Capability], def: Vec<&String>| {
        check_named_grants(
            "app",
            grants,
            [
                ("keys", Capability::Crypto, names.as_slice(), def),
                ("secrets", Capability::Secrets, none.as_slice(), vec![]),
                ("jwt", Capability::Jwt, none.as_slice(), vec![]),
            ],
        )
    };
    assert!(listed(&[Capability::Crypto], vec![&defined]).is_ok());
    let err = listed(&[], vec![&defined]).unwrap_err();
    assert!(err.contains("`crypto` is not granted"), "{err}");
    let err = listed(&[Capability::Crypto], vec![]).unwrap_err();
    assert!(err.contains("[keys.session]"), "{err}");
}

#[test]
fn kv_limits_trap() {
    use super::kv::{check_key, expiry, MAX_TTL_SECONDS};
    assert!(check_key("").is_err());
    assert!(check_key(&"k".repeat(257)).is_err());
    assert!(check_key("session:abc").is_ok());
    assert_eq!(expiry(Some(2), 1000).unwrap(), Some(3000));
    assert!(expiry(Some(0), 0).is_err());
    assert!(expiry(Some(MAX_TTL_SECONDS + 1), 0).is_err());
    assert_eq!(expiry(None, 5).unwrap(), None);
}
