//! `sandbox.warm_instances`: how many fresh instances each plugin version keeps made ahead
//! of the requests that will use them ([`super::fresh`]), and the `auto` policy that decides
//! it per plugin version from what instantiating that plugin costs.
//!
//! Making instances ahead moves instantiation off the request's latency, not off the CPU.
//! Measured on a 2-vCPU VM (README, Performance) it cuts a JavaScript or Python plugin's
//! added latency by 40% or more (instantiating one, and resetting its slot afterwards, costs
//! tens to hundreds of µs), and makes a Rust or C plugin's slower end to end (a few µs,
//! and the made-ahead instance is then used on another core than the one that built it). `auto`
//! (the default) therefore turns it on only for plugins that are expensive to instantiate.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// Largest explicit `sandbox.warm_instances`.
pub const MAX_WARM_INSTANCES: u32 = 64;

/// Instances `auto` keeps made ahead for a plugin that is expensive to instantiate: enough
/// for a request arriving while the previous one's replacement is still being made.
pub const AUTO_WARM_INSTANCES: u32 = 2;

/// With `auto`, a plugin whose cheapest of [`AUTO_PROBES`] instantiations at load takes at
/// least this long gets instances made ahead. Measured for the `api-key` example in each
/// language (2-vCPU VM, 2026-11-30): Rust 3 µs and C 2 µs with the pooling allocator (15 and
/// 13 µs on the on-demand fallback), JavaScript 48 µs (62), Python 450 µs (470); the
/// threshold leaves a factor of at least 1.7 on either side.
pub const AUTO_THRESHOLD: Duration = Duration::from_micros(25);

/// Timed instantiations behind an `auto` decision (after one untimed, which pays first-touch
/// costs). The cheapest counts: preemption and a busy machine only ever add time.
pub const AUTO_PROBES: usize = 5;

/// With `auto`, how long refills pause after a request found no instance made ahead: the
/// load then outpaces them, and through the gateway at saturation instances made ahead cost
/// a JavaScript plugin throughput (README, Performance); quiet periods get them back.
pub const AUTO_BACKOFF: Duration = Duration::from_millis(50);

/// With `auto`, how many requests in a row must find no instance ready, each while a
/// refill was running, before refills pause: a single one happens at light load too,
/// when a request arrives while the refill is still making its instance.
pub const AUTO_BACKOFF_STREAK: u32 = 8;

/// With `auto`, pauses the refilling of made-ahead instances while the load outpaces it:
/// when [`AUTO_BACKOFF_STREAK`] requests in a row find the queue empty although a refill is
/// running, refills stop for [`AUTO_BACKOFF`], so a saturated plugin runs as if inline. An
/// empty queue with no refill running is not taken as load, an empty queue during a pause
/// does not extend it, and the refill the pause stopped restarts when the pause ends.
#[derive(Debug)]
pub struct Backoff {
    enabled: AtomicBool,
    /// End of the current pause, in nanoseconds after `born`.
    quiet_until: AtomicU64,
    /// Requests in a row that found the queue empty while a refill was running.
    empty_streak: AtomicU32,
    born: Instant,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            enabled: AtomicBool::new(false),
            quiet_until: AtomicU64::new(0),
            empty_streak: AtomicU32::new(0),
            born: Instant::now(),
        }
    }
}

impl Backoff {
    /// Turns the back-off on (`auto`) or off (a fixed number of instances).
    pub fn enable(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    /// A request found no instance ready; `refilling`: a refill was running.
    pub fn found_empty(&self, refilling: bool) {
        if refilling && self.enabled.load(Ordering::Relaxed) {
            self.found_empty_at(refilling, self.born.elapsed());
        }
    }

    /// A request took an instance made ahead: the streak of empty takes is over.
    pub fn found_ready(&self) {
        if self.empty_streak.load(Ordering::Relaxed) != 0 {
            self.empty_streak.store(0, Ordering::Relaxed);
        }
    }

    /// Whether refills are paused now.
    pub fn active(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) && self.active_at(self.born.elapsed())
    }

    /// How much of the current pause is left, if refills are paused.
    pub fn remaining(&self) -> Option<Duration> {
        self.remaining_at(self.born.elapsed())
    }

    fn remaining_at(&self, now: Duration) -> Option<Duration> {
        let until = Duration::from_nanos(self.quiet_until.load(Ordering::Relaxed));
        self.active_at(now).then(|| until.saturating_sub(now))
    }

