//! Per-process sandbox: the wasmtime [`Engine`], its epoch ticker, and the limits every
//! plugin instance runs under.

mod ticker;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::plugin::warm::WarmInstances;
pub use ticker::{EpochTicker, TickerLease, EPOCH_TICK, PARK_AFTER};

/// Resource limits applied to every plugin instance (configurable in `[sandbox]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxLimits {
    /// Maximum linear memory of one instance, in MiB.
    pub memory_limit_mib: u64,
    /// Wall-clock budget of one plugin call (instantiate + call), in milliseconds.
    pub deadline_ms: u64,
    /// Instances that may exist at the same time (sizes the pooling allocator).
    pub max_concurrent_instances: u32,
    /// Longest a request waits for a free instance when all `max_concurrent_instances` are
    /// in use, in milliseconds; then it is refused with 503 (load shedding instead of an
    /// unbounded queue behind slow plugins).
    pub queue_timeout_ms: u64,
    /// Use the pooling allocator (falls back to on-demand when the host cannot reserve it).
    pub pooling: bool,
    /// Maximum wasm stack, in KiB; deeper recursion traps.
    pub max_stack_kib: usize,
    /// Largest response body a plugin may return, in bytes.
    pub max_response_bytes: usize,
    /// Largest captured stdout/stderr per call, in bytes (the rest is dropped).
    pub max_output_bytes: usize,
    /// Map plugin memory images copy-on-write. On by default: a JavaScript or Python
    /// plugin's multi-megabyte heap snapshot is mapped instead of copied into every fresh
    /// instance (2-4x cheaper per request, see README, Performance); neutral for Rust and C
    /// with the pooling allocator, ~10 µs dearer for them on the on-demand fallback.
    pub copy_on_write: bool,
    /// Fresh instances each plugin version keeps made ahead of the requests that will use
    /// them. `"auto"` (the default) makes 2 ahead for a plugin that is expensive to
    /// instantiate (JavaScript, Python) and none for one that is cheap (Rust, C), judged at
    /// load; a number fixes it (0: always instantiate inline). Each instance still serves
    /// one call only, and at most half of `max_concurrent_instances` are kept.
    /// See [`crate::plugin::warm`].
    pub warm_instances: WarmInstances,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            memory_limit_mib: 64,
            deadline_ms: 250,
            max_concurrent_instances: 256,
            queue_timeout_ms: 10_000,
            pooling: true,
            max_stack_kib: 512,
            max_response_bytes: 1 << 20,
            max_output_bytes: 16 << 10,
            copy_on_write: true,
            warm_instances: WarmInstances::Auto,
        }
    }
}

impl SandboxLimits {
    /// Memory cap in bytes.
    pub fn memory_limit_bytes(&self) -> usize {
        (self.memory_limit_mib as usize) << 20
    }

    /// The per-call deadline.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }

    /// How long a request may wait for a free instance.
    pub fn queue_timeout(&self) -> Duration {
        Duration::from_millis(self.queue_timeout_ms)
    }

    /// Checks the limits make sense; returns a message naming the bad value.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=4096).contains(&self.memory_limit_mib) {
            return Err(format!(
                "sandbox.memory_limit_mib = {} is out of range; allowed 1..=4096",
                self.memory_limit_mib
            ));
        }
        if !(1..=60_000).contains(&self.deadline_ms) {
            return Err(format!(
                "sandbox.deadline_ms = {} is out of range; allowed 1..=60000",
                self.deadline_ms
            ));
        }
        if !(1..=100_000).contains(&self.max_concurrent_instances) {
            return Err(format!(
                "sandbox.max_concurrent_instances = {} is out of range; allowed 1..=100000",
                self.max_concurrent_instances
            ));
        }
        if !(1..=600_000).contains(&self.queue_timeout_ms) {
            return Err(format!(
                "sandbox.queue_timeout_ms = {} is out of range; allowed 1..=600000",
                self.queue_timeout_ms
            ));
        }
        self.warm_instances.validate()?;
        if !(64..=16_384).contains(&self.max_stack_kib) {
            return Err(format!(
                "sandbox.max_stack_kib = {} is out of range; allowed 64..=16384",
                self.max_stack_kib
            ));
        }
        Ok(())
    }
}

