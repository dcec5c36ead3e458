//! Response hooks (reference §6, Appendix A.2): side effects of successful writes (creator
//! grants, grant renames and sweeps) and response filters of listings.
//!
//! A hook acts on 2xx responses only and passes every other response through untouched. On
//! its own failure it answers an error (5xx), never the unfiltered body.

use std::future::Future;
use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use futures::FutureExt;
use serde_json::Value;

use crate::basic_auth::app::BasicAuthCore;
use crate::basic_auth::permissions::DEFAULT_WORKSPACE;
use crate::host_app::ResponseHook;
use crate::proxy::prepare::RequestContext;

use super::body::{buffer_response, is_success, rebuild_response, MAX_RESPONSE_BODY};
use super::error::{RuleError, RuleResult};
use super::lookups::prompt_marker;

/// What a hook owns: the app, the request facts and the caller.
#[derive(Clone)]
pub struct HookCtx {
    /// Shared app state.
    pub core: Arc<BasicAuthCore>,
    /// Request facts (for error responses and logs).
    pub ctx: RequestContext,
    /// The caller's username.
    pub username: String,
}

/// A hook that buffers a 2xx JSON response, hands it to `act`, and sends back `act`'s
/// replacement body (or the original one when `act` returns `None`).
pub fn on_success<F, Fut>(hc: HookCtx, act: F) -> ResponseHook
where
    F: FnOnce(HookCtx, Value) -> Fut + Send + 'static,
    Fut: Future<Output = RuleResult<Option<Value>>> + Send + 'static,
{
    Box::new(move |response: Response| {
        async move {
            if !is_success(&response) {
                return response;
            }
            let ctx = hc.ctx.clone();
            let (parts, bytes) = match buffer_response(response, MAX_RESPONSE_BODY).await {
                Ok(buffered) => buffered,
                Err(cause) => return RuleError::Upstream(cause).into_http(&ctx),
            };
            let json: Value = match serde_json::from_slice(&bytes) {
                Ok(json) => json,
                Err(_) => {
                    return RuleError::Upstream("a 2xx answer is not JSON".into()).into_http(&ctx)
                }
            };
            match act(hc, json).await {
                Ok(None) => rebuild_response(parts, bytes),
                Ok(Some(replaced)) => rebuild_response(parts, Bytes::from(replaced.to_string())),
                Err(err) => err.into_http(&ctx),
            }
        }
        .boxed()
    })
}

fn string_at<'a>(json: &'a Value, pointer: &str) -> RuleResult<&'a str> {
    json.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| RuleError::Internal(format!("the upstream answer has no {pointer}")))
}

/// `set_can_manage_experiment_permission`: the creator gets MANAGE on the new experiment.
pub fn grant_experiment_creator(hc: HookCtx) -> ResponseHook {
    on_success(hc, |hc, json| async move {
        let id = string_at(&json, "/experiment_id")?;
        hc.core
            .store
            .grant_user_permission(&hc.username, DEFAULT_WORKSPACE, "experiment", id, "MANAGE")
            .await?;
        Ok(None)
    })
}

/// `set_can_manage_registered_model_permission`: MANAGE on `registered_model/<name>`, or on
/// `prompt/<name>` when the persisted tags mark it as a prompt.
pub fn grant_registered_model_creator(hc: HookCtx) -> ResponseHook {
    on_success(hc, |hc, json| async move {
        let name = string_at(&json, "/registered_model/name")?;
        let is_prompt = prompt_marker(json.pointer("/registered_model/tags")) == Some(true);
        let resource_type = if is_prompt {
            "prompt"
        } else {
            "registered_model"
        };
        hc.core
            .store
            .grant_user_permission(
                &hc.username,
                DEFAULT_WORKSPACE,
                resource_type,
                name,
                "MANAGE",
            )
            .await?;
        Ok(None)
    })
}

/// `set_can_manage_scorer_permission`: MANAGE on `scorer/<experiment_id>/<quoted name>`.
pub fn grant_scorer_creator(hc: HookCtx) -> ResponseHook {
    on_success(hc, |hc, json| async move {
        let pattern = crate::store::scorer_pattern(
            string_at(&json, "/experiment_id")?,
            string_at(&json, "/name")?,
        );
        hc.core
            .store
            .grant_user_permission(
                &hc.username,
                DEFAULT_WORKSPACE,
                "scorer",
                &pattern,
                "MANAGE",
            )
            .await?;
        Ok(None)
    })
}

/// `rename_registered_model_permission`: per-user grants follow the rename, in both families.
pub fn rename_registered_model_grants(hc: HookCtx, old: String, new: String) -> ResponseHook {
    on_success(hc, |hc, _json| async move {
        for resource_type in ["registered_model", "prompt"] {
            hc.core
                .store
                .rename_grants_for_resource(resource_type, &old, &new, Some(DEFAULT_WORKSPACE))
                .await?;
        }
        Ok(None)
    })
}

/// `delete_can_manage_registered_model_permission`: per-user grants on the name are swept in
/// both families (names are unique, so one of the two sweeps is a no-op).
pub fn sweep_registered_model_grants(hc: HookCtx, name: String) -> ResponseHook {
    on_success(hc, |hc, _json| async move {
        for resource_type in ["registered_model", "prompt"] {
            hc.core
                .store
                .delete_grants_for_resource(resource_type, &name, Some(DEFAULT_WORKSPACE))
                .await?;
        }
        Ok(None)
    })
}

/// `delete_scorer_permissions_cascade`: per-user grants on the scorer key are swept.
pub fn sweep_scorer_grants(hc: HookCtx, experiment_id: String, name: String) -> ResponseHook {
    on_success(hc, |hc, _json| async move {
        let pattern = crate::store::scorer_pattern(&experiment_id, &name);
        hc.core
            .store
            .delete_grants_for_resource("scorer", &pattern, None)
            .await?;
        Ok(None)
    })
}

/// Runs `first`, then `second`, on the response (either may be absent).
pub fn chain(first: Option<ResponseHook>, second: Option<ResponseHook>) -> Option<ResponseHook> {
    match (first, second) {
        (Some(a), Some(b)) => Some(Box::new(move |response: Response| {
            async move { b(a(response).await).await }.boxed()
        })),
        (a, b) => a.or(b),
    }
}

/// Keeps the entries of the array at `key` for which `keep` holds; returns whether any was
/// removed. An emptied array is dropped, as protobuf's JSON omits empty repeated fields.
pub fn retain_array(json: &mut Value, key: &str, mut keep: impl FnMut(&Value) -> bool) -> bool {
    let Some(obj) = json.as_object_mut() else {
        return false;
    };
    let Some(Value::Array(items)) = obj.get_mut(key) else {
        return false;
    };
    let before = items.len();
    items.retain(|item| keep(item));
    let changed = items.len() != before;
    if items.is_empty() {
        obj.remove(key);
    }
    changed
}
