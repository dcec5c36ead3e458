//! The host side of an app: routes the host serves itself and the authorization it applies
//! after `authenticate` (the basic-auth app implements this with MLflow's REST API and
//! permission rules).

use axum::extract::Request;
use axum::response::Response;
use futures::future::BoxFuture;

use crate::plugin::{Identity, RouteSpec};
use crate::proxy::prepare::RequestContext;

/// Runs on the upstream's response before it goes to the client (creator grants, response
/// filtering). It may replace the response; it must fail closed on its own errors.
pub type ResponseHook = Box<dyn FnOnce(Response) -> BoxFuture<'static, Response> + Send>;

/// What the host app decided for an authenticated request.
pub enum HostDecision {
    /// Answer now (an app route, or a refusal).
    Respond(Response),
    /// Let it through to the upstream (possibly rewritten), then run the hook, if any, on
    /// the upstream's response.
    Forward(Request, Option<ResponseHook>),
}

/// Host-implemented part of an app.
pub trait HostApp: Send + Sync + 'static {
    /// The routes this app serves itself (a plugin's `create-app` may not overlap them).
    fn routes(&self) -> Vec<RouteSpec>;

    /// Decides an authenticated request that is not a public path or a plugin route.
    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        identity: &'a Identity,
        req: Request,
    ) -> BoxFuture<'a, HostDecision>;

    /// Whether the app's backends (e.g. its database) answer, for the readiness probe.
    fn ready(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { true })
    }
}
