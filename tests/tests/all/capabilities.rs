//! Capability grants: each capability is denied by default (a plugin importing it fails to
//! load, naming it) and works when granted — through the gateway, with real SQLite.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

/// Starts `plugin` as app `app` with `toml` appended to a config pointing at `upstream`.
async fn start_as(
    app: &str,
    plugin: &str,
    upstream: &str,
    toml: &str,
) -> Result<TestGateway, String> {
    let text = format!("[server]\nupstream = \"{upstream}\"\nport = 0\n{toml}");
    let config = mlauth::config::MlauthConfig::parse(&text)?;
    TestGateway::start_with(config, app, plugin)
        .await
        .map_err(|e| e.to_string())
}

async fn load_error(plugin: &str, toml: &str) -> String {
    match start_as("test-app", plugin, "http://127.0.0.1:9", toml).await {
        Ok(_) => panic!("{plugin} loaded with {toml:?}"),
        Err(e) => e,
    }
}

fn assert_names_ungranted(err: &str, capability: &str) {
    assert!(
        err.contains(&format!(
            "imports capability `{capability}` which is not granted"
        )) && err.contains(&format!("grants = [\"{capability}\"]")),
        "{err}"
    );
}

/// The username the upstream saw on its last request.
fn last_user(upstream: &MockUpstream) -> String {
    let seen = upstream.seen();
    let last = seen.last().expect("a forwarded request");
    last.headers["x-mlauth-user"].to_str().unwrap().to_owned()
}

async fn get(gw: &TestGateway, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(gw.at(path));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_capability_is_denied_by_default() {
    assert_names_ungranted(&load_error(wasm::CAP_KV, "").await, "kv");
    assert_names_ungranted(&load_error(wasm::CAP_CRYPTO, "").await, "crypto");
    assert_names_ungranted(&load_error(wasm::CAP_SECRETS, "").await, "secrets");
    assert_names_ungranted(&load_error(wasm::OIDC_JWT, "").await, "jwt");
    // A plugin importing several is refused for the first one missing.
    let partial = "[store]\ndatabase_uri = \"sqlite::memory:\"\n[plugins.test-app]\ngrants = [\"kv\", \"crypto\"]\n";
    assert_names_ungranted(&load_error(wasm::CUSTOM_AUTH_APP, partial).await, "users");
    // Granting one capability does not grant another.
    let kv_only =
        "[store]\ndatabase_uri = \"sqlite::memory:\"\n[plugins.test-app]\ngrants = [\"kv\"]\n";
    assert_names_ungranted(&load_error(wasm::CAP_CRYPTO, kv_only).await, "crypto");
}

#[tokio::test(flavor = "multi_thread")]
async fn kv_is_shared_by_instances_on_one_database_and_namespaced_per_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = MockUpstream::start().await;
    let toml = format!(
        "[store]\ndatabase_uri = \"sqlite:///{}\"\n[plugins.test-app]\ngrants = [\"kv\"]\n[plugins.other-app]\ngrants = [\"kv\"]\n",
        dir.path().join("mlauth.db").display()
    );
    let a = start_as("test-app", wasm::CAP_KV, &upstream.url, &toml)
        .await
        .unwrap();
    let b = start_as("test-app", wasm::CAP_KV, &upstream.url, &toml)
        .await
        .unwrap();
    let mut counts = Vec::new();
    for gw in [&a, &b, &a, &b] {
        assert_eq!(get(gw, "/count/hits", None).await.status(), 200);
        counts.push(last_user(&upstream));
    }
    assert_eq!(
        counts,
        ["n1", "n2", "n3", "n4"],
        "both instances count in one place"
    );
    let other = start_as("other-app", wasm::CAP_KV, &upstream.url, &toml)
        .await
        .unwrap();
    get(&other, "/count/hits", None).await;
    assert_eq!(
        last_user(&upstream),
        "n1",
        "another plugin has its own namespace"
    );
    // set on one instance, get on the other; the 1 s TTL expires it.
    get(&a, "/set/hello", None).await;
    get(&b, "/get", None).await;
    assert_eq!(last_user(&upstream), "v-hello");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    get(&b, "/get", None).await;
    assert_eq!(last_user(&upstream), "v-none");
    get(&a, "/delete", None).await;
    assert_eq!(last_user(&upstream), "deleted-false");
}

