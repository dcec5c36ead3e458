//! Entities returned by the store (`mlflow/server/auth/entities.py`).
//!
//! Resource types and permission names are plain strings: validating them against the
//! permission model is the HTTP layer's job.

use serde::Serialize;

/// A row of `users`.
///
/// `Debug` redacts the password hash; the type is deliberately not `Serialize` so the hash
/// can never end up in a response by accident (MLflow's user JSON is `{id, username, is_admin}`).
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// `users.id`.
    pub id: i64,
    /// `users.username` (case-sensitive, unique).
    pub username: String,
    /// Werkzeug hash (`scrypt:…$salt$hex` or `pbkdf2:sha256:…`); `NULL` reads as `""`.
    pub password_hash: String,
    /// `users.is_admin`; `NULL` reads as `false`.
    pub is_admin: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("is_admin", &self.is_admin)
            .finish()
    }
}

/// A grant attached to a role (`role_permissions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolePermission {
    /// `role_permissions.id`.
    pub id: i64,
    /// Owning role.
    pub role_id: i64,
    /// e.g. `experiment`, `registered_model`, `workspace`.
    pub resource_type: String,
    /// A canonical resource id or `*`.
    pub resource_pattern: String,
    /// e.g. `READ`, `MANAGE`, `DENY`.
    pub permission: String,
}

/// A role with its grants (`roles` + `role_permissions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    /// `roles.id`.
    pub id: i64,
    /// Unique within the workspace.
    pub name: String,
    /// Workspace the role lives in (`default` when workspaces are disabled).
    pub workspace: String,
    /// Optional free text.
    pub description: Option<String>,
    /// The role's grants, ordered by id.
    pub permissions: Vec<RolePermission>,
}

/// A `user_role_assignments` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRoleAssignment {
    /// `user_role_assignments.id`.
    pub id: i64,
    /// Assigned user.
    pub user_id: i64,
    /// Assigned role.
    pub role_id: i64,
}

/// One grant as loaded for the effective-permission fold (§3.6 step 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GrantRow {
    /// Resource type of the grant.
    pub resource_type: String,
    /// Canonical id or `*`.
    pub resource_pattern: String,
    /// Permission name.
    pub permission: String,
}

/// One row of `users/current/permissions` and `users/permissions/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPermissionRow {
    /// Role carrying the grant.
    pub role_id: i64,
    /// Its name (`__user_<id>__` for direct grants).
    pub role_name: String,
    /// The role's workspace.
    pub workspace: String,
    /// Resource type of the grant.
    pub resource_type: String,
    /// Canonical id or `*`.
    pub resource_pattern: String,
    /// Permission name.
    pub permission: String,
}
