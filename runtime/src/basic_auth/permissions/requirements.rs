//! The effective-permission algorithm (reference §3.6): what an operation requires and how a
//! caller's grants answer it.
//!
//! Two folds, and they differ:
//! * **within one key** ([`fold_grants_for_key`]): several roles may match one key; any `DENY`
//!   wins, otherwise the highest level; `None` means *silent*, not "no access";
//! * **across keys** ([`governing_permission_and_action`]): a requirement's own key, then each
//!   fallback; the first key holding any grant decides (tier override), so a narrower grant
//!   overrides a broader one downward as well as upward and a `DENY` is never rescued.
//!
//! A workspace admin (`('workspace', '*', MANAGE)`) resolves to `MANAGE` everywhere, beating
//! `DENY`. The caller passes only grants already filtered to the anchor's workspace.

use super::{Grant, Permission, Policy, ResourceType};

#[cfg(test)]
mod tests;

/// What an operation needs of the permission that governs a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `can_read`.
    Read,
    /// `can_use`.
    Use,
    /// `can_update`.
    Update,
    /// `can_delete`.
    Delete,
    /// `can_manage`.
    Manage,
    /// Create in a container: gated on `can_use` (there is no `can_create`).
    Create,
    /// A veto-only check: anything but `DENY` passes, including no access at all.
    NotDenied,
}

impl Action {
    /// MLflow's action verb (`"read"`, ..., `"not_denied"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Use => "use",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Manage => "manage",
            Action::Create => "create",
            Action::NotDenied => "not_denied",
        }
    }

    /// `action_met(action, permission)`.
    pub fn is_met_by(self, permission: Permission) -> bool {
        match self {
            Action::Read => permission.can_read(),
            Action::Use | Action::Create => permission.can_use(),
            Action::Update => permission.can_update(),
            Action::Delete => permission.can_delete(),
            Action::Manage => permission.can_manage(),
            Action::NotDenied => !permission.is_denied(),
        }
    }
}

/// `GrantLoadKey`: the address a lookup is made at, a resource type and an id (or `*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GrantKey {
    /// The type the grant must have.
    pub resource_type: ResourceType,
    /// The resource id, or `*` for a tier / create-in-container lookup.
    pub resource_id: String,
}

impl GrantKey {
    /// A key on one resource.
    pub fn new(resource_type: ResourceType, resource_id: impl Into<String>) -> Self {
        GrantKey {
            resource_type,
            resource_id: resource_id.into(),
        }
    }
}

/// One rung of a requirement: a key and, for fallbacks, optionally its own action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// Where to look for grants.
    pub key: GrantKey,
    /// The action this rung must satisfy when it governs; `None` inherits the requirement's.
    pub action: Option<Action>,
}

/// One thing an operation requires: `action` on the first rung's key, consulting each later
/// rung only if no earlier rung holds any grant (`fallback_if_no_grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The requirement's own action.
    pub action: Action,
    /// Own key first, then the fallbacks in order. Never empty when built with [`Requirement::new`].
    pub rungs: Vec<Rung>,
}

impl Requirement {
    /// `action` on `(resource_type, resource_id)`; use `"*"` for a tier or a create.
    pub fn new(
        resource_type: ResourceType,
        resource_id: impl Into<String>,
        action: Action,
    ) -> Self {
        let own = Rung {
            key: GrantKey::new(resource_type, resource_id),
            action: None,
        };
        Requirement {
            action,
            rungs: vec![own],
        }
    }

    /// Adds a fallback rung that inherits the requirement's action.
    pub fn or_fallback(
        mut self,
        resource_type: ResourceType,
        resource_id: impl Into<String>,
    ) -> Self {
        let rung = Rung {
            key: GrantKey::new(resource_type, resource_id),
            action: None,
        };
        self.rungs.push(rung);
        self
    }

    /// Adds a fallback rung that must satisfy its own `action` when it governs.
    pub fn or_fallback_requiring(
        mut self,
        resource_type: ResourceType,
        resource_id: impl Into<String>,
        action: Action,
    ) -> Self {
        let rung = Rung {
            key: GrantKey::new(resource_type, resource_id),
            action: Some(action),
        };
        self.rungs.push(rung);
        self
    }

    /// `requirement_rungs`: each key that could decide, paired with the action it must satisfy.
    pub fn rung_actions(&self) -> impl Iterator<Item = (&GrantKey, Action)> + '_ {
        self.rungs
            .iter()
            .map(|rung| (&rung.key, rung.action.unwrap_or(self.action)))
    }
}

/// `('workspace', '*', MANAGE)`: the holder administers the workspace.
pub fn is_workspace_admin_grant(grant: &Grant) -> bool {
    grant.resource_type == ResourceType::Workspace
        && grant.pattern == "*"
        && grant.permission == Permission::Manage
}

