//! First layer: give the request an id, enforce header limits, normalise the path once,
//! strip headers the host owns, and classify the route.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_LENGTH;
use http::HeaderMap;

use tracing::Instrument;

use super::observe::Decision;
use super::{framing, path, GatewayError, GatewayState};
use crate::metrics::Outcome;
use crate::plugin::LoadedPlugin;

/// How the gateway will treat a request, decided on the normalised path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// A public path: no authentication, forwarded upstream.
    Public,
    /// One of the plugin's routes (index into `LoadedPlugin::routes`).
    PluginRoute {
        /// Route index.
        index: usize,
        /// Whether it skips authentication.
        public: bool,
    },
    /// Everything else: authenticate, then host app or upstream.
    Protected,
}

/// Per-request facts computed once by [`prepare`].
#[derive(Clone)]
pub struct RequestContext {
    /// Host-assigned request id.
    pub request_id: Arc<str>,
    /// Path as sent.
    pub raw_path: String,
    /// Normalised path (decided on and forwarded).
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Client socket address.
    pub client_addr: Option<SocketAddr>,
    /// The plugin version serving this request, start to end.
    pub plugin: Arc<LoadedPlugin>,
    /// The route class.
    pub route: RouteClass,
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) plus `proxy-authorization`; never passed on.
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
];

/// The layer function.
pub async fn prepare(
    State(state): State<Arc<GatewayState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let request_id: Arc<str> = Arc::from(uuid::Uuid::new_v4().simple().to_string());
    let span = tracing::info_span!("request", request_id = %request_id);
    match check(&state, &mut req, request_id.clone()) {
        Ok(()) => next.run(req).instrument(span).await,
        Err(err) => {
            tracing::info!(request_id = %request_id, error = %err, "request refused before authentication");
            let mut response = err.into_response();
            response.extensions_mut().insert(Decision {
                outcome: Outcome::Rejected,
                request_id,
                user: None,
                path: String::new(),
                plugin: state.plugin.load().info.clone(),
                attributes: Vec::new(),
            });
            response
        }
    }
}

fn check(
    state: &GatewayState,
    req: &mut Request,
    request_id: Arc<str>,
) -> Result<(), GatewayError> {
    let limits = &state.server;
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        return Err(GatewayError::HeadersTooLarge {
            limit: limits.max_header_bytes,
        });
    }
    framing::check_host(req)?;
    framing::normalize_method(req)?;
    framing::check_transfer_encoding(req)?;
    match content_length(req.headers())? {
        Some(len) if len > limits.max_body_bytes => {
            return Err(GatewayError::BodyTooLarge {
                limit: limits.max_body_bytes,
            });
        }
        Some(_) => {}
        None => framing::limit_body(req, limits.max_body_bytes),
    }
    let raw_path = req.uri().path().to_string();
    let path = path::normalize(&raw_path)?;
    let query = req.uri().query().unwrap_or("").to_string();
    strip_owned_headers(req.headers_mut(), &limits.identity_header);
    let body = std::mem::take(req.body_mut());
    *req.body_mut() = axum::body::Body::new(super::body_timeout::IdleTimeout::new(
        body,
        std::time::Duration::from_secs(limits.body_read_timeout_secs),
    ));
    let plugin = state.plugin.load_full();
    let route = classify(state, &plugin, req.method(), &path);
    let client_addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    req.extensions_mut().insert(RequestContext {
        request_id,
        raw_path,
        path,
        query,
        client_addr,
        plugin,
        route,
    });
    Ok(())
}

/// Parses `Content-Length`; several differing values are refused (request smuggling).
fn content_length(headers: &HeaderMap) -> Result<Option<u64>, GatewayError> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        let parsed = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or(GatewayError::BadRequest("invalid Content-Length"))?;
        if found.is_some_and(|f| f != parsed) {
            return Err(GatewayError::BadRequest(
                "conflicting Content-Length headers",
            ));
        }
        found = Some(parsed);
    }
    Ok(found)
}

/// Client-sent forwarding headers: the exact names are replaced when forwarding; their
/// `_`/`.` aliases are removed here, since some upstreams fold those into the real name.
const FORWARDING_HEADERS: [&str; 5] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// A header name with `_` and `.` read as `-` (names are already lower case).
fn canonical_name(name: &str) -> String {
    name.replace(['_', '.'], "-")
}

/// Removes every client-sent spelling of the identity header (any case, `_` or `.` for
/// `-`), the client's request id, `_`/`.` aliases of forwarding headers, and hop-by-hop
/// headers.
pub fn strip_owned_headers(headers: &mut HeaderMap, identity_header: &str) {
    let identity = canonical_name(&identity_header.to_ascii_lowercase());
    let listed = connection_listed(headers);
    let doomed: Vec<_> = headers
        .keys()
        .filter(|name| {
            let canonical = canonical_name(name.as_str());
            canonical == identity
                || canonical == "x-request-id"
                || (canonical != name.as_str() && FORWARDING_HEADERS.contains(&canonical.as_str()))
                || HOP_BY_HOP.contains(&name.as_str())
                || listed.iter().any(|l| l == name.as_str())
        })
        .cloned()
        .collect();
    for name in doomed {
        headers.remove(name);
    }
}

/// The header names a message's `Connection` field lists (lower case): hop-by-hop for
/// that message only, never passed on.
pub fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

fn classify(
    state: &GatewayState,
    plugin: &LoadedPlugin,
    method: &http::Method,
    path: &str,
) -> RouteClass {
    if let Some(index) = plugin.routes.iter().position(|r| r.matches(method, path)) {
        return RouteClass::PluginRoute {
            index,
            public: plugin.routes[index].public,
        };
    }
    if state.public_routes.iter().any(|r| r.matches(method, path)) {
        return RouteClass::Public;
    }
    RouteClass::Protected
}
