//! Workspace membership and workspace-admin queries over roles (§7, workspaces mode).

use std::collections::BTreeSet;

use super::grants::is_synthetic_role_name;
use super::{Arg, DbRow, Result, Store, StoreError};

/// Permissions that make a workspace visible (`Permission.can_read`).
const READABLE: &[&str] = &["READ", "USE", "EDIT", "MANAGE"];

fn rows_to_strings(rows: Vec<DbRow>) -> Result<BTreeSet<String>> {
    rows.iter()
        .map(|r| r.text(0).map_err(StoreError::from))
        .collect()
}

impl Store {
    /// True if the user holds any role in `workspace`.
    pub async fn user_has_any_role_in_workspace(
        &self,
        user_id: i64,
        workspace: &str,
    ) -> Result<bool> {
        Ok(self
            .list_user_present_workspaces(user_id)
            .await?
            .contains(workspace))
    }

    /// Workspaces where the user holds at least one role.
    pub async fn list_user_present_workspaces(&self, user_id: i64) -> Result<BTreeSet<String>> {
        let mut s = self.read().await?;
        let rows = s
            .fetch_all(
                "SELECT DISTINCT r.workspace FROM roles r \
                 JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1",
                &[Arg::Int(user_id)],
            )
            .await?;
        rows_to_strings(rows)
    }

    /// Workspaces where the user is a workspace admin (`('workspace', '*', 'MANAGE')`).
    pub async fn list_workspace_admin_workspaces(&self, user_id: i64) -> Result<BTreeSet<String>> {
        let mut s = self.read().await?;
        let rows = s
            .fetch_all(
                "SELECT DISTINCT r.workspace FROM roles r \
                 JOIN role_permissions rp ON rp.role_id = r.id \
                 JOIN user_role_assignments a ON a.role_id = r.id \
                 WHERE a.user_id = $1 AND rp.resource_type = 'workspace' \
                 AND rp.resource_pattern = '*' AND rp.permission = 'MANAGE'",
                &[Arg::Int(user_id)],
            )
            .await?;
        rows_to_strings(rows)
    }

    /// True if the user is a workspace admin of `workspace`.
    pub async fn is_workspace_admin(&self, user_id: i64, workspace: &str) -> Result<bool> {
        Ok(self
            .list_workspace_admin_workspaces(user_id)
            .await?
            .contains(workspace))
    }

    /// True if `admin_user_id` administers a workspace where `target_user_id` holds a role.
    pub async fn is_workspace_admin_of_any_of_users_workspaces(
        &self,
        admin_user_id: i64,
        target_user_id: i64,
    ) -> Result<bool> {
        let admin = self.list_workspace_admin_workspaces(admin_user_id).await?;
        if admin.is_empty() {
            return Ok(false);
        }
        let target = self.list_user_present_workspaces(target_user_id).await?;
        Ok(admin.intersection(&target).next().is_some())
    }

    /// Removes the `('workspace', '*')` grants of synthetic roles in a deleted workspace.
    pub async fn delete_workspace_permissions_for_workspace(&self, workspace: &str) -> Result<u64> {
        self.delete_grants_for_resource("workspace", "*", Some(workspace))
            .await
    }

    /// Workspaces the user can see: any workspace of an admin-created role they hold, plus
    /// workspaces of their synthetic roles whose `('workspace', '*')` grant can read.
    pub async fn list_accessible_workspace_names(&self, user_id: i64) -> Result<BTreeSet<String>> {
        let mut s = self.read().await?;
        let assigned = s
            .fetch_all(
                "SELECT DISTINCT r.workspace, r.name FROM roles r \
                 JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1",
                &[Arg::Int(user_id)],
            )
            .await?;
        let mut accessible = BTreeSet::new();
        let mut synthetic = BTreeSet::new();
        for row in assigned {
            let (ws, name) = (row.text(0)?, row.text(1)?);
            if is_synthetic_role_name(&name) {
                synthetic.insert(ws);
            } else {
                accessible.insert(ws);
            }
        }
        if synthetic.is_empty() {
            return Ok(accessible);
        }
        let rows = s
            .fetch_all(
                "SELECT r.workspace, rp.permission FROM roles r \
                 JOIN role_permissions rp ON rp.role_id = r.id \
                 JOIN user_role_assignments a ON a.role_id = r.id \
                 WHERE a.user_id = $1 AND rp.resource_type = 'workspace' AND rp.resource_pattern = '*'",
                &[Arg::Int(user_id)],
            )
            .await?;
        for row in rows {
            let (ws, perm) = (row.text(0)?, row.text(1)?);
            if synthetic.contains(&ws) && READABLE.contains(&perm.as_str()) {
                accessible.insert(ws);
            }
        }
        Ok(accessible)
    }
}
