//! The per-request cost of the authorization rules.
//!
//! 1. End to end: the same authenticated `GET runs/get` (rules: table lookup, parameter
//!    extraction, grants, cached run → experiment resolution) and `GET experiments/get`
//!    (no resolution) as the admin (rules bypassed) and as a non-admin holding a `READ` grant,
//!    through mlauth basic-auth in front of a plain `mlflow server` and through
//!    `mlflow server --app-name basic-auth` (which runs its own validators for non-admins);
//!    reports p50/throughput and how the mlauth/MLflow ratio changes from admin to user.
//! 2. Micro: a timing loop over the table lookup + parameter extraction (+ the requirement
//!    check on in-memory grants) alone.
//!
//! `cargo run --release -p mlauth-tests --bin rules_overhead -- [--seconds 10] [--connections 4]`

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::Parser;
use mlauth::basic_auth::params::Params;
use mlauth::basic_auth::permissions::{Action, Grant, Permission, ResourceType};
use mlauth::basic_auth::rules::engine::{child_of_experiment, Grants};
use mlauth::basic_auth::rules::matcher;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::loadgen::{self, LoadReport, Target};
use mlauth_tests::mlflow::MlflowServer;
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// Seconds per end-to-end scenario (0 skips them).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Seconds of load each server gets before its first scenario is measured.
    #[arg(long, default_value_t = 10)]
    warmup: u64,
    /// Iterations of the micro-benchmark loop.
    #[arg(long, default_value_t = 200_000)]
    iterations: u32,
}

const ADMIN_PASSWORD: &str = "admin-password-123";
const USER_PASSWORD: &str = "user-password-123";

fn ini(dir: &std::path::Path) -> String {
    format!(
        "[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.join("basic_auth.db").display()
    )
}

fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Creates `bob`, an experiment with one run (as admin) and grants bob `READ` on it through
/// `users/permissions/grant` (both servers serve it); returns `(experiment_id, run_id)`.
fn seed(base: &str) -> (String, String) {
    let http = reqwest::blocking::Client::new();
    let call = |path: &str, body: Value| -> Value {
        let resp = http
            .post(format!("{base}{path}"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .json(&body)
            .send()
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().unwrap_or(Value::Null)
    };
    call(
        "/api/2.0/mlflow/users/create",
        json!({"username": "bob", "password": USER_PASSWORD}),
    );
    let exp = call(
        "/api/2.0/mlflow/experiments/create",
        json!({"name": "bench"}),
    );
    let exp = exp["experiment_id"].as_str().unwrap().to_string();
    let run = call("/api/2.0/mlflow/runs/create", json!({"experiment_id": exp}));
    let run = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    let grant = json!({"username": "bob", "resource_type": "experiment", "resource_id": exp, "permission": "READ"});
    call("/api/3.0/mlflow/users/permissions/grant", grant);
    (exp, run)
}

/// `(label, admin report, user report)` for one request path.
type Row = (String, LoadReport, LoadReport);

fn measure(
    rt: &tokio::runtime::Runtime,
    base: &str,
    paths: &[(String, String)],
    args: &Args,
) -> Vec<Row> {
    let target = |path: &str, auth: &str| Target {
        addr: base.trim_start_matches("http://").to_string(),
        path: path.to_string(),
        headers: vec![("authorization".to_string(), auth.to_string())],
        expect: 200,
    };
    let run = |path: &str, auth: &str| {
        rt.block_on(loadgen::run(
            target(path, auth),
            1,
            Duration::from_millis(500),
        ));
        let duration = Duration::from_secs(args.seconds);
        rt.block_on(loadgen::run(target(path, auth), args.connections, duration))
    };
    let admin = basic("admin", ADMIN_PASSWORD);
    let user = basic("bob", USER_PASSWORD);
    // A fresh MLflow answers its first seconds of requests markedly slower: warm the server
    // up before the first scenario, so scenario order does not decide the result.
    if let Some((_, first)) = paths.first() {
        let warmup = Duration::from_secs(args.warmup);
        rt.block_on(loadgen::run(target(first, &user), args.connections, warmup));
    }
    paths
        .iter()
        .map(|(label, path)| (label.clone(), run(path, &admin), run(path, &user)))
        .collect()
}

fn end_to_end(args: &Args) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let upstream = MlflowServer::start();
    let dir = tempfile::tempdir().unwrap();
    let gateway = rt
        .block_on(TestGateway::start_basic_auth(
            &upstream.url,
            &ini(dir.path()),
            dir.path(),
            ADMIN_PASSWORD,
            "",
        ))
        .expect("start mlauth");
    let gw_url = gateway.url.clone();
    let (exp, run) = rt.block_on(async {
        let url = gw_url.clone();
        tokio::task::spawn_blocking(move || seed(&url))
            .await
            .unwrap()
    });
    let paths = |exp: &str, run: &str| {
        vec![
            (
                "runs/get".to_string(),
                format!("/api/2.0/mlflow/runs/get?run_id={run}"),
            ),
            (
                "experiments/get".to_string(),
                format!("/api/2.0/mlflow/experiments/get?experiment_id={exp}"),
            ),
        ]
    };
    let mlauth = measure(&rt, &gateway.url, &paths(&exp, &run), args);
    drop(gateway);
    drop(upstream);
    let auth_dir = tempfile::tempdir().unwrap();
    let mlflow =
        MlflowServer::start_basic_auth(auth_dir.path(), &ini(auth_dir.path()), ADMIN_PASSWORD);
    let (exp, run) = seed(&mlflow.url);
    let reference = measure(&rt, &mlflow.url, &paths(&exp, &run), args);
    drop(mlflow);
    println!("| request | server | caller | req/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for ((label, a, u), (_, ma, mu)) in mlauth.iter().zip(&reference) {
        for (server, caller, r) in [
            ("mlauth", "admin (rules bypassed)", a),
            ("mlauth", "user with grant (rules)", u),
            ("mlflow basic-auth", "admin", ma),
            ("mlflow basic-auth", "user with grant", mu),
        ] {
            println!(
                "| {label} | {server} | {caller} | {:.1} | {:.2} | {:.2} | {} |",
                r.rps,
                r.p50_us / 1000.0,
                r.p99_us / 1000.0,
                r.unexpected
            );
        }
    }
    println!();
    for ((label, a, u), (_, ma, mu)) in mlauth.iter().zip(&reference) {
        let (admin_ratio, user_ratio) = (a.rps / ma.rps, u.rps / mu.rps);
        println!(
            "{label}: mlauth/MLflow req/s ratio admin {admin_ratio:.2}x, user {user_ratio:.2}x \
             (change {:+.1}%); mlauth user vs admin: {:+.1}% req/s, p50 {:+.3} ms",
            (user_ratio / admin_ratio - 1.0) * 100.0,
            (u.rps / a.rps - 1.0) * 100.0,
            (u.p50_us - a.p50_us) / 1000.0
        );
    }
    println!(
        "({} connections, {} s per scenario, MLflow --workers 1)",
        args.connections, args.seconds
    );
}

/// Nanoseconds per iteration of `f`.
fn time_loop(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn micro(iterations: u32) {
    let run_get = "/api/2.0/mlflow/runs/get";
    let query = "run_id=0123456789abcdef0123456789abcdef";
    let log_metric = "/api/2.0/mlflow/runs/log-metric";
    let body = br#"{"run_id": "0123456789abcdef0123456789abcdef", "key": "m", "value": 1.0, "timestamp": 1, "step": 0}"#;
    let grants = Grants::new(
        vec![Grant::new(ResourceType::Experiment, "1", Permission::Read)],
        Permission::NoPermissions,
    );
    let lookup = time_loop(iterations, || {
        black_box(matcher::find("GET", black_box(run_get)));
    });
    let lookup_last = time_loop(iterations, || {
        black_box(matcher::find(
            "POST",
            black_box("/ajax-api/3.0/mlflow/no-such-route"),
        ));
    });
    let get = time_loop(iterations, || {
        let m = matcher::find("GET", black_box(run_get)).unwrap();
        let p = Params::new("GET", black_box(query), None, m.captures).unwrap();
        black_box(p.require("run_id").unwrap());
    });
    let post = time_loop(iterations, || {
        let m = matcher::find("POST", black_box(log_metric)).unwrap();
        let p = Params::new("POST", "", Some(black_box(&body[..])), m.captures).unwrap();
        black_box(p.require("run_id").unwrap());
    });
    let decide = time_loop(iterations, || {
        let m = matcher::find("GET", black_box(run_get)).unwrap();
        let p = Params::new("GET", black_box(query), None, m.captures).unwrap();
        black_box(p.require("run_id").unwrap());
        let requirements = child_of_experiment(ResourceType::Run, black_box("1"), Action::Read);
        assert!(grants.allows(&requirements));
    });
    println!("| micro step ({iterations} iterations) | ns/op |");
    println!("|---|---:|");
    println!("| table lookup, runs/get | {lookup:.0} |");
    println!("| table lookup, unmapped (full scan) | {lookup_last:.0} |");
    println!("| lookup + params, GET runs/get | {get:.0} |");
    println!("| lookup + params, POST log-metric (JSON body) | {post:.0} |");
    println!("| lookup + params + requirement check (in-memory grants) | {decide:.0} |");
}

fn main() {
    let args = Args::parse();
    micro(args.iterations);
    println!();
    if args.seconds > 0 {
        end_to_end(&args);
    }
}
