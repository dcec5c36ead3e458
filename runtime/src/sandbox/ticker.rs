//! The epoch ticker: one thread per engine that advances the engine's epoch every
//! [`EPOCH_TICK`] while any plugin call may be running, and sleeps while none is.
//!
//! Every store's CPU deadline is counted in epoch ticks, so a store whose deadline is armed
//! must hold a [`TickerLease`] until its call is over: the lease keeps the ticker awake.
//! After [`PARK_AFTER`] without a lease the thread parks (an idle gateway then wakes about
//! once a second instead of a thousand times); the next lease wakes it, and the first tick
//! follows within one [`EPOCH_TICK`]. A lease that is never released only keeps the ticker
//! awake — the safe direction. A parked ticker still advances the epoch once a second (when
//! it checks its engine is alive), so even a store armed without a lease is stopped within
//! about a second of its deadline.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, Thread};
use std::time::Duration;

use wasmtime::Engine;

/// How often the epoch ticker advances the engine epoch. Deadlines are measured in these
/// ticks, so a runaway plugin is stopped at most about one tick after its budget.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// How long the ticker keeps ticking with no lease before it parks.
pub const PARK_AFTER: Duration = Duration::from_millis(100);

/// While parked, how often the thread checks whether its engine was dropped.
const PARKED_CHECK: Duration = Duration::from_secs(1);

/// The ticker of one engine; shared by every plugin version on it.
pub struct EpochTicker {
    /// Leases held: stores whose deadline is armed and whose call is not over.
    live: AtomicUsize,
    /// Set by the ticker thread just before it parks.
    parked: AtomicBool,
    thread: OnceLock<Thread>,
}

/// Keeps the ticker awake while held (see the module docs).
pub struct TickerLease(Arc<EpochTicker>);

impl EpochTicker {
    /// Starts the ticker thread for `engine`; it exits once the engine is dropped.
    pub fn start(engine: &Engine) -> Arc<Self> {
        let weak = engine.weak();
        Self::spawn(move || weak.upgrade().map(|e| e.increment_epoch()).is_some())
    }

    /// Starts a ticker thread calling `tick` every [`EPOCH_TICK`] while leased; it exits
    /// when `tick` returns `false`.
    fn spawn(tick: impl Fn() -> bool + Send + 'static) -> Arc<Self> {
        let ticker = Arc::new(Self {
            live: AtomicUsize::new(0),
            parked: AtomicBool::new(false),
            thread: OnceLock::new(),
        });
        let this = ticker.clone();
        let handle = thread::Builder::new()
            .name("mlauth-epoch".into())
            .spawn(move || this.run(tick))
            .expect("spawning the epoch ticker thread");
        let _ = ticker.thread.set(handle.thread().clone());
        ticker
    }

    /// A lease for one armed store; wakes the ticker if it is parked.
    pub fn lease(self: &Arc<Self>) -> TickerLease {
        // SeqCst pairs with `run`: either the ticker sees this lease before it parks, or
        // this sees `parked` and wakes it.
        if self.live.fetch_add(1, Ordering::SeqCst) == 0 && self.parked.load(Ordering::SeqCst) {
            self.wake();
        }
        TickerLease(self.clone())
    }

    /// Whether the ticker thread is parked (no lease for [`PARK_AFTER`]).
    pub fn is_parked(&self) -> bool {
        self.parked.load(Ordering::SeqCst)
    }

    fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }

    /// The thread's loop; `tick` advances the epoch and returns `false` once the engine is
    /// gone.
    fn run(&self, tick: impl Fn() -> bool) {
        let park_after = (PARK_AFTER.as_nanos() / EPOCH_TICK.as_nanos()) as u32;
        let mut idle_ticks = 0u32;
        loop {
            thread::sleep(EPOCH_TICK);
            if !tick() {
                return;
            }
            idle_ticks = match self.live.load(Ordering::SeqCst) {
                0 => idle_ticks + 1,
                _ => 0,
            };
            if idle_ticks < park_after {
                continue;
            }
            self.parked.store(true, Ordering::SeqCst);
            while self.live.load(Ordering::SeqCst) == 0 {
                thread::park_timeout(PARKED_CHECK);
                if self.live.load(Ordering::SeqCst) == 0 && !tick() {
                    return;
                }
            }
            self.parked.store(false, Ordering::SeqCst);
            idle_ticks = 0;
        }
    }
}

impl Drop for TickerLease {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::time::Instant;

    /// Polls `condition` for up to five seconds.
    fn eventually(condition: impl Fn() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if condition() {
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        false
    }

    fn counting_ticker() -> (Arc<EpochTicker>, Arc<AtomicU64>) {
        let ticks = Arc::new(AtomicU64::new(0));
        let counter = ticks.clone();
        let ticker = EpochTicker::spawn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            true
        });
        (ticker, ticks)
    }

    #[test]
    fn parks_when_idle_and_a_lease_wakes_it_to_tick_again() {
        let (ticker, ticks) = counting_ticker();
        assert!(eventually(|| ticker.is_parked()), "never parked");
        let parked_at = ticks.load(Ordering::SeqCst);
        thread::sleep(PARK_AFTER);
        // Parked: at most the once-a-second liveness check may tick.
        assert!(ticks.load(Ordering::SeqCst) <= parked_at + 1);
        let lease = ticker.lease();
        assert!(
            eventually(|| ticks.load(Ordering::SeqCst) > parked_at + 10),
            "a lease did not wake the ticker"
        );
        assert!(!ticker.is_parked());
        drop(lease);
        assert!(eventually(|| ticker.is_parked()), "did not park again");
    }

    #[test]
    fn never_parks_while_a_lease_is_held() {
        let (ticker, ticks) = counting_ticker();
        let _lease = ticker.lease();
        let start = ticks.load(Ordering::SeqCst);
        thread::sleep(PARK_AFTER * 3);
        assert!(!ticker.is_parked());
        // Well past the idle threshold, still ticking.
        let later = ticks.load(Ordering::SeqCst);
        assert!(
            eventually(|| ticks.load(Ordering::SeqCst) > later),
            "stopped ticking"
        );
        assert!(later > start);
    }

    #[test]
    fn the_thread_exits_when_tick_says_the_engine_is_gone() {
        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        let ticker = EpochTicker::spawn(move || flag.load(Ordering::SeqCst));
        let _lease = ticker.lease();
        alive.store(false, Ordering::SeqCst);
        // The thread holds the other reference; it drops it on exit.
        assert!(
            eventually(|| Arc::strong_count(&ticker) == 2),
            "lease + ours expected"
        );
    }
}
