//! Read queries over every grant a user holds through role assignments: the
//! effective-permission query (§3.6 step 2) and the permission listing.

use crate::store::db::placeholders;
use crate::store::{Arg, GrantRow, Result, Store, UserPermissionRow};

impl Store {
    /// §3.6 step 2: every grant of every role the user holds in `workspace` whose type is in
    /// `resource_types` or is `workspace` — one JOIN query, ordered by grant id.
    pub async fn grants_for_user<S: AsRef<str>>(
        &self,
        user_id: i64,
        workspace: &str,
        resource_types: &[S],
    ) -> Result<Vec<GrantRow>> {
        let mut types: Vec<&str> = resource_types.iter().map(AsRef::as_ref).collect();
        types.push("workspace");
        types.sort_unstable();
        types.dedup();
        let sql = format!(
            "SELECT rp.resource_type, rp.resource_pattern, rp.permission FROM role_permissions rp \
             JOIN roles r ON r.id = rp.role_id JOIN user_role_assignments a ON a.role_id = r.id \
             WHERE a.user_id = $1 AND r.workspace = $2 AND rp.resource_type IN ({}) ORDER BY rp.id",
            placeholders(3, types.len())
        );
        let mut args = vec![Arg::Int(user_id), Arg::Text(workspace)];
        args.extend(types.iter().map(|t| Arg::Text(t)));
        let mut s = self.read().await?;
        s.fetch_all(&sql, &args)
            .await?
            .iter()
            .map(|r| {
                Ok(GrantRow {
                    resource_type: r.text(0)?,
                    resource_pattern: r.text(1)?,
                    permission: r.text(2)?,
                })
            })
            .collect()
    }

    /// Every grant of every role the user holds, with the role's id, name and workspace
    /// (`users/current/permissions`, `users/permissions/list`).
    pub async fn list_user_permissions(&self, user_id: i64) -> Result<Vec<UserPermissionRow>> {
        let mut s = self.read().await?;
        s.fetch_all(
            "SELECT r.id, r.name, r.workspace, rp.resource_type, rp.resource_pattern, rp.permission \
             FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
             JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1 ORDER BY r.id, rp.id",
            &[Arg::Int(user_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(UserPermissionRow {
                role_id: r.i64(0)?,
                role_name: r.text(1)?,
                workspace: r.text(2)?,
                resource_type: r.text(3)?,
                resource_pattern: r.text(4)?,
                permission: r.text(5)?,
            })
        })
        .collect()
    }
}
