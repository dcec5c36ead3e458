//! One plugin call: a fresh store and instance per call, a memory cap, a deadline, and a
//! classification of every failure. Nothing computed for one request is visible to the next.

use std::time::Duration;

use wasmtime::component::Instance;
use wasmtime::{Store, Trap};

use super::{Identity, LoadedPlugin, PluginRequest, PluginResponse};
use crate::bindings::mlauth::plugin::types as wit;
use crate::state::HostState;

/// Backstop on the whole call, on top of the plugin's own deadline: host calls the plugin
/// awaits (a password check, a database read) are not charged to the plugin's deadline but
/// each has its own timeout ([`crate::host::HOST_CALL_TIMEOUT`]); this bounds the sum.
pub(crate) const HOST_CALL_SLACK: Duration = Duration::from_secs(15);

/// Why a plugin call produced no usable answer. The gateway fails closed on every variant.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The plugin ran past its deadline.
    #[error("plugin exceeded its deadline of {0:?}")]
    Deadline(Duration),
    /// Every instance was in use for longer than `sandbox.queue_timeout_ms`.
    #[error("no plugin instance became free within {0:?}")]
    Busy(Duration),
    /// The plugin tried to grow memory or tables past its limit.
    #[error("plugin exceeded its memory limit")]
    MemoryLimit,
    /// The plugin overflowed its stack.
    #[error("plugin overflowed its stack")]
    StackOverflow,
    /// The plugin trapped (panic, unreachable, out-of-bounds...).
    #[error("plugin trapped: {0}")]
    Trap(String),
    /// The plugin returned something the host refuses to use.
    #[error("plugin returned a malformed result: {0}")]
    Malformed(String),
    /// A host capability the plugin called could not answer (e.g. the user store is down).
    #[error("a host capability failed: {0}")]
    HostUnavailable(String),
    /// The call was made on a plugin without the needed export.
    #[error("plugin does not export {0}")]
    MissingExport(&'static str),
}

impl InvokeError {
    /// Short machine-readable kind, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            InvokeError::Deadline(_) => "deadline",
            InvokeError::Busy(_) => "busy",
            InvokeError::MemoryLimit => "memory_limit",
            InvokeError::StackOverflow => "stack_overflow",
            InvokeError::Trap(_) => "trap",
            InvokeError::Malformed(_) => "malformed",
            InvokeError::HostUnavailable(_) => "host_unavailable",
            InvokeError::MissingExport(_) => "missing_export",
        }
    }
}

impl LoadedPlugin {
    /// Runs `authenticate` in a fresh instance.
    pub async fn authenticate(
        &self,
        req: &PluginRequest,
    ) -> Result<Result<Identity, PluginResponse>, InvokeError> {
        let wit_req = req.to_wit();
        let max_body = self.sandbox.limits.max_response_bytes;
        let outcome = self
            .run(&req.request_id, |mut store, instance, this| async move {
                let guest = this.authenticator.load(&mut store, &instance)?;
                let answer = guest.call_authenticate(&mut store, &wit_req).await?;
                Ok((store, answer))
            })
            .await?;
        match outcome {
            Ok(auth) => Identity::from_wit(auth)
                .map(Ok)
                .map_err(InvokeError::Malformed),
            Err(resp) => PluginResponse::from_wit(resp, max_body)
                .map(Err)
                .map_err(InvokeError::Malformed),
        }
        .inspect_err(|e| self.log_failure(&req.request_id, e))
    }

    /// Runs the app's `handle` for one of its routes in a fresh instance.
    pub async fn handle(
        &self,
        req: &PluginRequest,
        user: Option<&Identity>,
    ) -> Result<PluginResponse, InvokeError> {
        if self.app.is_none() {
            return Err(InvokeError::MissingExport("mlauth:plugin/app"));
        }
        let wit_req = req.to_wit();
        let wit_user = user.map(Identity::to_wit);
        let answer = self
            .run(&req.request_id, |mut store, instance, this| async move {
                let indices = this.app.as_ref().expect("checked above");
                let guest = indices.load(&mut store, &instance)?;
                let answer = guest
                    .call_handle(&mut store, &wit_req, wit_user.as_ref())
                    .await?;
                Ok((store, answer))
            })
            .await?;
        PluginResponse::from_wit(answer, self.sandbox.limits.max_response_bytes)
            .map_err(InvokeError::Malformed)
            .inspect_err(|e| self.log_failure(&req.request_id, e))
    }

    /// Runs `create-app` (at load time).
    pub(crate) async fn create_app(
        &self,
        host_routes: &[wit::Route],
    ) -> Result<Result<Vec<wit::Route>, String>, InvokeError> {
        let routes = host_routes.to_vec();
        self.run("load", |mut store, instance, this| async move {
            let indices = this
                .app
                .as_ref()
                .ok_or_else(|| wasmtime::Error::msg("no app export"))?;
            let guest = indices.load(&mut store, &instance)?;
            let answer = guest.call_create_app(&mut store, &routes).await?;
            Ok((store, answer))
        })
        .await
    }

