//! Hot reload: re-read the config and the app's plugin, compile the new version off the
//! request path, validate it exactly as at start (world, imports against grants,
//! `create-app` routes against the host's), then swap it in atomically.
//!
//! Each request loads the current version once (an `Arc` snapshot taken in
//! [`crate::proxy::prepare`]) and runs `authenticate` and any plugin route on that snapshot,
//! so a request never sees two versions; the old version is dropped when its last request
//! ends. Any failure keeps the current version serving and is logged with the reason.
//!
//! Triggers: file changes ([`watch`]), SIGHUP, and `POST /reload` on the admin listener
//! (`mlauth reload`). Only `[plugins.<app>]` and the plugin file are reloaded; changes to
//! `[server]`, `[sandbox]`, `[admin]` or `[audit]` need a restart.

mod spec;
pub mod watch;

pub use spec::{fingerprint, PluginSpec};

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use wasmtime::component::Linker;

use crate::apps::AppError;
use crate::config::{ConfigError, MlauthConfig};
use crate::plugin::load::{load_plugin_bytes, sha256_hex};
use crate::plugin::{LoadedPlugin, PluginError, PluginSettings, PluginSource};
use crate::proxy::GatewayState;
use crate::sandbox::Sandbox;
use crate::state::HostState;
use spec::read_source;

/// `[reload]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReloadConfig {
    /// Watch the config file and the plugin file and reload on change.
    pub watch: bool,
    /// Quiet time after the last file event before reloading, in milliseconds.
    pub debounce_ms: u64,
}

impl Default for ReloadConfig {
    fn default() -> Self {
        Self {
            watch: true,
            debounce_ms: 250,
        }
    }
}

impl ReloadConfig {
    /// Checks the section.
    pub fn validate(&self) -> Result<(), String> {
        if !(10..=60_000).contains(&self.debounce_ms) {
            return Err(format!(
                "reload.debounce_ms = {} is out of range; allowed 10..=60000",
                self.debounce_ms
            ));
        }
        Ok(())
    }
}

/// Why a reload was refused (the current version keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The config file is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The app name no longer resolves.
    #[error(transparent)]
    App(#[from] AppError),
    /// The new plugin failed to read, compile or validate.
    #[error(transparent)]
    Plugin(#[from] PluginError),
}

/// What a successful reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// A new version is serving.
    Swapped {
        /// sha256 of the previous version.
        old_sha256: String,
        /// sha256 of the new version.
        new_sha256: String,
        /// Whole reload (read, compile or cache, validate, swap).
        elapsed: Duration,
    },
    /// Nothing changed (same bytes and settings); nothing was swapped.
    Unchanged {
        /// sha256 of the serving version.
        sha256: String,
    },
}

/// Performs reloads for one gateway; reloads are serialised.
pub struct Reloader {
    spec: PluginSpec,
    sandbox: Sandbox,
    linker: Arc<Linker<HostState>>,
    state: Arc<GatewayState>,
    serial: tokio::sync::Mutex<()>,
    current: Mutex<Current>,
    stats: [AtomicU64; 3],
}

/// Reload attempts since start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadStats {
    /// New versions swapped in.
    pub ok: u64,
    /// Attempts refused (the old version kept serving).
    pub failed: u64,
    /// Attempts that found nothing changed.
    pub unchanged: u64,
}

struct Current {
    fingerprint: String,
    source: PluginSource,
}

impl Reloader {
    /// A reloader for the version already serving in `state` (loaded from `source` with
    /// `settings`).
    pub fn new(
        spec: PluginSpec,
        sandbox: Sandbox,
        linker: Arc<Linker<HostState>>,
        state: Arc<GatewayState>,
        source: PluginSource,
        settings: &PluginSettings,
    ) -> Self {
        let sha = state.plugin.load().info.sha256.clone();
        let current = Current {
            fingerprint: fingerprint(&sha, &source, settings),
            source,
        };
        Self {
            spec,
            sandbox,
            linker,
            state,
            serial: tokio::sync::Mutex::new(()),
            current: Mutex::new(current),
            stats: Default::default(),
        }
    }

    /// Reload attempts since start.
    pub fn stats(&self) -> ReloadStats {
        let get = |i: usize| self.stats[i].load(Ordering::Relaxed);
        ReloadStats {
            ok: get(0),
            failed: get(1),
            unchanged: get(2),
        }
    }

    /// The app name.
    pub fn app_name(&self) -> &str {
        &self.spec.app_name
    }

    /// Files whose change should trigger a reload: the config file and the plugin file.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.spec.config_path.iter().cloned().collect();
        if let PluginSource::File(path) = &self.lock().source {
            files.push(path.clone());
        }
        files
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reloads now. `trigger` (`watch`, `sighup`, `admin`, …) is logged. On error the
    /// current version keeps serving.
    pub async fn reload(&self, trigger: &str) -> Result<ReloadOutcome, ReloadError> {
        let _serial = self.serial.lock().await;
        let started = Instant::now();
        let app = self.spec.app_name.as_str();
        let old_sha256 = self.state.plugin.load().info.sha256.clone();
        match self.try_reload().await {
            Ok(Some(new)) => {
                let new_sha256 = new.info.sha256.clone();
                self.state.plugin.store(Arc::new(new));
                let elapsed = started.elapsed();
                crate::metrics::reload(app, "ok", Some(elapsed));
                self.stats[0].fetch_add(1, Ordering::Relaxed);
                tracing::info!(app, trigger, old_sha256 = %old_sha256, new_sha256 = %new_sha256, elapsed_ms = elapsed.as_secs_f64() * 1e3, "plugin reloaded");
                Ok(ReloadOutcome::Swapped {
                    old_sha256,
                    new_sha256,
                    elapsed,
                })
            }
            Ok(None) => {
                crate::metrics::reload(app, "unchanged", None);
                self.stats[2].fetch_add(1, Ordering::Relaxed);
                tracing::info!(app, trigger, sha256 = %old_sha256, "reload: nothing changed");
                Ok(ReloadOutcome::Unchanged { sha256: old_sha256 })
            }
            Err(err) => {
                crate::metrics::reload(app, "failed", None);
                self.stats[1].fetch_add(1, Ordering::Relaxed);
                tracing::error!(app, trigger, old_sha256 = %old_sha256, error = %err, elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "reload failed; the current version keeps serving");
                Err(err)
            }
        }
    }

    /// Loads and validates the new version; `None` when it is the serving one.
    async fn try_reload(&self) -> Result<Option<LoadedPlugin>, ReloadError> {
        let config = match &self.spec.config_path {
            Some(path) => {
                let config = MlauthConfig::load(path)?;
                config.validate()?;
                Some(config)
            }
            None => None,
        };
        let plugin_config = config
            .as_ref()
            .and_then(|c| c.plugins.get(&self.spec.app_name).cloned())
            .unwrap_or_default();
        let (source, mut settings) = self.spec.resolve(&plugin_config)?;
        if let Some(config) = &config {
            settings.services = self
                .spec
                .rebuild_services(config, &plugin_config, &settings.grants)
                .await?;
        }
        let (origin, bytes) = read_source(&source).await?;
        let print = fingerprint(&sha256_hex(&bytes), &source, &settings);
        if print == self.lock().fingerprint {
            return Ok(None);
        }
        let plugin = load_plugin_bytes(
            &self.sandbox,
            &self.linker,
            &self.spec.app_name,
            &origin,
            bytes,
            &settings,
            &self.spec.host_routes,
        )
        .await?;
        *self.lock() = Current {
            fingerprint: print,
            source,
        };
        Ok(Some(plugin))
    }
}
