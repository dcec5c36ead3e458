//! `[server]`: the listener, the upstream MLflow server and the request limits, with
//! their defaults and validation.

use serde::Deserialize;

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address.
    pub host: String,
    /// Listen port.
    pub port: u16,
    /// Base URL of the plain `mlflow server` (http only; keep it on loopback or a private network).
    pub upstream: String,
    /// Header that carries the authenticated username to the upstream. Any client-sent
    /// copy (in any case, or with `_` for `-`) is removed.
    pub identity_header: String,
    /// Extra public path prefixes (segment-aware), e.g. `/public`.
    pub public_prefixes: Vec<String>,
    /// Largest request body, in bytes (413 above).
    pub max_body_bytes: u64,
    /// Largest total size of request headers, in bytes (431 above).
    pub max_header_bytes: usize,
    /// Bodies up to this size are buffered and shown to the plugin; larger ones stream past it.
    pub plugin_body_limit: usize,
    /// Seconds to wait for the upstream's response headers (504 after).
    pub upstream_timeout_secs: u64,
    /// Seconds a client has to send its request headers (slow clients are cut off).
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a body the gateway reads itself (the plugin's view), and
    /// the longest pause between two pieces of any request body (408 / connection closed).
    pub body_read_timeout_secs: u64,
    /// Forward the client's `Authorization` header to the upstream (off: credentials stop here).
    pub forward_authorization: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 5000,
            upstream: "http://127.0.0.1:5001".into(),
            identity_header: "x-mlauth-user".into(),
            public_prefixes: Vec::new(),
            max_body_bytes: 1 << 30,
            max_header_bytes: 64 << 10,
            plugin_body_limit: 64 << 10,
            upstream_timeout_secs: 60,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            forward_authorization: false,
        }
    }
}

/// Headers the identity header may not be: clients, HTTP framing or mlauth itself own them.
const RESERVED_HEADERS: [&str; 24] = [
    "authorization",
    "host",
    "cookie",
    "set-cookie",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "content-length",
    "content-type",
    "content-encoding",
    "transfer-encoding",
    "www-authenticate",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
];

/// MLflow's API roots. A public prefix at, above or below one would let requests to
/// MLflow's API through without authentication or permission checks.
const MLFLOW_API_ROOTS: [&str; 5] = [
    "/api",
    "/ajax-api",
    "/graphql",
    "/get-artifact",
    "/model-versions",
];

/// Whether one of two normalised paths is the other or lies below it.
fn overlaps(a: &str, b: &str) -> bool {
    let below = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    a == b || below(a, b) || below(b, a)
}

impl ServerConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        parse_upstream(&self.upstream)?;
        let ident = self.identity_header.to_ascii_lowercase();
        // `_` and `.` are refused too: some servers drop such names or fold them into `-`.
        if http::HeaderName::from_bytes(ident.as_bytes()).is_err()
            || RESERVED_HEADERS.contains(&ident.as_str())
            || ident.contains(['_', '.'])
        {
            return Err(format!(
                "server.identity_header = {:?} is not usable; pick a custom header name such as \"x-mlauth-user\"",
                self.identity_header
            ));
        }
        for prefix in &self.public_prefixes {
            let clean = prefix.starts_with('/')
                && prefix.len() > 1
                && !prefix.ends_with('/')
                && crate::proxy::path::normalize(prefix).as_deref() == Ok(prefix.as_str());
            if !clean {
                return Err(format!(
                    "server.public_prefixes entry {prefix:?} is invalid; use a normalised absolute path without a trailing slash, e.g. \"/public\""
                ));
            }
            if let Some(root) = MLFLOW_API_ROOTS.iter().find(|root| overlaps(prefix, root)) {
                return Err(format!(
                    "server.public_prefixes entry {prefix:?} would make MLflow's API under {root} public (no authentication, no permission checks); public prefixes are for your own unauthenticated pages, e.g. \"/public\""
                ));
            }
        }
        let timeout_ok = |secs: u64| (1..=86_400).contains(&secs);
        if self.max_header_bytes < 1024
            || self.plugin_body_limit > 16 << 20
            || !timeout_ok(self.upstream_timeout_secs)
            || !timeout_ok(self.header_read_timeout_secs)
            || !timeout_ok(self.body_read_timeout_secs)
        {
            return Err("server limits out of range: max_header_bytes >= 1024, plugin_body_limit <= 16 MiB, timeouts 1..=86400 s".into());
        }
        Ok(())
    }
}

/// Parses and checks the upstream base URL (`http://host:port`, optional path prefix).
pub fn parse_upstream(upstream: &str) -> Result<http::Uri, String> {
    let shown = crate::store::redact_url(upstream);
    let uri: http::Uri = upstream
        .parse()
        .map_err(|e| format!("server.upstream = {shown:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(format!(
            "server.upstream = {shown:?} must be an http:// URL with a host (run mlflow on loopback or a private network)"
        ));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(format!(
            "server.upstream = {shown:?} must not contain credentials (user:password@): mlauth never sends them; protect the upstream by binding it to loopback or a private network"
        ));
    }
    if uri.query().is_some() {
        return Err(format!(
            "server.upstream = {shown:?} must not have a query string"
        ));
    }
    Ok(uri)
}
