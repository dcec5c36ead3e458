//! Resolution of resources the request names to the resources their permissions live on (run →
//! experiment, logged model → experiment, trace → experiment, registered model → prompt or
//! not), through the upstream MLflow server's own read API.
//!
//! * A resource that does not exist is `Ok(None)`; the checks refuse it (403) for non-admins,
//!   so the answer is no existence oracle.
//! * Any other upstream error is passed on (4xx, as MLflow's validators re-raise it) or refuses
//!   the request (5xx, unreachable, timeout, unparsable): never an allow.
//! * run / logged model / trace → experiment never changes, so positive answers are cached
//!   (bounded, with a TTL); registered models and experiment names can change and are not.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::error::{RuleError, RuleResult};

/// Everything but RFC 3986 unreserved characters is escaped in ids sent upstream.
pub(super) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How long a cached run/model/trace → experiment answer is reused.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// Most cached answers kept.
const CACHE_MAX: usize = 10_000;
/// Deadline of one upstream read call.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest upstream read response accepted (a run carries its latest metrics and params).
const MAX_READ: usize = 64 << 20;

/// What a cached answer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    /// run id → experiment id.
    Run,
    /// logged model id → experiment id.
    LoggedModel,
    /// trace id → experiment id.
    Trace,
}

/// Reads the upstream's API on behalf of the rules.
pub struct Resolver {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Result<String, String>,
    cache: Mutex<HashMap<(Kind, String), (String, Instant)>>,
}

impl Resolver {
    /// A resolver for the upstream at `upstream` (`http://host:port[/prefix]`); any other
    /// form makes every resolution fail (and so every request needing one is refused).
    pub fn new(upstream: &str) -> Self {
        let base = match upstream.parse::<Uri>() {
            Ok(uri) if uri.scheme_str() == Some("http") && uri.authority().is_some() => {
                Ok(upstream.trim_end_matches('/').to_string())
            }
            _ => Err(format!("upstream {upstream:?} is not an http:// URL")),
        };
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Resolver {
            client,
            base,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// `GET {upstream}{path}?{query}` → status and body (bounded, with a deadline).
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> RuleResult<(StatusCode, Bytes)> {
        let base = self
            .base
            .as_ref()
            .map_err(|e| RuleError::Upstream(e.clone()))?;
        let mut target = format!("{base}{path}");
        for (i, (k, v)) in query.iter().enumerate() {
            target.push(if i == 0 { '?' } else { '&' });
            target.push_str(&utf8_percent_encode(k, COMPONENT).to_string());
            target.push('=');
            target.push_str(&utf8_percent_encode(v, COMPONENT).to_string());
        }
        let request = http::Request::get(&target)
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::new()))
            .map_err(|e| RuleError::Upstream(format!("bad upstream request {target}: {e}")))?;
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("{e}"))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_READ)
                .collect()
                .await
                .map_err(|e| format!("{e}"))?;
            Ok::<_, String>((status, body.to_bytes()))
        };
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Err(_) => Err(RuleError::Upstream(format!("GET {path} timed out"))),
            Ok(Err(e)) => Err(RuleError::Upstream(format!("GET {path} failed: {e}"))),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    /// A read call's JSON: `None` for MLflow's `RESOURCE_DOES_NOT_EXIST`.
    pub async fn read(&self, path: &str, query: &[(&str, &str)]) -> RuleResult<Option<Value>> {
        let (status, body) = self.get(path, query).await?;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        let code = json
            .as_ref()
            .and_then(|j| j.get("error_code"))
            .and_then(Value::as_str);
        match status {
            s if s.is_success() => json
                .map(Some)
                .ok_or_else(|| RuleError::Upstream(format!("GET {path}: body is not JSON"))),
            StatusCode::NOT_FOUND if code == Some("RESOURCE_DOES_NOT_EXIST") => Ok(None),
            s if s.is_client_error() && code.is_some() && s != StatusCode::NOT_FOUND => {
                Err(RuleError::UpstreamRejected { status: s, body })
            }
            s => Err(RuleError::Upstream(format!("GET {path} answered {s}"))),
        }
    }

    fn cached(&self, kind: Kind, id: &str) -> Option<String> {
        let cache = self.cache.lock().ok()?;
        let (value, at) = cache.get(&(kind, id.to_string()))?;
        (at.elapsed() < CACHE_TTL).then(|| value.clone())
    }

    fn remember(&self, kind: Kind, id: &str, value: &str) {
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert((kind, id.to_string()), (value.to_string(), Instant::now()));
    }

    pub(super) async fn experiment_of(
        &self,
        kind: Kind,
        id: &str,
        path: &str,
        query: &[(&str, &str)],
        pointer: &str,
    ) -> RuleResult<Option<String>> {
        if !plain_id(id) {
            return Ok(None);
        }
        if let Some(hit) = self.cached(kind, id) {
            return Ok(Some(hit));
        }
        let Some(json) = self.read(path, query).await? else {
            return Ok(None);
        };
        let experiment_id = json
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                RuleError::Upstream(format!("GET {path}: no {pointer} in the answer"))
            })?;
        self.remember(kind, id, experiment_id);
        Ok(Some(experiment_id.to_string()))
    }
}

/// Whether an id can be looked up safely as one path segment: non-empty, no `/` or `\`, no
/// control character, not a dot segment. Anything else names no resource (and is refused).
pub fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id != "."
        && id != ".."
        && !id.chars().any(|c| c == '/' || c == '\\' || c.is_control())
}
