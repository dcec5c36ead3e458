//! Instances made ahead of the request (`sandbox.warm_instances`): each still serves one
//! call only, its deadline counts from the moment a request takes it, the queue refills in
//! the background, and a pool smaller than the load neither deadlocks nor refuses requests.
//! With `auto` (the default) only plugins that are expensive to instantiate get them.

use std::sync::Arc;
use std::time::Duration;

use mlauth::plugin::warm::{WarmInstances, AUTO_WARM_INSTANCES};
use mlauth::plugin::{load_plugin, LoadedPlugin, PluginRequest, PluginSettings, PluginSource};
use mlauth::runner::new_linker;
use mlauth::sandbox::{Sandbox, SandboxLimits};
use mlauth_tests::polyglot::{self, Language};
use mlauth_tests::wasm;

async fn load(limits: SandboxLimits) -> Arc<LoadedPlugin> {
    let sandbox = Sandbox::new(limits).unwrap();
    let linker = new_linker(&sandbox).unwrap();
    let source = PluginSource::File(wasm::LEAN.into());
    let settings = PluginSettings::default();
    Arc::new(
        load_plugin(&sandbox, &linker, "warm", &source, &settings, &[])
            .await
            .unwrap(),
    )
}

fn request(mode: &str) -> PluginRequest {
    mlauth_tests::mode_request(mode, &format!("warm-{mode}"))
}

async fn user(plugin: &LoadedPlugin, mode: &str) -> String {
    match plugin.authenticate(&request(mode)).await {
        Ok(Ok(identity)) => identity.username,
        other => panic!("{mode}: {other:?}"),
    }
}

