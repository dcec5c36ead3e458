//! Prometheus metrics: every metric name and label set in one place, recorded through the
//! `metrics` facade and rendered by the admin listener (`GET /metrics`).
//!
//! Label values are bounded: `plugin` is the app name (one per configured app), `outcome`,
//! `kind` and `result` come from fixed enums, and `status` is the HTTP status code.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `outcome` ([`Outcome`]) and `status` (HTTP code).
pub const REQUESTS: &str = "mlauth_requests_total";
/// Time spent in the plugin's `authenticate` (fresh instance + call), by `plugin`.
pub const AUTH_SECONDS: &str = "mlauth_auth_step_duration_seconds";
/// Failed plugin calls by `plugin` and `kind` (`trap`, `deadline`, `memory_limit`,
/// `stack_overflow`, `malformed`, `host_unavailable`, `missing_export`).
pub const PLUGIN_FAILURES: &str = "mlauth_plugin_failures_total";
/// Reload attempts by `plugin` and `result` (`ok`, `failed`, `unchanged`).
pub const RELOADS: &str = "mlauth_reloads_total";
/// Duration of successful reloads (read, compile or cache load, validate, swap), by `plugin`.
pub const RELOAD_SECONDS: &str = "mlauth_reload_duration_seconds";
/// basic-auth credential-cache lookups that found a fresh entry.
pub const CREDENTIAL_CACHE_HITS: &str = "mlauth_credential_cache_hits_total";
/// basic-auth credential-cache lookups that found nothing (a full password check followed).
pub const CREDENTIAL_CACHE_MISSES: &str = "mlauth_credential_cache_misses_total";
/// Auth-database operations that failed because the database was unreachable or erred.
pub const STORE_ERRORS: &str = "mlauth_store_errors_total";
/// Fresh plugin instances handed to calls when `sandbox.warm_instances` > 0, by `plugin` and
/// `source`: `warm` (made ahead, off the request path) or `cold` (made inline: none ready).
pub const PLUGIN_INSTANCES: &str = "mlauth_plugin_instances_total";
/// Compile-cache lookups by `result` (`hit`, `miss`, `rejected`).
pub const COMPILE_CACHE: &str = "mlauth_compile_cache_total";

/// Histogram buckets for the latency metrics, in seconds (10 µs … 10 s).
const LATENCY_BUCKETS: [f64; 16] = [
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 1.0, 10.0,
];

/// How a request ended, as counted in [`REQUESTS`] and written to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A public path: no authentication.
    Public,
    /// The plugin authenticated the caller.
    Allowed,
    /// The plugin refused the caller (its own response, e.g. 401).
    Denied,
    /// The plugin failed (trap, deadline, …): refused with 5xx.
    PluginError,
    /// Refused before authentication (bad path, limits).
    Rejected,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Public => "public",
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::PluginError => "plugin_error",
            Outcome::Rejected => "rejected",
        }
    }
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once; later calls return the same
/// handle). `None` when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("seconds".into()), &LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "metrics recorder not installed; /metrics is unavailable");
                    None
                }
            }
        })
        .as_ref()
}

/// The metrics in Prometheus text format, or `None` without a recorder.
pub fn render() -> Option<String> {
    let handle = install()?;
    handle.run_upkeep();
    Some(handle.render())
}

fn describe() {
    use metrics::{describe_counter, describe_histogram, Unit};
    describe_counter!(REQUESTS, "Requests answered, by outcome and HTTP status");
    describe_histogram!(
        AUTH_SECONDS,
        Unit::Seconds,
        "Plugin authenticate step (instance + call)"
    );
    describe_counter!(
        PLUGIN_FAILURES,
        "Failed plugin calls (traps, deadlines, memory limit, …)"
    );
    describe_counter!(RELOADS, "Plugin/config reload attempts by result");
    describe_histogram!(RELOAD_SECONDS, Unit::Seconds, "Successful reload duration");
    describe_counter!(CREDENTIAL_CACHE_HITS, "basic-auth credential cache hits");
    describe_counter!(
        CREDENTIAL_CACHE_MISSES,
        "basic-auth credential cache misses"
    );
    describe_counter!(STORE_ERRORS, "Auth database errors");
    describe_counter!(COMPILE_CACHE, "On-disk compile cache lookups by result");
    describe_counter!(
        PLUGIN_INSTANCES,
        "Fresh plugin instances by source (warm: made ahead; cold: made inline)"
    );
}

/// Counts one answered request.
pub fn request(outcome: Outcome, status: u16) {
    metrics::counter!(REQUESTS, "outcome" => outcome.as_str(), "status" => status_label(status))
        .increment(1);
}

/// Records one `authenticate` step.
pub fn auth_step(plugin: &str, elapsed: Duration) {
    metrics::histogram!(AUTH_SECONDS, "plugin" => plugin.to_string()).record(elapsed.as_secs_f64());
}

/// Counts one failed plugin call.
pub fn plugin_failure(plugin: &str, kind: &'static str) {
    metrics::counter!(PLUGIN_FAILURES, "plugin" => plugin.to_string(), "kind" => kind).increment(1);
}

/// Counts one reload attempt (`ok`, `failed`, `unchanged`) and the time a successful one took.
pub fn reload(plugin: &str, result: &'static str, elapsed: Option<Duration>) {
    metrics::counter!(RELOADS, "plugin" => plugin.to_string(), "result" => result).increment(1);
    if let Some(elapsed) = elapsed {
        metrics::histogram!(RELOAD_SECONDS, "plugin" => plugin.to_string())
            .record(elapsed.as_secs_f64());
    }
}

/// Counts one fresh instance handed to a call (`source` is `warm` or `cold`).
pub fn plugin_instance(plugin: &str, source: &'static str) {
    metrics::counter!(PLUGIN_INSTANCES, "plugin" => plugin.to_string(), "source" => source)
        .increment(1);
}

/// Counts one credential-cache lookup.
pub fn credential_cache(hit: bool) {
    match hit {
        true => metrics::counter!(CREDENTIAL_CACHE_HITS).increment(1),
        false => metrics::counter!(CREDENTIAL_CACHE_MISSES).increment(1),
    }
}

/// Counts one store error.
pub fn store_error() {
    metrics::counter!(STORE_ERRORS).increment(1);
}

/// Counts one compile-cache lookup (`hit`, `miss`, `rejected`).
pub fn compile_cache(result: &'static str) {
    metrics::counter!(COMPILE_CACHE, "result" => result).increment(1);
}

/// Status codes as static label values (bounded: anything outside 100..=599 is `other`).
fn status_label(status: u16) -> String {
    match status {
        100..=599 => status.to_string(),
        _ => "other".to_string(),
    }
}
