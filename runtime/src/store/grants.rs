//! Per-user grants on the hidden `__user_<id>__` roles, the grant query of the
//! effective-permission algorithm (§3.6 step 2), and the rename/delete sweeps (§4.2, §5.5).

use super::db::{is_unique_violation, placeholders};
use super::roles::{permission_from_row, py_repr, require_role};
use super::users::require_user;
use super::{
    Arg, GrantRow, Result, Role, RolePermission, Session, Store, StoreError, UserPermissionRow,
};

/// Name of a user's synthetic role: `__user_<id>__`.
pub fn synthetic_role_name(user_id: i64) -> String {
    format!("__user_{user_id}__")
}

/// True for names of the form `^__user_\d+__$` (MLflow's `_SYNTHETIC_ROLE_NAME_RE`).
pub fn is_synthetic_role_name(name: &str) -> bool {
    name.strip_prefix("__user_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Canonical scorer key `<experiment_id>/<urllib.parse.quote(scorer_name, safe='')>`.
pub fn scorer_pattern(experiment_id: &str, scorer_name: &str) -> String {
    format!("{experiment_id}/{}", super::migrate::py_quote(scorer_name))
}

/// Where grants on one pattern live, for the rename rules of §5.5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatternGrants {
    /// Grants on synthetic `__user_<id>__` roles.
    pub per_user: usize,
    /// Grants on admin-created (named) roles.
    pub named_roles: usize,
}

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

async fn find_role_id(s: &mut Session, workspace: &str, name: &str) -> Result<Option<i64>> {
    let row = s
        .fetch_optional(
            "SELECT id FROM roles WHERE workspace = $1 AND name = $2",
            &[Arg::Text(workspace), Arg::Text(name)],
        )
        .await?;
    Ok(row.map(|r| r.i64(0)).transpose()?)
}

async fn other_assignee(s: &mut Session, role_id: i64, user_id: i64) -> Result<Option<i64>> {
    let row = s
        .fetch_optional(
            "SELECT user_id FROM user_role_assignments WHERE role_id = $1 AND user_id <> $2",
            &[Arg::Int(role_id), Arg::Int(user_id)],
        )
        .await?;
    Ok(row.map(|r| r.i64(0)).transpose()?)
}

/// Assigns the role unless already assigned. Looks first, so that (as in MLflow) no
/// PostgreSQL sequence value is consumed when the row exists; `ON CONFLICT` covers races.
async fn assign_if_missing(s: &mut Session, user_id: i64, role_id: i64) -> Result<()> {
    let existing = s
        .fetch_optional(
            "SELECT id FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
            &[Arg::Int(user_id), Arg::Int(role_id)],
        )
        .await?;
    if existing.is_some() {
        return Ok(());
    }
    s.execute(
        "INSERT INTO user_role_assignments (user_id, role_id) VALUES ($1, $2) \
         ON CONFLICT (user_id, role_id) DO NOTHING",
        &[Arg::Int(user_id), Arg::Int(role_id)],
    )
    .await?;
    Ok(())
}

/// `_get_or_create_synthetic_user_role`: returns the role id, creating and assigning it.
pub(crate) async fn get_or_create_user_role(
    s: &mut Session,
    user_id: i64,
    workspace: &str,
) -> Result<i64> {
    let name = synthetic_role_name(user_id);
    let role_id = match find_role_id(s, workspace, &name).await? {
        Some(id) => {
            if let Some(other) = other_assignee(s, id, user_id).await? {
                return Err(StoreError::InvalidParameter(format!(
                    "Role {} in workspace {} collides with the reserved '__user_<id>__' synthetic \
                     namespace but is already assigned to user_id={other}. Rename or delete the \
                     conflicting role before granting per-user permissions.",
                    py_repr(&name),
                    py_repr(workspace)
                )));
            }
            id
        }
        None => {
            s.execute(
                "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, NULL) \
                 ON CONFLICT (workspace, name) DO NOTHING",
                &[Arg::Text(&name), Arg::Text(workspace)],
            )
            .await?;
            find_role_id(s, workspace, &name)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?
        }
    };
    assign_if_missing(s, user_id, role_id).await?;
    Ok(role_id)
}

/// The `e5f6a7b8c9d0` migration's variant of [`get_or_create_user_role`] (its own message).
pub(crate) async fn synthetic_role_for_migration(
    s: &mut Session,
    user_id: i64,
    workspace: &str,
) -> Result<i64> {
    let name = synthetic_role_name(user_id);
    let role_id = match find_role_id(s, workspace, &name).await? {
        Some(id) => {
            if let Some(other) = other_assignee(s, id, user_id).await? {
                return Err(StoreError::InvalidParameter(format!(
                    "Role {} in workspace {} collides with the reserved synthetic namespace \
                     '__user_<id>__' but is assigned to other users (e.g. user_id={other}). Rename \
                     the conflicting role before running this migration.",
                    py_repr(&name),
                    py_repr(workspace)
                )));
            }
            id
        }
        None => s
            .fetch_one(
                "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, NULL) RETURNING id",
                &[Arg::Text(&name), Arg::Text(workspace)],
            )
            .await?
            .i64(0)?,
    };
    assign_if_missing(s, user_id, role_id).await?;
    Ok(role_id)
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

/// Synthetic-role grants on `(resource_type, pattern)`, optionally in one workspace.
async fn synthetic_grant_ids(
    s: &mut Session,
    resource_type: &str,
    pattern: &str,
    workspace: Option<&str>,
) -> Result<Vec<i64>> {
    let mut sql =
        "SELECT rp.id, r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
                   WHERE rp.resource_type = $1 AND rp.resource_pattern = $2"
            .to_string();
    let mut args = vec![Arg::Text(resource_type), Arg::Text(pattern)];
    if let Some(ws) = workspace {
        sql.push_str(" AND r.workspace = $3");
        args.push(Arg::Text(ws));
    }
    let mut ids = Vec::new();
    for row in s.fetch_all(&sql, &args).await? {
        if is_synthetic_role_name(&row.text(1)?) {
            ids.push(row.i64(0)?);
        }
    }
    Ok(ids)
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

    /// Deletes every synthetic-role grant on `(resource_type, pattern)` (in `workspace` if
    /// given); admin-created roles are untouched. Returns the number of grants deleted.
    pub async fn delete_grants_for_resource(
        &self,
        resource_type: &str,
        pattern: &str,
        workspace: Option<&str>,
    ) -> Result<u64> {
        let mut s = self.write().await?;
        let ids = synthetic_grant_ids(&mut s, resource_type, pattern, workspace).await?;
        for id in &ids {
            s.execute(
                "DELETE FROM role_permissions WHERE id = $1",
                &[Arg::Int(*id)],
            )
            .await?;
        }
        self.commit(s).await?;
        Ok(ids.len() as u64)
    }

    /// Rewrites synthetic-role grants on `(resource_type, old)` to `new` (in `workspace` if
    /// given). A user already holding a grant on `new` gives `AlreadyExists`.
    pub async fn rename_grants_for_resource(
        &self,
        resource_type: &str,
        old_pattern: &str,
        new_pattern: &str,
        workspace: Option<&str>,
    ) -> Result<u64> {
        let mut s = self.write().await?;
        let ids = synthetic_grant_ids(&mut s, resource_type, old_pattern, workspace).await?;
        for id in &ids {
            let res = s
                .execute(
                    "UPDATE role_permissions SET resource_pattern = $1 WHERE id = $2",
                    &[Arg::Text(new_pattern), Arg::Int(*id)],
                )
                .await;
            match res {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::AlreadyExists(format!(
                        "Permission on resource_type={resource_type}, resource_id={new_pattern} already exists."
                    )))
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.commit(s).await?;
        Ok(ids.len() as u64)
    }

    /// Counts grants on `pattern` for any of `resource_types` in `workspace`, split by
    /// synthetic vs admin-created roles.
    pub async fn grants_on_pattern<S: AsRef<str>>(
        &self,
        workspace: &str,
        resource_types: &[S],
        pattern: &str,
    ) -> Result<PatternGrants> {
        if resource_types.is_empty() {
            return Ok(PatternGrants::default());
        }
        let sql = format!(
            "SELECT r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
             WHERE r.workspace = $1 AND rp.resource_pattern = $2 AND rp.resource_type IN ({})",
            placeholders(3, resource_types.len())
        );
        let mut args = vec![Arg::Text(workspace), Arg::Text(pattern)];
        args.extend(resource_types.iter().map(|t| Arg::Text(t.as_ref())));
        let mut s = self.read().await?;
        let mut out = PatternGrants::default();
        for row in s.fetch_all(&sql, &args).await? {
            if is_synthetic_role_name(&row.text(0)?) {
                out.per_user += 1;
            } else {
                out.named_roles += 1;
            }
        }
        Ok(out)
    }
}
