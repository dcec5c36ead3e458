//! The caller's grants (loaded once per request, workspace `default`) and the requirement
//! shapes MLflow's validators share: "a child of an experiment", "create in an experiment",
//! the registry container/version pair, and the listing predicate.

use crate::basic_auth::permissions::{
    authorize, key_resolver, point_permission, requirement_satisfied, Action, Grant, Permission,
    Policy, Requirement, ResourceType, DEFAULT_WORKSPACE,
};
use crate::store::{GrantRow, Store, User};

use super::error::{RuleError, RuleResult};

/// A caller's grants in the default workspace plus `default_permission`.
#[derive(Debug, Clone)]
pub struct Grants {
    /// Every grant of every role the caller holds in `default`.
    pub grants: Vec<Grant>,
    /// `basic_auth.ini` `default_permission`.
    pub default_permission: Permission,
}

/// Converts stored rows; an unknown resource type can match no requirement and is skipped, an
/// unknown permission name is refused (it could have been meant as a veto).
pub fn grants_from_rows(rows: Vec<GrantRow>) -> RuleResult<Vec<Grant>> {
    let mut grants = Vec::with_capacity(rows.len());
    for row in rows {
        let Ok(resource_type) = ResourceType::parse(&row.resource_type) else {
            continue;
        };
        let permission = Permission::parse(&row.permission).map_err(|e| {
            RuleError::Internal(format!("stored grant has an invalid permission: {e}"))
        })?;
        grants.push(Grant::new(resource_type, row.resource_pattern, permission));
    }
    Ok(grants)
}

impl Grants {
    /// Loads the caller's grants (one query, every resource type).
    pub async fn load(
        store: &Store,
        caller: &User,
        default_permission: Permission,
    ) -> RuleResult<Self> {
        let types: Vec<&str> = ResourceType::ALL.iter().map(|t| t.as_str()).collect();
        let rows = store
            .grants_for_user(caller.id, DEFAULT_WORKSPACE, &types)
            .await?;
        Ok(Grants {
            grants: grants_from_rows(rows)?,
            default_permission,
        })
    }

    /// Grants given directly (tests).
    pub fn new(grants: Vec<Grant>, default_permission: Permission) -> Self {
        Grants {
            grants,
            default_permission,
        }
    }

    /// `authorize(...)`: every requirement met.
    pub fn allows(&self, requirements: &[Requirement]) -> bool {
        authorize(&self.grants, requirements, self.default_permission)
    }

    /// One requirement met.
    pub fn satisfies(&self, requirement: &Requirement) -> bool {
        let policy = Policy::workspaces_disabled(self.default_permission);
        requirement_satisfied(requirement, key_resolver(&self.grants), &policy)
    }

    /// The point permission on one resource (`_get_role_permission_or_default`).
    pub fn point(&self, resource_type: ResourceType, id: &str) -> Permission {
        point_permission(&self.grants, resource_type, id, self.default_permission)
    }

    /// `(tier, '*', not_denied)`: false only when the tier is vetoed for the caller.
    pub fn tier_not_denied(&self, tier: ResourceType) -> bool {
        self.satisfies(&Requirement::new(tier, "*", Action::NotDenied))
    }

    /// `_role_based_read_predicate` on one row: `(type, id, read)` falling back to the
    /// workspace tier.
    pub fn lists(&self, resource_type: ResourceType, id: &str) -> bool {
        self.satisfies(
            &Requirement::new(resource_type, id, Action::Read)
                .or_fallback(ResourceType::Workspace, "*"),
        )
    }

    /// Whether the caller administers the (default) workspace.
    pub fn is_workspace_admin(&self) -> bool {
        crate::basic_auth::permissions::holds_workspace_admin(&self.grants)
    }
}

/// `[(experiment, id, read), (tier, '*', action) falling back to the experiment]` — a run,
/// trace or logged model operation (`_run_requirement`, `_authorize_trace`, ...).
pub fn child_of_experiment(
    tier: ResourceType,
    experiment_id: &str,
    action: Action,
) -> Vec<Requirement> {
    vec![
        Requirement::new(ResourceType::Experiment, experiment_id, Action::Read),
        Requirement::new(tier, "*", action).or_fallback(ResourceType::Experiment, experiment_id),
    ]
}

/// `_authorize_create_in_experiment`: experiment update and the created type not vetoed.
pub fn create_in_experiment(experiment_id: &str, created: ResourceType) -> Vec<Requirement> {
    vec![
        Requirement::new(ResourceType::Experiment, experiment_id, Action::Update),
        Requirement::new(created, "*", Action::NotDenied),
    ]
}

/// `_bulk_requirements_in_experiments`: read on each distinct experiment plus `(tier, action)`
/// falling back to it; `None` for an empty list (MLflow denies unscoped bulk requests).
pub fn bulk_in_experiments(
    experiment_ids: &[String],
    tier: ResourceType,
    action: Action,
) -> Option<Vec<Requirement>> {
    let mut distinct: Vec<&String> = Vec::new();
    for id in experiment_ids {
        if !distinct.contains(&id) {
            distinct.push(id);
        }
    }
    if distinct.is_empty() {
        return None;
    }
    Some(
        distinct
            .into_iter()
            .flat_map(|id| child_of_experiment(tier, id, action))
            .collect(),
    )
}

/// The version tier of a registry container type.
pub fn version_tier(container: ResourceType) -> ResourceType {
    if container == ResourceType::Prompt {
        ResourceType::PromptVersion
    } else {
        ResourceType::RegisteredModelVersion
    }
}

/// The container type of a registry entity.
pub fn container_type(is_prompt: bool) -> ResourceType {
    if is_prompt {
        ResourceType::Prompt
    } else {
        ResourceType::RegisteredModel
    }
}
