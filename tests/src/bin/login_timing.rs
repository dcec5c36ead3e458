//! Does a failed login tell an unknown username from a wrong password by its timing?
//! Sends failed HTTP Basic logins through the real gateway (basic-auth app, built-in plugin,
//! SQLite store) one at a time, alternating an unknown username and an existing user with a
//! wrong password, and reports both latency distributions. The brute-force limiter is off
//! for the run (it would lock the client out after a few failures).
//!
//! `cargo run --release -p mlauth-tests --bin login_timing -- [--samples 300]`

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::time::{Duration, Instant};

use clap::Parser;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;

#[derive(Parser)]
struct Args {
    /// Failed logins per kind.
    #[arg(long, default_value_t = 300)]
    samples: usize,
}

const ADMIN_PASSWORD: &str = "admin-password-123";

fn main() {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(args.samples));
}

async fn run(samples: usize) {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
        dir.path().join("basic_auth.db").display()
    );
    let gw = TestGateway::start_basic_auth(
        &upstream.url,
        &ini,
        dir.path(),
        ADMIN_PASSWORD,
        "[brute_force]\nenabled = false\n",
    )
    .await
    .expect("gateway");
    let client = reqwest::Client::new();
    let created = client
        .post(gw.at("/api/2.0/mlflow/users/create"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&serde_json::json!({"username": "alice", "password": "alice-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "creating alice");

    let login = |user: String, password: String| {
        let client = client.clone();
        let url = gw.at("/api/2.0/mlflow/experiments/search");
        async move {
            let started = Instant::now();
            let resp = client
                .get(url)
                .basic_auth(user, Some(password))
                .send()
                .await
                .unwrap();
            let elapsed = started.elapsed();
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap();
            (elapsed, status, body)
        }
    };
    // Warm up connections, the pool and the page cache.
    for i in 0..10 {
        login(format!("warm{i}"), "x".into()).await;
    }
    let mut unknown = Vec::with_capacity(samples);
    let mut wrong = Vec::with_capacity(samples);
    let mut bodies = std::collections::HashSet::new();
    for i in 0..samples {
        let pair = [
            (format!("nobody-{i}"), format!("guess-{i}-password")),
            ("alice".to_string(), format!("guess-{i}-password")),
        ];
        // Alternate the order so drift (other load on the machine) hits both kinds alike.
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let (user, password) = pair[k].clone();
            let (elapsed, status, body) = login(user, password).await;
            assert_eq!(status, 401, "a failed login must be a 401");
            bodies.insert(body);
            if k == 0 {
                unknown.push(elapsed);
            } else {
                wrong.push(elapsed);
            }
        }
    }
    println!(
        "failed HTTP Basic logins through mlauth (basic-auth, SQLite), {samples} each, sequential"
    );
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9}",
        "kind", "p50 ms", "p90 ms", "p99 ms", "mean ms"
    );
    report("unknown username", &mut unknown);
    report("existing user, wrong pw", &mut wrong);
    let diff = ms(percentile(&unknown, 0.5)) - ms(percentile(&wrong, 0.5));
    println!("p50 difference (unknown - wrong): {diff:+.3} ms");
    println!(
        "distinct 401 bodies: {} (1 = indistinguishable by content)",
        bodies.len()
    );
}

fn report(kind: &str, samples: &mut [Duration]) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{kind:<26} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.9)),
        ms(percentile(samples, 0.99)),
        ms(mean)
    );
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
