//! Measures the lever mlauth does *not* use yet (the open part of the foundation issue's
//! ≤ 5 µs goal): the same fresh store + instance + `authenticate` + drop as the
//! `instantiate` bench, on the same engine and pool, but called synchronously — WASI linked
//! with `add_to_linker_sync`, `InstancePre::instantiate` and a typed-function `call`, so no
//! fiber is created — next to the async path mlauth uses. Nothing here is part of mlauth.
//!
//! `cargo bench -p mlauth-tests --bench sync_probe` (`MLAUTH_BENCH_ITERS`, default 20,000)
//!
//! Why mlauth does not switch: wasmtime-wasi's sync bindings run blocking stream and poll
//! calls through `Handle::block_on`, which panics on a tokio worker thread, and a sync call
//! cannot yield at epoch ticks, so a slow plugin would hold a worker for its whole deadline.

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

use std::sync::Arc;
use std::time::Instant;

use mlauth::bindings::mlauth::plugin::{config, log, types as wit};
use mlauth::plugin::{PluginInfo, PluginKind};
use mlauth::sandbox::{Sandbox, SandboxLimits};
use mlauth::state::HostState;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::Store;

type Answer = Result<wit::Authorization, wit::Response>;

fn info() -> Arc<PluginInfo> {
    Arc::new(PluginInfo {
        name: "probe".into(),
        sha256: "0".repeat(64),
        origin: "bench".into(),
        size: 0,
        kind: PluginKind::Function,
        config: Default::default(),
        grants: Vec::new(),
        services: Default::default(),
        request_headers: Default::default(),
    })
}

fn request() -> wit::Request {
    let header = |name: &str, value: &str| wit::Header {
        name: name.into(),
        value: value.as_bytes().to_vec(),
    };
    wit::Request {
        method: "GET".into(),
        raw_path: "/api/2.0/mlflow/experiments/search".into(),
        path: "/api/2.0/mlflow/experiments/search".into(),
        query: "max_results=10".into(),
        headers: vec![
            header("host", "127.0.0.1:5000"),
            header("user-agent", "mlflow-python-client/3.17.2"),
            header("authorization", "Bearer bench-token"),
        ],
        body: None,
        client_addr: "127.0.0.1:50000".into(),
        request_id: "bench".into(),
    }
}

fn new_store(sandbox: &Sandbox) -> Store<HostState> {
    let limits = &sandbox.limits;
    let state = HostState::new(
        info(),
        Arc::from("bench"),
        limits.memory_limit_bytes(),
        limits.max_output_bytes,
    );
    let mut store = Store::new(&sandbox.engine, state);
    store.limiter(|state| &mut state.limits);
    store.set_epoch_deadline(250);
    store
}

fn linker(sandbox: &Sandbox, sync: bool) -> Linker<HostState> {
    let mut linker = Linker::new(&sandbox.engine);
    if sync {
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    } else {
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    }
    log::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s).unwrap();
    config::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s).unwrap();
    linker
}

fn authenticate_func(
    store: &mut Store<HostState>,
    instance: &wasmtime::component::Instance,
) -> wasmtime::component::TypedFunc<(wit::Request,), (Answer,)> {
    let iface = instance
        .get_export_index(&mut *store, None, "mlauth:plugin/authenticator@0.1.0")
        .expect("authenticator export");
    let func = instance
        .get_export_index(&mut *store, Some(&iface), "authenticate")
        .expect("authenticate export");
    instance.get_typed_func(&mut *store, func).unwrap()
}

fn sync_call(sandbox: &Sandbox, pre: &InstancePre<HostState>, req: &wit::Request) -> Answer {
    let mut store = new_store(sandbox);
    let instance = pre.instantiate(&mut store).unwrap();
    let func = authenticate_func(&mut store, &instance);
    func.call(&mut store, (req.clone(),)).unwrap().0
}

async fn async_call(sandbox: &Sandbox, pre: &InstancePre<HostState>, req: &wit::Request) -> Answer {
    let mut store = new_store(sandbox);
    let instance = pre.instantiate_async(&mut store).await.unwrap();
    let func = authenticate_func(&mut store, &instance);
    func.call_async(&mut store, (req.clone(),)).await.unwrap().0
}

fn report(label: &str, mut samples: Vec<u64>) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "{label}: p50 {:.2} µs, p99 {:.2} µs ({} iterations)",
        at(0.5),
        at(0.99),
        samples.len()
    );
}

fn main() {
    let iters: usize = std::env::var("MLAUTH_BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let sandbox = Sandbox::new(SandboxLimits::default()).unwrap();
    // allow-all imports only `log` and `config` (it is `no_std`), so its sync InstancePre needs
    // no async host.
    let component = Component::from_file(&sandbox.engine, mlauth_tests::wasm::ALLOW_ALL).unwrap();
    let sync_pre = linker(&sandbox, true).instantiate_pre(&component).unwrap();
    let async_pre = linker(&sandbox, false).instantiate_pre(&component).unwrap();
    let req = request();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for round in 0..2 {
        let mut sync_samples = Vec::with_capacity(iters);
        for i in 0..iters + 1_000 {
            let start = Instant::now();
            let answer = sync_call(&sandbox, &sync_pre, &req);
            if i >= 1_000 {
                sync_samples.push(start.elapsed().as_nanos() as u64);
            }
            assert!(answer.is_ok(), "allow-all must allow");
        }
        let async_samples = rt.block_on(async {
            let mut samples = Vec::with_capacity(iters);
            for i in 0..iters + 1_000 {
                let start = Instant::now();
                let answer = async_call(&sandbox, &async_pre, &req).await;
                if i >= 1_000 {
                    samples.push(start.elapsed().as_nanos() as u64);
                }
                assert!(answer.is_ok(), "allow-all must allow");
            }
            samples
        });
        println!("round {}", round + 1);
        report("  allow-all, sync (no fibers)", sync_samples);
        report("  allow-all, async (mlauth's path, bare)", async_samples);
    }
}
