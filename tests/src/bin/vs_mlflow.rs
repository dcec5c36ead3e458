//! The same authenticated `experiments/search` (admin, HTTP Basic) through
//! (1) mlauth basic-auth in front of a plain `mlflow server`,
//! (2) `mlflow server --app-name basic-auth` with MLflow's default config, and
//! (3) the same with `auth_cache_ttl_seconds = 60`, side by side in one run.
//!
//! `cargo run --release -p mlauth-tests --bin vs_mlflow -- [--seconds 15] [--connections 4]`

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::time::Duration;

use base64::Engine as _;
use clap::Parser;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::loadgen::{self, LoadReport, Target};
use mlauth_tests::mlflow::MlflowServer;

#[derive(Parser)]
struct Args {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Seconds of load each server gets before it is measured (a fresh MLflow answers its
    /// first ~15 s of requests markedly slower).
    #[arg(long, default_value_t = 10)]
    warmup: u64,
}

const PASSWORD: &str = "admin-password-123";

fn ini(dir: &std::path::Path, cache_ttl: Option<u64>) -> String {
    let mut text = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.join("basic_auth.db").display()
    );
    if let Some(ttl) = cache_ttl {
        text.push_str(&format!("auth_cache_ttl_seconds = {ttl}\n"));
    }
    text
}

fn mlflow_with_auth(cache_ttl: Option<u64>) -> (MlflowServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (
        MlflowServer::start_basic_auth(dir.path(), &ini(dir.path(), cache_ttl), PASSWORD),
        dir,
    )
}

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
    );
    let target = |url: &str| Target {
        addr: url.trim_start_matches("http://").to_string(),
        path: "/api/2.0/mlflow/experiments/search?max_results=10".to_string(),
        headers: vec![("authorization".to_string(), auth.clone())],
        expect: 200,
    };
    let duration = Duration::from_secs(args.seconds);
    let warmup = Duration::from_secs(args.warmup);
    let measure = |url: &str| -> LoadReport {
        rt.block_on(loadgen::run(target(url), args.connections, warmup));
        rt.block_on(loadgen::run(target(url), args.connections, duration))
    };

    let upstream = MlflowServer::start();
    // Warm the upstream directly before either measurement uses it.
    measure_plain(&rt, &upstream.url, args.connections, warmup);
    let direct = measure_plain(&rt, &upstream.url, args.connections, duration);
    let dir = tempfile::tempdir().unwrap();
    let gateway = rt
        .block_on(TestGateway::start_basic_auth(
            &upstream.url,
            &ini(dir.path(), None),
            dir.path(),
            PASSWORD,
            "",
        ))
        .expect("start mlauth");
    let mlauth = measure(&gateway.url);
    drop(gateway);
    drop(upstream);
    let (default_server, _d1) = mlflow_with_auth(None);
    let mlflow_default = measure(&default_server.url);
    drop(default_server);
    let (cached_server, _d2) = mlflow_with_auth(Some(60));
    let mlflow_cached = measure(&cached_server.url);
    drop(cached_server);

    println!("| setup | requests | errors | req/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, r) in [
        ("plain mlflow server, no auth (reference)", &direct),
        ("mlauth basic-auth → plain mlflow server", &mlauth),
        ("mlflow --app-name basic-auth (default)", &mlflow_default),
        (
            "mlflow --app-name basic-auth, auth_cache_ttl_seconds=60",
            &mlflow_cached,
        ),
    ] {
        println!(
            "| {name} | {} | {} | {:.1} | {:.2} | {:.2} |",
            r.requests,
            r.unexpected,
            r.rps,
            r.p50_us / 1000.0,
            r.p99_us / 1000.0
        );
    }
    // What the auth layer itself adds to the same upstream call, at the median.
    let added = |r: &LoadReport| (r.p50_us - direct.p50_us).max(1.0) / 1000.0;
    println!();
    println!(
        "auth overhead at p50 (setup minus plain): mlauth {:.2} ms, MLflow default {:.2} ms ({:.0}x), MLflow cached {:.2} ms ({:.0}x)",
        added(&mlauth),
        added(&mlflow_default),
        added(&mlflow_default) / added(&mlauth),
        added(&mlflow_cached),
        added(&mlflow_cached) / added(&mlauth),
    );
    println!(
        "mlauth vs MLflow default: {:.1}x req/s, {:.1}x lower p50; vs MLflow with cache: {:.1}x req/s, {:.1}x lower p50 ({} connections, {} s each, workers 1)",
        mlauth.rps / mlflow_default.rps,
        mlflow_default.p50_us / mlauth.p50_us,
        mlauth.rps / mlflow_cached.rps,
        mlflow_cached.p50_us / mlauth.p50_us,
        args.connections,
        args.seconds
    );
}

fn measure_plain(
    rt: &tokio::runtime::Runtime,
    url: &str,
    connections: usize,
    duration: Duration,
) -> LoadReport {
    let target = Target {
        addr: url.trim_start_matches("http://").to_string(),
        path: "/api/2.0/mlflow/experiments/search?max_results=10".to_string(),
        headers: vec![],
        expect: 200,
    };
    rt.block_on(loadgen::run(target, connections, duration))
}
