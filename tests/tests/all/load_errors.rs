//! Plugins that cannot be loaded are refused at start, with a message naming the problem.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::wasm;

async fn load_error(plugin: &str, extra: &str) -> String {
    match TestGateway::start(plugin, "http://127.0.0.1:9", extra).await {
        Ok(_) => panic!("{plugin} loaded but should have been refused"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_world_and_missing_export_are_named() {
    let err = load_error(wasm::WRONG_WORLD, "").await;
    assert!(
        err.contains("does not implement an mlauth world")
            && err.contains("mlauth:plugin/authenticator@0.1.0"),
        "{err}"
    );
    let err = load_error(wasm::MISSING_EXPORT, "").await;
    assert!(err.contains("does not implement an mlauth world"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn core_modules_garbage_and_missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let err = load_error(core.to_str().unwrap(), "").await;
    assert!(
        err.contains("core WebAssembly module, not a component") && err.contains("wasm32-wasip2"),
        "{err}"
    );
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"#!/bin/sh\necho hi\n").unwrap();
    assert!(load_error(junk.to_str().unwrap(), "")
        .await
        .contains("not a WebAssembly file"));
    let truncated = dir.path().join("truncated.wasm");
    let bytes = std::fs::read(wasm::STATIC_TOKEN).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(load_error(truncated.to_str().unwrap(), "")
        .await
        .contains("failed to compile"));
    let missing = dir.path().join("missing.wasm");
    assert!(load_error(missing.to_str().unwrap(), "")
        .await
        .contains("cannot read plugin"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pinned_digest_must_match() {
    let wrong = "0".repeat(64);
    let err = load_error(
        wasm::STATIC_TOKEN,
        &format!("[plugins.test-app]\nsha256 = \"{wrong}\"\n"),
    )
    .await;
    assert!(err.contains("but the config pins"), "{err}");
    let right =
        mlauth::plugin::load::file_sha256(std::path::Path::new(wasm::STATIC_TOKEN)).unwrap();
    let gw = TestGateway::start(
        wasm::STATIC_TOKEN,
        "http://127.0.0.1:9",
        &format!("[plugins.test-app]\nsha256 = \"{right}\"\n"),
    )
    .await;
    assert!(gw.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_route_clashing_with_a_host_route_is_a_load_error() {
    let err = load_error(
        wasm::CUSTOM_AUTH_APP,
        "[store]\ndatabase_uri = \"sqlite::memory:\"\n[plugins.test-app]\ngrants = [\"users\", \"kv\", \"crypto\"]\n[plugins.test-app.config]\nextra_route = \"/health\"\n",
    )
    .await;
    assert!(
        err.contains("create-app failed") && err.contains("clashes with host route /health"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_fails_before_anything_listens() {
    let err = load_error(wasm::STATIC_TOKEN, "[sandbox]\nmemory_limit_mib = 0\n").await;
    assert!(err.contains("sandbox.memory_limit_mib = 0"), "{err}");
}
