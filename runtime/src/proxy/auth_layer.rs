//! Second layer: run the plugin's `authenticate` for every non-public request, in a fresh
//! sandboxed instance. `ok(authorization)` attaches an [`Identity`] and continues;
//! `err(response)` is returned as-is; any plugin failure refuses the request (fail closed).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;

use super::observe::Decision;
use super::prepare::{RequestContext, RouteClass};
use super::{GatewayError, GatewayState};
use crate::brute_force::{Attempt, CredentialRefused};
use crate::metrics::Outcome;
use crate::plugin::{InvokeError, PluginRequest, PluginResponse};

/// The authenticated caller, attached to the request for the handlers after this layer.
pub use crate::plugin::Identity;

/// The layer function.
pub async fn authenticate(
    State(state): State<Arc<GatewayState>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(ctx) = req.extensions().get::<RequestContext>().cloned() else {
        return GatewayError::BadRequest("request context missing").into_response();
    };
    let needs_auth = match ctx.route {
        RouteClass::Public => false,
        RouteClass::PluginRoute { public, .. } => !public,
        RouteClass::Protected => true,
    };
    if !needs_auth {
        if matches!(ctx.route, RouteClass::PluginRoute { .. }) {
            return public_plugin_route(&state, &ctx, req, next).await;
        }
        return decided(next.run(req).await, &ctx, Outcome::Public, None);
    }
    let attempt = Attempt::from_request(ctx.client_addr.map(|a| a.ip()), req.headers());
    if let Err(lockout) = state.brute_force.check(&attempt) {
        return locked_out(&ctx, lockout);
    }
    let is_route = matches!(ctx.route, RouteClass::PluginRoute { .. });
    let (req, plugin_req) = match plugin_view(&state, &ctx, req, is_route).await {
        Ok(pair) => pair,
        Err(err) => return decided(err.into_response(), &ctx, Outcome::Rejected, None),
    };
    let started = Instant::now();
    let answer = ctx.plugin.authenticate(&plugin_req).await;
    crate::metrics::auth_step(&ctx.plugin.info.name, started.elapsed());
    match answer {
        Ok(Ok(identity)) => {
            state.brute_force.succeeded(&attempt);
            let user = identity.username.clone();
            let attributes = identity.attributes.clone();
            let mut req = req;
            req.extensions_mut().insert(identity);
            let mut response = decided(next.run(req).await, &ctx, Outcome::Allowed, Some(user));
            if let Some(decision) = response.extensions_mut().get_mut::<Decision>() {
                decision.attributes = attributes;
            }
            if response.extensions().get::<CredentialRefused>().is_some() {
                let address = Attempt::address_only(ctx.client_addr.map(|a| a.ip()));
                state
                    .brute_force
                    .denied(&address, http::StatusCode::UNAUTHORIZED);
            }
            response
        }
        Ok(Err(response)) => {
            state.brute_force.denied(&attempt, response.status);
            decided(plugin_response(response), &ctx, Outcome::Denied, None)
        }
        Err(err) => decided(refuse(&ctx, &err), &ctx, Outcome::PluginError, None),
    }
}

/// A public plugin route (a login endpoint, say) skips `authenticate`, but not the
/// limiter: a locked-out address is refused, and a 401/403 answer counts against it.
async fn public_plugin_route(
    state: &GatewayState,
    ctx: &RequestContext,
    req: Request,
    next: Next,
) -> Response {
    let attempt = Attempt::address_only(ctx.client_addr.map(|a| a.ip()));
    if let Err(lockout) = state.brute_force.check(&attempt) {
        return locked_out(ctx, lockout);
    }
    let response = next.run(req).await;
    state.brute_force.denied(&attempt, response.status());
    decided(response, ctx, Outcome::Public, None)
}