/// Waits (up to 10 s) until `ready` instances are made ahead.
async fn until_ready(plugin: &LoadedPlugin, ready: usize) {
    for _ in 0..10_000 {
        if plugin.warm_ready() == ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("{} instances ready, expected {ready}", plugin.warm_ready());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_ahead_instances_serve_one_call_each_and_refill() {
    let limits = SandboxLimits {
        warm_instances: WarmInstances::Fixed(3),
        ..SandboxLimits::default()
    };
    let plugin = load(limits).await;
    until_ready(&plugin, 3).await;
    // A static counter in the plugin: a reused instance would answer 2, 3, ...
    for _ in 0..20 {
        assert_eq!(user(&plugin, "count").await, "lean-call-1");
    }
    until_ready(&plugin, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_counts_from_the_take_not_from_instantiation() {
    let limits = SandboxLimits {
        warm_instances: WarmInstances::Fixed(2),
        deadline_ms: 400,
        ..SandboxLimits::default()
    };
    let plugin = load(limits).await;
    until_ready(&plugin, 2).await;
    // The waiting instance is older than its deadline; the call runs for many epoch ticks,
    // so a deadline armed at instantiation would interrupt it.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(plugin.warm_ready(), 2);
    assert_eq!(user(&plugin, "busy").await, "lean-busy");
    // ...and the deadline still applies to a made-ahead instance.
    let limits = SandboxLimits {
        warm_instances: WarmInstances::Fixed(2),
        deadline_ms: 1,
        ..SandboxLimits::default()
    };
    let strict = load(limits).await;
    until_ready(&strict, 2).await;
    let err = strict.authenticate(&request("busy")).await.unwrap_err();
    assert_eq!(err.kind(), "deadline", "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_cheap_plugin_instantiates_inline() {
    let limits = SandboxLimits::default();
    assert_eq!(limits.warm_instances, WarmInstances::Auto);
    let plugin = load(limits).await;
    assert_eq!(
        plugin.warm_target(),
        0,
        "a lean Rust plugin is cheap to instantiate"
    );
    for _ in 0..5 {
        assert_eq!(user(&plugin, "count").await, "lean-call-1");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(plugin.warm_ready(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_pool_serves_a_burst_without_starving_requests() {
    // Two instance slots: one may wait made-ahead (half the pool), one is always left for
    // requests; 64 concurrent calls must all be answered.
    let limits = SandboxLimits {
        warm_instances: WarmInstances::Fixed(8),
        max_concurrent_instances: 2,
        ..SandboxLimits::default()
    };
    let plugin = load(limits).await;
    until_ready(&plugin, 1).await;
    let calls = (0..64).map(|_| {
        let plugin = plugin.clone();
        tokio::spawn(async move { user(&plugin, "count").await })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap(), "lean-call-1");
    }
    until_ready(&plugin, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_leaves_the_next_instances_clean() {
    let limits = SandboxLimits {
        warm_instances: WarmInstances::Fixed(2),
        ..SandboxLimits::default()
    };
    let plugin = load(limits).await;
    until_ready(&plugin, 2).await;
    let err = plugin.authenticate(&request("oom")).await.unwrap_err();
    assert_eq!(err.kind(), "memory_limit", "{err}");
    let err = plugin.authenticate(&request("panic")).await.unwrap_err();
    assert_eq!(err.kind(), "trap", "{err}");
    assert_eq!(user(&plugin, "count").await, "lean-call-1");
    assert_eq!(user(&plugin, "grow").await, "lean-grow");
}

/// `api-key` in `language`, loaded with `limits`.
async fn load_api_key(language: Language, limits: SandboxLimits) -> Arc<LoadedPlugin> {
    let sandbox = Sandbox::new(limits).unwrap();
    let linker = new_linker(&sandbox).unwrap();
    let source = PluginSource::File(polyglot::api_key(language));
    let mut settings = PluginSettings::default();
    settings.config.insert("api_key".into(), "auto-key".into());
    settings.config.insert("username".into(), "auto-bot".into());
    let plugin = load_plugin(&sandbox, &linker, "api-key", &source, &settings, &[]);
    Arc::new(plugin.await.unwrap())
}

async fn api_key_call(plugin: &LoadedPlugin, language: Language) {
    let mut req = request("api-key");
    req.headers = vec![("x-api-key".into(), b"auto-key".to_vec())];
    match plugin.authenticate(&req).await {
        Ok(Ok(identity)) => assert_eq!(identity.username, "auto-bot", "{language:?}"),
        other => panic!("{language:?}: {other:?}"),
    }
}

/// `auto` (the default) times a few instantiations at load. The JavaScript and Python
/// builds of `api-key` (a QuickJS or CPython heap per instance: 50 µs to milliseconds) get
/// instances made ahead, the Rust and C builds (a few µs, an order of magnitude under the
/// threshold) do not; every build answers the same either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_makes_instances_ahead_only_for_plugins_expensive_to_instantiate() {
    for language in Language::ALL {
        let plugin = load_api_key(language, SandboxLimits::default()).await;
        let expensive = matches!(language, Language::JavaScript | Language::Python);
        let expected = if expensive {
            AUTO_WARM_INSTANCES as usize
        } else {
            0
        };
        assert_eq!(plugin.warm_target(), expected, "{language:?}");
        until_ready(&plugin, expected).await;
        for _ in 0..3 {
            api_key_call(&plugin, language).await;
        }
        until_ready(&plugin, expected).await;
    }
}

/// A burst larger than the queue makes `auto` back off to inline instantiation; every call
/// of the burst is answered, and when the back-off ends the queue fills up again by itself,
/// without waiting for another request (a refill stopped by the back-off resumes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_backs_off_under_a_burst_and_recovers() {
    let plugin = load_api_key(Language::JavaScript, SandboxLimits::default()).await;
    assert_eq!(plugin.warm_target(), AUTO_WARM_INSTANCES as usize);
    until_ready(&plugin, 2).await;
    let burst = (0..32).map(|_| {
        let plugin = plugin.clone();
        tokio::spawn(async move { api_key_call(&plugin, Language::JavaScript).await })
    });
    for call in burst.collect::<Vec<_>>() {
        call.await.unwrap();
    }
    until_ready(&plugin, 2).await;
    for _ in 0..3 {
        api_key_call(&plugin, Language::JavaScript).await;
    }
    until_ready(&plugin, 2).await;
}
