//! Builds the built-in basic-auth plugin (`example-plugins/basic-auth`) for `wasm32-wasip2`
//! and hands its path to the crate (`MLAUTH_BUILTIN_BASIC_AUTH`), which embeds the bytes,
//! so `mlauth run --app-name basic-auth` needs no separate plugin build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = here.parent().expect("runtime/ has a parent");
    let plugins = root.join("example-plugins");
    for path in [
        "wit",
        "guest-sdk/src",
        "guest-sdk/Cargo.toml",
        "example-plugins/basic-auth",
        "example-plugins/Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    build(&plugins);
    let wasm = plugins.join("target/wasm32-wasip2/release/basic_auth.wasm");
    assert!(wasm.exists(), "{} was not produced", wasm.display());
    println!(
        "cargo:rustc-env=MLAUTH_BUILTIN_BASIC_AUTH={}",
        wasm.display()
    );
}

fn build(workspace: &Path) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "basic-auth",
            "--target-dir",
        ])
        .arg(workspace.join("target"))
        .stdout(Stdio::from(std::io::stderr()));
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let leaky = [
            "RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "CARGO_MAKEFLAGS",
            "MAKEFLAGS",
            "MFLAGS",
            "OUT_DIR",
            "TARGET",
            "HOST",
            "PROFILE",
            "OPT_LEVEL",
            "DEBUG",
            "NUM_JOBS",
        ]
        .contains(&key)
            || [
                "CARGO_TARGET_",
                "CARGO_BUILD_",
                "CARGO_PROFILE_",
                "CARGO_ENCODED_",
                "CARGO_CFG_",
                "CARGO_FEATURE_",
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_PRIMARY_",
                "__CARGO",
            ]
            .iter()
            .any(|p| key.starts_with(p));
        if leaky {
            command.env_remove(key);
        }
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        status.success(),
        "building the built-in basic-auth plugin failed ({status}); it needs the stable wasm32-wasip2 target: \
         `rustup target add wasm32-wasip2` (then: cd {} && cargo build --release --target wasm32-wasip2 -p basic-auth)",
        workspace.display()
    );
}
