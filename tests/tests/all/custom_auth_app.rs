//! The custom-auth-app example through the gateway: public routes, login (credentials
//! checked through `users` against the `[store]` database), opaque session tokens in `kv`
//! shared by two instances, logout, and lockout after repeated failures (the plugin's own,
//! per username, and the host's, per address, which also covers public plugin routes).

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;
use serde_json::{json, Value};

/// Creates the `[store]` database with users alice and bob; returns the config fragment.
pub async fn store_with_users(dir: &std::path::Path) -> String {
    let db = dir.join("mlauth.db");
    let store = mlauth::store::Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    for (user, password) in [("alice", "alice-password-1"), ("bob", "bob-password-123")] {
        let hash = mlauth::basic_auth::password::generate_password_hash(password);
        store.create_user(user, &hash, false).await.unwrap();
    }
    store.close().await;
    format!(
        "[store]\ndatabase_uri = \"sqlite:///{}\"\n\
         [plugins.test-app]\ngrants = [\"users\", \"kv\", \"crypto\"]\n\
         config = {{ max_failed_logins = 3, lockout_seconds = 60 }}\n",
        db.display()
    )
}

pub async fn login(gw: &TestGateway, user: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(gw.at("/api/custom-auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn search(gw: &TestGateway, bearer: &str) -> u16 {
    reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_sessions_logout_and_lockout() {
    let dir = tempfile::tempdir().unwrap();
    let toml = store_with_users(dir.path()).await;
    let upstream = MockUpstream::start().await;
    let a = TestGateway::start(wasm::CUSTOM_AUTH_APP, &upstream.url, &toml)
        .await
        .unwrap();
    let b = TestGateway::start(wasm::CUSTOM_AUTH_APP, &upstream.url, &toml)
        .await
        .unwrap();
    let client = reqwest::Client::new();

    // Public routes and the unauthenticated refusal.
    assert_eq!(
        client.get(a.at("/public/x")).send().await.unwrap().status(),
        200
    );
    let refused = client
        .get(a.at("/api/2.0/mlflow/experiments/search"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        "Basic realm=\"mlflow\""
    );

    // Login on instance A; the token works on both instances (kv is shared).
    let ok = login(&a, "alice", "alice-password-1").await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_i64()),
        (Some("Bearer"), Some(3600))
    );
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(search(&a, &token).await, 200);
    assert_eq!(search(&b, &token).await, 200);
    let seen = upstream.seen();
    assert!(seen.iter().all(|s| s.headers["x-mlauth-user"] == "alice"));
    assert!(
        seen.iter()
            .all(|s| !s.uri.path().starts_with("/api/custom-auth")),
        "plugin routes stay local"
    );
    // The same token with its last character changed (to one it does not already have).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let altered = format!("{}{last}", &token[..token.len() - 1]);
    assert_ne!(altered, token);
    assert_eq!(search(&a, &altered).await, 401);

    // Logout on B revokes it everywhere.
    let out = client
        .post(b.at("/api/custom-auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.json::<Value>().await.unwrap(), json!({"revoked": true}));
    assert_eq!(search(&a, &token).await, 401);

    // Three failures (on either instance) lock alice out, even with her password and
    // through Basic credentials; bob is unaffected.
    for gw in [&a, &b, &a] {
        assert_eq!(login(gw, "alice", "wrong").await.status(), 401);
    }
    let locked = login(&b, "alice", "alice-password-1").await;
    assert_eq!(locked.status(), 429);
    assert_eq!(locked.headers()["retry-after"], "60");
    let basic = client
        .get(a.at("/api/2.0/mlflow/experiments/search"))
        .basic_auth("alice", Some("alice-password-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 429);
    assert_eq!(login(&a, "bob", "bob-password-123").await.status(), 200);
    assert_eq!(login(&a, "nobody", "whatever").await.status(), 401);
    assert_eq!(
        client
            .post(a.at("/api/custom-auth/login"))
            .body("not json")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hosts_address_lockout_covers_a_public_login_route() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = MockUpstream::start().await;
    let toml = format!(
        "[brute_force]\nmax_failures_per_address = 4\n{}",
        store_with_users(dir.path()).await
    );
    let gw = TestGateway::start(wasm::CUSTOM_AUTH_APP, &upstream.url, &toml)
        .await
        .unwrap();
    // A good login is not a failure; one wrong password each for four usernames stays
    // under the plugin's per-username lockout (3) but reaches the address threshold.
    assert_eq!(login(&gw, "alice", "alice-password-1").await.status(), 200);
    for user in ["alice", "bob", "carol", "dave"] {
        assert_eq!(
            login(&gw, user, "wrong-password").await.status(),
            401,
            "{user}"
        );
    }
    let locked = login(&gw, "bob", "bob-password-123").await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    let body: Value = locked.json().await.unwrap();
    assert_eq!(body["error_code"], "REQUEST_LIMIT_EXCEEDED", "{body}");
    // The operator's reset lifts it.
    gw.gateway.state.brute_force.clear();
    assert_eq!(login(&gw, "bob", "bob-password-123").await.status(), 200);
}
