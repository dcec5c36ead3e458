//! Resource types (`role_permissions.resource_type`), their grant grain, the permissions
//! grantable on each, and key canonicalisation (experiment ids, scorer keys).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{Permission, PermissionError};

/// What a grant's `resource_pattern` may be for a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternGrain {
    /// Only `*` (tiers and sub-resources, and the workspace slot).
    WildcardOnly,
    /// `*` or one resource's id.
    WildcardAndId,
}

/// A resource type of MLflow 3.18's `VALID_RESOURCE_TYPES`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum ResourceType {
    /// `workspace`: the workspace-wide slot (`USE` = member, `MANAGE` = workspace admin).
    Workspace,
    /// `experiment`, keyed by canonical experiment id.
    Experiment,
    /// `registered_model`, keyed by model name.
    RegisteredModel,
    /// `prompt` (a registered model tagged as a prompt), keyed by name.
    Prompt,
    /// `scorer`, keyed by `<experiment_id>/<url-quoted name>`.
    Scorer,
    /// `gateway_secret`, keyed by secret id.
    GatewaySecret,
    /// `gateway_endpoint`, keyed by endpoint id.
    GatewayEndpoint,
    /// `gateway_model_definition`, keyed by definition id.
    GatewayModelDefinition,
    /// `mcp_server`, keyed by server id.
    McpServer,
    /// `skill`, keyed by `name` or `@organization/name` (3.18; absent from 3.17).
    Skill,
    /// `run` tier (wildcard only).
    Run,
    /// `trace` tier (wildcard only).
    Trace,
    /// `assessment` tier (wildcard only).
    Assessment,
    /// `logged_model` tier (wildcard only).
    LoggedModel,
    /// `review_queue` tier (wildcard only).
    ReviewQueue,
    /// `registered_model_version` tier (wildcard only).
    RegisteredModelVersion,
    /// `prompt_version` tier (wildcard only).
    PromptVersion,
    /// `scorer_version` tier (wildcard only).
    ScorerVersion,
    /// `mcp_server_version` tier (wildcard only).
    McpServerVersion,
}

const WORKSPACE_GRANTABLE: &[Permission] = &[Permission::Use, Permission::Manage];
const RESOURCE_GRANTABLE: &[Permission] = &[
    Permission::Read,
    Permission::Use,
    Permission::Edit,
    Permission::Manage,
    Permission::Deny,
];
const SKILL_GRANTABLE: &[Permission] = &[
    Permission::Read,
    Permission::Edit,
    Permission::Manage,
    Permission::Deny,
];

impl ResourceType {
    /// Every resource type.
    pub const ALL: [ResourceType; 19] = [
        ResourceType::Workspace,
        ResourceType::Experiment,
        ResourceType::RegisteredModel,
        ResourceType::Prompt,
        ResourceType::Scorer,
        ResourceType::GatewaySecret,
        ResourceType::GatewayEndpoint,
        ResourceType::GatewayModelDefinition,
        ResourceType::McpServer,
        ResourceType::Skill,
        ResourceType::Run,
        ResourceType::Trace,
        ResourceType::Assessment,
        ResourceType::LoggedModel,
        ResourceType::ReviewQueue,
        ResourceType::RegisteredModelVersion,
        ResourceType::PromptVersion,
        ResourceType::ScorerVersion,
        ResourceType::McpServerVersion,
    ];

