//! The artifact proxy, `/{api,ajax-api}/2.0/mlflow-artifacts/{artifacts,mpu/*,presigned}/<path>`
//! (reference §5.3): the experiment is the first segment of the artifact path (or of `?path=`
//! when listing), after decoding it the way MLflow's handler does (`validate_path_is_safe`
//! decodes repeatedly); the tier is the run, trace or logged-model folder below it.
//!
//! Stricter than MLflow: a path naming no experiment (the destination root, `./1/x`, a
//! non-ASCII digit) is refused for non-admins instead of falling back to `default_permission`,
//! and so is any path whose decoding is ambiguous (`?`, `#`, `;`, `:`, `\`, control
//! characters, `.`/`..` segments, a leading `/`).

use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::basic_auth::permissions::{Action, Requirement, ResourceType};

use super::{Allowed, Eval};
use crate::basic_auth::rules::check::Check;
use crate::basic_auth::rules::engine::Grants;
use crate::basic_auth::rules::error::{RuleError, RuleResult};
use crate::basic_auth::rules::hooks::{on_success, retain_array};

/// What an artifact proxy path is judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySubject {
    /// Ambiguous, or naming no experiment: refused.
    Refused,
    /// An experiment-level artifact: the experiment's own permission decides.
    Experiment(String),
    /// Child tiers of an experiment (experiment read plus the action on each tier).
    Tiers(String, Vec<ResourceType>),
}

/// `validate_path_is_safe`, strictly: decoded until stable; `None` when ambiguous.
pub fn canonical_artifact_path(raw: &str) -> Option<String> {
    let mut path = raw.to_string();
    let mut stable = false;
    for _ in 0..10 {
        let decoded = percent_decode_str(&path).decode_utf8().ok()?.into_owned();
        if decoded == path {
            stable = true;
            break;
        }
        path = decoded;
    }
    let ambiguous = |c: char| matches!(c, '?' | '#' | ';' | ':' | '\\') || c.is_control();
    if !stable || path.is_empty() || path.starts_with('/') || path.chars().any(ambiguous) {
        return None;
    }
    if path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return None;
    }
    Some(path)
}

fn is_run_id(segment: &str) -> bool {
    segment.len() == 32
        && segment
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The experiment id (`^(?:workspaces/[^/]+/)?(\d+)/`) and the segments after it.
fn split_experiment(canonical: &str) -> Option<(String, Vec<&str>)> {
    let segments: Vec<&str> = canonical.split('/').collect();
    let attempt = |skip: usize| -> Option<(String, Vec<&str>)> {
        let id = *segments.get(skip)?;
        if id.is_empty() || !id.chars().all(|c| c.is_numeric()) {
            return None;
        }
        // Python's `\d` matches any Unicode digit; only ASCII ones name a real experiment.
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = segments[skip + 1..]
            .iter()
            .copied()
            .filter(|s| !s.is_empty())
            .collect();
        Some((id.to_string(), rest))
    };
    let prefixed =
        segments.first() == Some(&"workspaces") && segments.get(1).is_some_and(|ws| !ws.is_empty());
    prefixed
        .then(|| attempt(2))
        .flatten()
        .or_else(|| attempt(0))
}

/// `_artifact_proxy_child` + `_artifact_proxy_child_types` for one path and action.
pub fn proxy_subject(path: Option<&str>, action: Action) -> ProxySubject {
    let Some(canonical) = path
        .filter(|p| !p.is_empty())
        .and_then(canonical_artifact_path)
    else {
        return ProxySubject::Refused;
    };
    let Some((experiment, rest)) = split_experiment(&canonical) else {
        return ProxySubject::Refused;
    };
    let recursive = action == Action::Manage;
    let tiers = match rest.as_slice() {
        [] if recursive => vec![
            ResourceType::Run,
            ResourceType::Trace,
            ResourceType::LoggedModel,
        ],
        [] => vec![],
        ["models", ..] => vec![ResourceType::LoggedModel],
        ["traces", ..] => vec![ResourceType::Trace],
        [_, "artifacts", ..] => vec![ResourceType::Run],
        [first, ..] if is_run_id(first) => vec![ResourceType::Run],
        _ if recursive => vec![ResourceType::Run],
        _ => vec![],
    };
    if tiers.is_empty() {
        ProxySubject::Experiment(experiment)
    } else {
        ProxySubject::Tiers(experiment, tiers)
    }
}

/// Whether `grants` allow `action` on a subject.
pub fn subject_allowed(grants: &Grants, subject: &ProxySubject, action: Action) -> bool {
    match subject {
        ProxySubject::Refused => false,
        ProxySubject::Experiment(id) => {
            action.is_met_by(grants.point(ResourceType::Experiment, id))
        }
        ProxySubject::Tiers(id, tiers) => {
            let mut requirements = vec![Requirement::new(
                ResourceType::Experiment,
                id.as_str(),
                Action::Read,
            )];
            requirements.extend(tiers.iter().map(|tier| {
                Requirement::new(*tier, "*", action)
                    .or_fallback(ResourceType::Experiment, id.as_str())
            }));
            grants.allows(&requirements)
        }
    }
}

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    match check {
        Check::ArtifactProxy(action) => {
            let subject = proxy_subject(ev.matched.capture("artifact_path"), action);
            ev.ensure(subject_allowed(ev.grants, &subject, action))?;
            Ok(Allowed::plain())
        }
        Check::ArtifactProxyList => {
            let path = ev.params.query_one("path")?;
            let subject = proxy_subject(path.as_deref(), Action::Read);
            ev.ensure(subject_allowed(ev.grants, &subject, Action::Read))?;
            let ProxySubject::Experiment(experiment) = &subject else {
                return Ok(Allowed::plain());
            };
            let root = canonical_artifact_path(path.as_deref().unwrap_or_default())
                .is_some_and(|c| split_experiment(&c).is_some_and(|(_, rest)| rest.is_empty()));
            let runs = ProxySubject::Tiers(experiment.clone(), vec![ResourceType::Run]);
            if !root || subject_allowed(ev.grants, &runs, Action::Read) {
                return Ok(Allowed::plain());
            }
            // Listing an experiment root whose run tier the caller may not read: the run
            // directories (bare 32-hex run ids) are withheld (`filter_list_artifacts_proxy`).
            let hook = on_success(super::hook_ctx(ev), |_hc, mut json: Value| async move {
                let is_run_dir =
                    |f: &Value| f.get("path").and_then(Value::as_str).is_some_and(is_run_id);
                let changed = retain_array(&mut json, "files", |f| !is_run_dir(f));
                Ok(changed.then_some(json))
            });
            Ok(Allowed::with_hook(hook))
        }
        _ => Err(RuleError::Internal(format!(
            "{check:?} routed to the artifact checks"
        ))),
    }
}
