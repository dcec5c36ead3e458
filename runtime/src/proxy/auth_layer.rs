//! Second layer: run the plugin's `authenticate` for every non-public request, in a fresh
//! sandboxed instance. `ok(authorization)` attaches an [`Identity`] and continues;
//! `err(response)` is returned as-is; any plugin failure refuses the request (fail closed).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http_body_util::BodyExt;

use super::prepare::{RequestContext, RouteClass};
use super::{GatewayError, GatewayState};
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
        return next.run(req).await;
    }
    let is_route = matches!(ctx.route, RouteClass::PluginRoute { .. });
    let (req, plugin_req) = match plugin_view(&state, &ctx, req, is_route).await {
        Ok(pair) => pair,
        Err(err) => return err.into_response(),
    };
    match ctx.plugin.authenticate(&plugin_req).await {
        Ok(Ok(identity)) => {
            let mut req = req;
            req.extensions_mut().insert(identity);
            next.run(req).await
        }
        Ok(Err(response)) => plugin_response(response),
        Err(err) => refuse(&ctx, &err),
    }
}

/// The refusal for a failed plugin call: no upstream request, a generic MLflow error.
pub fn refuse(ctx: &RequestContext, err: &InvokeError) -> Response {
    GatewayError::PluginFailed {
        request_id: ctx.request_id.to_string(),
        deadline: matches!(
            err,
            InvokeError::Deadline(_) | InvokeError::HostUnavailable(_)
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
        headers: PluginRequest::header_view(&parts.headers),
        body: buffered,
        client_addr: ctx.client_addr.map(|a| a.to_string()).unwrap_or_default(),
        request_id: ctx.request_id.to_string(),
    };
    Ok((Request::from_parts(parts, body), plugin_req))
}

/// Buffers at most `limit` bytes; `max_body` is the gateway-wide cap that
/// [`super::framing::limit_body`] may have hit first.
async fn collect_limited(body: Body, limit: usize, max_body: u64) -> Result<Bytes, GatewayError> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
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