    /// The wire name stored in `role_permissions.resource_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Workspace => "workspace",
            ResourceType::Experiment => "experiment",
            ResourceType::RegisteredModel => "registered_model",
            ResourceType::Prompt => "prompt",
            ResourceType::Scorer => "scorer",
            ResourceType::GatewaySecret => "gateway_secret",
            ResourceType::GatewayEndpoint => "gateway_endpoint",
            ResourceType::GatewayModelDefinition => "gateway_model_definition",
            ResourceType::McpServer => "mcp_server",
            ResourceType::Skill => "skill",
            ResourceType::Run => "run",
            ResourceType::Trace => "trace",
            ResourceType::Assessment => "assessment",
            ResourceType::LoggedModel => "logged_model",
            ResourceType::ReviewQueue => "review_queue",
            ResourceType::RegisteredModelVersion => "registered_model_version",
            ResourceType::PromptVersion => "prompt_version",
            ResourceType::ScorerVersion => "scorer_version",
            ResourceType::McpServerVersion => "mcp_server_version",
        }
    }

    /// Parses a wire name (case-sensitive) with MLflow's error text on failure.
    pub fn parse(name: &str) -> Result<Self, PermissionError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| PermissionError::InvalidResourceType {
                name: name.to_owned(),
            })
    }

    /// All wire names sorted, as MLflow lists them in its error message.
    pub fn sorted_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Self::ALL.iter().map(|t| t.as_str()).collect();
        names.sort_unstable();
        names
    }

    /// Whether grants on this type may name one resource or only `*`.
    pub fn grain(self) -> PatternGrain {
        match self {
            ResourceType::Experiment
            | ResourceType::RegisteredModel
            | ResourceType::Prompt
            | ResourceType::Scorer
            | ResourceType::GatewaySecret
            | ResourceType::GatewayEndpoint
            | ResourceType::GatewayModelDefinition
            | ResourceType::McpServer
            | ResourceType::Skill => PatternGrain::WildcardAndId,
            _ => PatternGrain::WildcardOnly,
        }
    }

    /// The levels a grant on this type may carry (`NO_PERMISSIONS` never).
    pub fn grantable_permissions(self) -> &'static [Permission] {
        match self {
            ResourceType::Workspace => WORKSPACE_GRANTABLE,
            ResourceType::Skill => SKILL_GRANTABLE,
            _ => RESOURCE_GRANTABLE,
        }
    }

    /// The form of `id` that grants are compared in: canonical experiment ids for experiments,
    /// a canonical experiment prefix for scorer keys, the id unchanged otherwise.
    pub fn canonical_key(self, id: &str) -> Cow<'_, str> {
        match self {
            ResourceType::Experiment => canonical_experiment_id(id),
            ResourceType::Scorer => canonical_scorer_key(id),
            _ => Cow::Borrowed(id),
        }
    }

    /// `matches(pattern, type, id)`: `*` matches any id; an exact id matches only on per-id types.
    pub fn pattern_matches(self, pattern: &str, id: &str) -> bool {
        if pattern == "*" {
            return true;
        }
        self.grain() == PatternGrain::WildcardAndId
            && self.canonical_key(pattern) == self.canonical_key(id)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResourceType {
    type Err = PermissionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ResourceType {
    type Error = PermissionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ResourceType> for &'static str {
    fn from(t: ResourceType) -> Self {
        t.as_str()
    }
}

/// `str(int(id))` for an integer-looking experiment id (`"01"` → `"1"`, `" +7 "` → `"7"`,
/// `"1_0"` → `"10"`, as Python's `int` reads them); any other string is returned unchanged.
pub fn canonical_experiment_id(id: &str) -> Cow<'_, str> {
    let trimmed = id.trim();
    let (negative, unsigned) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let Some(digits) = python_int_digits(unsigned) else {
        return Cow::Borrowed(id);
    };
    let significant = digits.trim_start_matches('0');
    let canonical = match (significant.is_empty(), negative) {
        (true, _) => "0".to_owned(),
        (false, true) => format!("-{significant}"),
        (false, false) => significant.to_owned(),
    };
    if canonical == id {
        Cow::Borrowed(id)
    } else {
        Cow::Owned(canonical)
    }
}

/// The ASCII digits of a Python integer literal body (underscores only between digits).
fn python_int_digits(body: &str) -> Option<String> {
    let bytes = body.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !body.contains("__");
    well_formed.then(|| body.replace('_', ""))
}

/// Python's `urllib.parse.quote(s, safe='')`: everything except `A-Za-z0-9_.-~` is escaped.
const QUOTE_NOTHING_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// The grant key of a scorer: `<canonical experiment id>/<quote(name, safe='')>`.
pub fn scorer_key(experiment_id: &str, scorer_name: &str) -> String {
    let name = utf8_percent_encode(scorer_name, QUOTE_NOTHING_SAFE);
    format!("{}/{name}", canonical_experiment_id(experiment_id))
}

/// Canonicalises the experiment part of an already-built scorer key.
fn canonical_scorer_key(key: &str) -> Cow<'_, str> {
    match key.split_once('/') {
        Some((experiment, name)) => match canonical_experiment_id(experiment) {
            Cow::Borrowed(_) => Cow::Borrowed(key),
            Cow::Owned(canonical) => Cow::Owned(format!("{canonical}/{name}")),
        },
        None => Cow::Borrowed(key),
    }
}
