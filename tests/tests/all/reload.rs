//! Hot reload: reloads under load drop no request and never mix versions within one
//! request; a broken or half-written plugin keeps the old version serving; a reload that
//! fails validation (route clash) is refused.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mlauth::reload::ReloadOutcome;
use mlauth_tests::component::with_custom_section;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::loadgen;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

/// A config for app `app` running `plugin` with setting `version`.
fn write_config(path: &Path, upstream: &str, app: &str, plugin: &Path, version: &str, extra: &str) {
    let text = format!(
        "[server]\nupstream = \"{upstream}\"\nport = 0\n\n[reload]\ndebounce_ms = 50\n\n\
         [plugins.{app}]\npath = {plugin:?}\nconfig = {{ version = \"{version}\" }}\n{extra}"
    );
    // Write next to it and rename, as deploy tools do.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The check for `/version`: both halves of the request ran on the same version.
fn same_version() -> Arc<mlauth_tests::loadgen::Check> {
    Arc::new(|status: u16, body: &[u8]| {
        let text = String::from_utf8_lossy(body);
        if status != 200 {
            return Err(format!("status {status}: {text}"));
        }
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("{e}: {text}"))?;
        match (json["auth"].as_str(), json["handle"].as_str()) {
            (Some(a), Some(h)) if a == h => Ok(a.to_string()),
            _ => Err(format!("request saw two versions: {text}")),
        }
    })
}

fn start_load(
    gw: &TestGateway,
    stop: &Arc<AtomicBool>,
) -> tokio::task::JoinHandle<loadgen::CheckedReport> {
    let addr = gw.url.trim_start_matches("http://").to_string();
    tokio::spawn(loadgen::run_checked(
        addr,
        "/version".into(),
        4,
        stop.clone(),
        same_version(),
    ))
}

