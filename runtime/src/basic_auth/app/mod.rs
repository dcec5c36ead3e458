//! The basic-auth app as a [`HostApp`]: MLflow's auth REST API (served by the host), MLflow's
//! permission rules for tracking requests, and the user store behind the `users` capability.
//!
//! Per authenticated request: the caller is looked up once; an auth API route is answered by
//! [`crate::basic_auth::api`]; anything else is judged by [`crate::basic_auth::rules`] and
//! forwarded or refused.

mod directory;
pub mod preflight;
mod recent;
mod request;
pub mod start;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use futures::FutureExt;
use http::StatusCode;

pub use directory::StoreDirectory;
pub use request::{ApiRequest, ApiRequestError};

use super::credential_cache::CredentialCache;
use super::ini::AuthConfig;
use crate::host_app::{HostApp, HostDecision};
use crate::plugin::{Identity, RouteSpec};
use crate::proxy::prepare::RequestContext;
use crate::proxy::{mlflow_error, mlflow_error_json};
use crate::store::{ChangeWatcher, Store, StoreError, User, DEFAULT_POLL_INTERVAL};

/// mlauth's credential-cache TTL when `auth_cache_ttl_seconds = 0` (MLflow's "disabled"):
/// every write that could change a check's outcome invalidates the cache, so mlauth keeps
/// it on (see README, "Credential cache").
pub const DEFAULT_CACHE_TTL_SECS: u64 = 60;

/// Shared state of the basic-auth app.
pub struct BasicAuthCore {
    /// The auth database.
    pub store: Store,
    /// `basic_auth.ini`.
    pub config: AuthConfig,
    /// Successful credential checks.
    pub cache: CredentialCache,
    /// Whether authentication is the built-in basic-auth plugin (`users/current` reports it).
    pub is_basic_auth: bool,
    /// Base URL of the upstream MLflow server (for internal read calls that resolve
    /// resources, e.g. run → experiment).
    pub upstream: String,
    /// Reads the upstream's API for the permission rules (run → experiment, ...), with a
    /// bounded TTL cache.
    pub resolver: crate::basic_auth::rules::Resolver,
    /// The store generation the credential cache was last synchronised with.
    seen_generation: AtomicU64,
    /// User rows the credential check just read, for the authorization step.
    recent: recent::RecentUsers,
    /// Polls the database's change counter (other instances' writes); see
    /// `docs/multi-instance.md`. `None` outside a tokio runtime.
    _watcher: Option<ChangeWatcher>,
}

impl BasicAuthCore {
    /// Builds the core around an open store.
    pub fn new(store: Store, config: AuthConfig, upstream: &str) -> Arc<Self> {
        let ttl = match config.auth_cache_ttl_seconds {
            0 => DEFAULT_CACHE_TTL_SECS,
            n => n,
        };
        let max = config.auth_cache_max_size.max(1);
        let cache = CredentialCache::from_settings(ttl, max).expect("ttl > 0 gives a cache");
        let is_basic_auth = config.authorization_function.is_basic_auth();
        let upstream = upstream.trim_end_matches('/').to_string();
        let resolver = crate::basic_auth::rules::Resolver::new(&upstream);
        let watcher = tokio::runtime::Handle::try_current()
            .is_ok()
            .then(|| store.watch_changes(DEFAULT_POLL_INTERVAL));
        Arc::new(Self {
            seen_generation: AtomicU64::new(store.generation()),
            recent: Default::default(),
            store,
            config,
            cache,
            is_basic_auth,
            upstream,
            resolver,
            _watcher: watcher,
        })
    }
}

/// The [`HostApp`] wrapper.
pub struct BasicAuthApp {
    /// Shared state.
    pub core: Arc<BasicAuthCore>,
    /// `[provisioning]`, when enabled.
    pub provisioner: Option<crate::basic_auth::provisioning::Provisioner>,
}

/// Largest JSON body the auth API reads.
const MAX_API_BODY: usize = 1 << 20;

impl HostApp for BasicAuthApp {
    fn routes(&self) -> Vec<RouteSpec> {
        crate::basic_auth::api::routes()
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        identity: &'a Identity,
        req: Request,
    ) -> BoxFuture<'a, HostDecision> {
        async move {
            match self.decide(ctx, identity, req).await {
                Ok(decision) => decision,
                Err(response) => HostDecision::Respond(response),
            }
        }
        .boxed()
    }

    fn ready(&self) -> BoxFuture<'_, bool> {
        async move { self.core.store.ping().await.is_ok() }.boxed()
    }
}

impl BasicAuthApp {
    async fn decide(
        &self,
        ctx: &RequestContext,
        identity: &Identity,
        req: Request,
    ) -> Result<HostDecision, Response> {
        let found = match (
            &self.provisioner,
            self.core.user_row(&identity.username).await,
        ) {
            (Some(provisioner), Ok(existing)) => {
                provisioner
                    .caller(&self.core.store, identity, existing)
                    .await
            }
            (_, found) => found,
        };
        let caller = match found {
            Ok(Some(user)) => user,
            Ok(None) => {
                // MLflow: an authorization for a username missing from `users` is a 404 JSON.
                let message = format!("User with username={} not found", identity.username);
                return Err(mlflow_error(
                    StatusCode::NOT_FOUND,
                    "RESOURCE_DOES_NOT_EXIST",
                    &message,
                ));
            }
            Err(err) => return Err(store_failure(ctx, &err)),
        };
        if crate::basic_auth::api::is_api_path(&ctx.path) {
            let api_req = ApiRequest::from_request(ctx, req, MAX_API_BODY)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(HostDecision::Respond(
                crate::basic_auth::api::handle(&self.core, &caller, &api_req).await,
            ));
        }
        crate::basic_auth::rules::authorize(&self.core, &caller, ctx, req).await
    }
}

impl BasicAuthCore {
    /// The `users` row of `username`: the one the credential check of this request has just
    /// read (see [`recent`]), else a store read.
    async fn user_row(&self, username: &str) -> Result<Option<User>, StoreError> {
        match self.recent.take(username, self.store.generation()) {
            Some(user) => Ok(Some(user)),
            None => self.store.find_user(username).await,
        }
    }
}

/// The response for a store failure: 503 with an MLflow JSON error, cause logged.
pub fn store_failure(ctx: &RequestContext, err: &StoreError) -> Response {
    tracing::error!(request_id = %ctx.request_id, error = %err, "auth store failed; request refused");
    let body = mlflow_error_json(
        "TEMPORARILY_UNAVAILABLE",
        &format!(
            "The authentication database is unavailable (request id {}).",
            ctx.request_id
        ),
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// MLflow's 403 for a failed permission check: `text/html`, body `Permission denied`.
pub fn permission_denied() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "Permission denied",
    )
        .into_response()
}
