//! The `mlauth` binary: version, the app registry, and start-up errors.

use std::path::PathBuf;
use std::process::Command;

use mlauth_tests::wasm;

/// The `mlauth` binary: `mlauth-under-test`, which `cargo test` builds for this package (the
/// same `main` as `runtime/src/main.rs`).
pub(crate) fn mlauth_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mlauth-under-test"))
}

/// `mlauth plugins install FILE --name NAME` into `plugins_dir`.
fn install(file: &str, name: &str, plugins_dir: &std::path::Path) -> (bool, String) {
    mlauth(&["plugins", "install", file, "--name", name], plugins_dir)
}

/// Runs the binary with `MLAUTH_PLUGINS_DIR`; success and stdout+stderr.
pub(crate) fn mlauth(args: &[&str], plugins_dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(mlauth_bin())
        .args(args)
        .env("MLAUTH_PLUGINS_DIR", plugins_dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn version_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = mlauth(&["--version"], dir.path());
    assert!(ok && out.contains(env!("CARGO_PKG_VERSION")), "{out}");
}

#[test]
fn plugins_install_list_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = install(wasm::STATIC_TOKEN, "my-auth", dir.path());
    assert!(ok, "{out}");
    assert!(dir.path().join("my-auth.wasm").exists());
    let (ok, out) = mlauth(&["plugins", "list"], dir.path());
    let sha = mlauth::plugin::load::file_sha256(std::path::Path::new(wasm::STATIC_TOKEN)).unwrap();
    assert!(
        ok && out.contains("my-auth") && out.contains("authenticator-plugin") && out.contains(&sha),
        "{out}"
    );
    let (ok, out) = mlauth(&["plugins", "inspect", wasm::CUSTOM_AUTH_APP], dir.path());
    assert!(
        ok && out.contains("app-plugin") && out.contains("mlauth:plugin/app@0.1.0"),
        "{out}"
    );
    let (ok, out) = install(wasm::WRONG_WORLD, "bad", dir.path());
    assert!(
        !ok && out.contains("does not implement an mlauth world"),
        "{out}"
    );
    assert!(!dir.path().join("bad.wasm").exists());
}

#[test]
fn install_writes_through_no_planted_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    // The temporary name an installer might predict, pointing at another file.
    std::os::unix::fs::symlink(&victim, dir.path().join(".my-auth.wasm.tmp")).unwrap();
    let (ok, out) = install(wasm::STATIC_TOKEN, "my-auth", dir.path());
    assert!(ok, "{out}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let installed = std::fs::read(dir.path().join("my-auth.wasm")).unwrap();
    assert_eq!(installed, std::fs::read(wasm::STATIC_TOKEN).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wasm.tmp") && n != ".my-auth.wasm.tmp")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn unknown_app_lists_the_available_apps() {
    let dir = tempfile::tempdir().unwrap();
    install(wasm::STATIC_TOKEN, "token-auth", dir.path());
    let (ok, out) = mlauth(&["run", "--app-name", "nope", "--port", "0"], dir.path());
    assert!(!ok, "{out}");
    assert!(
        out.contains("unknown app `nope`") && out.contains("token-auth"),
        "{out}"
    );
}

#[test]
fn bad_config_is_reported_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mlauth.toml");
    std::fs::write(&config, "[server]\nupstrem = \"http://127.0.0.1:1\"\n").unwrap();
    let (ok, out) = mlauth(
        &[
            "run",
            "--app-name",
            "x",
            "--config",
            config.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!ok && out.contains("upstrem"), "{out}");
}
