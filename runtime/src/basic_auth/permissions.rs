//! Permission levels, resource types and grants of MLflow's RBAC model (3.18).
//!
//! Mirrors `mlflow/server/auth/permissions.py` (levels, resource types, grant grain and the
//! validators with MLflow's exact error texts) and, in [`requirements`], the pure half of
//! `mlflow/server/auth/requirements.py` (the two folds and the tier override). Everything here
//! is pure: grants come in as a slice, decisions come out, so the precedence rules can be
//! tested without a database or a request.

mod error;
mod policy;
mod requirements;
mod resource_type;
#[cfg(test)]
mod tests;

pub(crate) use error::python_tuple;
pub use error::PermissionError;
pub use policy::{Policy, DEFAULT_WORKSPACE};
pub use requirements::{
    authorize, authorize_with_policy, can_create_in_workspace, fold_grants_for_key,
    governing_permission_and_action, holds_workspace_admin, is_workspace_admin_grant, key_resolver,
    point_permission, point_permission_with_policy, requirement_satisfied, resolve_key_permissions,
    Action, GrantKey, Requirement, Rung,
};
pub use resource_type::{canonical_experiment_id, scorer_key, PatternGrain, ResourceType};

use std::fmt;
use std::str::FromStr;

/// One permission level. `DENY` is an explicit veto; `NO_PERMISSIONS` is "no access".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Permission {
    /// `READ`: view only.
    Read,
    /// `USE`: read plus use (e.g. invoke an endpoint); the workspace member tier.
    Use,
    /// `EDIT`: use plus update.
    Edit,
    /// `MANAGE`: everything, including delete and permission management.
    Manage,
    /// `NO_PERMISSIONS`: no capability; not grantable in 3.18.
    NoPermissions,
    /// `DENY`: an explicit veto that only a workspace admin (or `is_admin`) overrides.
    Deny,
}

impl Permission {
    /// Every level, in MLflow's `ALL_PERMISSIONS` order (the order of its error message).
    pub const ALL: [Permission; 6] = [
        Permission::Read,
        Permission::Use,
        Permission::Edit,
        Permission::Manage,
        Permission::NoPermissions,
        Permission::Deny,
    ];

    /// The wire name (`"READ"`, `"NO_PERMISSIONS"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Use => "USE",
            Permission::Edit => "EDIT",
            Permission::Manage => "MANAGE",
            Permission::NoPermissions => "NO_PERMISSIONS",
            Permission::Deny => "DENY",
        }
    }

    /// Parses a wire name, case-sensitively, with MLflow's error text on failure.
    pub fn parse(name: &str) -> Result<Self, PermissionError> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| PermissionError::InvalidPermission {
                name: name.to_owned(),
            })
    }

    /// `PERMISSION_PRIORITY`: DENY −1, NO_PERMISSIONS 0, READ 1, USE 2, EDIT 3, MANAGE 4.
    pub fn priority(self) -> i8 {
        match self {
            Permission::Deny => -1,
            Permission::NoPermissions => 0,
            Permission::Read => 1,
            Permission::Use => 2,
            Permission::Edit => 3,
            Permission::Manage => 4,
        }
    }

    /// `max_permission(self, other)`: the higher priority; a tie keeps `self`.
    pub fn max(self, other: Permission) -> Permission {
        if self.priority() >= other.priority() {
            self
        } else {
            other
        }
    }

    /// `floor_positive_permission`: a positive level never resolves below `default`;
    /// `DENY` and `NO_PERMISSIONS` are returned unchanged (flooring a veto would void it).
    pub fn floor_positive(self, default: Permission) -> Permission {
        match self {
            Permission::Deny | Permission::NoPermissions => self,
            positive => positive.max(default),
        }
    }

    /// May view the resource.
    pub fn can_read(self) -> bool {
        matches!(
            self,
            Permission::Read | Permission::Use | Permission::Edit | Permission::Manage
        )
    }

    /// May use the resource (and, on the workspace slot, create resources).
    pub fn can_use(self) -> bool {
        matches!(
            self,
            Permission::Use | Permission::Edit | Permission::Manage
        )
    }

    /// May update the resource.
    pub fn can_update(self) -> bool {
        matches!(self, Permission::Edit | Permission::Manage)
    }

    /// May delete the resource.
    pub fn can_delete(self) -> bool {
        self == Permission::Manage
    }

    /// May manage the resource's permissions.
    pub fn can_manage(self) -> bool {
        self == Permission::Manage
    }

    /// `Permission.denied`: true only for an explicit `DENY`.
    pub fn is_denied(self) -> bool {
        self == Permission::Deny
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Permission {
    type Err = PermissionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Permission {
    type Error = PermissionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Permission> for &'static str {
    fn from(p: Permission) -> Self {
        p.name()
    }
}

/// One row of `role_permissions` as the resolver sees it (the role and workspace are
/// already applied by the query that loaded it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Grant {
    /// What kind of resource the grant covers.
    pub resource_type: ResourceType,
    /// `*` or one resource's id (experiment id, model name, scorer key, ...).
    pub pattern: String,
    /// The level granted.
    pub permission: Permission,
}

impl Grant {
    /// A grant, unvalidated (rows read back from the database are taken as stored).
    pub fn new(
        resource_type: ResourceType,
        pattern: impl Into<String>,
        permission: Permission,
    ) -> Self {
        Grant {
            resource_type,
            pattern: pattern.into(),
            permission,
        }
    }
}

/// `_validate_permission_for_resource_type`: the permission name first, then the type name,
/// then whether that level is grantable on that type.
pub fn validate_permission_for_resource_type(
    permission: &str,
    resource_type: &str,
) -> Result<(Permission, ResourceType), PermissionError> {
    let permission = Permission::parse(permission)?;
    let resource_type = ResourceType::parse(resource_type)?;
    if !resource_type.grantable_permissions().contains(&permission) {
        return Err(PermissionError::NotGrantable {
            permission,
            resource_type,
        });
    }
    Ok((permission, resource_type))
}

/// `_validate_resource_pattern`: the type name, then whether the pattern fits its grain.
pub fn validate_resource_pattern(
    pattern: &str,
    resource_type: &str,
) -> Result<ResourceType, PermissionError> {
    let resource_type = ResourceType::parse(resource_type)?;
    if pattern != "*" && resource_type.grain() == PatternGrain::WildcardOnly {
        return Err(PermissionError::WildcardOnly {
            pattern: pattern.to_owned(),
            resource_type,
        });
    }
    Ok(resource_type)
}

/// Validates a grant the way `add_role_permission` does (permission checks first, then grain).
pub fn validate_role_grant(
    resource_type: &str,
    pattern: &str,
    permission: &str,
) -> Result<Grant, PermissionError> {
    let (permission, resource_type) =
        validate_permission_for_resource_type(permission, resource_type)?;
    validate_resource_pattern(pattern, resource_type.as_str())?;
    Ok(Grant::new(resource_type, pattern, permission))
}

/// Validates a grant the way `grant_user_permission` does (grain first, then permission checks).
pub fn validate_user_grant(
    resource_type: &str,
    pattern: &str,
    permission: &str,
) -> Result<Grant, PermissionError> {
    validate_resource_pattern(pattern, resource_type)?;
    let (permission, resource_type) =
        validate_permission_for_resource_type(permission, resource_type)?;
    Ok(Grant::new(resource_type, pattern, permission))
}