/// The process-wide engine plus the knowledge of how it was configured.
#[derive(Clone)]
pub struct Sandbox {
    /// The one engine every plugin is compiled for.
    pub engine: Engine,
    /// Advances the engine's epoch while any call holds a lease.
    pub ticker: Arc<EpochTicker>,
    /// Limits applied per store.
    pub limits: Arc<SandboxLimits>,
    /// Whether the pooling allocator is in use.
    pub pooling: bool,
    /// The on-disk compile cache, when enabled.
    pub cache: Option<Arc<crate::plugin::cache::CompileCache>>,
    /// Instance permits shared by every plugin version on this engine, so old and new
    /// versions together never exceed the pool during a reload.
    pub permits: Arc<tokio::sync::Semaphore>,
    /// The most recently compiled component (by sha256), reused when only settings change.
    pub last_compiled: Arc<std::sync::Mutex<Option<(String, wasmtime::component::Component)>>>,
}

impl Sandbox {
    /// Builds the engine (pooling when possible) and starts the epoch ticker thread.
    pub fn new(limits: SandboxLimits) -> Result<Self, wasmtime::Error> {
        let (engine, pooling) = if limits.pooling {
            match Engine::new(&engine_config(&limits, true)) {
                Ok(engine) => (engine, true),
                Err(err) => {
                    tracing::warn!(error = %err, "pooling allocator unavailable; using on-demand allocation");
                    (Engine::new(&engine_config(&limits, false))?, false)
                }
            }
        } else {
            (Engine::new(&engine_config(&limits, false))?, false)
        };
        let ticker = EpochTicker::start(&engine);
        let permits = Arc::new(tokio::sync::Semaphore::new(
            limits.max_concurrent_instances as usize,
        ));
        Ok(Self {
            engine,
            ticker,
            permits,
            limits: Arc::new(limits),
            pooling,
            cache: None,
            last_compiled: Default::default(),
        })
    }

    /// Uses an on-disk compile cache in `dir` (see [`crate::plugin::cache`]). A directory
    /// that cannot be used is logged and skipped: plugins are then compiled every time.
    pub fn with_cache_dir(mut self, dir: &std::path::Path) -> Self {
        match crate::plugin::cache::CompileCache::open(dir, &self.engine) {
            Ok(cache) => self.cache = Some(Arc::new(cache)),
            Err(err) => tracing::warn!(%err, "compile cache disabled"),
        }
        self
    }
}

fn engine_config(limits: &SandboxLimits, pooling: bool) -> Config {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .concurrency_support(false)
        .memory_init_cow(limits.copy_on_write)
        .max_wasm_stack(limits.max_stack_kib << 10)
        .async_stack_size((limits.max_stack_kib << 10) + (512 << 10));
    if pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(limits)));
    }
    config
}

fn pooling_config(limits: &SandboxLimits) -> PoolingAllocationConfig {
    let instances = limits.max_concurrent_instances;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .total_core_instances(instances * 8)
        .total_memories(instances * 2)
        .total_tables(instances * 4)
        .total_stacks(instances)
        .max_core_instances_per_component(64)
        .max_memories_per_component(16)
        .max_tables_per_component(16)
        .max_memory_size(limits.memory_limit_bytes())
        .table_elements(100_000)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        .max_unused_warm_slots(16)
        // Reuse slots without page faults: on Linux >= 6.7 only the pages a request dirtied
        // are reset (PAGEMAP_SCAN) with memset instead of being madvise'd away. No batching
        // of decommits: with a working set inside `keep_resident` there is nothing to
        // decommit, and a batch would hold each freed slot back (cold caches) and end in a
        // `process_madvise` of empty ranges every few requests (seen with strace).
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(128 << 10)
        .decommit_batch_size(1);
    pool
}

/// Bytes of each pooled linear memory reset in place (memset of dirtied pages) rather than
/// decommitted: covers a typical Rust, C or QuickJS plugin's working set.
const KEEP_RESIDENT_BYTES: usize = 8 << 20;
