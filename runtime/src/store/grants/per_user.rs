//! Grants on one user's synthetic role: upsert, insert, revoke and look up one grant.

use super::{find_role_id, get_or_create_user_role, synthetic_role_name};
use crate::store::db::is_unique_violation;
use crate::store::roles::{permission_from_row, require_role};
use crate::store::users::require_user;
use crate::store::{Arg, Result, Role, RolePermission, Session, Store, StoreError};

fn reject_workspace_type(resource_type: &str) -> Result<()> {
    if resource_type == "workspace" {
        return Err(StoreError::InvalidParameter(
            "resource_type 'workspace' is not supported by the per-user permission convenience \
             APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide \
             grants."
                .to_string(),
        ));
    }
    Ok(())
}

async fn find_user_grant(
    s: &mut Session,
    role_id: i64,
    resource_type: &str,
    resource_pattern: &str,
) -> Result<Option<RolePermission>> {
    let row = s
        .fetch_optional(
            "SELECT id, role_id, resource_type, resource_pattern, permission FROM role_permissions \
             WHERE role_id = $1 AND resource_type = $2 AND resource_pattern = $3",
            &[Arg::Int(role_id), Arg::Text(resource_type), Arg::Text(resource_pattern)],
        )
        .await?;
    row.as_ref().map(permission_from_row).transpose()
}

impl Store {
    /// Gets or creates the user's `__user_<id>__` role in `workspace` and assigns it.
    pub async fn ensure_user_role(&self, user_id: i64, workspace: &str) -> Result<Role> {
        let mut s = self.write().await?;
        let role_id = get_or_create_user_role(&mut s, user_id, workspace).await?;
        let role = require_role(&mut s, role_id).await?;
        self.commit(s).await?;
        Ok(role)
    }

    /// Upserts a grant on the user's synthetic role in `workspace` (the after-request
    /// "creator gets MANAGE" hooks; `grant_user_permission` in MLflow).
    pub async fn grant_user_permission(
        &self,
        username: &str,
        workspace: &str,
        resource_type: &str,
        resource_pattern: &str,
        permission: &str,
    ) -> Result<RolePermission> {
        let mut s = self.write().await?;
        let user = require_user(&mut s, username).await?;
        let role_id = get_or_create_user_role(&mut s, user.id, workspace).await?;
        let rp = match find_user_grant(&mut s, role_id, resource_type, resource_pattern).await? {
            Some(mut existing) => {
                let args = [Arg::Text(permission), Arg::Int(existing.id)];
                s.execute(
                    "UPDATE role_permissions SET permission = $1 WHERE id = $2",
                    &args,
                )
                .await?;
                existing.permission = permission.to_string();
                existing
            }
            None => {
                // `ON CONFLICT` only matters when a concurrent writer inserted the same key.
                let row = s
                    .fetch_one(
                        "INSERT INTO role_permissions \
                         (role_id, resource_type, resource_pattern, permission) \
                         VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (role_id, resource_type, resource_pattern) \
                         DO UPDATE SET permission = excluded.permission \
                         RETURNING id, role_id, resource_type, resource_pattern, permission",
                        &[
                            Arg::Int(role_id),
                            Arg::Text(resource_type),
                            Arg::Text(resource_pattern),
                            Arg::Text(permission),
                        ],
                    )
                    .await?;
                permission_from_row(&row)?
            }
        };
        self.commit(s).await?;
        Ok(rp)
    }

    /// Inserts a grant on the user's synthetic role (`users/permissions/grant`); a second
    /// grant on the same key is `AlreadyExists`. `resource_type = "workspace"` is rejected.
    pub async fn grant_user_resource_permission(
        &self,
        username: &str,
        workspace: &str,
        resource_type: &str,
        resource_pattern: &str,
        permission: &str,
    ) -> Result<RolePermission> {
        reject_workspace_type(resource_type)?;
        let duplicate = || {
            StoreError::AlreadyExists(format!(
                "Permission for user={username} on resource_type={resource_type}, \
                 resource_id={resource_pattern} already exists."
            ))
        };
        let mut s = self.write().await?;
        let user = require_user(&mut s, username).await?;
        let role_id = get_or_create_user_role(&mut s, user.id, workspace).await?;
        if find_user_grant(&mut s, role_id, resource_type, resource_pattern)
            .await?
            .is_some()
        {
            return Err(duplicate());
        }
        let inserted = s
            .fetch_one(
                "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, permission) \
                 VALUES ($1, $2, $3, $4) RETURNING id, role_id, resource_type, resource_pattern, permission",
                &[Arg::Int(role_id), Arg::Text(resource_type), Arg::Text(resource_pattern), Arg::Text(permission)],
            )
            .await;
        let rp = match inserted {
            Ok(row) => permission_from_row(&row)?,
            Err(e) if is_unique_violation(&e) => return Err(duplicate()),
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(rp)
    }

    /// Removes a grant from the user's synthetic role in `workspace`
    /// (`users/permissions/revoke`); a missing grant is `NotFound`.
    pub async fn revoke_user_resource_permission(
        &self,
        username: &str,
        workspace: &str,
        resource_type: &str,
        resource_pattern: &str,
    ) -> Result<()> {
        reject_workspace_type(resource_type)?;
        let mut s = self.write().await?;
        let user = require_user(&mut s, username).await?;
        let mut grant = None;
        if let Some(role_id) =
            find_role_id(&mut s, workspace, &synthetic_role_name(user.id)).await?
        {
            grant = find_user_grant(&mut s, role_id, resource_type, resource_pattern).await?;
        }
        let Some(grant) = grant else {
            return Err(StoreError::NotFound(format!(
                "Permission for user={username} on resource_type={resource_type}, \
                 resource_id={resource_pattern} not found."
            )));
        };
        s.execute(
            "DELETE FROM role_permissions WHERE id = $1",
            &[Arg::Int(grant.id)],
        )
        .await?;
        self.commit(s).await
    }

    /// The user's direct grant (on the synthetic role in `workspace`) on one key, if any.
    pub async fn get_user_grant(
        &self,
        user_id: i64,
        workspace: &str,
        resource_type: &str,
        resource_pattern: &str,
    ) -> Result<Option<RolePermission>> {
        let mut s = self.read().await?;
        match find_role_id(&mut s, workspace, &synthetic_role_name(user_id)).await? {
            Some(role_id) => {
                find_user_grant(&mut s, role_id, resource_type, resource_pattern).await
            }
            None => Ok(None),
        }
    }
}