async fn version_now(gw: &TestGateway) -> String {
    let body = reqwest::get(gw.at("/version"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    json["handle"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_reloads_under_load_drop_nothing_and_never_mix_versions() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mlauth.toml");
    let plugin = Path::new(wasm::VERSIONED);
    write_config(&config, &upstream.url, "reload-app", plugin, "0", "");
    let gw = TestGateway::start_from_file(&config, "reload-app")
        .await
        .unwrap();
    assert_eq!(version_now(&gw).await, "0");

    let stop = Arc::new(AtomicBool::new(false));
    let load = start_load(&gw, &stop);
    let reloader = gw.gateway.reloader.clone();
    for i in 1..=100 {
        write_config(
            &config,
            &upstream.url,
            "reload-app",
            plugin,
            &i.to_string(),
            "",
        );
        let outcome = reloader.reload("test").await.expect("reload");
        assert!(
            matches!(outcome, ReloadOutcome::Swapped { .. }),
            "{outcome:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Same bytes and settings again: nothing to swap.
    assert!(matches!(
        reloader.reload("test").await.unwrap(),
        ReloadOutcome::Unchanged { .. }
    ));
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::Relaxed);
    let report = load.await.unwrap();

    assert_eq!(report.failed, 0, "failed requests: {:?}", report.failures);
    assert!(report.requests > 100, "load too small: {report:?}");
    assert!(
        report.labels.len() >= 3,
        "reloads did not take effect under load: saw {:?}",
        report.labels
    );
    assert_eq!(version_now(&gw).await, "100");
    assert_eq!(reloader.stats().ok, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_plugin_written_mid_flight_keeps_the_old_version() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mlauth.toml");
    let plugin = dir.path().join("plugin.wasm");
    let good = std::fs::read(wasm::VERSIONED).unwrap();
    std::fs::write(&plugin, &good).unwrap();
    write_config(&config, &upstream.url, "broken-app", &plugin, "1", "");
    let gw = TestGateway::start_from_file(&config, "broken-app")
        .await
        .unwrap();
    let _watch = gw.gateway.watch().expect("file watcher");
    let old_sha = gw.gateway.state.plugin.load().info.sha256.clone();
    let reloader = gw.gateway.reloader.clone();

    let stop = Arc::new(AtomicBool::new(false));
    let load = start_load(&gw, &stop);
    // A half-written file (what a reader sees during a slow copy), written in place.
    std::fs::write(&plugin, &good[..good.len() / 2]).unwrap();
    wait_for(
        || reloader.stats().failed >= 1,
        "the broken plugin to be refused",
    )
    .await;
    assert_eq!(gw.gateway.state.plugin.load().info.sha256, old_sha);
    assert_eq!(version_now(&gw).await, "1");
    // Garbage is refused too.
    std::fs::write(&plugin, b"not a component").unwrap();
    wait_for(|| reloader.stats().failed >= 2, "garbage to be refused").await;
    assert_eq!(version_now(&gw).await, "1");

    // The finished file (new bytes, renamed into place) is picked up.
    let new = with_custom_section(&good, "v2");
    let tmp = dir.path().join(".plugin.wasm.part");
    std::fs::write(&tmp, &new).unwrap();
    std::fs::rename(&tmp, &plugin).unwrap();
    let new_sha = mlauth::plugin::load::sha256_hex(&new);
    let state = gw.gateway.state.clone();
    wait_for(
        || state.plugin.load().info.sha256 == new_sha,
        "the repaired plugin to be loaded",
    )
    .await;
    // And a config edit is picked up by the watcher as well.
    write_config(&config, &upstream.url, "broken-app", &plugin, "2", "");
    let deadline = Instant::now() + Duration::from_secs(20);
    while version_now(&gw).await != "2" {
        assert!(Instant::now() < deadline, "config change not reloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let report = load.await.unwrap();
    assert_eq!(report.failed, 0, "failed requests: {:?}", report.failures);
    assert!(report.labels.contains("1"), "{report:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_reruns_create_app_validation_and_grants() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mlauth.toml");
    let app = Path::new(wasm::CUSTOM_AUTH_APP);
    let settings = "username = \"u\", password = \"p\"";
    let write = |extra: &str| {
        std::fs::write(
            &config,
            format!(
                "[server]\nupstream = \"{}\"\nport = 0\n[plugins.clash-app]\npath = {app:?}\ngrants = [\"users\", \"kv\", \"crypto\"]\nconfig = {{ {settings}{extra} }}\n",
                upstream.url
            ),
        )
        .unwrap()
    };
    write("");
    let gw = TestGateway::start_from_file(&config, "clash-app")
        .await
        .unwrap();
    let sha = gw.gateway.state.plugin.load().info.sha256.clone();
    let routes = gw.gateway.state.plugin.load().routes.len();
    // An extra route under the host's public /static/ prefix clashes: refused.
    write(", extra_route = \"/static/x\"");
    let err = gw.gateway.reloader.reload("test").await.unwrap_err();
    assert!(err.to_string().contains("clashes with host route"), "{err}");
    assert_eq!(gw.gateway.state.plugin.load().routes.len(), routes);
    // A plugin importing an ungranted capability (basic-auth needs `users`): refused.
    std::fs::write(
        &config,
        format!(
            "[server]\nupstream = \"{}\"\nport = 0\n[plugins.clash-app]\npath = {:?}\n",
            upstream.url,
            wasm::BASIC_AUTH
        ),
    )
    .unwrap();
    let err = gw.gateway.reloader.reload("test").await.unwrap_err();
    assert!(err.to_string().contains("not granted"), "{err}");
    // An invalid config is refused with the key named.
    std::fs::write(&config, "[server]\nprot = 1\n").unwrap();
    let err = gw.gateway.reloader.reload("test").await.unwrap_err();
    assert!(err.to_string().contains("prot"), "{err}");
    assert_eq!(gw.gateway.state.plugin.load().info.sha256, sha);
    // A valid extra route is accepted.
    write(", extra_route = \"/extra\"");
    gw.gateway.reloader.reload("test").await.unwrap();
    assert_eq!(gw.gateway.state.plugin.load().routes.len(), routes + 1);
    let resp = reqwest::get(gw.at("/extra")).await.unwrap();
    assert_eq!(
        resp.status(),
        404,
        "the plugin's own handler answers /extra"
    );
    assert_eq!(gw.gateway.reloader.stats().failed, 3);
}

/// Polls `cond` every 20 ms for up to 20 s.
pub async fn wait_for(cond: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