    /// Takes a fresh instance (made ahead, or made now), runs `call` under the deadline,
    /// logs the plugin's output, and classifies failures.
    async fn run<'a, R, F, Fut>(&'a self, request_id: &str, call: F) -> Result<R, InvokeError>
    where
        F: FnOnce(Store<HostState>, Instance, &'a LoadedPlugin) -> Fut,
        Fut: std::future::Future<Output = wasmtime::Result<(Store<HostState>, R)>>,
    {
        let deadline = self.sandbox.limits.deadline();
        let queue_timeout = self.sandbox.limits.queue_timeout();
        let prepared =
            match tokio::time::timeout(queue_timeout, self.fresh.prepare(request_id)).await {
                Ok(Some(prepared)) => prepared,
                Ok(None) => return Err(InvokeError::Trap("sandbox closed".into())),
                Err(_elapsed) => {
                    let err = InvokeError::Busy(queue_timeout);
                    self.log_failure(request_id, &err);
                    return Err(err);
                }
            };
        let permit = prepared.permit;
        let mut store = prepared.store;
        let output = store.data().output.clone();
        let limit_hit = store.data().limits.hit_flag();
        let work = async {
            let instance = match prepared.instance {
                Some(instance) => instance,
                None => {
                    let instance = self.fresh.pre().instantiate_async(&mut store).await?;
                    self.fresh.inline_succeeded();
                    instance
                }
            };
            call(store, instance, self).await
        };
        let result = tokio::time::timeout(deadline + HOST_CALL_SLACK, work).await;
        self.log_output(request_id, &output);
        let result = match result {
            Err(_elapsed) => Err(InvokeError::Deadline(deadline)),
            Ok(Ok((store, value))) => {
                self.fresh.retire(store, permit);
                Ok(value)
            }
            Ok(Err(err)) => Err(classify(&err, deadline, limit_hit.get())),
        };
        result.inspect_err(|e| self.log_failure(request_id, e))
    }

    fn log_output(&self, request_id: &str, output: &crate::host::output::CapturedOutput) {
        let (chunks, mut truncated) = output.take();
        let lines = chunks.iter().flat_map(|(stream, text)| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(move |line| (*stream, line))
        });
        for (kept, (stream, line)) in lines.enumerate() {
            if kept >= crate::host::log::MAX_LINES_PER_REQUEST as usize {
                truncated = true;
                break;
            }
            let line = crate::host::log::escape_controls(line);
            tracing::info!(target: "mlauth::plugin", plugin = %self.info.name, sha = self.info.short_sha(), request_id, stream, "{line}");
        }
        if truncated {
            tracing::warn!(target: "mlauth::plugin", plugin = %self.info.name, request_id, "plugin output truncated");
        }
    }

    fn log_failure(&self, request_id: &str, err: &InvokeError) {
        crate::metrics::plugin_failure(&self.info.name, err.kind());
        tracing::error!(
            plugin = %self.info.name,
            sha256 = %self.info.sha256,
            request_id,
            kind = err.kind(),
            "plugin call failed, request refused: {err}"
        );
    }
}

fn classify(err: &wasmtime::Error, deadline: Duration, memory_limit_hit: bool) -> InvokeError {
    if memory_limit_hit {
        return InvokeError::MemoryLimit;
    }
    if let Some(e) = err.downcast_ref::<crate::host::users::DirectoryError>() {
        return InvokeError::HostUnavailable(e.to_string());
    }
    if let Some(e) = err.downcast_ref::<crate::host::BackendUnavailable>() {
        return InvokeError::HostUnavailable(e.to_string());
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => InvokeError::Deadline(deadline),
        Some(Trap::StackOverflow) => InvokeError::StackOverflow,
        _ => InvokeError::Trap(format!("{err:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_backend_is_unavailable_not_a_plugin_fault() {
        let deadline = Duration::from_millis(250);
        let backend =
            wasmtime::Error::new(crate::host::BackendUnavailable("kv get timed out".into()));
        assert!(matches!(
            classify(&backend, deadline, false),
            InvokeError::HostUnavailable(_)
        ));
        let users = wasmtime::Error::new(crate::host::users::DirectoryError("down".into()));
        assert!(matches!(
            classify(&users, deadline, false),
            InvokeError::HostUnavailable(_)
        ));
        let fault = wasmtime::Error::msg("plugin asked for a bad key");
        assert!(matches!(
            classify(&fault, deadline, false),
            InvokeError::Trap(_)
        ));
        assert!(matches!(
            classify(&backend, deadline, true),
            InvokeError::MemoryLimit
        ));
    }
}
