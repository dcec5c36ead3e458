//! What an absent grant means: `default_permission` with workspaces off (mlauth's only mode),
//! and the workspace rules of `_absent_permission` for completeness.

use super::Permission;

/// The reserved workspace every resource lives in while workspaces are disabled (always, in mlauth).
pub const DEFAULT_WORKSPACE: &str = "default";

/// What an absent grant means, and the floor for positive grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// `default_permission` from `basic_auth.ini`: the floor of every positive grant.
    pub default_permission: Permission,
    /// What applies when no rung holds a grant (`_absent_permission`).
    pub absent_permission: Permission,
    /// Whether multi-tenant workspaces are on (never, in mlauth).
    pub workspaces_enabled: bool,
}

impl Policy {
    /// Workspaces off: an absent grant means `default_permission`.
    pub fn workspaces_disabled(default_permission: Permission) -> Self {
        Policy {
            default_permission,
            absent_permission: default_permission,
            workspaces_enabled: false,
        }
    }

    /// Workspaces on: an absent grant is `NO_PERMISSIONS`, unless `workspace` is the default
    /// one and `grant_default_workspace_access` is set, in which case it is `default_permission`.
    pub fn for_workspace(
        default_permission: Permission,
        workspace: &str,
        grant_default_workspace_access: bool,
    ) -> Self {
        let inherits = grant_default_workspace_access && workspace == DEFAULT_WORKSPACE;
        let absent_permission = if inherits {
            default_permission
        } else {
            Permission::NoPermissions
        };
        Policy {
            default_permission,
            absent_permission,
            workspaces_enabled: true,
        }
    }
}
