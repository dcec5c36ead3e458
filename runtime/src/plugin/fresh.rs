//! Fresh instances of one plugin version, made ahead of the requests that will use them.
//!
//! Instantiation is about 40% of a Rust plugin's per-request cost and most of a JavaScript
//! or Python plugin's. With N > 0 instances made ahead (`sandbox.warm_instances`, decided
//! per version by [`FreshInstances::settle_target`]) each plugin version keeps up to
//! N instances that were created but never called; a request takes one and hands its store
//! back when answered, and a background task drops answered stores (resetting their pool
//! slots) and makes the next instances. Every instance still serves exactly one call, so
//! nothing one request did is visible to another. The work moves off the request's latency,
//! not off the CPU; when the queue is empty a request instantiates inline, as it always
//! does with N = 0 (what `auto` picks for cheap plugins: see [`super::warm`]).
//!
//! The background refill (dropping answered stores, making the next instances) is in
//! `refill`; choosing how many to keep ahead is in `settle`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::{Instance, InstancePre};
use wasmtime::{Store, UpdateDeadline};

use super::warm::Backoff;
use super::PluginInfo;
use crate::sandbox::Sandbox;
use crate::state::HostState;

mod refill;
mod settle;

/// A store ready for one call: its instance when it was made ahead, and the instance permit
/// it counts against (held until the store is dropped).
pub(crate) struct Prepared {
    /// The call's store, armed for this request (deadline counting from the take).
    pub store: Store<HostState>,
    /// `Some` when the instance was made ahead; `None` means instantiate now.
    pub instance: Option<Instance>,
    /// Keeps the instance counted against `sandbox.max_concurrent_instances`.
    pub permit: OwnedSemaphorePermit,
}

/// Makes stores and instances for one plugin version and keeps up to `target` ready.
pub(crate) struct FreshInstances {
    pre: InstancePre<HostState>,
    info: Arc<PluginInfo>,
    sandbox: Sandbox,
    /// Instances to keep made ahead; 0 until [`Self::settle_target`] ran.
    target: AtomicUsize,
    ready: Mutex<Vec<(Store<HostState>, Instance, OwnedSemaphorePermit)>>,
    /// Stores whose call is answered, dropped (their pool slot reset) by the refill task
    /// just before it instantiates into the slot again. Each keeps its permit until then.
    spent: Mutex<Vec<(Store<HostState>, OwnedSemaphorePermit)>>,
    refilling: AtomicBool,
    /// Set when a background instantiation failed; cleared by the next inline success, so a
    /// plugin that cannot be instantiated is not instantiated twice per request.
    paused: AtomicBool,
    /// Set when the plugin version is retired: instances made after that are dropped.
    closed: AtomicBool,
    /// With `auto`: pauses refills while the load outpaces them ([`Backoff`]).
    backoff: Backoff,
}

impl FreshInstances {
    /// Wraps a pre-instantiated component; no instance is made ahead until
    /// [`Self::settle_target`] chose a target and [`Self::prewarm`] or a request ran.
    pub fn new(pre: InstancePre<HostState>, info: Arc<PluginInfo>, sandbox: Sandbox) -> Self {
        Self {
            pre,
            info,
            sandbox,
            target: AtomicUsize::new(0),
            ready: Mutex::new(Vec::new()),
            spent: Mutex::new(Vec::new()),
            refilling: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            backoff: Backoff::default(),
        }
    }

    /// The component's pre-instantiation (for inline instantiation and export lookups).
    pub fn pre(&self) -> &InstancePre<HostState> {
        &self.pre
    }

