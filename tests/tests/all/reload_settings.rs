//! Hot reload of a plugin's settings beyond its `config` table: the secrets, keys and JWT
//! key sets it names are read again (so a reload rotates or revokes them), and a change of
//! `request_headers` alone is a new version.

use std::path::Path;

use mlauth::reload::ReloadOutcome;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

/// The `cap-secrets` fixture as `test-app`, granted `secrets` and the names in `secrets`.
fn write_config(config: &Path, upstream: &str, secret_file: &Path, secrets: &str, extra: &str) {
    let text = format!(
        "[server]\nupstream = \"{upstream}\"\nport = 0\n[reload]\nwatch = false\n\
         [secrets.api]\nfile = {secret_file:?}\n\
         [plugins.test-app]\npath = {:?}\ngrants = [\"secrets\"]\nsecrets = [{secrets}]\n{extra}",
        wasm::CAP_SECRETS
    );
    std::fs::write(config, text).unwrap();
}

/// `GET /api` with `token` as Bearer: the status, and the user the upstream saw (if any).
async fn call(gw: &TestGateway, upstream: &MockUpstream, token: &str) -> (u16, Option<String>) {
    upstream.clear();
    let resp = reqwest::Client::new()
        .get(gw.at("/api"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let user = upstream
        .seen()
        .last()
        .map(|seen| seen.headers["x-mlauth-user"].to_str().unwrap().to_owned());
    (resp.status().as_u16(), user)
}

async fn reload(gw: &TestGateway) -> ReloadOutcome {
    gw.gateway.reloader.reload("test").await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_rotates_and_revokes_secrets_and_applies_request_headers() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (config, secret) = (dir.path().join("mlauth.toml"), dir.path().join("api"));
    std::fs::write(&secret, "first-token").unwrap();
    write_config(&config, &upstream.url, &secret, "\"api\"", "");
    let gw = TestGateway::start_from_file(&config, "test-app")
        .await
        .unwrap();
    assert_eq!(
        call(&gw, &upstream, "first-token").await,
        (200, Some("match".into()))
    );

    // Rotated: the file holds a new value; a reload makes it the only one accepted.
    std::fs::write(&secret, "second-token").unwrap();
    assert!(matches!(reload(&gw).await, ReloadOutcome::Swapped { .. }));
    assert_eq!(call(&gw, &upstream, "first-token").await, (401, None));
    assert_eq!(
        call(&gw, &upstream, "second-token").await,
        (200, Some("match".into()))
    );

    // Revoked: no longer named for the plugin, so it cannot read it any more.
    write_config(&config, &upstream.url, &secret, "", "");
    assert!(matches!(reload(&gw).await, ReloadOutcome::Swapped { .. }));
    assert_eq!(
        call(&gw, &upstream, "second-token").await,
        (200, Some("absent".into()))
    );

    // Only `request_headers` changes: still a new version. Then nothing changes.
    let narrow = "request_headers = [\"authorization\"]\n";
    write_config(&config, &upstream.url, &secret, "", narrow);
    assert!(matches!(reload(&gw).await, ReloadOutcome::Swapped { .. }));
    assert!(matches!(reload(&gw).await, ReloadOutcome::Unchanged { .. }));

    // A secret that cannot be read refuses the reload; the serving version stays.
    let missing = dir.path().join("missing");
    write_config(&config, &upstream.url, &missing, "\"api\"", narrow);
    let err = gw.gateway.reloader.reload("test").await.unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(
        call(&gw, &upstream, "second-token").await,
        (200, Some("absent".into()))
    );
}
