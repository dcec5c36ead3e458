//! The background refill of [`FreshInstances`]: it drops the stores of answered calls
//! (resetting their pool slots) and makes instances up to the target, only with spare
//! instance permits and never while the version is retired or the back-off pauses it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use wasmtime::component::Instance;
use wasmtime::Store;

use super::{lock, FreshInstances};
use crate::state::HostState;

impl FreshInstances {
    /// Starts a refill task when there is work and none is running (no-op outside a tokio
    /// runtime).
    pub(super) fn refill_soon(self: &Arc<Self>) {
        if !self.needs_refill() || self.refilling.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.refilling.store(false, Ordering::Release);
            return;
        };
        let this = self.clone();
        runtime.spawn(async move { this.refill().await });
    }

    /// Whether a refill task has anything to do: stores to drop or instances to make.
    fn needs_refill(&self) -> bool {
        let target = self.target();
        target > 0
            && !self.paused.load(Ordering::Relaxed)
            && !self.closed.load(Ordering::Acquire)
            && !self.backoff.active()
            && (self.lock().len() < target || !lock(&self.spent).is_empty())
    }

    /// The refill task: rounds until there is nothing left to do. A request that retires a
    /// store while the flag is still set leaves the work to this task, so after clearing the
    /// flag it looks again (unless it stopped for want of a permit: the next call retries).
    /// A round stopped by the back-off is restarted when the pause ends, so a queue emptied
    /// by a burst fills up again without waiting for the next request. (No refill counts as
    /// running during the pause: an empty take right after it is not taken as load.)
    async fn refill(self: Arc<Self>) {
        loop {
            let filled = self.refill_round().await;
            self.refilling.store(false, Ordering::Release);
            if let Some(pause) = self.backoff.remaining().filter(|_| !filled) {
                let this = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(pause).await;
                    this.refill_soon();
                });
                return;
            }
            if !filled || !self.needs_refill() || self.refilling.swap(true, Ordering::AcqRel) {
                return;
            }
        }
    }

    /// Drops retired stores and makes instances up to the target; `false` when it stopped
    /// early (no spare permit, an instantiation failed, the version was retired, or the
    /// back-off paused refills).
    async fn refill_round(&self) -> bool {
        loop {
            // Free the answered calls' slots first: the next instance reuses one, warm.
            let spent = std::mem::take(&mut *lock(&self.spent));
            drop(spent);
            if self.closed.load(Ordering::Acquire) || self.backoff.active() {
                return false;
            }
            if self.lock().len() >= self.target() {
                return true;
            }
            // Only spare permits: a request waiting for one always comes first.
            let Ok(permit) = self.sandbox.permits.clone().try_acquire_owned() else {
                return false;
            };
            match self.instantiate_ahead().await {
                Ok((mut store, instance)) => {
                    // Waiting in the queue runs nothing: no ticker needed until it is armed.
                    store.data_mut().ticker_lease = None;
                    let mut ready = self.lock();
                    if self.closed.load(Ordering::Acquire) {
                        return false;
                    }
                    ready.push((store, instance, permit));
                }
                Err(err) => {
                    self.paused.store(true, Ordering::Relaxed);
                    tracing::debug!(plugin = %self.info.name, error = %format!("{err:#}"),
                        "making an instance ahead failed; requests instantiate inline");
                    return false;
                }
            }
        }
    }

    /// Instantiates under the plugin's own deadline and memory cap (start functions run
    /// here), so a plugin cannot escape its limits by doing its work at instantiation.
    pub(super) async fn instantiate_ahead(&self) -> wasmtime::Result<(Store<HostState>, Instance)> {
        let mut store = self.new_store("instantiate-ahead");
        let limit = self.sandbox.limits.deadline() + crate::plugin::invoke::HOST_CALL_SLACK;
        let instance = tokio::time::timeout(limit, self.pre.instantiate_async(&mut store))
            .await
            .map_err(|_| wasmtime::Error::msg("instantiation ran past its deadline"))??;
        Ok((store, instance))
    }
}
