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
mod vocabulary;

pub use vocabulary::{Action, GrantKey, Requirement, Rung};

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
