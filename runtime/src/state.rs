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
///
/// The caps hold for the instance as a whole: a component may hold several core modules and
/// each of them several memories and tables, so the limiter keeps running totals (wasmtime
/// asks it for every memory and table, including their initial sizes, and none ever
/// shrinks).
pub struct InstanceLimiter {
    memory_limit: usize,
    memory_bytes: usize,
    table_elements: usize,
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

/// All tables of one instance together: twice the largest single table.
const MAX_TOTAL_TABLE_ELEMENTS: usize = 2 * MAX_TABLE_ELEMENTS;

impl InstanceLimiter {
    fn new(memory_limit: usize) -> Self {
        Self {
            memory_limit,
            memory_bytes: 0,
            table_elements: 0,
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
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.memory_bytes + desired).saturating_sub(current);
        if desired > self.memory_limit || total > self.memory_limit {
            return self.refuse();
        }
        self.memory_bytes = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.table_elements + desired).saturating_sub(current);
        if desired > MAX_TABLE_ELEMENTS || total > MAX_TOTAL_TABLE_ELEMENTS {
            return self.refuse();
        }
        self.table_elements = total;
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

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1 << 20;

    #[test]
    fn the_memory_cap_covers_all_memories_of_an_instance_together() {
        let mut limiter = InstanceLimiter::new(10 * MIB);
        let flag = limiter.hit_flag();
        // Two memories created at 4 MiB each, then the first grows to 6 MiB: 10 MiB in all.
        assert!(limiter.memory_growing(0, 4 * MIB, None).unwrap());
        assert!(limiter.memory_growing(0, 4 * MIB, None).unwrap());
        assert!(limiter.memory_growing(4 * MIB, 6 * MIB, None).unwrap());
        assert!(!flag.get());
        // Any further byte in either memory, or a third memory, would pass 10 MiB.
        assert!(limiter
            .memory_growing(4 * MIB, 4 * MIB + 65536, None)
            .is_err());
        assert!(limiter.memory_growing(0, 65536, None).is_err());
        assert!(flag.get(), "a refusal is reported as the memory limit");
    }

    #[test]
    fn one_memory_may_use_the_whole_cap_but_not_more() {
        let mut limiter = InstanceLimiter::new(10 * MIB);
        assert!(limiter.memory_growing(0, MIB, None).unwrap());
        assert!(limiter.memory_growing(MIB, 10 * MIB, None).unwrap());
        assert!(InstanceLimiter::new(10 * MIB)
            .memory_growing(0, 10 * MIB + 1, None)
            .is_err());
    }

    #[test]
    fn the_table_cap_covers_all_tables_of_an_instance_together() {
        let mut limiter = InstanceLimiter::new(MIB);
        assert!(limiter.table_growing(0, MAX_TABLE_ELEMENTS, None).unwrap());
        assert!(limiter.table_growing(0, MAX_TABLE_ELEMENTS, None).unwrap());
        assert!(limiter.table_growing(0, 1, None).is_err());
        let mut single = InstanceLimiter::new(MIB);
        assert!(single
            .table_growing(0, MAX_TABLE_ELEMENTS + 1, None)
            .is_err());
    }
}
