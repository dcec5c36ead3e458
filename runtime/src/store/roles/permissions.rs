//! The grants of a role (`role_permissions` rows): add, read, list, change and remove.

use super::{permission_from_row, require_role};
use crate::store::db::is_unique_violation;
use crate::store::{Arg, Result, RolePermission, Session, Store, StoreError};

impl Store {
    /// Adds a grant to a role.
    pub async fn add_role_permission(
        &self,
        role_id: i64,
        resource_type: &str,
        resource_pattern: &str,
        permission: &str,
    ) -> Result<RolePermission> {
        let mut s = self.write().await?;
        require_role(&mut s, role_id).await?;
        let inserted = s
            .fetch_one(
                "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, permission) \
                 VALUES ($1, $2, $3, $4) RETURNING id, role_id, resource_type, resource_pattern, permission",
                &[Arg::Int(role_id), Arg::Text(resource_type), Arg::Text(resource_pattern), Arg::Text(permission)],
            )
            .await;
        let rp = match inserted {
            Ok(row) => permission_from_row(&row)?,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists(format!(
                    "Role permission (role_id={role_id}, resource_type={resource_type}, \
                     resource_pattern={resource_pattern}) already exists."
                )))
            }
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(rp)
    }

    /// One role permission by id.
    pub async fn get_role_permission(&self, role_permission_id: i64) -> Result<RolePermission> {
        let mut s = self.read().await?;
        require_role_permission(&mut s, role_permission_id).await
    }

    /// Removes one role permission.
    pub async fn remove_role_permission(&self, role_permission_id: i64) -> Result<()> {
        let mut s = self.write().await?;
        let n = s
            .execute(
                "DELETE FROM role_permissions WHERE id = $1",
                &[Arg::Int(role_permission_id)],
            )
            .await?;
        if n == 0 {
            return Err(role_permission_not_found(role_permission_id));
        }
        self.commit(s).await
    }

    /// The grants of a role, ordered by id.
    pub async fn list_role_permissions(&self, role_id: i64) -> Result<Vec<RolePermission>> {
        Ok(self.get_role(role_id).await?.permissions)
    }

    /// Changes the permission of one role permission.
    pub async fn update_role_permission(
        &self,
        role_permission_id: i64,
        permission: &str,
    ) -> Result<RolePermission> {
        let mut s = self.write().await?;
        let mut rp = require_role_permission(&mut s, role_permission_id).await?;
        s.execute(
            "UPDATE role_permissions SET permission = $1 WHERE id = $2",
            &[Arg::Text(permission), Arg::Int(role_permission_id)],
        )
        .await?;
        self.commit(s).await?;
        rp.permission = permission.to_string();
        Ok(rp)
    }
}

fn role_permission_not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("Role permission with id={id} not found"))
}

async fn require_role_permission(s: &mut Session, id: i64) -> Result<RolePermission> {
    let row = s
        .fetch_optional(
            "SELECT id, role_id, resource_type, resource_pattern, permission FROM role_permissions WHERE id = $1",
            &[Arg::Int(id)],
        )
        .await?
        .ok_or_else(|| role_permission_not_found(id))?;
    permission_from_row(&row)
}
