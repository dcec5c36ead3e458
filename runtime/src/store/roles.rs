//! Roles, role permissions and user-role assignments (RBAC, §7.2), with MLflow's messages.

use std::collections::HashMap;

use super::db::{is_unique_violation, placeholders};
use super::users::find_user_by_id;
use super::{
    Arg, DbRow, Result, Role, RolePermission, Session, Store, StoreError, UserRoleAssignment,
};

/// Prefix reserved for the hidden per-user roles.
pub const RESERVED_ROLE_PREFIX: &str = "__user_";

/// Which roles [`load_roles`] returns.
pub(crate) enum RoleFilter<'a> {
    All,
    AllAssigned,
    Id(i64),
    Workspaces(&'a [String]),
    User(i64),
    UserInWorkspace(i64, &'a str),
}

fn filter_clause<'a>(filter: &RoleFilter<'a>) -> (String, Vec<Arg<'a>>) {
    const BY_USER: &str = " JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1";
    match filter {
        RoleFilter::All => (String::new(), vec![]),
        RoleFilter::AllAssigned => (
            " WHERE EXISTS (SELECT 1 FROM user_role_assignments a WHERE a.role_id = r.id)"
                .to_string(),
            vec![],
        ),
        RoleFilter::Id(id) => (" WHERE r.id = $1".to_string(), vec![Arg::Int(*id)]),
        RoleFilter::Workspaces(ws) => (
            format!(" WHERE r.workspace IN ({})", placeholders(1, ws.len())),
            ws.iter().map(|w| Arg::Text(w.as_str())).collect(),
        ),
        RoleFilter::User(uid) => (BY_USER.to_string(), vec![Arg::Int(*uid)]),
        RoleFilter::UserInWorkspace(uid, ws) => (
            format!("{BY_USER} AND r.workspace = $2"),
            vec![Arg::Int(*uid), Arg::Text(ws)],
        ),
    }
}

pub(crate) fn permission_from_row(row: &DbRow) -> Result<RolePermission> {
    Ok(RolePermission {
        id: row.i64(0)?,
        role_id: row.i64(1)?,
        resource_type: row.text(2)?,
        resource_pattern: row.text(3)?,
        permission: row.text(4)?,
    })
}

/// Loads roles with their permissions (two queries), ordered by id.
pub(crate) async fn load_roles(s: &mut Session, filter: &RoleFilter<'_>) -> Result<Vec<Role>> {
    if matches!(filter, RoleFilter::Workspaces(ws) if ws.is_empty()) {
        return Ok(vec![]);
    }
    let (clause, args) = filter_clause(filter);
    let sql = format!(
        "SELECT r.id, r.name, r.workspace, r.description FROM roles r{clause} ORDER BY r.id"
    );
    let role_rows = s.fetch_all(&sql, &args).await?;
    let sql = format!(
        "SELECT rp.id, rp.role_id, rp.resource_type, rp.resource_pattern, rp.permission \
         FROM role_permissions rp JOIN roles r ON r.id = rp.role_id{clause} ORDER BY rp.id"
    );
    let mut perms: HashMap<i64, Vec<RolePermission>> = HashMap::new();
    for row in s.fetch_all(&sql, &args).await? {
        let p = permission_from_row(&row)?;
        perms.entry(p.role_id).or_default().push(p);
    }
    role_rows
        .iter()
        .map(|r| {
            let id = r.i64(0)?;
            Ok(Role {
                id,
                name: r.text(1)?,
                workspace: r.text(2)?,
                description: r.opt_text(3)?,
                permissions: perms.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

fn role_not_found(role_id: i64) -> StoreError {
    StoreError::NotFound(format!("Role with id={role_id} not found"))
}

/// Loads one role inside `s`, or MLflow's not-found error.
pub(crate) async fn require_role(s: &mut Session, role_id: i64) -> Result<Role> {
    load_roles(s, &RoleFilter::Id(role_id))
        .await?
        .pop()
        .ok_or_else(|| role_not_found(role_id))
}

/// Deletes a role with its grants and assignments (the ORM cascade); returns whether it existed.
pub(crate) async fn delete_role_rows(s: &mut Session, role_id: i64) -> Result<bool> {
    s.execute(
        "DELETE FROM role_permissions WHERE role_id = $1",
        &[Arg::Int(role_id)],
    )
    .await?;
    s.execute(
        "DELETE FROM user_role_assignments WHERE role_id = $1",
        &[Arg::Int(role_id)],
    )
    .await?;
    Ok(
        s.execute("DELETE FROM roles WHERE id = $1", &[Arg::Int(role_id)])
            .await?
            > 0,
    )
}

/// Python `repr()` of a string, as MLflow embeds names in messages with `{name!r}`.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

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

    /// Assigns a role to a user.
    pub async fn assign_role(&self, user_id: i64, role_id: i64) -> Result<UserRoleAssignment> {
        let mut s = self.write().await?;
        if find_user_by_id(&mut s, user_id).await?.is_none() {
            return Err(StoreError::NotFound(format!(
                "User with id={user_id} not found"
            )));
        }
        require_role(&mut s, role_id).await?;
        let duplicate = || {
            StoreError::AlreadyExists(format!(
                "User role assignment (user_id={user_id}, role_id={role_id}) already exists"
            ))
        };
        let existing = s
            .fetch_optional(
                "SELECT id FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
                &[Arg::Int(user_id), Arg::Int(role_id)],
            )
            .await?;
        if existing.is_some() {
            return Err(duplicate());
        }
        let id = match s
            .fetch_one(
                "INSERT INTO user_role_assignments (user_id, role_id) VALUES ($1, $2) RETURNING id",
                &[Arg::Int(user_id), Arg::Int(role_id)],
            )
            .await
        {
            Ok(row) => row.i64(0)?,
            Err(e) if is_unique_violation(&e) => return Err(duplicate()),
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(UserRoleAssignment {
            id,
            user_id,
            role_id,
        })
    }

    /// Removes a role assignment.
    pub async fn unassign_role(&self, user_id: i64, role_id: i64) -> Result<()> {
        let mut s = self.write().await?;
        let n = s
            .execute(
                "DELETE FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
                &[Arg::Int(user_id), Arg::Int(role_id)],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "User role assignment (user_id={user_id}, role_id={role_id}) not found"
            )));
        }
        self.commit(s).await
    }

    /// Every role assigned to a user (including `__user_<id>__` roles), with grants.
    pub async fn list_user_roles(&self, user_id: i64) -> Result<Vec<Role>> {
        let mut s = self.read().await?;
        load_roles(&mut s, &RoleFilter::User(user_id)).await
    }

    /// The user's roles in one workspace, with grants.
    pub async fn list_user_roles_for_workspace(
        &self,
        user_id: i64,
        workspace: &str,
    ) -> Result<Vec<Role>> {
        let mut s = self.read().await?;
        load_roles(&mut s, &RoleFilter::UserInWorkspace(user_id, workspace)).await
    }

    /// Assignments of a role, ordered by id.
    pub async fn list_role_users(&self, role_id: i64) -> Result<Vec<UserRoleAssignment>> {
        let mut s = self.read().await?;
        require_role(&mut s, role_id).await?;
        s.fetch_all(
            "SELECT id, user_id, role_id FROM user_role_assignments WHERE role_id = $1 ORDER BY id",
            &[Arg::Int(role_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(UserRoleAssignment {
                id: r.i64(0)?,
                user_id: r.i64(1)?,
                role_id: r.i64(2)?,
            })
        })
        .collect()
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
