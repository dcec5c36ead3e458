//! The kit's results and their pass/fail table.

use std::fmt::Write as _;
use std::time::Duration;

use super::cases::Case;
use super::KitOptions;
use crate::plugin::PluginInfo;

/// The result of one check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// Short name, e.g. `no-credentials`.
    pub name: String,
    /// What was sent.
    pub what: String,
    /// What had to come back (`401+challenge`, `forwarded`, `431`...).
    pub expected: String,
    /// The status the client got (none for multi-request checks).
    pub status: Option<u16>,
    /// Wall time of the request through the gateway (slowest one for multi-request checks).
    pub elapsed: Duration,
    /// Why it failed; `None` when it passed.
    pub failure: Option<String>,
}

impl CheckOutcome {
    pub(crate) fn new(
        case: &Case,
        status: Option<u16>,
        elapsed: Duration,
        problems: Vec<String>,
    ) -> Self {
        Self {
            name: case.name.clone(),
            what: case.what.clone(),
            expected: case.expect.label(),
            status,
            elapsed,
            failure: (!problems.is_empty()).then(|| problems.join("; ")),
        }
    }

    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Every check's outcome, plus what was tested.
#[derive(Debug, Clone)]
pub struct Report {
    /// The component file.
    pub plugin: String,
    /// Its world.
    pub world: &'static str,
    /// Its sha256 (hex).
    pub sha256: String,
    /// Time to read, compile, validate and pre-instantiate it.
    pub load_time: Duration,
    /// The checks, in the order they ran.
    pub checks: Vec<CheckOutcome>,
}

impl Report {
    pub(crate) fn new(options: &KitOptions, info: &PluginInfo, load_time: Duration) -> Self {
        Self {
            plugin: options.plugin.display().to_string(),
            world: info.kind.world(),
            sha256: info.sha256.clone(),
            load_time,
            checks: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, outcome: CheckOutcome) {
        self.checks.push(outcome);
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(CheckOutcome::passed)
    }

    /// The checks that failed.
    pub fn failures(&self) -> Vec<&CheckOutcome> {
        self.checks.iter().filter(|c| !c.passed()).collect()
    }

    /// The check named `name`.
    pub fn check(&self, name: &str) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The pass/fail table printed by `mlauth plugins test`.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "plugin:  {}", self.plugin);
        let _ = writeln!(out, "world:   {}   sha256: {}", self.world, self.sha256);
        let _ = writeln!(
            out,
            "load:    {:.1} ms (compile + validate + pre-instantiate)\n",
            ms(self.load_time)
        );
        let _ = writeln!(
            out,
            "{:<26} {:<14} {:>6} {:>8}  RESULT",
            "CHECK", "EXPECTED", "GOT", "MS"
        );
        for c in &self.checks {
            let got = c.status.map_or("-".to_string(), |s| s.to_string());
            let verdict = match &c.failure {
                None => "pass".to_string(),
                Some(why) => format!("FAIL: {why}"),
            };
            let _ = writeln!(
                out,
                "{:<26} {:<14} {:>6} {:>8.2}  {verdict}",
                c.name,
                c.expected,
                got,
                ms(c.elapsed)
            );
        }
        let failed = self.failures().len();
        let total = self.checks.len();
        let verdict = if failed == 0 { "PASS" } else { "FAIL" };
        let _ = writeln!(out, "\n{verdict}: {}/{total} checks passed", total - failed);
        out
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