/// Whether any grant makes the caller a workspace admin.
pub fn holds_workspace_admin(grants: &[Grant]) -> bool {
    grants.iter().any(is_workspace_admin_grant)
}

/// The fold within one key: `DENY` if any matching grant denies, else the highest matching
/// level (ties keep the first), else `None` (silent).
pub fn fold_grants_for_key(grants: &[Grant], key: &GrantKey) -> Option<Permission> {
    let mut best: Option<Permission> = None;
    for grant in grants
        .iter()
        .filter(|g| g.resource_type == key.resource_type)
    {
        if !key
            .resource_type
            .pattern_matches(&grant.pattern, &key.resource_id)
        {
            continue;
        }
        if grant.permission.is_denied() {
            return Some(Permission::Deny);
        }
        best = Some(best.map_or(grant.permission, |b| b.max(grant.permission)));
    }
    best
}

/// `resolve_permissions` as a function of one key: `MANAGE` everywhere for a workspace admin
/// (this precedes every other rule, `DENY` included), else [`fold_grants_for_key`].
pub fn key_resolver(grants: &[Grant]) -> impl Fn(&GrantKey) -> Option<Permission> + Copy + '_ {
    let admin = holds_workspace_admin(grants);
    move |key: &GrantKey| match admin {
        true => Some(Permission::Manage),
        false => fold_grants_for_key(grants, key),
    }
}

/// `resolve_permissions`: the permission at each key, from one set of loaded grants.
pub fn resolve_key_permissions(grants: &[Grant], keys: &[GrantKey]) -> Vec<Option<Permission>> {
    keys.iter().map(key_resolver(grants)).collect()
}

/// The tier override: the first rung with any grant decides (a `DENY` as is, a positive level
/// floored at the default); with no grant anywhere, the floored absent permission and the last
/// rung's action. `resolve` answers one key (see [`resolve_key_permissions`]).
pub fn governing_permission_and_action(
    requirement: &Requirement,
    resolve: impl Fn(&GrantKey) -> Option<Permission>,
    policy: &Policy,
) -> (Permission, Action) {
    let mut last_action = requirement.action;
    for (key, action) in requirement.rung_actions() {
        if let Some(grant) = resolve(key) {
            return (grant.floor_positive(policy.default_permission), action);
        }
        last_action = action;
    }
    (
        policy
            .absent_permission
            .floor_positive(policy.default_permission),
        last_action,
    )
}

/// Whether `requirement` is satisfied, honouring a fallback rung's own action.
pub fn requirement_satisfied(
    requirement: &Requirement,
    resolve: impl Fn(&GrantKey) -> Option<Permission>,
    policy: &Policy,
) -> bool {
    let (permission, action) = governing_permission_and_action(requirement, resolve, policy);
    action.is_met_by(permission)
}

/// `authorize`: every requirement met, grants being the caller's grants in the anchor's workspace.
pub fn authorize_with_policy(
    grants: &[Grant],
    requirements: &[Requirement],
    policy: &Policy,
) -> bool {
    let resolve = key_resolver(grants);
    requirements
        .iter()
        .all(|requirement| requirement_satisfied(requirement, resolve, policy))
}

/// [`authorize_with_policy`] with workspaces disabled (mlauth's only mode).
pub fn authorize(
    grants: &[Grant],
    requirements: &[Requirement],
    default_permission: Permission,
) -> bool {
    authorize_with_policy(
        grants,
        requirements,
        &Policy::workspaces_disabled(default_permission),
    )
}

/// The point check `_get_role_permission_or_default(_role_permission_for(...))` on one key.
pub fn point_permission_with_policy(
    grants: &[Grant],
    resource_type: ResourceType,
    resource_id: &str,
    policy: &Policy,
) -> Permission {
    key_resolver(grants)(&GrantKey::new(resource_type, resource_id))
        .unwrap_or(policy.absent_permission)
        .floor_positive(policy.default_permission)
}

/// [`point_permission_with_policy`] with workspaces disabled: no grant → `default_permission`.
pub fn point_permission(
    grants: &[Grant],
    resource_type: ResourceType,
    resource_id: &str,
    default_permission: Permission,
) -> Permission {
    point_permission_with_policy(
        grants,
        resource_type,
        resource_id,
        &Policy::workspaces_disabled(default_permission),
    )
}

/// `_can_create_in_workspace`: always with workspaces off; otherwise a workspace grant with
/// `can_use`, or no workspace grant and an absent permission (inherited default) with `can_use`.
pub fn can_create_in_workspace(grants: &[Grant], policy: &Policy) -> bool {
    if !policy.workspaces_enabled {
        return true;
    }
    match key_resolver(grants)(&GrantKey::new(ResourceType::Workspace, "*")) {
        Some(permission) => permission.can_use(),
        None => policy.absent_permission.can_use(),
    }
}