/// The 429 for a caller under a brute-force lock; the plugin does not run.
fn locked_out(ctx: &RequestContext, lockout: crate::brute_force::Lockout) -> Response {
    tracing::info!(request_id = %ctx.request_id, tier = ?lockout.tier, "refused: too many failed authentications");
    let refusal = GatewayError::TooManyFailures {
        retry_after_secs: lockout.retry_after_secs,
    };
    decided(refusal.into_response(), ctx, Outcome::Rejected, None)
}

/// Attaches the decision to the response for [`super::observe`].
fn decided(
    mut response: Response,
    ctx: &RequestContext,
    outcome: Outcome,
    user: Option<String>,
) -> Response {
    response.extensions_mut().insert(Decision {
        outcome,
        request_id: ctx.request_id.clone(),
        user,
        path: ctx.path.clone(),
        plugin: ctx.plugin.info.clone(),
        attributes: Vec::new(),
    });
    response
}

/// The refusal for a failed plugin call: no upstream request, a generic MLflow error.
pub fn refuse(ctx: &RequestContext, err: &InvokeError) -> Response {
    GatewayError::PluginFailed {
        request_id: ctx.request_id.to_string(),
        deadline: matches!(
            err,
            InvokeError::Deadline(_) | InvokeError::Busy(_) | InvokeError::HostUnavailable(_)
        ),
    }
    .into_response()
}

/// Turns a validated plugin response into an HTTP response.
pub fn plugin_response(response: PluginResponse) -> Response {
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() = response.status;
    *out.headers_mut() = response.headers;
    out
}

/// Builds the plugin's view of the request. Small bodies (by `Content-Length`), or any body
/// when `force_buffer` (plugin routes), are buffered up to `plugin_body_limit`, shown to the
/// plugin and put back for the next step; others stream past.
pub async fn plugin_view(
    state: &GatewayState,
    ctx: &RequestContext,
    req: Request,
    force_buffer: bool,
) -> Result<(Request, PluginRequest), GatewayError> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let small = declared.is_some_and(|len| len <= state.server.plugin_body_limit);
    let (body, buffered) = match small || force_buffer {
        true => {
            let bytes = collect_limited(
                body,
                state.server.plugin_body_limit,
                state.server.body_read_timeout_secs,
                state.server.max_body_bytes,
            )
            .await?;
            (Body::from(bytes.clone()), Some(bytes))
        }
        false => (body, None),
    };
    let plugin_req = PluginRequest {
        method: parts.method.as_str().to_string(),
        raw_path: ctx.raw_path.clone(),
        path: ctx.path.clone(),
        query: ctx.query.clone(),
        headers: ctx.plugin.info.request_headers.view(&parts.headers),
        body: buffered,
        client_addr: ctx.client_addr.map(|a| a.to_string()).unwrap_or_default(),
        request_id: ctx.request_id.to_string(),
    };
    Ok((Request::from_parts(parts, body), plugin_req))
}

/// Buffers at most `limit` bytes, all of which must arrive within `timeout_secs` (a client
/// trickling a small body cannot hold the request open); `max_body` is the gateway-wide cap
/// that [`super::framing::limit_body`] may have hit first.
async fn collect_limited(
    body: Body,
    limit: usize,
    timeout_secs: u64,
    max_body: u64,
) -> Result<Bytes, GatewayError> {
    let limited = http_body_util::Limited::new(body, limit);
    let timeout = std::time::Duration::from_secs(timeout_secs);
    let Ok(collected) = tokio::time::timeout(timeout, limited.collect()).await else {
        return Err(GatewayError::BodyTimeout { secs: timeout_secs });
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if super::body_timeout::is_body_timeout(err.as_ref()) => {
            Err(GatewayError::BodyTimeout { secs: timeout_secs })
        }
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            Err(GatewayError::BodyTooLarge {
                limit: limit as u64,
            })
        }
        Err(err) if super::framing::is_body_too_large(&*err) => {
            Err(GatewayError::BodyTooLarge { limit: max_body })
        }
        Err(_) => Err(GatewayError::BadRequest(
            "the request body could not be read",
        )),
    }
}