#[tokio::test(flavor = "multi_thread")]
async fn crypto_uses_granted_host_keys_by_name_only() {
    let dir = tempfile::tempdir().unwrap();
    let key = "k".repeat(40);
    std::fs::write(dir.path().join("k1"), format!("{key}\n")).unwrap();
    std::fs::write(dir.path().join("k2"), "x".repeat(40)).unwrap();
    let upstream = MockUpstream::start().await;
    let toml = format!(
        "[keys.k1]\nfile = \"{d}/k1\"\n[keys.k2]\nfile = \"{d}/k2\"\n[plugins.test-app]\ngrants = [\"crypto\"]\nkeys = [\"k1\"]\n",
        d = dir.path().display()
    );
    let gw = start_as("test-app", wasm::CAP_CRYPTO, &upstream.url, &toml)
        .await
        .unwrap();
    assert_eq!(get(&gw, "/hmac/k1/hello", None).await.status(), 200);
    let expected = hex(&mlauth::host::crypto::hmac_sha256(key.as_bytes(), b"hello"));
    assert_eq!(last_user(&upstream), expected);
    get(&gw, &format!("/verify/k1/hello/{expected}"), None).await;
    assert_eq!(last_user(&upstream), "valid-true");
    get(&gw, &format!("/verify/k1/hellO/{expected}"), None).await;
    assert_eq!(last_user(&upstream), "valid-false");
    // k2 exists in the config but was not granted to this plugin.
    let denied = get(&gw, "/hmac/k2/hello", None).await;
    assert_eq!(denied.status(), 403);
    let body = denied.text().await.unwrap();
    assert!(
        body.contains("key `k2` is not granted") && !body.contains("xxxx"),
        "{body}"
    );
    get(&gw, "/sha256/abc", None).await;
    assert_eq!(
        last_user(&upstream),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    get(&gw, "/random", None).await;
    let r1 = last_user(&upstream);
    get(&gw, "/random", None).await;
    assert!(r1.len() == 32 && r1 != last_user(&upstream));
    // Naming keys without the grant, or an undefined key, stops the start.
    let err = load_error(
        wasm::STATIC_TOKEN,
        "[keys.k]\nenv = \"X\"\n[plugins.test-app]\nkeys = [\"k\"]\n",
    )
    .await;
    assert!(err.contains("`crypto` is not granted"), "{err}");
    let err = load_error(
        wasm::CAP_CRYPTO,
        "[plugins.test-app]\ngrants = [\"crypto\"]\nkeys = [\"nope\"]\n",
    )
    .await;
    assert!(err.contains("[keys.nope]"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_reach_only_the_plugin_they_are_granted_to() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("api"), "s3cret-api-token\n").unwrap();
    std::fs::write(dir.path().join("other"), "other-secret").unwrap();
    let upstream = MockUpstream::start().await;
    let toml = format!(
        "[secrets.api]\nfile = \"{d}/api\"\n[secrets.other]\nfile = \"{d}/other\"\n[plugins.test-app]\ngrants = [\"secrets\"]\nsecrets = [\"api\"]\n",
        d = dir.path().display()
    );
    let gw = start_as("test-app", wasm::CAP_SECRETS, &upstream.url, &toml)
        .await
        .unwrap();
    assert_eq!(
        get(&gw, "/api", Some("s3cret-api-token")).await.status(),
        200
    );
    assert_eq!(last_user(&upstream), "match");
    assert_eq!(get(&gw, "/api", Some("wrong")).await.status(), 401);
    get(&gw, "/other", Some("other-secret")).await;
    assert_eq!(
        last_user(&upstream),
        "absent",
        "a configured but ungranted secret is invisible"
    );
    let err = load_error(
        wasm::CAP_SECRETS,
        "[secrets.s]\nenv = \"MLAUTH_TEST_SURELY_UNSET\"\n[plugins.test-app]\ngrants = [\"secrets\"]\nsecrets = [\"s\"]\n",
    )
    .await;
    assert!(err.contains("MLAUTH_TEST_SURELY_UNSET is not set"), "{err}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
