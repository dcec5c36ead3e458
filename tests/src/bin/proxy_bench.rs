//! Loopback benchmark of the gateway's added cost: a trivial upstream, measured directly,
//! through mlauth without a plugin call (a public path), and through mlauth with the plugin.
//!
//! `cargo run --release -p mlauth-tests --bin proxy_bench -- [--seconds 10] [--connections 16]`

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
}

fn main() {
    let args = Args::parse();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (upstream, gateway) = server_rt.block_on(async {
        let upstream = start_trivial_upstream().await;
        let plugin = args.plugin.clone().unwrap_or_else(|| mlauth_tests::wasm::STATIC_TOKEN.to_string());
        let extra = "public_prefixes = [\"/bench-public\"]\n[plugins.test-app.config]\ntoken = \"bench-token\"\nusername = \"bench\"\n";
        let gateway = mlauth_tests::gateway::TestGateway::start(&plugin, &format!("http://{upstream}"), extra)
            .await
            .expect("start gateway");
        (upstream, Arc::new(gateway))
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
    let token = vec![(
        "authorization".to_string(),
        "Bearer bench-token".to_string(),
    )];
    let results = [
        scenario("upstream direct", &upstream, "/bench", vec![]),
        scenario(
            "mlauth, no plugin call",
            &gw_addr,
            "/bench-public/x",
            vec![],
        ),
        scenario("mlauth + plugin", &gw_addr, "/bench", token),
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
    drop(gateway);
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
