//! `mlauth plugins test`: the command-line face of the conformance kit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use http::{HeaderName, HeaderValue};

use super::{KitError, KitOptions};
use crate::plugin::{Capability, RequestHeaders};

/// `mlauth plugins test PLUGIN.wasm ...`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The component to test.
    pub file: PathBuf,
    /// TOML file with the plugin's settings: the table that `config = { ... }` holds under
    /// `[plugins.<app>]`, e.g. a line `api_key = "k3y"`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// One setting (repeatable; overrides --config).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// One header of good credentials (repeatable), e.g. --good-header 'X-API-Key: k3y'.
    #[arg(long = "good-header", value_name = "NAME: VALUE", required = true)]
    pub good_header: Vec<String>,
    /// The user good credentials must run as (default: any non-empty user).
    #[arg(long, value_name = "USER")]
    pub expect_user: Option<String>,
    /// A capability to grant beyond log and config (repeatable).
    #[arg(long = "grant", value_name = "CAPABILITY")]
    pub grants: Vec<Capability>,
    /// Show the plugin only this request header (repeatable), as `request_headers` in the
    /// gateway's config would; default: all headers.
    #[arg(long = "request-header", value_name = "NAME")]
    pub request_headers: Vec<String>,
    /// The plugin's deadline per request.
    #[arg(long, default_value_t = 250)]
    pub deadline_ms: u64,
    /// The plugin's memory limit.
    #[arg(long, default_value_t = 64)]
    pub memory_mib: u64,
    /// Also load the plugin without any settings and check that good credentials are then
    /// refused (fail closed). Compiles the plugin a second time.
    #[arg(long)]
    pub check_unconfigured: bool,
}

impl TestArgs {
    /// The kit options these arguments describe.
    pub fn options(&self) -> Result<KitOptions, KitError> {
        let mut options = KitOptions::new(&self.file);
        if let Some(path) = &self.config {
            options.settings = read_settings(path)?;
        }
        for pair in &self.set {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                KitError::Usage(format!(
                    "--set {pair:?}: expected KEY=VALUE, e.g. --set api_key=k3y"
                ))
            })?;
            options
                .settings
                .insert(key.trim().to_string(), value.to_string());
        }
        for line in &self.good_header {
            options.good.push(parse_header_line(line)?);
        }
        options.expect_user = self.expect_user.clone();
        options.grants = self.grants.clone();
        if !self.request_headers.is_empty() {
            options.request_headers =
                RequestHeaders::only(&self.request_headers).map_err(KitError::Usage)?;
        }
        options.sandbox.deadline_ms = self.deadline_ms;
        options.sandbox.memory_limit_mib = self.memory_mib;
        options.check_unconfigured = self.check_unconfigured;
        Ok(options)
    }
}

/// Runs the kit, prints the table, and fails when a check failed.
pub async fn run(args: TestArgs) -> Result<(), Box<dyn std::error::Error>> {
    let options = args.options()?;
    let report = super::run(&options).await?;
    print!("{}", report.table());
    match report.failures().len() {
        0 => Ok(()),
        n => Err(format!("{n} of {} conformance checks failed", report.checks.len()).into()),
    }
}

/// Parses `Name: value` into a header.
pub fn parse_header_line(line: &str) -> Result<(HeaderName, HeaderValue), KitError> {
    let usage = |why: &str| {
        KitError::Usage(format!(
            "--good-header {line:?}: {why}; expected 'Name: value', e.g. 'X-API-Key: k3y'"
        ))
    };
    let (name, value) = line.split_once(':').ok_or_else(|| usage("no ':'"))?;
    let name =
        HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| usage("invalid header name"))?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| usage("invalid header value"))?;
    Ok((name, value))
}

/// Reads a TOML table of settings; non-string values are passed as their TOML text.
fn read_settings(path: &Path) -> Result<BTreeMap<String, String>, KitError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| KitError::Usage(format!("cannot read --config {}: {e}", path.display())))?;
    let table: BTreeMap<String, toml::Value> = toml::from_str(&text).map_err(|e| {
        KitError::Usage(format!(
            "--config {} is not a TOML table of plugin settings (e.g. `api_key = \"k3y\"`): {e}",
            path.display()
        ))
    })?;
    Ok(table
        .into_iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            (k, v)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TestArgs,
    }

    fn options(extra: &[&str]) -> Result<KitOptions, KitError> {
        let base = ["test", "p.wasm", "--good-header", "X-API-Key: k"];
        let cli = Cli::try_parse_from(base.iter().chain(extra)).expect("arguments parse");
        cli.args.options()
    }

    #[test]
    fn request_header_flags_become_the_kits_header_list() {
        assert_eq!(options(&[]).unwrap().request_headers, RequestHeaders::All);
        let listed = options(&[
            "--request-header",
            "X-API-Key",
            "--request-header",
            "cookie",
        ]);
        assert_eq!(
            listed.unwrap().request_headers,
            RequestHeaders::only(&["x-api-key", "cookie"]).unwrap()
        );
        let Err(KitError::Usage(message)) = options(&["--request-header", "bad name"]) else {
            panic!("an invalid header name must be a usage error");
        };
        assert!(
            message.contains("\"bad name\" is not a header name"),
            "{message}"
        );
    }
}
