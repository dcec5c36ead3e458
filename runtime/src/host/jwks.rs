//! JWT key sets held by the host for the `jwt` capability: a JWKS file read at start, or a
//! JWKS URL the host fetches itself — only that URL, no redirects, bounded size and time —
//! cached for `refresh_secs` and fetched again early when a token names an unknown `kid`
//! (at most once per `min_refetch_secs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;

use super::settings::{resolve, JwtKeySetConfig};

/// Largest JWKS document accepted, in bytes.
pub const MAX_JWKS_BYTES: usize = 1 << 20;
/// Time limit of one JWKS fetch.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(4);

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// Read once at start.
    Static(Arc<JwkSet>),
    /// Fetched by the host.
    Url(String),
}

#[derive(Default)]
struct Cache {
    keys: Option<Arc<JwkSet>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// One configured key set.
pub struct KeySet {
    /// Its name (`[jwt.<name>]`).
    pub name: String,
    /// Issuers tokens verified with it may carry.
    pub issuers: Vec<String>,
    source: JwksSource,
    refresh: Duration,
    min_refetch: Duration,
    cache: Mutex<Cache>,
    client: Option<reqwest::Client>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("name", &self.name)
            .field("issuers", &self.issuers)
            .finish()
    }
}

/// Whether `url` may be fetched: `https://`, or `http://` to a loopback host.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed: http::Uri = url
        .parse()
        .map_err(|e| format!("jwks_url {url:?} is not a URL: {e}"))?;
    let host = parsed.host().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(format!(
            "jwks_url {url:?} must be https:// (plain http:// only to a loopback address)"
        )),
    }
}

/// Checks a `[jwt.<name>]` section.
pub fn validate(name: &str, config: &JwtKeySetConfig) -> Result<(), String> {
    match (&config.jwks_file, &config.jwks_url) {
        (Some(_), None) => {}
        (None, Some(url)) => check_url(url).map_err(|e| format!("jwt.{name}.{e}"))?,
        _ => {
            return Err(format!(
                "jwt.{name} needs exactly one of `jwks_file` or `jwks_url`"
            ))
        }
    }
    if config.issuers.is_empty() || config.issuers.iter().any(String::is_empty) {
        return Err(format!(
            "jwt.{name}.issuers must list the issuers (`iss`) this key set may verify, e.g. [\"https://login.example.com/\"]"
        ));
    }
    Ok(())
}

/// Parses a JWKS document.
pub fn parse_jwks(bytes: &[u8]) -> Result<JwkSet, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS document: {e}"))
}

impl KeySet {
    /// Everything that defines this key set (issuers, key source, refresh settings), for
    /// comparing two configurations.
    pub fn describe(&self) -> String {
        format!(
            "{:?} {:?} {:?} {:?}",
            self.issuers, self.source, self.refresh, self.min_refetch
        )
    }

    /// Builds a key set from its config; a `jwks_file` is read and parsed now.
    pub fn from_config(
        name: &str,
        config: &JwtKeySetConfig,
        base: Option<&std::path::Path>,
    ) -> Result<KeySet, String> {
        validate(name, config)?;
        let (source, client) = match (&config.jwks_file, &config.jwks_url) {
            (Some(file), _) => {
                let path = resolve(base, file);
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!("jwt.{name}: cannot read {}: {e}", path.display()))?;
                let set = parse_jwks(&bytes)
                    .map_err(|e| format!("jwt.{name}: {}: {e}", path.display()))?;
                (JwksSource::Static(Arc::new(set)), None)
            }
            (None, Some(url)) => {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(FETCH_TIMEOUT)
                    .no_proxy()
                    .build()
                    .map_err(|e| format!("jwt.{name}: cannot build an HTTP client: {e}"))?;
                (JwksSource::Url(url.clone()), Some(client))
            }
            (None, None) => unreachable!("validated"),
        };
        Ok(KeySet {
            name: name.to_string(),
            issuers: config.issuers.clone(),
            source,
            refresh: Duration::from_secs(config.refresh_secs.unwrap_or(3600).max(1)),
            min_refetch: Duration::from_secs(config.min_refetch_secs.unwrap_or(30)),
            cache: Mutex::new(Cache::default()),
            client,
        })
    }

    /// The current keys: cached, or fetched when the cache is empty or stale. With
    /// `unknown_kid`, a fetched set is fetched again unless that happened within
    /// `min_refetch_secs`.
    pub async fn keys(&self, unknown_kid: bool) -> Result<Arc<JwkSet>, String> {
        let url = match &self.source {
            JwksSource::Static(set) => return Ok(set.clone()),
            JwksSource::Url(url) => url,
        };
        let mut cache = self.cache.lock().await;
        let now = Instant::now();
        let fresh = cache
            .fetched_at
            .is_some_and(|at| now.duration_since(at) < self.refresh);
        let may_refetch = cache
            .last_attempt
            .is_none_or(|at| now.duration_since(at) >= self.min_refetch);
        if let Some(keys) = &cache.keys {
            if (fresh && !unknown_kid) || !may_refetch {
                return Ok(keys.clone());
            }
        } else if !may_refetch {
            return Err(format!("key set `{}` is unavailable", self.name));
        }
        cache.last_attempt = Some(now);
        match self.fetch(url).await {
            Ok(set) => {
                let set = Arc::new(set);
                cache.keys = Some(set.clone());
                cache.fetched_at = Some(now);
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(key_set = %self.name, error = %e, "JWKS fetch failed");
                // A stale set still verifies tokens signed by keys it holds.
                cache.keys.clone().ok_or(e)
            }
        }
    }

    async fn fetch(&self, url: &str) -> Result<JwkSet, String> {
        let client = self.client.as_ref().expect("URL key sets have a client");
        let mut response = client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("fetching {url}: HTTP {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("{url}: JWKS larger than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body).map_err(|e| format!("{url}: {e}"))
    }
}
