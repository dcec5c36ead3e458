//! Per-request host state: what one plugin instance can reach, and nothing more.

use std::sync::{Arc, Mutex};

use wasmtime::component::ResourceTable;
use wasmtime::ResourceLimiter;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::host::output::CapturedOutput;
use crate::plugin::PluginInfo;

/// The data owned by one [`wasmtime::Store`]: a WASI context with no ambient authority,
/// the resource table, the memory limiter, and the plugin's identity and grants.
pub struct HostState {
    /// Built on the plugin's first WASI call: a plugin that imports no WASI (a `no_std`
    /// plugin) never pays for one.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    /// Memory/table limiter; records whether a limit was hit.
    pub limits: InstanceLimiter,
    /// Which plugin (name, sha256, config, grants) this instance belongs to.
    pub plugin: Arc<PluginInfo>,
    /// The request id, attached to every log line.
    pub request_id: Arc<str>,
    /// Plugin stdout and stderr, logged by the host after the call.
    pub output: CapturedOutput,
    /// Log lines already written through the `log` interface (rate limit).
    pub log_lines: u32,
    /// Time spent in host calls the plugin awaited (not charged to its CPU deadline).
    pub host_time: std::time::Duration,
    /// When the current call's deadline started counting (re-armed when a made-ahead
    /// instance is handed to a request).
    pub call_started: std::time::Instant,
    /// Keeps the epoch ticker awake while this store's deadline is armed (its call or its
    /// instantiation is running); released when the call is over.
    pub ticker_lease: Option<crate::sandbox::TickerLease>,
}

impl HostState {
    /// A fresh state: no preopened directories, no environment, no arguments, closed stdin,
    /// no sockets and no name lookups. Clocks and randomness work.
    pub fn new(
        plugin: Arc<PluginInfo>,
        request_id: Arc<str>,
        memory_limit: usize,
        max_output: usize,
    ) -> Self {
        Self {
            wasi: None,
            table: ResourceTable::new(),
            limits: InstanceLimiter::new(memory_limit),
            plugin,
            request_id,
            output: CapturedOutput::new(max_output),
            log_lines: 0,
            host_time: std::time::Duration::ZERO,
            call_started: std::time::Instant::now(),
            ticker_lease: None,
        }
    }
}

/// The WASI context every plugin gets: stdout and stderr captured into `output`, no
/// preopened directories, no environment, no arguments, closed stdin, no sockets and no
/// name lookups; clocks and randomness work.
fn sandboxed_wasi(output: &CapturedOutput) -> WasiCtx {
    let mut builder = WasiCtx::builder();
    builder
        .stdout(output.stream("stdout"))
        .stderr(output.stream("stderr"))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    builder.build()
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let output = &self.output;
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(|| sandboxed_wasi(output)),
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and table growth of one instance and remembers a refusal, so a
/// failed call can be reported as "memory limit" rather than a generic trap.
pub struct InstanceLimiter {
    memory_limit: usize,
    hit: Arc<Mutex<bool>>,
}

/// Shared view of an [`InstanceLimiter`]'s refusal flag.
#[derive(Clone)]
pub struct LimitFlag(Arc<Mutex<bool>>);

impl LimitFlag {
    /// Whether any growth was refused.
    pub fn get(&self) -> bool {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Tables larger than this many elements are refused (CPython and SpiderMonkey need ~100k).
const MAX_TABLE_ELEMENTS: usize = 200_000;

impl InstanceLimiter {
    fn new(memory_limit: usize) -> Self {
        Self {
            memory_limit,
            hit: Arc::new(Mutex::new(false)),
        }
    }

    /// A handle that still answers "was a limit hit?" after the store is gone.
    pub fn hit_flag(&self) -> LimitFlag {
        LimitFlag(self.hit.clone())
    }

    fn refuse(&self) -> wasmtime::Result<bool> {
        *self.hit.lock().unwrap_or_else(|e| e.into_inner()) = true;
        Err(wasmtime::Error::msg("plugin memory limit exceeded"))
    }
}

impl ResourceLimiter for InstanceLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return self.refuse();
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            return self.refuse();
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        64
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        16
    }
}