    fn found_empty_at(&self, refilling: bool, now: Duration) {
        if !refilling || !self.enabled.load(Ordering::Relaxed) || self.active_at(now) {
            return;
        }
        if self.empty_streak.fetch_add(1, Ordering::Relaxed) + 1 >= AUTO_BACKOFF_STREAK {
            self.empty_streak.store(0, Ordering::Relaxed);
            let until = (now + AUTO_BACKOFF).as_nanos() as u64;
            self.quiet_until.store(until, Ordering::Relaxed);
        }
    }

    fn active_at(&self, now: Duration) -> bool {
        self.enabled.load(Ordering::Relaxed)
            && (now.as_nanos() as u64) < self.quiet_until.load(Ordering::Relaxed)
    }
}

/// Time after which [`cheapest_instantiation`] stops timing: a plugin this slow to
/// instantiate is measured well enough, and loads stay quick.
pub const PROBING_BUDGET: Duration = Duration::from_millis(20);

/// The cheapest of up to [`AUTO_PROBES`] timed runs of `instantiate` (after one untimed run;
/// fewer once [`PROBING_BUDGET`] is spent). What a run returns is dropped before the next
/// one starts, outside the timing. The first failure is returned.
pub async fn cheapest_instantiation<F, Fut, T>(instantiate: F) -> wasmtime::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = wasmtime::Result<T>>,
{
    cheapest_timed(instantiate, Instant::now).await
}

/// [`cheapest_instantiation`] on the clock `now`.
async fn cheapest_timed<F, Fut, T>(
    mut instantiate: F,
    now: impl Fn() -> Instant,
) -> wasmtime::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = wasmtime::Result<T>>,
{
    let probing = now();
    let mut cheapest = Duration::MAX;
    for probe in 0..=AUTO_PROBES {
        let started = now();
        let made = instantiate().await?;
        let took = now() - started;
        drop(made);
        if probe == 0 {
            continue;
        }
        cheapest = cheapest.min(took);
        if now() - probing >= PROBING_BUDGET {
            break;
        }
    }
    Ok(cheapest)
}

/// The `sandbox.warm_instances` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WarmInstances {
    /// Decide per plugin version at load ([`WarmInstances::decide`]): `"auto"`, the default.
    #[default]
    Auto,
    /// Exactly this many per plugin version (0: always instantiate inline).
    Fixed(u32),
}

impl WarmInstances {
    /// The setting's problem, if any, naming the key and what is allowed.
    pub fn validate(self) -> Result<(), String> {
        match self {
            WarmInstances::Fixed(n) if n > MAX_WARM_INSTANCES => Err(format!(
                "sandbox.warm_instances = {n} is out of range; allowed \"auto\" or \
                 0..={MAX_WARM_INSTANCES}"
            )),
            _ => Ok(()),
        }
    }

    /// How many instances to keep made ahead, given what one instantiation of the plugin
    /// costs (`None`: not measured, e.g. it failed) and the instance pool's size; at most
    /// half the pool, so requests always keep the rest.
    pub fn decide(self, instantiation: Option<Duration>, max_concurrent: u32) -> usize {
        let wanted = match self {
            WarmInstances::Fixed(n) => n,
            WarmInstances::Auto => match instantiation {
                Some(cost) if cost >= AUTO_THRESHOLD => AUTO_WARM_INSTANCES,
                _ => 0,
            },
        };
        wanted.min(max_concurrent / 2) as usize
    }
}

impl<'de> Deserialize<'de> for WarmInstances {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WarmVisitor)
    }
}

struct WarmVisitor;

impl Visitor<'_> for WarmVisitor {
    type Value = WarmInstances;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\"auto\" or a number of instances 0..={MAX_WARM_INSTANCES}"
        )
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<WarmInstances, E> {
        u32::try_from(n).map(WarmInstances::Fixed).map_err(|_| {
            E::custom(format!(
                "{n} is not allowed; use \"auto\" or 0..={MAX_WARM_INSTANCES}"
            ))
        })
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<WarmInstances, E> {
        self.visit_i64(i64::try_from(n).unwrap_or(-1))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<WarmInstances, E> {
        match text {
            "auto" => Ok(WarmInstances::Auto),
            other => Err(E::custom(format!(
                "\"{other}\" is not allowed; use \"auto\" or a number 0..={MAX_WARM_INSTANCES}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
