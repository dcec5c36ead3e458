//! The plugin conformance kit behind `mlauth plugins test`: loads a plugin with the given
//! settings into the real gateway ([`crate::proxy::app`]) in front of a recording loopback
//! upstream, sends a standard set of requests (no, bad and good credentials, oversized and
//! non-UTF-8 headers, unusual methods, spoofed identity headers) and judges each answer.
//!
//! Every plugin that authenticates with request headers should pass it, whatever language
//! it is written in: refusals are `401` with a `WWW-Authenticate` challenge, leak neither the
//! credentials nor the identity, never reach the upstream, and nothing crashes or runs past
//! the deadline; good credentials reach the upstream as one user, set by the host.

mod case;
mod cases;
pub mod cli;
mod judge;
mod report;
mod upstream;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{HeaderName, HeaderValue};

use crate::config::{MlauthConfig, PluginConfig};
use crate::plugin::{Capability, RequestHeaders};
use crate::runner::{Gateway, StartError};
use crate::sandbox::SandboxLimits;

pub use cases::Expect;
pub use report::{CheckOutcome, Report};

/// The app name the plugin is loaded as.
const APP: &str = "conformance";

/// What to test and how.
#[derive(Debug, Clone)]
pub struct KitOptions {
    /// The component under test.
    pub plugin: PathBuf,
    /// The plugin's settings (what `[plugins.<app>] config = {...}` would hold).
    pub settings: BTreeMap<String, String>,
    /// Capabilities granted beyond `log` and `config`.
    pub grants: Vec<Capability>,
    /// Headers that make up good credentials, e.g. `X-API-Key: <key>`.
    pub good: Vec<(HeaderName, HeaderValue)>,
    /// The username good credentials must map to, when known.
    pub expect_user: Option<String>,
    /// Sandbox limits (deadline, memory) the plugin runs under.
    pub sandbox: SandboxLimits,
    /// Also load the plugin without any settings and check good credentials are refused.
    pub check_unconfigured: bool,
    /// The request headers the plugin is shown (`[plugins.<app>] request_headers`).
    pub request_headers: RequestHeaders,
}

impl KitOptions {
    /// Options for `plugin` with default limits and no settings, grants or credentials.
    pub fn new(plugin: impl Into<PathBuf>) -> Self {
        Self {
            plugin: plugin.into(),
            settings: BTreeMap::new(),
            grants: Vec::new(),
            good: Vec::new(),
            expect_user: None,
            sandbox: SandboxLimits {
                pooling: false,
                ..SandboxLimits::default()
            },
            check_unconfigured: false,
            request_headers: RequestHeaders::All,
        }
    }

    /// Adds one setting.
    pub fn setting(mut self, key: &str, value: &str) -> Self {
        self.settings.insert(key.to_string(), value.to_string());
        self
    }

    /// Adds one good-credential header, given as `Name: value`.
    pub fn good_header(mut self, line: &str) -> Result<Self, KitError> {
        self.good.push(cli::parse_header_line(line)?);
        Ok(self)
    }
}

/// Why the kit could not run (as opposed to a plugin failing it).
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// A bad option, named with the fix.
    #[error("{0}")]
    Usage(String),
    /// The plugin (or the gateway around it) did not start.
    #[error("the plugin did not load: {0}")]
    Start(#[from] StartError),
    /// The loopback upstream could not start.
    #[error("cannot start the loopback upstream: {0}")]
    Upstream(std::io::Error),
}

/// Runs the whole suite and returns the report; `Err` only when the kit itself cannot run.
pub async fn run(options: &KitOptions) -> Result<Report, KitError> {
    if options.good.is_empty() {
        return Err(KitError::Usage(
            "no good credentials given: pass --good-header 'Name: value' (for example \
             --good-header 'X-API-Key: k3y')"
                .into(),
        ));
    }
    let upstream = upstream::Recorder::start()
        .await
        .map_err(KitError::Upstream)?;
    let started = Instant::now();
    let gateway = start(options, &upstream.url, &options.settings).await?;
    let load_time = started.elapsed();
    let plugin = gateway.state.plugin.load_full();
    let mut report = Report::new(options, &plugin.info, load_time);
    let judge = judge::Judge::new(options, &gateway.state.server.identity_header);
    let router = crate::proxy::app(gateway.state.clone());
    for case in cases::standard(options, &gateway.state.server) {
        report.push(judge::run_case(&router, &upstream, &judge, &case).await);
    }
    report.push(judge::burst(&router, &upstream, &judge, &options.good).await);
    if options.check_unconfigured {
        report.push(unconfigured(options, &upstream, &judge).await);
    }
    Ok(report)
}

/// Builds a gateway for the plugin with `settings`, in front of `upstream_url`.
async fn start(
    options: &KitOptions,
    upstream_url: &str,
    settings: &BTreeMap<String, String>,
) -> Result<Gateway, StartError> {
    let mut config = MlauthConfig::default();
    config.server.upstream = upstream_url.to_string();
    config.server.port = 0;
    config.sandbox = options.sandbox.clone();
    let plugin = PluginConfig {
        grants: options.grants.clone(),
        request_headers: options.request_headers.clone(),
        config: settings
            .iter()
            .map(|(k, v)| (k.clone(), toml::Value::String(v.clone())))
            .collect(),
        ..PluginConfig::default()
    };
    config.plugins.insert(APP.to_string(), plugin);
    Gateway::builder(config, APP)
        .plugin_file(&options.plugin)
        .build()
        .await
}

/// Loads the plugin with no settings: good credentials must then be refused.
async fn unconfigured(
    options: &KitOptions,
    upstream: &upstream::Recorder,
    judge: &judge::Judge,
) -> CheckOutcome {
    let name = "unconfigured-fails-closed";
    let what = "loaded without settings, good credentials are refused";
    let gateway = match start(options, &upstream.url, &BTreeMap::new()).await {
        Ok(gateway) => gateway,
        // Refusing to load without settings is failing closed too.
        Err(_) => {
            let case = cases::Case::new(name, what, Expect::NotAdmitted);
            return CheckOutcome::new(&case, None, Duration::ZERO, Vec::new());
        }
    };
    let router = crate::proxy::app(gateway.state.clone());
    let case = cases::Case::new(name, what, Expect::NotAdmitted).with_headers(&options.good);
    judge::run_case(&router, upstream, judge, &case).await
}

/// A request for the router, as the listener would hand it over.
fn request(case: &cases::Case) -> http::Request<Body> {
    let mut req = http::Request::builder()
        .method(case.method.clone())
        .uri(case.path.as_str())
        .body(Body::from(case.body.clone()))
        .expect("conformance requests are well-formed");
    for (name, value) in &case.headers {
        req.headers_mut().append(name.clone(), value.clone());
    }
    let client: std::net::SocketAddr = ([127, 0, 0, 1], 40000).into();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(client));
    req
}
