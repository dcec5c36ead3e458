//! The gateway: an axum [`Router`] whose layers normalise and check each request, run the
//! plugin's `authenticate`, and then either answer (plugin route, host app route, refusal)
//! or forward to the upstream MLflow server.
//!
//! Layer order (outermost first): [`observe`] (metrics, audit line, `X-Request-Id` on the
//! response) → [`prepare`] (request id, header limits, path
//! normalisation, identity-header stripping, route classification) → [`auth_layer`]
//! (plugin call, fail closed) → [`dispatch`] (plugin route, host app, or [`forward`]).

pub mod auth_layer;
pub mod body_timeout;
pub mod dispatch;
pub mod error;
pub mod forward;
pub mod framing;
pub mod observe;
pub mod path;
pub mod prepare;
pub mod serve;

use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::Router;

use crate::brute_force::BruteForce;
use crate::config::ServerConfig;
use crate::host_app::HostApp;
use crate::plugin::{LoadedPlugin, RouteSpec};

pub use error::{mlflow_error, mlflow_error_json, GatewayError};

/// Everything the gateway needs, shared by all requests.
pub struct GatewayState {
    /// Listener, upstream and limits.
    pub server: ServerConfig,
    /// The current plugin version; a request loads it once and keeps it to the end.
    pub plugin: ArcSwap<LoadedPlugin>,
    /// The host side of the app (basic-auth's REST API and permission rules), if any.
    pub host_app: Option<Arc<dyn HostApp>>,
    /// Paths that skip authentication.
    pub public_routes: Vec<RouteSpec>,
    /// Client for the upstream MLflow server.
    pub upstream: forward::Upstream,
    /// The decision audit log (off unless `[audit]` enables it).
    pub audit: crate::audit::AuditLog,
    /// Failed-authentication limits (per username/address); see [`crate::brute_force`].
    pub brute_force: BruteForce,
}

impl GatewayState {
    /// Builds the state; fails when the upstream URL is invalid.
    pub fn new(
        server: ServerConfig,
        plugin: LoadedPlugin,
        host_app: Option<Arc<dyn HostApp>>,
        brute_force: BruteForce,
    ) -> Result<Arc<Self>, String> {
        Self::with_audit(
            server,
            plugin,
            host_app,
            brute_force,
            crate::audit::AuditLog::off(),
        )
    }

    /// [`Self::new`] with an audit log.
    pub fn with_audit(
        server: ServerConfig,
        plugin: LoadedPlugin,
        host_app: Option<Arc<dyn HostApp>>,
        brute_force: BruteForce,
        audit: crate::audit::AuditLog,
    ) -> Result<Arc<Self>, String> {
        let upstream = forward::Upstream::new(&server)?;
        let public_routes = public_routes(&server.public_prefixes);
        Ok(Arc::new(Self {
            server,
            plugin: ArcSwap::from_pointee(plugin),
            host_app,
            public_routes,
            upstream,
            audit,
            brute_force,
        }))
    }

    /// The routes the host serves itself: public paths and the host app's routes. Handed to
    /// `create-app` so a plugin cannot shadow them.
    pub fn host_routes(
        server: &ServerConfig,
        host_app: Option<&Arc<dyn HostApp>>,
    ) -> Vec<RouteSpec> {
        let mut routes = builtin_public_routes();
        let _ = server;
        if let Some(app) = host_app {
            routes.extend(app.routes());
        }
        routes
    }
}

/// Public paths: the built-in ones plus configured prefixes.
pub fn public_routes(prefixes: &[String]) -> Vec<RouteSpec> {
    let mut routes = builtin_public_routes();
    routes.extend(
        prefixes
            .iter()
            .map(|p| RouteSpec::any(&format!("{p}/*"), true)),
    );
    routes
}

/// MLflow's unauthenticated paths, matched segment-aware (stricter than MLflow's plain
/// `startswith`, which also opens `/healthz` or `/static-anything`).
pub fn builtin_public_routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::any("/health", true),
        RouteSpec::any("/favicon.ico", true),
        RouteSpec::any("/static/*", true),
        RouteSpec::any("/static-files/*", true),
        RouteSpec::any("/api/3.0/mlflow/server-info", true),
        RouteSpec::any("/ajax-api/3.0/mlflow/server-info", true),
    ]
}

/// The gateway as an axum router: drive it with `tower::ServiceExt::oneshot` in tests, or
/// serve it with [`serve::serve`].
pub fn app(state: Arc<GatewayState>) -> Router {
    Router::new()
        .fallback(dispatch::dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth_layer::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            prepare::prepare,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}
