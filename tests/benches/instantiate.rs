//! The per-request sandbox cost: a fresh store + instance + `authenticate` + drop, through
//! the same code path the gateway uses (`LoadedPlugin::authenticate`: permit, deadline,
//! limiter, output capture, result validation).
//!
//! `cargo bench -p mlauth-tests --bench instantiate`
//! Prints per-iteration p50/p99 first (criterion reports means of samples).

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use mlauth::plugin::{load_plugin, LoadedPlugin, PluginRequest, PluginSettings, PluginSource};
use mlauth::runner::new_linker;
use mlauth::sandbox::{Sandbox, SandboxLimits};

fn load(rt: &tokio::runtime::Runtime, path: &str, pooling: bool) -> Arc<LoadedPlugin> {
    let defaults = SandboxLimits::default();
    let sandbox = Sandbox::new(SandboxLimits {
        pooling,
        max_concurrent_instances: env_number("MLAUTH_BENCH_POOL_SLOTS")
            .unwrap_or(defaults.max_concurrent_instances as usize)
            as u32,
        copy_on_write: env_number("MLAUTH_BENCH_COW").map_or(defaults.copy_on_write, |v| v == 1),
        ..defaults
    })
    .unwrap();
    let linker = new_linker(&sandbox).unwrap();
    let mut settings = PluginSettings::default();
    settings.config.insert("token".into(), "bench-token".into());
    settings.config.insert("username".into(), "bench".into());
    let source = PluginSource::File(path.into());
    Arc::new(
        rt.block_on(load_plugin(
            &sandbox,
            &linker,
            "bench",
            &source,
            &settings,
            &[],
        ))
        .unwrap(),
    )
}

fn request() -> PluginRequest {
    PluginRequest {
        method: "GET".into(),
        raw_path: "/api/2.0/mlflow/experiments/search".into(),
        path: "/api/2.0/mlflow/experiments/search".into(),
        query: "max_results=10".into(),
        headers: vec![
            ("host".into(), b"127.0.0.1:5000".to_vec()),
            ("user-agent".into(), b"mlflow-python-client/3.17.2".to_vec()),
            ("authorization".into(), b"Bearer bench-token".to_vec()),
        ],
        body: None,
        client_addr: "127.0.0.1:50000".into(),
        request_id: "bench".into(),
    }
}

/// Measured iterations: `MLAUTH_BENCH_ITERS` (default 20,000); `MLAUTH_BENCH_COW=0|1` overrides
/// `sandbox.copy_on_write`, `MLAUTH_BENCH_POOL_SLOTS` the pool size. With
/// `MLAUTH_BENCH_PERCENTILES_ONLY=1` criterion is skipped (`MLAUTH_BENCH_SCENARIO=<substring>`
/// picks scenarios), so an instruction counter such as
/// `valgrind --tool=callgrind` sees only the per-request path (run twice with different
/// iteration counts and divide the difference: load-independent instructions per request).
fn iterations() -> usize {
    env_number("MLAUTH_BENCH_ITERS").unwrap_or(20_000)
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn percentiles(rt: &tokio::runtime::Runtime, plugin: &LoadedPlugin, label: &str) {
    let req = request();
    let iters = iterations();
    let mut samples = Vec::with_capacity(iters);
    rt.block_on(async {
        for _ in 0..iters.min(1_000) {
            plugin.authenticate(&req).await.unwrap().unwrap();
        }
        for _ in 0..iters {
            let start = Instant::now();
            let outcome = plugin.authenticate(&req).await;
            samples.push(start.elapsed().as_nanos() as u64);
            assert!(
                matches!(outcome, Ok(Ok(_))),
                "plugin must allow the bench request"
            );
        }
    });
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "{label}: p50 {:.2} µs, p99 {:.2} µs ({iters} iterations)",
        at(0.5),
        at(0.99)
    );
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scenarios = [
        (
            "static-token, pooling",
            mlauth_tests::wasm::STATIC_TOKEN,
            true,
        ),
        (
            "static-token, on-demand",
            mlauth_tests::wasm::STATIC_TOKEN,
            false,
        ),
        ("allow-all, pooling", mlauth_tests::wasm::ALLOW_ALL, true),
    ];
    let only = std::env::var("MLAUTH_BENCH_SCENARIO").unwrap_or_default();
    for (label, path, pooling) in scenarios {
        if !label.contains(only.as_str()) {
            continue;
        }
        let plugin = load(&rt, path, pooling);
        percentiles(&rt, &plugin, label);
        if std::env::var("MLAUTH_BENCH_PERCENTILES_ONLY").is_ok_and(|v| v == "1") {
            continue;
        }
        let req = request();
        c.bench_function(&format!("fresh instance + authenticate ({label})"), |b| {
            b.to_async(&rt)
                .iter(|| async { plugin.authenticate(&req).await.unwrap().unwrap() })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
