//! Forwarding to the upstream MLflow server: exactly the normalised path, the raw query,
//! the client's headers minus hop-by-hop, credentials and client-sent forwarding/identity
//! headers, plus `X-Forwarded-*`, the request id and the identity header set by the host.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::body_timeout::{is_body_timeout, IdleTimeout};
use super::framing::is_body_too_large;
use super::path::encode_for_upstream;
use super::prepare::{connection_listed, RequestContext, HOP_BY_HOP};
use super::GatewayError;
use crate::config::{parse_upstream, ServerConfig};
use crate::plugin::Identity;

/// Client-sent headers the host replaces with its own values.
const FORWARDING_HEADERS: [&str; 5] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
];

/// A pooled HTTP/1 client for the upstream plus how to address it.
pub struct Upstream {
    client: Client<HttpConnector, Body>,
    authority: http::uri::Authority,
    prefix: String,
    timeout: Duration,
    body_timeout: Duration,
    forward_authorization: bool,
    identity_header: HeaderName,
    max_body_bytes: u64,
}

impl Upstream {
    /// Builds the client from `[server]`.
    pub fn new(server: &ServerConfig) -> Result<Self, String> {
        let uri = parse_upstream(&server.upstream)?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or("server.upstream has no host")?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let identity_header =
            HeaderName::from_bytes(server.identity_header.to_ascii_lowercase().as_bytes())
                .map_err(|e| format!("server.identity_header: {e}"))?;
        Ok(Self {
            client,
            authority,
            prefix: uri.path().trim_end_matches('/').to_string(),
            timeout: Duration::from_secs(server.upstream_timeout_secs),
            body_timeout: Duration::from_secs(server.body_read_timeout_secs),
            forward_authorization: server.forward_authorization,
            identity_header,
            max_body_bytes: server.max_body_bytes,
        })
    }

    /// Sends the request upstream and streams the answer back.
    pub async fn forward(
        &self,
        ctx: &RequestContext,
        req: Request,
        identity: Option<&Identity>,
    ) -> Result<Response, GatewayError> {
        let (mut parts, body) = req.into_parts();
        parts.uri = self.target(ctx)?;
        self.rewrite_headers(ctx, &mut parts.headers, identity)?;
        parts.extensions = Default::default();
        let upstream_req = Request::from_parts(parts, body);
        let request_id = ctx.request_id.to_string();
        let response = match tokio::time::timeout(self.timeout, self.client.request(upstream_req))
            .await
        {
            Err(_) => return Err(GatewayError::UpstreamTimeout { request_id }),
            Ok(Err(err)) if is_body_timeout(&err) => {
                tracing::info!(request_id = %request_id, "client stalled while sending the body; upstream request aborted");
                return Err(GatewayError::BodyTimeout {
                    secs: self.body_timeout.as_secs(),
                });
            }
            Ok(Err(err)) if is_body_too_large(&err) => {
                return Err(GatewayError::BodyTooLarge {
                    limit: self.max_body_bytes,
                })
            }
            Ok(Err(err)) => {
                tracing::warn!(request_id = %request_id, error = %err, "upstream request failed");
                return Err(GatewayError::UpstreamUnavailable { request_id });
            }
            Ok(Ok(response)) => response,
        };
        let (mut parts, body) = response.into_parts();
        // The response's `X-Request-Id` is set by `observe`, for every response alike.
        remove_hop_by_hop(&mut parts.headers);
        // A response body that stalls for `upstream_timeout` is cut off (the client sees an
        // incomplete response instead of a hang).
        Ok(Response::from_parts(
            parts,
            Body::new(IdleTimeout::new(body, self.timeout)),
        ))
    }

    /// Readiness probe: whether the upstream answers `GET /health` (any HTTP response
    /// counts) within 2 seconds.
    pub async fn probe(&self) -> bool {
        let uri = format!("http://{}{}/health", self.authority, self.prefix);
        let Ok(req) = Request::get(uri).body(Body::empty()) else {
            return false;
        };
        match tokio::time::timeout(Duration::from_secs(2), self.client.request(req)).await {
            Ok(Ok(_)) => true,
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "readiness: upstream unreachable");
                false
            }
            Err(_) => false,
        }
    }

    fn target(&self, ctx: &RequestContext) -> Result<Uri, GatewayError> {
        let mut path_and_query = format!("{}{}", self.prefix, encode_for_upstream(&ctx.path));
        if !ctx.query.is_empty() {
            path_and_query.push('?');
            path_and_query.push_str(&ctx.query);
        }
        Uri::builder()
            .scheme("http")
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|_| GatewayError::BadRequest("the request target cannot be forwarded"))
    }

    fn rewrite_headers(
        &self,
        ctx: &RequestContext,
        headers: &mut HeaderMap,
        identity: Option<&Identity>,
    ) -> Result<(), GatewayError> {
        let original_host = headers.remove(HOST);
        for name in FORWARDING_HEADERS {
            headers.remove(name);
        }
        if !self.forward_authorization {
            headers.remove(AUTHORIZATION);
        }
        headers.remove(&self.identity_header);
        let set = |headers: &mut HeaderMap, name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        if let Some(addr) = ctx.client_addr {
            set(headers, "x-forwarded-for", &addr.ip().to_string());
        }
        set(headers, "x-forwarded-proto", "http");
        if let Some(host) = original_host {
            headers.insert("x-forwarded-host", host);
        }
        set(headers, "x-request-id", &ctx.request_id);
        if let Some(identity) = identity {
            let value = HeaderValue::from_str(&identity.username)
                .map_err(|_| GatewayError::BadRequest("username cannot be sent upstream"))?;
            headers.insert(self.identity_header.clone(), value);
        }
        Ok(())
    }
}

/// Removes the upstream response's hop-by-hop headers: the fixed ones and those its
/// `Connection` field names.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    for name in connection_listed(headers) {
        headers.remove(name.as_str());
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_the_upstream_lists_in_connection_do_not_reach_the_client() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "connection",
            HeaderValue::from_static("X-Internal, keep-alive"),
        );
        headers.append("connection", HeaderValue::from_static("x-other"));
        headers.insert("x-internal", HeaderValue::from_static("secret"));
        headers.insert("x-other", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        remove_hop_by_hop(&mut headers);
        let left: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["content-type"]);
    }
}
