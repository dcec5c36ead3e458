//! The per-request sandbox cost: a fresh store + instance + `authenticate` + drop, through
//! the same code path the gateway uses (`LoadedPlugin::authenticate`: permit, deadline,
//! limiter, output capture, result validation).
//!
//! `cargo bench -p mlauth-tests --bench instantiate`
//! Prints per-iteration p50/p99 first (criterion reports means of samples). The "made ahead"
//! scenarios take instances the refill task made (`sandbox.warm_instances`) and leave the
//! store's drop to it: their figure is a request's latency at light load, not its CPU cost
//! (which is the inline scenarios' figure; see README, Performance).

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use mlauth::plugin::{
    load_plugin, LoadedPlugin, PluginRequest, PluginSettings, PluginSource, RequestHeaders,
};
use mlauth::runner::new_linker;
use mlauth::sandbox::{Sandbox, SandboxLimits};

fn load(rt: &tokio::runtime::Runtime, path: &str, pooling: bool, warm: u32) -> Arc<LoadedPlugin> {
    let defaults = SandboxLimits::default();
    let sandbox = Sandbox::new(SandboxLimits {
        pooling,
        max_concurrent_instances: env_number("MLAUTH_BENCH_POOL_SLOTS")
            .unwrap_or(defaults.max_concurrent_instances as usize)
            as u32,
        copy_on_write: env_number("MLAUTH_BENCH_COW").map_or(defaults.copy_on_write, |v| v == 1),
        warm_instances: mlauth::plugin::warm::WarmInstances::Fixed(warm),
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

/// The bench request: what MLflow's Python client sends (`MLAUTH_BENCH_HEADERS=client`, the
/// default) or what a browser on MLflow's UI sends (`browser`: 14 headers), filtered as the
/// gateway does when `MLAUTH_BENCH_REQUEST_HEADERS=name,name` sets `request_headers`.
fn request() -> PluginRequest {
    let client: &[(&str, &str)] = &[
        ("host", "127.0.0.1:5000"),
        ("user-agent", "mlflow-python-client/3.17.2"),
        ("authorization", "Bearer bench-token"),
    ];
    let browser: &[(&str, &str)] = &[
        ("host", "127.0.0.1:5000"),
        ("sec-ch-ua", "\"Chromium\";v=\"156\", \"Not-A.Brand\";v=\"24\""),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"),
        ("accept", "application/json, text/plain, */*"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-dest", "empty"),
        ("referer", "http://127.0.0.1:5000/"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-GB,en;q=0.9"),
        ("cookie", "_ga=GA1.1.123456789.1700000000; mlflow-session=abcdef0123456789"),
        ("authorization", "Bearer bench-token"),
    ];
    let sent = match std::env::var("MLAUTH_BENCH_HEADERS").as_deref() {
        Ok("browser") => browser,
        _ => client,
    };
    let mut map = http::HeaderMap::new();
    for (name, value) in sent {
        map.append(
            http::HeaderName::from_static(name),
            http::HeaderValue::from_static(value),
        );
    }
    let shown = match std::env::var("MLAUTH_BENCH_REQUEST_HEADERS") {
        Ok(names) => RequestHeaders::only(&names.split(',').collect::<Vec<_>>()).unwrap(),
        Err(_) => RequestHeaders::All,
    };
    PluginRequest {
        method: "GET".into(),
        raw_path: "/api/2.0/mlflow/experiments/search".into(),
        path: "/api/2.0/mlflow/experiments/search".into(),
        query: "max_results=10".into(),
        headers: shown.view(&map),
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

/// `warm`: the plugin's made-ahead queue size. With a queue, each call first waits (yielding
/// to the refill task on this same thread, outside the timed region) until the queue is full
/// again: the latency of a request at light load, as in the gateway, where the refill task
/// runs on the request's worker thread while the request waits for the upstream.
fn percentiles(rt: &tokio::runtime::Runtime, plugin: &LoadedPlugin, label: &str, warm: usize) {
    let req = request();
    let iters = iterations();
    let mut samples = Vec::with_capacity(iters);
    rt.block_on(async {
        for _ in 0..iters.min(1_000) {
            plugin.authenticate(&req).await.unwrap().unwrap();
        }
        for _ in 0..iters {
            while plugin.warm_ready() < warm {
                tokio::task::yield_now().await;
            }
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
    let scenarios = [
        (
            "static-token, pooling",
            mlauth_tests::wasm::STATIC_TOKEN,
            true,
            0,
        ),
        (
            "static-token, on-demand",
            mlauth_tests::wasm::STATIC_TOKEN,
            false,
            0,
        ),
        ("allow-all, pooling", mlauth_tests::wasm::ALLOW_ALL, true, 0),
        (
            "static-token, pooling, 2 made ahead",
            mlauth_tests::wasm::STATIC_TOKEN,
            true,
            2,
        ),
        (
            "allow-all, pooling, 2 made ahead",
            mlauth_tests::wasm::ALLOW_ALL,
            true,
            2,
        ),
    ];
    let only = std::env::var("MLAUTH_BENCH_SCENARIO").unwrap_or_default();
    for (label, path, pooling, warm) in scenarios {
        if !label.contains(only.as_str()) {
            continue;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let plugin = load(&rt, path, pooling, warm);
        if warm > 0 {
            // Wait for the queue to fill once (the load started filling it).
            rt.block_on(async {
                while plugin.warm_ready() < warm as usize {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
            });
        }
        percentiles(&rt, &plugin, label, warm as usize);
        // Criterion times back-to-back calls, which never leave the refill task a turn on
        // this thread: for a made-ahead scenario that would be the inline figure again.
        if warm > 0 || std::env::var("MLAUTH_BENCH_PERCENTILES_ONLY").is_ok_and(|v| v == "1") {
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
