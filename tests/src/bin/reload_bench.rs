//! Reload benchmark (a script, not a test): RSS across many reloads while a loopback load
//! runs, the reload/swap time of a precompiled plugin, and start-up time with a cold and a
//! warm compile cache.
//!
//! `cargo run --release -p mlauth-tests --bin reload_bench -- [--reloads 1000] [--plugin FILE]`
//!
//! Each reload alternates the plugin file between two builds of the same component (the
//! second with an extra custom section, so a different sha256) and bumps a setting; both
//! builds are in the compile cache after the warm-up, so every reload measures read +
//! hash + cache load + validation + `create-app` + swap.

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use mlauth::config::MlauthConfig;
use mlauth::reload::ReloadOutcome;
use mlauth::runner::Gateway;
use mlauth_tests::component::with_custom_section;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::loadgen;

#[derive(Parser)]
struct Args {
    /// Reloads to measure.
    #[arg(long, default_value_t = 1000)]
    reloads: usize,
    /// Warm-up reloads before the first RSS reading.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    /// Plugin (default: the `versioned` test fixture, an app plugin).
    #[arg(long)]
    plugin: Option<String>,
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn write_config(path: &Path, upstream: &str, plugin: &Path, cache: &Path, version: usize) {
    let text = format!(
        "[server]\nupstream = \"{upstream}\"\nport = 0\n[cache]\ndir = {cache:?}\n\
         [plugins.bench-app]\npath = {plugin:?}\nconfig = {{ version = \"{version}\" }}\n"
    );
    std::fs::write(path, text).unwrap();
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1e3
}

async fn build_ms(config: &Path) -> f64 {
    let started = Instant::now();
    let cfg = MlauthConfig::load(config).unwrap();
    let gateway = Gateway::builder(cfg, "bench-app").build().await.unwrap();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    drop(gateway);
    ms
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let upstream = mlauth_tests::upstream::MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let config = dir.path().join("mlauth.toml");
    let plugin = dir.path().join("plugin.wasm");
    let source = args
        .plugin
        .clone()
        .unwrap_or_else(|| mlauth_tests::wasm::VERSIONED.to_string());
    let builds = {
        let a = std::fs::read(&source).unwrap();
        let b = with_custom_section(&a, "bench-b");
        [a, b]
    };
    std::fs::write(&plugin, &builds[0]).unwrap();
    write_config(&config, &upstream.url, &plugin, &cache, 0);

    let cold = build_ms(&config).await;
    let warm = build_ms(&config).await;
    println!("start-up (config + compile/cache + validate): cold cache {cold:.1} ms, warm cache {warm:.1} ms");

    let gw = TestGateway::start_from_file(&config, "bench-app")
        .await
        .unwrap();
    let reloader = gw.gateway.reloader.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let check: Arc<mlauth_tests::loadgen::Check> =
        Arc::new(|status: u16, body: &[u8]| match status {
            200 => Ok(String::new()),
            s => Err(format!("{s}: {}", String::from_utf8_lossy(body))),
        });
    let load = tokio::spawn(loadgen::run_checked(
        gw.url.trim_start_matches("http://").to_string(),
        "/version".into(),
        2,
        stop.clone(),
        check,
    ));

    let mut version = 0;
    let mut next_version = || {
        version += 1;
        std::fs::write(&plugin, &builds[version % 2]).unwrap();
        write_config(&config, &upstream.url, &plugin, &cache, version);
    };
    for _ in 0..args.warmup {
        next_version();
        reloader.reload("bench").await.expect("warm-up reload");
    }
    // RSS is read at settled points (after a short pause, so the transient memory of the
    // reload just made and the allocator's delayed purges are not what is measured): before
    // the measured reloads and after every tenth of them.
    let settle = Duration::from_millis(200);
    tokio::time::sleep(settle).await;
    let rss_before = rss_kib();
    let mut readings = Vec::new();
    let mut swaps = Vec::with_capacity(args.reloads);
    let every = (args.reloads / 10).max(1);
    for i in 0..args.reloads {
        next_version();
        match reloader.reload("bench").await.expect("reload") {
            ReloadOutcome::Swapped { elapsed, .. } => swaps.push(elapsed),
            other => panic!("expected a swap, got {other:?}"),
        }
        if (i + 1) % every == 0 {
            tokio::time::sleep(settle).await;
            readings.push(rss_kib());
        }
    }
    let rss_after = *readings.last().unwrap_or(&rss_before);
    stop.store(true, Ordering::Relaxed);
    let report = load.await.unwrap();
    let (low, high) = readings
        .iter()
        .fold((rss_before, rss_before), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
    let spread = |v: u64| (v as f64 - rss_before as f64) / rss_before as f64 * 100.0;
    println!(
        "RSS every {every} reloads (KiB): {}",
        readings
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "RSS range over the run: {:+.1}% .. {:+.1}% of the start",
        spread(low),
        spread(high)
    );

    swaps.sort();
    let change = (rss_after as f64 - rss_before as f64) / rss_before as f64 * 100.0;
    println!(
        "RSS before {} reloads: {rss_before} KiB, after: {rss_after} KiB ({change:+.1}%)",
        args.reloads
    );
    println!(
        "reload (read + hash + cache load + validate + create-app + swap): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&swaps, 0.5),
        percentile(&swaps, 0.99),
        percentile(&swaps, 1.0)
    );
    println!(
        "load during reloads: {} requests, {} failed {:?}",
        report.requests,
        report.failed,
        report.failures.first()
    );
}
