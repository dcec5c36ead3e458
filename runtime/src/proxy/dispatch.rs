//! The handler behind the layers: a plugin route goes to the plugin's `handle`; a protected
//! request goes to the host app (which may answer or let it through); everything allowed
//! is forwarded upstream.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};

use super::auth_layer::{plugin_response, plugin_view, refuse};
use super::prepare::{RequestContext, RouteClass};
use super::{GatewayError, GatewayState};
use crate::host_app::HostDecision;
use crate::plugin::Identity;

/// The fallback handler of [`super::app`].
pub async fn dispatch(State(state): State<Arc<GatewayState>>, req: Request) -> Response {
    let Some(ctx) = req.extensions().get::<RequestContext>().cloned() else {
        return GatewayError::BadRequest("request context missing").into_response();
    };
    let identity = req.extensions().get::<Identity>().cloned();
    let result = match ctx.route {
        RouteClass::PluginRoute { .. } => {
            return plugin_route(&state, &ctx, identity.as_ref(), req).await
        }
        RouteClass::Public => state.upstream.forward(&ctx, req, None).await,
        RouteClass::Protected => {
            // The auth layer always attaches an identity here; its absence is a bug: refuse.
            let Some(identity) = identity else {
                tracing::error!(request_id = %ctx.request_id, "protected request reached dispatch without identity");
                return GatewayError::BadRequest("unauthenticated").into_response();
            };
            protected(&state, &ctx, &identity, req).await
        }
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn protected(
    state: &GatewayState,
    ctx: &RequestContext,
    identity: &Identity,
    req: Request,
) -> Result<Response, GatewayError> {
    let Some(app) = &state.host_app else {
        return state.upstream.forward(ctx, req, Some(identity)).await;
    };
    match app.handle(ctx, identity, req).await {
        HostDecision::Respond(response) => Ok(response),
        HostDecision::Forward(req, hook) => {
            let response = state.upstream.forward(ctx, req, Some(identity)).await?;
            Ok(match hook {
                Some(hook) => hook(response).await,
                None => response,
            })
        }
    }
}

async fn plugin_route(
    state: &GatewayState,
    ctx: &RequestContext,
    identity: Option<&Identity>,
    req: Request,
) -> Response {
    let (_req, plugin_req) = match plugin_view(state, ctx, req, true).await {
        Ok(pair) => pair,
        Err(err) => return err.into_response(),
    };
    match ctx.plugin.handle(&plugin_req, identity).await {
        Ok(response) => plugin_response(response),
        Err(err) => refuse(ctx, &err),
    }
}
