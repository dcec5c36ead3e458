//! Hostile plugins: runaway CPU, memory bombs, stack overflow, panics, and attempts to reach
//! files, the environment or the network. Each fails closed (or is denied) and affects only
//! its own request.

use std::time::Duration;

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

async fn gateway(plugin: &str, extra: &str) -> (MockUpstream, TestGateway) {
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(plugin, &upstream.url, extra)
        .await
        .unwrap();
    (upstream, gw)
}

async fn get(gw: &TestGateway, path: &str) -> (u16, String) {
    let resp = reqwest::get(gw.at(path)).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn assert_generic_mlflow_error(body: &str, code: &str) {
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(json["error_code"], code, "{body}");
    let message = json["message"].as_str().unwrap();
    assert!(message.contains("request id"), "{body}");
    for internal in [
        "wasm",
        "trap",
        "backtrace",
        "memory",
        "stack",
        "unreachable",
    ] {
        assert!(
            !message.to_lowercase().contains(internal),
            "internals leaked: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn infinite_loop_fails_closed_while_other_requests_are_served() {
    let (upstream, looping) = gateway(wasm::INFINITE_LOOP, "[sandbox]\ndeadline_ms = 50\n").await;
    let (_, healthy) = gateway(wasm::ECHO, "").await;
    let spinning: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(reqwest::get(
                looping.at("/api/2.0/mlflow/experiments/search"),
            ))
        })
        .collect();
    let client = reqwest::Client::new();
    for _ in 0..20 {
        let resp = client
            .get(healthy.at("/api/x"))
            .header("x-test-user", "carol")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    for task in spinning {
        let resp = task.await.unwrap().unwrap();
        assert_eq!(resp.status(), 503);
        assert_generic_mlflow_error(&resp.text().await.unwrap(), "TEMPORARILY_UNAVAILABLE");
    }
    assert!(upstream.seen().is_empty());
}

/// With every instance busy, a request waits at most `queue_timeout_ms` and is then refused
/// with 503, instead of queueing for as long as the busy calls take.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_finds_every_instance_busy_is_shed_with_503() {
    let extra = "[sandbox]\ndeadline_ms = 3000\nmax_concurrent_instances = 1\n\
                 queue_timeout_ms = 100\nwarm_instances = 0\n";
    let (upstream, gw) = gateway(wasm::INFINITE_LOOP, extra).await;
    let busy = tokio::spawn(reqwest::get(gw.at("/api/2.0/mlflow/experiments/search")));
    // The spinning call holds the only instance for its 3 s deadline; wait until it does.
    let started = std::time::Instant::now();
    while gw.gateway.sandbox.permits.available_permits() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the call never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, body) = get(&gw, "/api/2.0/mlflow/experiments/search").await;
    assert_eq!(status, 503, "{body}");
    assert_generic_mlflow_error(&body, "TEMPORARILY_UNAVAILABLE");
    assert!(
        !busy.is_finished(),
        "the shed request was answered before the busy one"
    );
    assert_eq!(busy.await.unwrap().unwrap().status(), 503);
    assert!(upstream.seen().is_empty());
}

/// The epoch ticker sleeps while no call runs; a runaway call after an idle spell must keep
/// it awake for as long as it runs and still be stopped at its deadline, whether its instance
/// is made inline or ahead. (The running call is checked well past the ticker's idle
/// threshold, so ticks kept up for other work, such as a refill, cannot hide a missing lease.)
#[tokio::test(flavor = "multi_thread")]
async fn infinite_loop_after_an_idle_spell_keeps_the_ticker_awake_and_fails_closed() {
    for warm in ["0", "2"] {
        let extra = format!("[sandbox]\ndeadline_ms = 1500\nwarm_instances = {warm}\n");
        let (upstream, looping) = gateway(wasm::INFINITE_LOOP, &extra).await;
        let ticker = looping.gateway.sandbox.ticker.clone();
        let parked = tokio::time::timeout(Duration::from_secs(10), async {
            while !ticker.is_parked() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        assert!(parked.await.is_ok(), "the ticker never went to sleep");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let call = tokio::spawn(
            client
                .get(looping.at("/api/2.0/mlflow/experiments/search"))
                .send(),
        );
        tokio::time::sleep(mlauth::sandbox::PARK_AFTER * 6).await;
        assert!(
            !ticker.is_parked(),
            "warm_instances = {warm}: the ticker slept while a call ran"
        );
        let resp = call
            .await
            .unwrap()
            .expect("the runaway call was not stopped");
        assert_eq!(resp.status(), 503, "warm_instances = {warm}");
        assert_generic_mlflow_error(&resp.text().await.unwrap(), "TEMPORARILY_UNAVAILABLE");
        assert!(upstream.seen().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_bomb_stack_overflow_and_panic_fail_closed() {
    for plugin in [wasm::MEMORY_BOMB, wasm::STACK_OVERFLOW, wasm::PANIC] {
        // A generous deadline, so the memory limit (or the trap) is what stops the plugin.
        let (upstream, gw) = gateway(
            plugin,
            "[sandbox]\nmemory_limit_mib = 16\ndeadline_ms = 10000\n",
        )
        .await;
        let (status, body) = get(&gw, "/api/2.0/mlflow/experiments/search").await;
        assert_eq!(status, 500, "{plugin}: {body}");
        assert_generic_mlflow_error(&body, "INTERNAL_ERROR");
        assert!(upstream.seen().is_empty(), "{plugin}");
        // The next request gets a fresh instance and fails the same way: no poisoned state.
        assert_eq!(get(&gw, "/api/2.0/mlflow/experiments/search").await.0, 500);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn files_environment_and_sockets_are_out_of_reach() {
    std::env::set_var("MLAUTH_TEST_SECRET", "should-not-leak");
    for plugin in [wasm::READ_FILE, wasm::READ_ENV, wasm::OPEN_SOCKET] {
        let (upstream, gw) = gateway(plugin, "").await;
        let (status, body) = get(&gw, "/api/2.0/mlflow/experiments/search").await;
        assert_eq!(status, 401, "{plugin} was granted access: {body}");
        assert!(upstream.seen().is_empty(), "{plugin}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_plugin_responses_are_refused_not_forwarded() {
    let (upstream, gw) = gateway(wasm::BAD_RESPONSE, "").await;
    let client = reqwest::Client::new();
    for mode in ["status", "header-name", "header-value", "framing"] {
        let resp = client
            .get(gw.at("/api/x"))
            .header("x-mode", mode)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500, "{mode}");
        assert_generic_mlflow_error(&resp.text().await.unwrap(), "INTERNAL_ERROR");
    }
    // A generous deadline and memory, so the response-size check is what refuses it.
    let (_, huge) = gateway(
        wasm::HUGE_RESPONSE,
        "[sandbox]\nmemory_limit_mib = 256\ndeadline_ms = 10000\n",
    )
    .await;
    assert_eq!(get(&huge, "/api/x").await.0, 500);
    assert!(upstream.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_output_and_logs_do_not_break_the_request() {
    let (upstream, gw) = gateway(wasm::ECHO, "").await;
    let resp = reqwest::Client::new()
        .get(gw.at("/api/x"))
        .header("x-test-user", "dave")
        .header("x-test-groups", "a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(upstream.seen()[0].headers["x-mlauth-user"], "dave");
}
