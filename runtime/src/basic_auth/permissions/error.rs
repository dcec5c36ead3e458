//! The validators' error type, with MLflow's exact messages (`permissions.py`).

use super::{Permission, ResourceType};

/// Errors of the permission validators; all map to MLflow's `INVALID_PARAMETER_VALUE` (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    /// The name is not one of [`Permission::ALL`].
    #[error("Invalid permission '{name}'. Valid permissions are: {}", python_tuple(Permission::ALL.iter().map(|p| p.name())))]
    InvalidPermission {
        /// The rejected name, as given.
        name: String,
    },
    /// The name is not one of [`ResourceType::ALL`].
    #[error(
        "Invalid resource type '{name}'. Valid resource types are: {}",
        python_tuple(ResourceType::sorted_names())
    )]
    InvalidResourceType {
        /// The rejected name, as given.
        name: String,
    },
    /// The permission exists but may not be granted on this resource type.
    #[error("{}", not_grantable_message(*permission, *resource_type))]
    NotGrantable {
        /// The rejected permission.
        permission: Permission,
        /// The resource type it was to be granted on.
        resource_type: ResourceType,
    },
    /// A per-id pattern on a type that only accepts `*`.
    #[error("Invalid resource_pattern '{pattern}' for resource_type='{}'. This resource type supports only wildcard ('*') grants.", resource_type.as_str())]
    WildcardOnly {
        /// The rejected pattern.
        pattern: String,
        /// The wildcard-only resource type.
        resource_type: ResourceType,
    },
}

impl PermissionError {
    /// The MLflow error code every validator error carries.
    pub fn error_code(&self) -> &'static str {
        "INVALID_PARAMETER_VALUE"
    }
}

/// Formats names the way Python prints a tuple of strings: `('A', 'B')`.
pub(crate) fn python_tuple<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.into_iter().map(|n| format!("'{n}'")).collect();
    match quoted.len() {
        1 => format!("({},)", quoted[0]),
        _ => format!("({})", quoted.join(", ")),
    }
}

fn not_grantable_message(permission: Permission, resource_type: ResourceType) -> String {
    let allowed = resource_type.grantable_permissions();
    let mut names: Vec<&str> = allowed.iter().map(|p| p.name()).collect();
    names.sort_unstable();
    let scope = if resource_type == ResourceType::Workspace {
        "Workspace-wide grants"
    } else {
        "Resource-level grants"
    };
    format!(
        "Invalid permission '{}' for resource_type='{}'. {scope} accept only: {}.",
        permission.name(),
        resource_type.as_str(),
        python_tuple(names)
    )
}
