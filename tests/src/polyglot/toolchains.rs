//! The per-language build steps: C (wit-bindgen's C generator, clang, wit-component),
//! JavaScript (jco componentize) and Python (componentize-py).

use std::path::Path;
use std::process::Command;

use super::{componentize_py, polyglot_dir, repo_root, run, source, toolchain_version, Language};

/// `wit-bindgen c`, clang for `wasm32-wasi`, then `wasm-tools component new` (the last
/// done with the `wit-component` library, which is what wasm-tools runs).
pub(super) fn build_c(work: &Path, out: &Path) -> Result<(), String> {
    toolchain_version(Language::C)?;
    c_bindings(&repo_root().join("wit"), work).map_err(|e| format!("wit-bindgen c: {e:#}"))?;
    let core = work.join("core.wasm");
    run(
        Command::new("clang")
            .current_dir(work)
            .args([
                "--target=wasm32-wasi",
                "-O2",
                "-Wall",
                "-Werror",
                "-mexec-model=reactor",
            ])
            .args(["-Wl,--strip-debug", "-I.", "-o"])
            .arg(&core)
            .arg(source(Language::C))
            .args([
                "authenticator_plugin.c",
                "authenticator_plugin_component_type.o",
            ]),
        "clang (C plugin)",
    )?;
    let module = std::fs::read(&core).map_err(|e| e.to_string())?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| format!("componentizing the C module: {e:#}"))?;
    std::fs::write(out, component).map_err(|e| e.to_string())
}

/// What `wit-bindgen c <wit> --world authenticator-plugin --out-dir <dir>` writes.
pub fn c_bindings(wit: &Path, dir: &Path) -> anyhow::Result<()> {
    use wit_bindgen_core::wit_parser::Resolve;
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_path(wit)?;
    let world = resolve.select_world(&[package], Some("authenticator-plugin"))?;
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_c::Opts::default()
        .build()
        .generate(&mut resolve, world, &mut files)?;
    for (name, bytes) in files.iter() {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

/// `jco componentize` with the QuickJS backend, synchronous exports.
pub(super) fn build_js(work: &Path, out: &Path) -> Result<(), String> {
    toolchain_version(Language::JavaScript)?;
    let jco = polyglot_dir().join("js/node_modules/.bin/jco");
    run(
        Command::new(jco)
            .current_dir(work)
            .arg("componentize")
            .arg(source(Language::JavaScript))
            .arg("--wit")
            .arg(repo_root().join("wit"))
            .args(["--world-name", "authenticator-plugin", "--backend", "qjs"])
            .args(["--backend-qjs-disable-async", "-o"])
            .arg(out),
        "jco componentize (JavaScript plugin)",
    )
}

/// `componentize-py` on a copy of the module (so no `__pycache__` lands in the sources).
pub(super) fn build_python(work: &Path, out: &Path) -> Result<(), String> {
    toolchain_version(Language::Python)?;
    std::fs::copy(source(Language::Python), work.join("api_key.py")).map_err(|e| e.to_string())?;
    run(
        Command::new(componentize_py())
            .current_dir(work)
            .env_remove("VIRTUAL_ENV")
            .arg("-d")
            .arg(repo_root().join("wit"))
            .args([
                "-w",
                "authenticator-plugin",
                "componentize",
                "-p",
                ".",
                "api_key",
                "-o",
            ])
            .arg(out),
        "componentize-py (Python plugin)",
    )
}
