//! Role CRUD: create, read, list, rename/re-describe and delete roles.

use super::{
    delete_role_rows, load_roles, py_repr, require_role, role_not_found, RoleFilter,
    RESERVED_ROLE_PREFIX,
};
use crate::store::db::is_unique_violation;
use crate::store::{Arg, Result, Role, Store, StoreError};

fn reject_reserved_name(name: &str) -> Result<()> {
    if name.starts_with(RESERVED_ROLE_PREFIX) {
        return Err(StoreError::InvalidParameter(format!(
            "Role name {} uses the reserved '__user_' prefix, which is held for the per-user \
             permission representation. Choose a different name.",
            py_repr(name)
        )));
    }
    Ok(())
}

impl Store {
    /// Creates a role; names starting with `__user_` are reserved.
    pub async fn create_role(
        &self,
        name: &str,
        workspace: &str,
        description: Option<&str>,
    ) -> Result<Role> {
        reject_reserved_name(name)?;
        let mut s = self.write().await?;
        let inserted = s
            .fetch_one(
                "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, $3) RETURNING id",
                &[
                    Arg::Text(name),
                    Arg::Text(workspace),
                    Arg::OptText(description),
                ],
            )
            .await;
        let id = match inserted {
            Ok(row) => row.i64(0)?,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists(format!(
                    "Role (name={name}, workspace={workspace}) already exists."
                )))
            }
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(Role {
            id,
            name: name.to_string(),
            workspace: workspace.to_string(),
            description: description.map(str::to_string),
            permissions: vec![],
        })
    }

    /// A role with its permissions.
    pub async fn get_role(&self, role_id: i64) -> Result<Role> {
        let mut s = self.read().await?;
        require_role(&mut s, role_id).await
    }

    /// A role by `(workspace, name)`.
    pub async fn get_role_by_name(&self, workspace: &str, name: &str) -> Result<Role> {
        let mut s = self.read().await?;
        let row = s
            .fetch_optional(
                "SELECT id FROM roles WHERE workspace = $1 AND name = $2",
                &[Arg::Text(workspace), Arg::Text(name)],
            )
            .await?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "Role with name={name} in workspace={workspace} not found"
                ))
            })?;
        require_role(&mut s, row.i64(0)?).await
    }

    /// Roles in the given workspaces (`None` = every role; an empty slice = none).
    pub async fn list_roles(&self, workspaces: Option<&[String]>) -> Result<Vec<Role>> {
        let mut s = self.read().await?;
        let filter = workspaces.map_or(RoleFilter::All, RoleFilter::Workspaces);
        load_roles(&mut s, &filter).await
    }

    /// Renames and/or re-describes a role.
    pub async fn update_role(
        &self,
        role_id: i64,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Role> {
        if let Some(n) = name {
            reject_reserved_name(n)?;
        }
        let mut s = self.write().await?;
        let role = require_role(&mut s, role_id).await?;
        if let Some(n) = name {
            let clash = s
                .fetch_optional(
                    "SELECT id FROM roles WHERE workspace = $1 AND name = $2 AND id <> $3",
                    &[Arg::Text(&role.workspace), Arg::Text(n), Arg::Int(role_id)],
                )
                .await?;
            if clash.is_some() {
                return Err(StoreError::AlreadyExists(format!(
                    "Role with name={n} already exists in workspace={}",
                    role.workspace
                )));
            }
            s.execute(
                "UPDATE roles SET name = $1 WHERE id = $2",
                &[Arg::Text(n), Arg::Int(role_id)],
            )
            .await?;
        }
        if let Some(d) = description {
            s.execute(
                "UPDATE roles SET description = $1 WHERE id = $2",
                &[Arg::Text(d), Arg::Int(role_id)],
            )
            .await?;
        }
        let updated = require_role(&mut s, role_id).await?;
        self.commit(s).await?;
        Ok(updated)
    }

    /// Deletes a role with its permissions and assignments.
    pub async fn delete_role(&self, role_id: i64) -> Result<()> {
        let mut s = self.write().await?;
        if !delete_role_rows(&mut s, role_id).await? {
            return Err(role_not_found(role_id));
        }
        self.commit(s).await
    }

    /// Deletes every role of a workspace with their permissions and assignments.
    pub async fn delete_roles_for_workspace(&self, workspace: &str) -> Result<()> {
        let mut s = self.write().await?;
        let sub = "SELECT id FROM roles WHERE workspace = $1";
        let ws = [Arg::Text(workspace)];
        s.execute(
            &format!("DELETE FROM role_permissions WHERE role_id IN ({sub})"),
            &ws,
        )
        .await?;
        s.execute(
            &format!("DELETE FROM user_role_assignments WHERE role_id IN ({sub})"),
            &ws,
        )
        .await?;
        s.execute("DELETE FROM roles WHERE workspace = $1", &ws)
            .await?;
        self.commit(s).await
    }
}
