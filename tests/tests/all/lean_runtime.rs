//! `no_std` plugins on the SDK's lean runtime (bump allocator, logging panic handler,
//! `cabi_realloc`): memory grows past the initial pages, reallocation keeps contents,
//! exhausting the memory cap or panicking fails closed, and the panic message reaches the
//! host log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use mlauth::plugin::{load_plugin, PluginRequest, PluginSettings, PluginSource};
use mlauth::runner::new_linker;
use mlauth::sandbox::{Sandbox, SandboxLimits};
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

async fn call(gw: &TestGateway, mode: &str) -> (u16, String) {
    let resp = reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .header("x-mode", mode)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn lean_plugin_allocates_grows_and_fails_closed_at_the_memory_cap() {
    let upstream = MockUpstream::start().await;
    let limits = "[sandbox]\nmemory_limit_mib = 16\ndeadline_ms = 10000\n";
    let gw = TestGateway::start(wasm::LEAN, &upstream.url, limits)
        .await
        .unwrap();
    for (mode, user) in [
        ("", "lean"),
        ("grow", "lean-grow"),
        ("realloc", "lean-realloc"),
    ] {
        let (status, body) = call(&gw, mode).await;
        assert_eq!(status, 200, "{mode}: {body}");
        let seen = upstream.seen();
        assert_eq!(
            seen.last().unwrap().headers["x-mlauth-user"],
            user,
            "{mode}"
        );
    }
    let forwarded = upstream.seen().len();
    for mode in ["oom", "panic"] {
        let (status, body) = call(&gw, mode).await;
        assert_eq!(status, 500, "{mode}: {body}");
        assert!(body.contains("INTERNAL_ERROR"), "{mode}: {body}");
        assert!(!body.contains("panicked"), "internals leaked: {body}");
    }
    assert_eq!(
        upstream.seen().len(),
        forwarded,
        "a failed call reached the upstream"
    );
    // Every request has a fresh instance: the failures left nothing behind.
    assert_eq!(call(&gw, "grow").await.0, 200);
}

/// Collects everything the test's subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request(mode: &str) -> PluginRequest {
    mlauth_tests::mode_request(mode, "lean-panic")
}

#[test]
fn lean_plugin_failures_are_classified_and_the_panic_message_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    // A process-wide subscriber, not a scoped one: with other tests logging from their own
    // threads at the same time, a scoped dispatcher can miss events (tracing caches each
    // call site's interest globally). Only plugin errors are kept; this test is the only
    // one in the binary that installs a subscriber.
    use tracing_subscriber::layer::SubscriberExt as _;
    let plugin_errors =
        tracing_subscriber::filter::Targets::new().with_target("mlauth", tracing::Level::ERROR);
    let subscriber = tracing_subscriber::registry().with(plugin_errors).with(
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone()),
    );
    tracing::subscriber::set_global_default(subscriber).expect("no other test sets one");
    let kind = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let sandbox = Sandbox::new(SandboxLimits {
                warm_instances: mlauth::plugin::warm::WarmInstances::Fixed(2),
                ..SandboxLimits::default()
            })
            .unwrap();
            let linker = new_linker(&sandbox).unwrap();
            let source = PluginSource::File(wasm::LEAN.into());
            let settings = PluginSettings::default();
            let plugin = load_plugin(&sandbox, &linker, "lean", &source, &settings, &[])
                .await
                .unwrap();
            let ok = plugin.authenticate(&request("")).await.unwrap().unwrap();
            assert_eq!(ok.username, "lean");
            // Exhausting memory is reported as the memory cap, not as a generic trap.
            let oom = plugin.authenticate(&request("oom")).await.unwrap_err();
            assert_eq!(oom.kind(), "memory_limit", "{oom}");
            // The panicking call gets a made-ahead instance: its log line must still carry
            // the request's id, not the id it was instantiated under.
            while plugin.warm_ready() < 2 {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            let err = plugin.authenticate(&request("panic")).await.unwrap_err();
            err.kind()
        })
    };
    assert_eq!(kind, "trap");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|line| {
            line.contains("lean fixture panicked on purpose")
                && line.contains("request_id=\"lean-panic\"")
        })
        .unwrap_or_else(|| panic!("panic message not logged:\n{logs}"));
    assert!(
        line.contains("ERROR") && line.contains("lean/src/lib.rs"),
        "{line}"
    );
}
