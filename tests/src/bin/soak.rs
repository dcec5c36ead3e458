//! Sustained load: the built `mlauth run --app-name basic-auth` binary in front of a real
//! `mlflow server --workers 1`, mixed authenticated and unauthenticated traffic from a
//! loopback load generator for `--seconds`, a plugin reload (SIGHUP) every `--reload-every`
//! seconds, and mlauth's RSS sampled throughout. Prints a markdown report.
//!
//! `cargo run --release -p mlauth-tests --bin soak -- [--seconds 600] [--connections 4]`

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use clap::Parser;
use http::Method;
use mlauth_tests::loadgen::{run_mix, MixOutcome, MixTarget};
use mlauth_tests::mlflow::{free_port, repo_root, MlflowServer};
use serde_json::{json, Value};

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

fn basic(user: &str, password: &str) -> (String, String) {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("authorization".into(), format!("Basic {token}"))
}

/// The gateway process; killed on drop.
struct Mlauth {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Mlauth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mlauth_bin(arg: Option<PathBuf>) -> PathBuf {
    if let Some(path) = arg {
        return path;
    }
    let bin = repo_root().join("target/release/mlauth");
    if !bin.exists() {
        let status = Command::new("cargo")
            .args(["build", "--release", "-p", "mlauth", "--bin", "mlauth"])
            .status()
            .expect("run cargo");
        assert!(status.success(), "building mlauth failed");
    }
    bin
}

fn start_mlauth(bin: &Path, upstream: &str, dir: &Path) -> Mlauth {
    let ini = dir.join("basic_auth.ini");
    std::fs::write(
        &ini,
        format!(
            "[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
            dir.join("basic_auth.db").display()
        ),
    )
    .unwrap();
    let port = free_port();
    let log = dir.join("mlauth.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(bin)
        .args(["run", "--app-name", "basic-auth", "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--upstream", upstream])
        .env("MLFLOW_AUTH_CONFIG_PATH", &ini)
        .env("MLFLOW_AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("spawn mlauth");
    let mlauth = Mlauth {
        child,
        url: format!("http://127.0.0.1:{port}"),
        log,
    };
    let client = reqwest::blocking::Client::new();
    for _ in 0..240 {
        if client
            .get(format!("{}/health", mlauth.url))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return mlauth;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "mlauth did not start; log:\n{}",
        std::fs::read_to_string(&mlauth.log).unwrap_or_default()
    );
}

/// Whether this mlauth build has plugin reload (a `reload` subcommand or a reload option).
fn reload_available(bin: &Path) -> bool {
    let help = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_lowercase())
            .unwrap_or_default()
    };
    help(&["--help"]).contains("reload") || help(&["run", "--help"]).contains("reload")
}

fn api(url: &str, user: &str, password: &str, method: Method, path: &str, body: Value) -> Value {
    let client = reqwest::blocking::Client::new();
    let (name, value) = basic(user, password);
    let resp = client
        .request(method, format!("{url}/api/2.0/mlflow/{path}"))
        .header(name, value)
        .json(&body)
        .send()
        .unwrap();
    let status = resp.status();
    let text = resp.text().unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Users and experiments: alice owns one experiment, admin another (alice gets 403 there).
fn setup(url: &str) -> Vec<MixTarget> {
    let admin = |m, p: &str, b| api(url, "admin", ADMIN_PASSWORD, m, p, b);
    admin(
        Method::POST,
        "users/create",
        json!({"username": "alice", "password": ALICE_PASSWORD}),
    );
    admin(
        Method::POST,
        "users/create",
        json!({"username": "bob", "password": "bob-password-1234"}),
    );
    let admins = admin(
        Method::POST,
        "experiments/create",
        json!({"name": "admin-exp"}),
    );
    let alices = api(
        url,
        "alice",
        ALICE_PASSWORD,
        Method::POST,
        "experiments/create",
        json!({"name": "alice-exp"}),
    );
    let (admins, alices) = (
        admins["experiment_id"].as_str().unwrap().to_string(),
        alices["experiment_id"].as_str().unwrap().to_string(),
    );
    let target = |name: &str,
                  method: Method,
                  path: String,
                  headers: Vec<(String, String)>,
                  body: Value,
                  expect: &[u16]| MixTarget {
        name: name.into(),
        method,
        path: format!("/api/2.0/mlflow/{path}"),
        headers: [
            headers,
            vec![("content-type".into(), "application/json".into())],
        ]
        .concat(),
        body: if body.is_null() {
            Bytes::new()
        } else {
            Bytes::from(body.to_string())
        },
        expect: expect.to_vec(),
    };
    let alice = || vec![basic("alice", ALICE_PASSWORD)];
    let own = format!("experiments/get?experiment_id={alices}");
    vec![
        target(
            "alice reads her experiment",
            Method::GET,
            own.clone(),
            alice(),
            Value::Null,
            &[200],
        ),
        target(
            "admin searches experiments",
            Method::GET,
            "experiments/search?max_results=10".into(),
            vec![basic("admin", ADMIN_PASSWORD)],
            Value::Null,
            &[200],
        ),
        target(
            "no credentials",
            Method::GET,
            own.clone(),
            vec![],
            Value::Null,
            &[401],
        ),
        target(
            "alice reads admin's experiment",
            Method::GET,
            format!("experiments/get?experiment_id={admins}"),
            alice(),
            Value::Null,
            &[403],
        ),
        target(
            "alice creates a run",
            Method::POST,
            "runs/create".into(),
            alice(),
            json!({"experiment_id": alices}),
            &[200],
        ),
        target(
            "alice reads her experiment",
            Method::GET,
            own.clone(),
            alice(),
            Value::Null,
            &[200],
        ),
        target(
            "bob, wrong password",
            Method::GET,
            own.clone(),
            vec![basic("bob", "wrong-password-99")],
            Value::Null,
            &[401, 429],
        ),
        target(
            "unknown user",
            Method::GET,
            own,
            vec![basic("mallory", "whatever-password")],
            Value::Null,
            &[401, 429],
        ),
    ]
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

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
