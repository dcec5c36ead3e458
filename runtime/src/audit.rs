//! The decision audit log: one JSON line per request (time, request id, user, method,
//! path, decision, status, plugin and its sha256), to stdout or an append-only file,
//! switched by `[audit]`. Query strings, headers and bodies are never written, so no
//! credential reaches the log.
//!
//! ```toml
//! [audit]
//! output = "file"            # off (default) | stdout | file
//! path = "/var/log/mlauth/audit.jsonl"
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Where audit lines go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutput {
    /// No audit log.
    #[default]
    Off,
    /// Standard output (one JSON object per line).
    Stdout,
    /// Appended to `path`.
    File,
}

/// `[audit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Where lines go.
    pub output: AuditOutput,
    /// The file, for `output = "file"` (relative to the config file).
    pub path: Option<PathBuf>,
}

impl AuditConfig {
    /// Checks the section; names the key and the fix.
    pub fn validate(&self) -> Result<(), String> {
        match (self.output, &self.path) {
            (AuditOutput::File, None) => Err(
                "audit.output = \"file\" needs audit.path, e.g. path = \"/var/log/mlauth/audit.jsonl\""
                    .into(),
            ),
            (AuditOutput::Off | AuditOutput::Stdout, Some(_)) => Err(
                "audit.path is set but audit.output is not \"file\"; set output = \"file\" or remove path"
                    .into(),
            ),
            _ => Ok(()),
        }
    }
}

/// One audit line.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    /// UTC, RFC 3339 with milliseconds.
    pub time: String,
    /// The request id (also sent upstream as `X-Request-Id`).
    pub request_id: &'a str,
    /// The authenticated user, if any.
    pub user: Option<&'a str>,
    /// HTTP method.
    pub method: &'a str,
    /// The normalised path the decision was made on (no query string).
    pub path: &'a str,
    /// `public`, `allowed`, `denied`, `plugin_error` or `rejected`.
    pub decision: &'a str,
    /// The status sent to the client.
    pub status: u16,
    /// The app whose plugin decided.
    pub plugin: &'a str,
    /// The sha256 of that plugin version.
    pub sha256: &'a str,
    /// The plugin's free-form attributes for an allowed request (a JSON object; left out
    /// when there are none).
    #[serde(skip_serializing_if = "Attributes::is_empty")]
    pub attributes: Attributes<'a>,
}

/// A plugin's `(key, value)` attributes, written as a JSON object in arrival order.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a>(pub &'a [(String, String)]);

impl Attributes<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Attributes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The sink. Writes are serialised; a failed write is logged, never fatal.
pub struct AuditLog {
    sink: Option<Mutex<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("enabled", &self.sink.is_some())
            .finish()
    }
}

impl AuditLog {
    /// No audit log.
    pub fn off() -> Self {
        Self { sink: None }
    }

    /// Opens the configured sink (the file is created if missing, opened for append).
    pub fn open(config: &AuditConfig) -> Result<Self, String> {
        let sink: Box<dyn Write + Send> = match (config.output, &config.path) {
            (AuditOutput::Off, _) => return Ok(Self::off()),
            (AuditOutput::Stdout, _) => Box::new(std::io::stdout()),
            (AuditOutput::File, Some(path)) => Box::new(
                std::os::unix::fs::OpenOptionsExt::mode(
                    std::fs::OpenOptions::new().create(true).append(true),
                    // Who called what as whom: readable by the gateway's user only (a new
                    // file; an existing one keeps its mode).
                    0o600,
                )
                .open(path)
                .map_err(|e| format!("cannot open audit.path {}: {e}", path.display()))?,
            ),
            (AuditOutput::File, None) => return Err("audit.path is required".into()),
        };
        Ok(Self {
            sink: Some(Mutex::new(sink)),
        })
    }

    /// Whether lines are written at all.
    pub fn enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Writes one line (a single `write` of the whole line, so lines never interleave).
    pub fn write(&self, record: &AuditRecord<'_>) {
        let Some(sink) = &self.sink else { return };
        let mut line = match serde_json::to_vec(record) {
            Ok(line) => line,
            Err(_) => return,
        };
        line.push(b'\n');
        let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(err) = sink.write_all(&line).and_then(|()| sink.flush()) {
            tracing::error!(error = %err, "cannot write the audit log");
        }
    }
}

/// Now as RFC 3339 UTC with milliseconds, e.g. `2026-11-29T21:40:00.123Z`.
pub fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn file_output_needs_a_path() {
        let config: AuditConfig = toml::from_str("output = \"file\"").unwrap();
        assert!(config.validate().unwrap_err().contains("audit.path"));
        assert!(toml::from_str::<AuditConfig>("output = \"syslog\"").is_err());
    }
}
