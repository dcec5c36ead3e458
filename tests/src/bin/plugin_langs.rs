//! Measures the `api-key` plugin in every language: component size, guest build time,
//! compile time, precompiled (`.cwasm`) size and cold load from it, and the per-request
//! cost of a fresh instance + `authenticate` (the gateway's path, without HTTP).
//!
//! `cargo run --release -p mlauth-tests --bin plugin_langs -- [--requests 2000] [--copy-on-write false]
//! [--warm-instances 2]`
//!
//! Needs the toolchains of `scripts/setup-toolchains.sh`. Prints a Markdown table.

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use mlauth::plugin::warm::WarmInstances;
use mlauth::plugin::{load_plugin, LoadedPlugin, PluginRequest, PluginSettings, PluginSource};
use mlauth::sandbox::{Sandbox, SandboxLimits};
use mlauth_tests::polyglot::{self, Language};
use wasmtime::component::Component;

#[derive(Parser)]
struct Args {
    /// Requests per language for the per-request figure (the slow guests get a tenth).
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Repetitions of the compile and deserialize measurements (the best is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Map plugin memory images copy-on-write (`sandbox.copy_on_write`; `false` to compare).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    copy_on_write: bool,
    /// Instances made ahead (`sandbox.warm_instances`) for the last column, the request's
    /// latency at light load; the other columns instantiate inline on every call.
    #[arg(long, default_value_t = 2)]
    warm_instances: u32,
}

struct Row {
    language: Language,
    size: u64,
    build: Duration,
    compile: Duration,
    cwasm: usize,
    deserialize: Duration,
    p50_us: f64,
    mean_us: f64,
    warm_p50_us: f64,
}

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let limits = SandboxLimits {
        copy_on_write: args.copy_on_write,
        warm_instances: WarmInstances::Fixed(0),
        ..SandboxLimits::default()
    };
    let sandbox = Sandbox::new(limits.clone()).expect("sandbox");
    let warm_sandbox = Sandbox::new(SandboxLimits {
        warm_instances: WarmInstances::Fixed(args.warm_instances),
        ..limits
    })
    .expect("sandbox");
    let mut rows = Vec::new();
    for language in Language::ALL {
        eprintln!("measuring {}", language.name());
        let dir = tempfile::tempdir().unwrap();
        let (wasm, build) = match language {
            Language::Rust => (polyglot::api_key(language), rust_build_time()),
            _ => polyglot::build(language, dir.path()).unwrap_or_else(|e| panic!("{e}")),
        };
        let bytes = std::fs::read(&wasm).unwrap();
        let compile = best(args.repeat, || {
            let started = Instant::now();
            Component::new(&sandbox.engine, &bytes).expect("compile");
            started.elapsed()
        });
        let cwasm = sandbox
            .engine
            .precompile_component(&bytes)
            .expect("precompile");
        let deserialize = best(args.repeat, || {
            let started = Instant::now();
            // SAFETY: the bytes were produced just above by the same engine.
            unsafe { Component::deserialize(&sandbox.engine, &cwasm) }.expect("deserialize");
            started.elapsed()
        });
        let plugin = rt.block_on(load(&sandbox, &wasm));
        let n = match language {
            Language::Rust | Language::C => args.requests,
            _ => (args.requests / 10).max(10),
        };
        let (p50_us, mean_us) = rt.block_on(per_request(&plugin, n, 0));
        drop(plugin);
        let warm = rt.block_on(load(&warm_sandbox, &wasm));
        let (warm_p50_us, _) = rt.block_on(per_request(&warm, n, args.warm_instances as usize));
        rows.push(Row {
            language,
            size: bytes.len() as u64,
            build,
            compile,
            cwasm: cwasm.len(),
            deserialize,
            p50_us,
            mean_us,
            warm_p50_us,
        });
    }
    println!("| language | component | guest build | compile | .cwasm | cold load from .cwasm | fresh instance + authenticate | latency with {} made ahead (light load) |", args.warm_instances);
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.1} KB | {:.1} s | {:.0} ms | {:.1} MB | {:.1} ms | p50 {:.0} µs, mean {:.0} µs | p50 {:.0} µs |",
            r.language.name(),
            r.size as f64 / 1000.0,
            r.build.as_secs_f64(),
            r.compile.as_secs_f64() * 1000.0,
            r.cwasm as f64 / 1e6,
            r.deserialize.as_secs_f64() * 1000.0,
            r.p50_us,
            r.mean_us,
            r.warm_p50_us
        );
    }
}

/// The smallest of `n` timings.
fn best(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n.max(1)).map(|_| f()).min().unwrap()
}

/// Rebuild time of the Rust plugin crate alone (dependencies already built), as a plugin
/// author sees it after an edit.
fn rust_build_time() -> Duration {
    let workspace = polyglot::repo_root().join("example-plugins");
    let source = polyglot::source(Language::Rust);
    let text = std::fs::read(&source).unwrap();
    std::fs::write(&source, &text).unwrap(); // bump the mtime
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&workspace)
        .args([
            "build",
            "--release",
            "-p",
            "api-key",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(workspace.join("target"));
    for (key, _) in std::env::vars_os() {
        if key
            .to_str()
            .is_some_and(|k| k.starts_with("CARGO_") || k == "RUSTFLAGS")
        {
            cmd.env_remove(key);
        }
    }
    let started = Instant::now();
    let status = cmd.status().expect("cargo");
    assert!(status.success(), "building example-plugins/api-key failed");
    started.elapsed()
}

async fn load(sandbox: &Sandbox, wasm: &Path) -> LoadedPlugin {
    let linker = mlauth::runner::new_linker(sandbox).unwrap();
    let mut settings = PluginSettings::default();
    settings.config.insert("api_key".into(), "bench-key".into());
    let source = PluginSource::File(wasm.to_path_buf());
    load_plugin(
        sandbox,
        &Arc::clone(&linker),
        "bench",
        &source,
        &settings,
        &[],
    )
    .await
    .unwrap()
}

/// p50 and mean µs of `n` fresh-instance `authenticate` calls with good credentials;
/// with `pace_to` > 0 each call first waits until that many instances are made ahead again
/// (light load).
async fn per_request(plugin: &LoadedPlugin, n: usize, pace_to: usize) -> (f64, f64) {
    let req = PluginRequest {
        method: "GET".into(),
        raw_path: "/api/2.0/mlflow/experiments/search".into(),
        path: "/api/2.0/mlflow/experiments/search".into(),
        query: String::new(),
        headers: vec![
            ("x-api-key".into(), b"bench-key".to_vec()),
            ("accept".into(), b"*/*".to_vec()),
        ],
        body: None,
        client_addr: "127.0.0.1:1".into(),
        request_id: "bench".into(),
    };
    for _ in 0..(n / 10).max(3) {
        plugin.authenticate(&req).await.unwrap().expect("admitted");
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        while plugin.warm_ready() < pace_to {
            tokio::time::sleep(Duration::from_micros(50)).await;
        }
        let started = Instant::now();
        plugin.authenticate(&req).await.unwrap().expect("admitted");
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    samples.sort_by(f64::total_cmp);
    (samples[n / 2], mean)
}
