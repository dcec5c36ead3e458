//! Builds the `api-key` example plugin in every supported language from source, at test
//! time, with the toolchains `scripts/setup-toolchains.sh` installs. Results are cached in
//! `target/polyglot/<language>-<hash>/` by a hash of the sources, the WIT contract and the
//! toolchain version, so a second run costs nothing. A missing toolchain is a panic naming
//! it and the setup script: the tests fail, they never skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

mod toolchains;
pub use toolchains::c_bindings;
use toolchains::{build_c, build_js, build_python};

/// The languages the `api-key` plugin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// `example-plugins/api-key` (guest SDK, built by `build.rs`).
    Rust,
    /// `example-plugins/polyglot/c` (clang + wasi-libc + wit-bindgen's C generator).
    C,
    /// `example-plugins/polyglot/js` (jco componentize, QuickJS backend).
    JavaScript,
    /// `example-plugins/polyglot/python` (componentize-py).
    Python,
}

impl Language {
    /// Every language, Rust first.
    pub const ALL: [Language; 4] = [
        Language::Rust,
        Language::C,
        Language::JavaScript,
        Language::Python,
    ];

    /// Lower-case name, used in paths and reports.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::C => "c",
            Language::JavaScript => "javascript",
            Language::Python => "python",
        }
    }
}

pub use crate::mlflow::repo_root;

fn polyglot_dir() -> PathBuf {
    repo_root().join("example-plugins/polyglot")
}

/// `target/polyglot` next to the running executable's profile directory.
fn cache_root() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let target = exe
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("polyglot")
}

/// The `api-key` component for `language`, built from source (cached). Panics with the
/// missing toolchain and the fix when it cannot be built.
pub fn api_key(language: Language) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    if language == Language::Rust {
        return PathBuf::from(crate::wasm::API_KEY);
    }
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let key = cache_key(language).unwrap_or_else(|e| panic!("{e}"));
    let dir = cache_root().join(format!("{}-{}", language.name(), &key[..16]));
    let wasm = dir.join("api_key.wasm");
    if wasm.is_file() {
        return wasm;
    }
    let (built, _) = build(language, &dir).unwrap_or_else(|e| panic!("{e}"));
    built
}

/// Builds the `api-key` component for `language` into `dir` (no cache); returns its path
/// and the build's wall time.
pub fn build(language: Language, dir: &Path) -> Result<(PathBuf, Duration), String> {
    let work = dir.join("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let out = work.join("api_key.wasm");
    let started = Instant::now();
    match language {
        Language::Rust => {
            std::fs::copy(crate::wasm::API_KEY, &out).map_err(|e| e.to_string())?;
        }
        Language::C => build_c(&work, &out)?,
        Language::JavaScript => build_js(&work, &out)?,
        Language::Python => build_python(&work, &out)?,
    }
    let elapsed = started.elapsed();
    let wasm = dir.join("api_key.wasm");
    std::fs::rename(&out, &wasm).map_err(|e| format!("cannot move {}: {e}", out.display()))?;
    Ok((wasm, elapsed))
}

/// Hash of what the build depends on: sources, WIT, toolchain version.
fn cache_key(language: Language) -> Result<String, String> {
    let mut hash = Sha256::new();
    hash.update(language.name());
    hash.update(toolchain_version(language)?);
    let mut inputs = wit_files();
    inputs.push(source(language));
    for path in inputs {
        hash.update(path.display().to_string());
        hash.update(
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        );
    }
    Ok(hex::encode(hash.finalize()))
}

fn wit_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("wit"))
        .expect("read wit/")
        .map(|e| e.expect("read wit/").path())
        .filter(|p| p.extension().is_some_and(|x| x == "wit"))
        .collect();
    files.sort();
    files
}

/// The plugin's source file.
pub fn source(language: Language) -> PathBuf {
    match language {
        Language::Rust => repo_root().join("example-plugins/api-key/src/lib.rs"),
        Language::C => polyglot_dir().join("c/api_key.c"),
        Language::JavaScript => polyglot_dir().join("js/api_key.js"),
        Language::Python => polyglot_dir().join("python/api_key.py"),
    }
}

/// The version line of the language's toolchain; an error naming the fix when it is missing.
pub fn toolchain_version(language: Language) -> Result<String, String> {
    match language {
        Language::Rust => Ok("built by tests/build.rs".into()),
        Language::C => {
            let sysroot = Path::new("/usr/lib/wasm32-wasi/libc.a");
            if !sysroot.is_file() {
                return Err(missing(
                    "C",
                    "the wasm32-wasi sysroot (Debian package wasi-libc)",
                ));
            }
            first_line(Command::new("clang").arg("--version"), "C", "clang")
        }
        Language::JavaScript => {
            let manifest =
                polyglot_dir().join("js/node_modules/@bytecodealliance/jco/package.json");
            let text = std::fs::read_to_string(&manifest)
                .map_err(|_| missing("JavaScript", "jco (npm package @bytecodealliance/jco)"))?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            Ok(format!("jco {}", json["version"].as_str().unwrap_or("?")))
        }
        Language::Python => {
            let tool = componentize_py();
            first_line(
                Command::new(&tool).arg("--version"),
                "Python",
                "componentize-py",
            )
        }
    }
}

fn missing(language: &str, what: &str) -> String {
    format!(
        "the {language} toolchain is missing: {what} not found.\n\
         Install every plugin toolchain with ./scripts/setup-toolchains.sh \
         (./scripts/test.sh runs it before the tests)."
    )
}

fn first_line(cmd: &mut Command, language: &str, tool: &str) -> Result<String, String> {
    let out = cmd.output().map_err(|_| missing(language, tool))?;
    if !out.status.success() {
        return Err(missing(language, tool));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string())
}

fn componentize_py() -> PathBuf {
    repo_root().join(".venv/bin/componentize-py")
}

/// Runs `cmd`, turning a failure into an error with its output.
fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}): {cmd:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}
