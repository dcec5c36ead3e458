//! Loopback benchmark of the gateway's added cost: a trivial upstream, measured directly,
//! through mlauth without a plugin call (a public path), through mlauth with the plugin, and
//! through the basic-auth app (built-in plugin, SQLite store, admin: no rules).
//!
//! `cargo run --release -p mlauth-tests --bin proxy_bench -- [--seconds 10] [--connections 16]
//! [--warm-instances 2] [--sandbox 'copy_on_write = false'] [--rounds 5] [--plugin P.wasm --plugin-config key=value --header 'name: value']`
//!
//! One pair of runs is noisy on a shared VM (at 1 connection the plugin/no-plugin ratio
//! swung 87–115% between runs); `--rounds N` adds N more pairs, alternating which scenario
//! goes first, and prints the median ratio and the median added p50.

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use mlauth_tests::loadgen::{self, LoadReport, Target};

#[derive(Parser)]
struct Args {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Plugin to measure (default: the static-token example).
    #[arg(long)]
    plugin: Option<String>,
    /// `sandbox.warm_instances` of the plugin gateway: `auto` (the default) or a number of
    /// instances made ahead (0 = inline).
    #[arg(long, default_value = "auto")]
    warm_instances: String,
    /// The plugin's settings as `key=value` (repeatable; default: static-token's).
    #[arg(long = "plugin-config")]
    plugin_config: Vec<String>,
    /// Request header the plugin admits, as `name: value` (repeatable; default: the
    /// static-token Bearer token).
    #[arg(long)]
    header: Vec<String>,
    /// A `[sandbox]` setting of the plugin gateway as `key = value` in TOML (repeatable),
    /// e.g. `--sandbox 'copy_on_write = false'`.
    #[arg(long)]
    sandbox: Vec<String>,
    /// Extra alternating no-plugin/plugin pairs whose median is reported (0: none).
    #[arg(long, default_value_t = 0)]
    rounds: usize,
}

/// `[plugins.test-app.config]` from `key=value` pairs.
fn plugin_config_toml(pairs: &[String]) -> String {
    let mut toml = String::from("[plugins.test-app.config]\n");
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .expect("--plugin-config takes key=value");
        toml.push_str(&format!("{key} = {value:?}\n"));
    }
    toml
}

