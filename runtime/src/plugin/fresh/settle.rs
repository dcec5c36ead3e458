//! How many instances a plugin version keeps made ahead: `sandbox.warm_instances`, with
//! `auto` decided from a few timed instantiations at load ([`crate::plugin::warm`]).

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::FreshInstances;
use crate::plugin::warm::{cheapest_instantiation, WarmInstances};

impl FreshInstances {
    /// Sets how many instances to keep made ahead from `sandbox.warm_instances`; with
    /// `auto` this first times a few instantiations of the plugin ([`crate::plugin::warm`]).
    /// Returns the target.
    pub async fn settle_target(&self) -> usize {
        let setting = self.sandbox.limits.warm_instances;
        let cost = match setting {
            WarmInstances::Auto => self.instantiation_cost().await,
            WarmInstances::Fixed(_) => None,
        };
        let target = setting.decide(cost, self.sandbox.limits.max_concurrent_instances);
        if let (WarmInstances::Auto, Some(cost)) = (setting, cost) {
            tracing::info!(plugin = %self.info.name, sha = self.info.short_sha(),
                instantiation_us = cost.as_micros() as u64, made_ahead = target,
                "sandbox.warm_instances = \"auto\": {target} instances made ahead");
        }
        self.backoff.enable(setting == WarmInstances::Auto);
        self.target.store(target, Ordering::Release);
        target
    }

    /// What one instantiation costs ([`cheapest_instantiation`]), timed in stores under the
    /// plugin's limits, each dropped at once. `None` when no instance permit is free or an
    /// instantiation fails (requests will then report the failure).
    async fn instantiation_cost(&self) -> Option<Duration> {
        let _permit = self.sandbox.permits.clone().try_acquire_owned().ok()?;
        cheapest_instantiation(|| self.instantiate_ahead())
            .await
            .inspect_err(|err| {
                tracing::debug!(plugin = %self.info.name, error = %format!("{err:#}"),
                    "timing an instantiation failed; no instances made ahead");
            })
            .ok()
    }

    /// Instances kept made ahead (0: every request instantiates inline).
    pub fn target(&self) -> usize {
        self.target.load(Ordering::Relaxed)
    }
}
