//! Sustained load: the built `mlauth run --app-name basic-auth` binary in front of a real
//! `mlflow server --workers 1`, mixed authenticated and unauthenticated traffic from a
//! loopback load generator for `--seconds`, a plugin reload (SIGHUP) every `--reload-every`
//! seconds, and mlauth's RSS sampled throughout. Prints a markdown report.
//!
//! `cargo run --release -p mlauth-tests --bin soak -- [--seconds 600] [--connections 4]`

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

mod process;
mod traffic;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use mlauth_tests::loadgen::{run_mix, MixOutcome, MixTarget};
use mlauth_tests::mlflow::MlflowServer;
use process::{mlauth_bin, reload_available, rss_kib, start_mlauth};
use traffic::setup;

#[derive(Parser)]
struct Args {
    /// Seconds of load.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Seconds between plugin reloads (SIGHUP); 0 disables them.
    #[arg(long, default_value_t = 30)]
    reload_every: u64,
    /// The mlauth binary (default: target/release/mlauth, built if missing).
    #[arg(long)]
    mlauth: Option<PathBuf>,
}

const ADMIN_PASSWORD: &str = "admin-password-123";
const ALICE_PASSWORD: &str = "alice-password-123";

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1e6
}

fn main() {
    let args = Args::parse();
    let bin = mlauth_bin(args.mlauth.clone());
    let upstream = MlflowServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut mlauth = start_mlauth(&bin, &upstream.url, dir.path());
    let pid = mlauth.child.id();
    let targets = setup(&mlauth.url);
    let reload = args.reload_every > 0 && reload_available(&bin);
    if args.reload_every > 0 && !reload {
        eprintln!(
            "soak: this mlauth build has no plugin reload (no `reload` in --help): no SIGHUPs sent"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = mlauth.url.trim_start_matches("http://").to_string();
    // Warm-up, then the first RSS sample.
    rt.block_on(run_mix(
        addr.clone(),
        targets.clone(),
        args.connections,
        Instant::now() + Duration::from_secs(10),
    ));
    let rss_start = rss_kib(pid);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let load = rt.spawn(run_mix(addr, targets.clone(), args.connections, deadline));
    let (mut reloads, mut rss_max, mut samples) = (0usize, rss_start, Vec::new());
    while Instant::now() < deadline {
        std::thread::sleep(
            Duration::from_secs(1).min(deadline.saturating_duration_since(Instant::now())),
        );
        let elapsed = start.elapsed().as_secs();
        if let Ok(Some(status)) = mlauth.child.try_wait() {
            panic!(
                "mlauth exited ({status}) after {elapsed} s; log in {}",
                mlauth.log.display()
            );
        }
        let rss = rss_kib(pid);
        rss_max = rss_max.max(rss);
        if elapsed > 0
            && elapsed.is_multiple_of(60)
            && samples.last().is_none_or(|(t, _)| *t != elapsed)
        {
            samples.push((elapsed, rss));
        }
        if reload
            && elapsed > 0
            && elapsed.is_multiple_of(args.reload_every)
            && reloads < (elapsed / args.reload_every) as usize
        {
            let ok = Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "sending SIGHUP failed");
            reloads += 1;
        }
    }
    let outcomes = rt.block_on(load).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let rss_end = rss_kib(pid);
    report(
        &args,
        &targets,
        &outcomes,
        reloads,
        reload,
        (rss_start, rss_end, rss_max),
        &samples,
    );
    drop(mlauth);
}

fn report(
    args: &Args,
    targets: &[MixTarget],
    outcomes: &[MixOutcome],
    reloads: usize,
    reload: bool,
    (rss_start, rss_end, rss_max): (u64, u64, u64),
    samples: &[(u64, u64)],
) {
    println!("| request | expected | served | errors | statuses | p50 ms | p99 ms |");
    println!("|---|---|---:|---:|---|---:|---:|");
    let mut all = Vec::new();
    let (mut served, mut errors) = (0, 0);
    for (t, o) in targets.iter().zip(outcomes) {
        let mut lat = o.latencies_ns.clone();
        lat.sort_unstable();
        let statuses: Vec<String> = o.statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        println!(
            "| {} {} | {:?} | {} | {} | {} | {:.2} | {:.2} |",
            t.method,
            t.name,
            t.expect,
            lat.len(),
            o.errors,
            statuses.join(" "),
            percentile(&lat, 0.5),
            percentile(&lat, 0.99)
        );
        served += lat.len();
        errors += o.errors;
        all.extend(lat);
    }
    all.sort_unstable();
    println!(
        "\n{} s, {} connections: {served} requests served ({:.1}/s), {errors} errors (not the expected status, or no answer), \
         p50 {:.2} ms, p99 {:.2} ms; reloads (SIGHUP): {}; mlauth RSS {} MiB at start, {} MiB at end, {} MiB max",
        args.seconds, args.connections, served as f64 / args.seconds as f64,
        percentile(&all, 0.5), percentile(&all, 0.99),
        if reload { reloads.to_string() } else { "none (not available in this build)".into() },
        rss_start / 1024, rss_end / 1024, rss_max / 1024
    );
    let series: Vec<String> = samples
        .iter()
        .map(|(t, r)| format!("{t}s {}MiB", r / 1024))
        .collect();
    println!("RSS every minute: {}", series.join(", "));
}
