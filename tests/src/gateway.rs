//! Starting an in-process mlauth gateway for a test, on a free loopback port.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use mlauth::config::MlauthConfig;
use mlauth::runner::{Gateway, StartError};
use tokio::sync::oneshot;

/// A gateway being started: boxed, so the start-up code is compiled once in this crate and
/// not again in every test and benchmark binary that awaits it (see `mlauth::runner`).
pub type Starting<'a, E> = BoxFuture<'a, Result<TestGateway, E>>;

/// A running gateway; stops when dropped.
pub struct TestGateway {
    /// Base URL, e.g. `http://127.0.0.1:40002`.
    pub url: String,
    /// The gateway (state, sandbox).
    pub gateway: Arc<Gateway>,
    stop: Option<oneshot::Sender<()>>,
}

impl TestGateway {
    /// Builds and serves a gateway for `app_name` with `plugin` in front of `upstream`.
    /// `extra_toml` is appended to a config that already sets the upstream.
    #[inline(never)]
    pub fn start<'a>(
        plugin: &'a str,
        upstream: &'a str,
        extra_toml: &'a str,
    ) -> Starting<'a, StartError> {
        Box::pin(async move {
            let toml = config_toml(upstream, extra_toml);
            let config = MlauthConfig::parse(&toml).map_err(StartError::Engine)?;
            Self::start_with(config, "test-app", plugin).await
        })
    }

    /// Builds and serves a gateway from a full config.
    #[inline(never)]
    pub fn start_with(
        config: MlauthConfig,
        app_name: &str,
        plugin: &str,
    ) -> Starting<'static, StartError> {
        Self::serve(Gateway::builder(config, app_name).plugin_file(Path::new(plugin)))
    }

    /// Builds and serves app `app_name` from a config file (its `[plugins.<app>] path`
    /// names the plugin); reloads re-read the file.
    #[inline(never)]
    pub fn start_from_file(config_path: &Path, app_name: &str) -> Starting<'static, StartError> {
        match MlauthConfig::load(config_path) {
            Ok(config) => Self::serve(
                Gateway::builder(config, app_name).config_path(Some(config_path.into())),
            ),
            Err(err) => Box::pin(std::future::ready(Err(err.into()))),
        }
    }

    /// Serves the gateway's admin router (metrics, health, reload) on a free loopback port;
    /// returns its base URL. It stops with the test's runtime.
    pub async fn serve_admin(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind admin");
        let addr = listener.local_addr().expect("admin addr");
        let state = self.gateway.admin_state();
        tokio::spawn(mlauth::admin::serve(
            listener,
            state,
            std::future::pending(),
        ));
        format!("http://{addr}")
    }

    /// Stops accepting and drains in-flight requests (as on SIGTERM).
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Builds and serves the basic-auth app (built-in plugin unless `extra_toml` or the ini
    /// names another) in front of `upstream`. `dir` holds `basic_auth.ini` and the database;
    /// `admin_password` bootstraps the admin.
    pub fn start_basic_auth<'a>(
        upstream: &'a str,
        ini: &'a str,
        dir: &'a Path,
        admin_password: &'a str,
        extra_toml: &'a str,
    ) -> Starting<'a, String> {
        let options = mlauth::store::StoreOptions::default();
        Self::start_basic_auth_with(upstream, ini, dir, admin_password, extra_toml, &options)
    }

    /// [`Self::start_basic_auth`] with explicit auth-database pool settings (short timeouts
    /// for fault tests).
    #[inline(never)]
    pub fn start_basic_auth_with<'a>(
        upstream: &'a str,
        ini: &'a str,
        dir: &'a Path,
        admin_password: &'a str,
        extra_toml: &'a str,
        options: &mlauth::store::StoreOptions,
    ) -> Starting<'a, String> {
        let options = options.clone();
        Box::pin(async move {
            let ini_path = dir.join("basic_auth.ini");
            std::fs::write(&ini_path, ini).map_err(|e| e.to_string())?;
            let mut env = std::collections::HashMap::new();
            env.insert(
                "MLFLOW_AUTH_CONFIG_PATH".to_string(),
                ini_path.display().to_string(),
            );
            env.insert(
                "MLFLOW_AUTH_ADMIN_PASSWORD".to_string(),
                admin_password.to_string(),
            );
            let started = mlauth::basic_auth::app::start::start_with(&env, upstream, &options)
                .await
                .map_err(|e| e.to_string())?;
            let toml = config_toml(upstream, extra_toml);
            let config = MlauthConfig::parse(&toml)?;
            Self::serve(Gateway::builder(config, "basic-auth").basic_auth(started))
                .await
                .map_err(|e| e.to_string())
        })
    }

    #[inline(never)]
    fn serve(builder: mlauth::runner::GatewayBuilder) -> Starting<'static, StartError> {
        Box::pin(Self::build_and_serve(builder))
    }

    async fn build_and_serve(builder: mlauth::runner::GatewayBuilder) -> Result<Self, StartError> {
        let gateway = Arc::new(builder.build().await?);
        let (listener, addr): (_, SocketAddr) = gateway.bind().await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = gateway.clone();
        tokio::spawn(async move {
            serving
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            url: format!("http://{addr}"),
            gateway,
            stop: Some(stop),
        })
    }

    /// A full URL for `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// Sends `method path` with HTTP Basic `auth` and an optional JSON body; the status and
    /// the body text.
    pub async fn basic_call(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: (&str, &str),
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, String) {
        let mut req = reqwest::Client::new()
            .request(method, self.at(path))
            .basic_auth(auth.0, Some(auth.1));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        (resp.status(), resp.text().await.unwrap_or_default())
    }
}

/// A config serving on a free port in front of `upstream`, followed by `extra_toml`.
fn config_toml(upstream: &str, extra_toml: &str) -> String {
    format!("[server]\nupstream = \"{upstream}\"\nport = 0\n{extra_toml}")
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