    /// A store for one call, armed for `request_id`: a made-ahead instance when one is
    /// ready (and a refill is started), otherwise a new store once an instance permit is free.
    pub async fn prepare(self: &Arc<Self>, request_id: &str) -> Option<Prepared> {
        if self.target() == 0 {
            let permit = self.sandbox.permits.clone().acquire_owned().await.ok()?;
            return Some(Prepared {
                store: self.new_store(request_id),
                instance: None,
                permit,
            });
        }
        let ahead = self.lock().pop();
        let prepared = match ahead {
            Some((mut store, instance, permit)) => {
                crate::metrics::plugin_instance(&self.info.name, "warm");
                self.backoff.found_ready();
                arm(&mut store, request_id, &self.sandbox);
                Prepared {
                    store,
                    instance: Some(instance),
                    permit,
                }
            }
            None => {
                crate::metrics::plugin_instance(&self.info.name, "cold");
                self.backoff
                    .found_empty(self.refilling.load(Ordering::Acquire));
                let permit = self.sandbox.permits.clone().acquire_owned().await.ok()?;
                Prepared {
                    store: self.new_store(request_id),
                    instance: None,
                    permit,
                }
            }
        };
        self.refill_soon();
        Some(prepared)
    }

    /// Hands back the store of an answered call. With made-ahead instances its drop (the
    /// pool slot's reset) is left to the refill task, off the request's latency; at most
    /// `target` wait there, beyond that (or without a queue) it is dropped here.
    pub fn retire(self: &Arc<Self>, mut store: Store<HostState>, permit: OwnedSemaphorePermit) {
        // The call is over: its deadline no longer needs the ticker.
        store.data_mut().ticker_lease = None;
        // The store (its pool slot) goes before its permit, never after: a request woken by
        // the permit must find the slot free. (Parameters would drop in the other order.)
        let drop_here = |store: Store<HostState>, permit: OwnedSemaphorePermit| {
            drop(store);
            drop(permit);
        };
        let target = self.target();
        if target == 0
            || self.paused.load(Ordering::Relaxed)
            || self.closed.load(Ordering::Acquire)
            || self.backoff.active()
        {
            return drop_here(store, permit);
        }
        let mut spent = lock(&self.spent);
        if spent.len() >= target {
            drop(spent);
            return drop_here(store, permit);
        }
        spent.push((store, permit));
        drop(spent);
        self.refill_soon();
    }

    /// Records that an inline instantiation worked, so background refills may resume.
    pub fn inline_succeeded(&self) {
        self.paused.store(false, Ordering::Relaxed);
    }

    /// Starts filling the queue in the background (no-op outside a tokio runtime, with a
    /// target of 0, or while a refill is already running).
    pub fn prewarm(self: &Arc<Self>) {
        self.refill_soon();
    }

    /// Instances made ahead and not yet taken.
    pub fn ready(&self) -> usize {
        self.lock().len()
    }

    /// Drops the ready instances and stops refilling (the plugin version is retired).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.lock().clear();
        lock(&self.spent).clear();
    }

    /// A store with the memory limiter and the deadline callback, armed for `request_id`.
    fn new_store(&self, request_id: &str) -> Store<HostState> {
        let limits = &self.sandbox.limits;
        let mut state = HostState::new(
            self.info.clone(),
            Arc::from(request_id),
            limits.memory_limit_bytes(),
            limits.max_output_bytes,
        );
        let deadline = limits.deadline();
        state.ticker_lease = Some(self.sandbox.ticker.lease());
        let mut store = Store::new(&self.sandbox.engine, state);
        store.limiter(|state| &mut state.limits);
        store.epoch_deadline_callback(move |ctx| {
            let state = ctx.data();
            let guest_time = state.call_started.elapsed().saturating_sub(state.host_time);
            Ok(if guest_time >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        store.set_epoch_deadline(1);
        store
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Store<HostState>, Instance, OwnedSemaphorePermit)>> {
        lock(&self.ready)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Hands a made-ahead store to a call: log lines carry `request_id`, the CPU deadline
/// counts from now rather than from its instantiation, and the epoch ticker is kept awake.
fn arm(store: &mut Store<HostState>, request_id: &str, sandbox: &Sandbox) {
    let state = store.data_mut();
    state.ticker_lease = Some(sandbox.ticker.lease());
    state.request_id = Arc::from(request_id);
    state.call_started = Instant::now();
    state.host_time = std::time::Duration::ZERO;
    store.set_epoch_deadline(1);
}