fn main() {
    let args = Args::parse();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (upstream, gateway, (basic_auth, _db_dir)) = server_rt.block_on(async {
        let upstream = start_trivial_upstream().await;
        let plugin = args
            .plugin
            .clone()
            .unwrap_or_else(|| mlauth_tests::wasm::STATIC_TOKEN.to_string());
        let settings = match args.plugin_config.is_empty() {
            true => plugin_config_toml(&["token=bench-token".into(), "username=bench".into()]),
            false => plugin_config_toml(&args.plugin_config),
        };
        let extra = format!(
            "public_prefixes = [\"/bench-public\"]\n{settings}[sandbox]\nwarm_instances = {}\n{}\n",
            match args.warm_instances.parse::<u32>() {
                Ok(n) => n.to_string(),
                Err(_) => format!("{:?}", args.warm_instances),
            },
            args.sandbox.join("\n")
        );
        let gateway = mlauth_tests::gateway::TestGateway::start(
            &plugin,
            &format!("http://{upstream}"),
            &extra,
        )
        .await
        .expect("start gateway");
        let basic_auth = start_basic_auth(&upstream).await;
        (upstream, Arc::new(gateway), basic_auth)
    });
    let gw_addr = gateway.url.trim_start_matches("http://").to_string();
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let duration = Duration::from_secs(args.seconds);
    let scenario = |name: &str,
                    addr: &str,
                    path: &str,
                    headers: Vec<(String, String)>|
     -> (String, LoadReport) {
        let target = Target {
            addr: addr.to_string(),
            path: path.to_string(),
            headers,
            expect: 200,
        };
        client_rt.block_on(loadgen::run(target.clone(), 2, Duration::from_millis(500)));
        (
            name.to_string(),
            client_rt.block_on(loadgen::run(target, args.connections, duration)),
        )
    };
    let token = match args.header.is_empty() {
        true => vec![(
            "authorization".to_string(),
            "Bearer bench-token".to_string(),
        )],
        false => args
            .header
            .iter()
            .map(|h| {
                let (name, value) = h.split_once(':').expect("--header takes name: value");
                (name.trim().to_string(), value.trim().to_string())
            })
            .collect(),
    };
    let results = [
        scenario("upstream direct", &upstream, "/bench", vec![]),
        scenario(
            "mlauth, no plugin call",
            &gw_addr,
            "/bench-public/x",
            vec![],
        ),
        scenario("mlauth + plugin", &gw_addr, "/bench", token.clone()),
        scenario(
            "mlauth basic-auth, admin (Basic, SQLite store)",
            basic_auth.url.trim_start_matches("http://"),
            "/api/2.0/mlflow/experiments/search",
            vec![("authorization".to_string(), basic_header())],
        ),
    ];
    println!("| scenario | requests | errors | req/s | p50 µs | p99 µs |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, r) in &results {
        println!(
            "| {name} | {} | {} | {:.0} | {:.1} | {:.1} |",
            r.requests, r.unexpected, r.rps, r.p50_us, r.p99_us
        );
    }
    let (no_plugin, with_plugin) = (&results[1].1, &results[2].1);
    println!();
    println!(
        "plugin adds {:.1} µs at p50; throughput {:.1}% of the no-plugin proxy ({} connections, {} s each, 2 server threads)",
        with_plugin.p50_us - no_plugin.p50_us,
        100.0 * with_plugin.rps / no_plugin.rps,
        args.connections,
        args.seconds
    );
    let basic = &results[3].1;
    println!(
        "basic-auth (built-in plugin, credential cache hit, store read) adds {:.1} µs at p50 over the no-plugin proxy; throughput {:.1}%",
        basic.p50_us - no_plugin.p50_us,
        100.0 * basic.rps / no_plugin.rps,
    );
    if args.rounds > 0 {
        let pair = |plugin_first: bool| {
            let no_plugin = || scenario("", &gw_addr, "/bench-public/x", vec![]).1;
            let plugin = || scenario("", &gw_addr, "/bench", token.clone()).1;
            match plugin_first {
                true => {
                    let with = plugin();
                    (no_plugin(), with)
                }
                false => {
                    let without = no_plugin();
                    (without, plugin())
                }
            }
        };
        let pairs: Vec<_> = (0..args.rounds).map(|round| pair(round % 2 == 1)).collect();
        print_rounds(&pairs);
    }
    drop(gateway);
    drop(basic_auth);
}

/// The per-round ratios and added p50s of `pairs` (no plugin, plugin), and their medians.
fn print_rounds(pairs: &[(LoadReport, LoadReport)]) {
    let mut ratios: Vec<f64> = pairs.iter().map(|(a, b)| 100.0 * b.rps / a.rps).collect();
    let mut added: Vec<f64> = pairs.iter().map(|(a, b)| b.p50_us - a.p50_us).collect();
    let list = |v: &[f64], unit: &str| {
        v.iter()
            .map(|x| format!("{x:.1}{unit}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!();
    println!(
        "{} alternating rounds: throughput {} of the no-plugin proxy; plugin adds {} at p50",
        pairs.len(),
        list(&ratios, "%"),
        list(&added, " µs")
    );
    println!(
        "median: throughput {:.1}% of the no-plugin proxy, plugin adds {:.1} µs at p50",
        median(&mut ratios),
        median(&mut added)
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() % 2 {
        0 => (values[mid - 1] + values[mid]) / 2.0,
        _ => values[mid],
    }
}

const ADMIN_PASSWORD: &str = "bench-admin-password";

fn basic_header() -> String {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
    format!("Basic {encoded}")
}

/// The basic-auth app (built-in plugin, SQLite store in a temporary directory) in front of
/// the trivial upstream; the admin's requests skip the authorization rules.
async fn start_basic_auth(
    upstream: &str,
) -> (mlauth_tests::gateway::TestGateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.path().join("basic_auth.db").display()
    );
    let gateway = mlauth_tests::gateway::TestGateway::start_basic_auth(
        &format!("http://{upstream}"),
        &ini,
        dir.path(),
        ADMIN_PASSWORD,
        "",
    )
    .await
    .expect("start basic-auth");
    (gateway, dir)
}

async fn start_trivial_upstream() -> String {
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    addr
}
