//! `users` operations (`SqlAlchemyStore.create_user` … `delete_user`).
//!
//! Passwords are hashed by the caller; the store only stores and returns the Werkzeug hash
//! string and never logs it.

use super::roles::{load_roles, RoleFilter};
use super::{db, grants, Arg, DbRow, Result, Role, Session, Store, StoreError, User};

/// Legacy per-resource tables retained by `e5f6a7b8c9d0` and scrubbed by `delete_user`
/// (`_RETAINED_LEGACY_PERMISSION_TABLES`).
pub const RETAINED_LEGACY_PERMISSION_TABLES: &[&str] = &[
    "experiment_permissions",
    "registered_model_permissions",
    "scorer_permissions",
    "gateway_secret_permissions",
    "gateway_endpoint_permissions",
    "gateway_model_definition_permissions",
    "workspace_permissions",
];

const USER_COLUMNS: &str = "id, username, password_hash, is_admin";

pub(crate) fn user_from_row(row: &DbRow) -> Result<User> {
    Ok(User {
        id: row.i64(0)?,
        username: row.text(1)?,
        password_hash: row.opt_text(2)?.unwrap_or_default(),
        is_admin: row.opt_bool(3)?.unwrap_or(false),
    })
}

pub(crate) fn user_not_found(username: &str) -> StoreError {
    StoreError::NotFound(format!("User with username={username} not found"))
}

/// Loads a user by name inside `s`.
pub(crate) async fn find_user(s: &mut Session, username: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
    s.fetch_optional(&sql, &[Arg::Text(username)])
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

/// Loads a user by name inside `s`, or MLflow's not-found error.
pub(crate) async fn require_user(s: &mut Session, username: &str) -> Result<User> {
    find_user(s, username)
        .await?
        .ok_or_else(|| user_not_found(username))
}

/// Loads a user by id inside `s`.
pub(crate) async fn find_user_by_id(s: &mut Session, id: i64) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    s.fetch_optional(&sql, &[Arg::Int(id)])
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

impl Store {
    /// Inserts a user. `password_hash` must already be a Werkzeug hash.
    ///
    /// Errors: empty username → `InvalidParameter("Username cannot be empty.")`;
    /// duplicate → `AlreadyExists("User (username=alice) already exists.")`.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<User> {
        if username.is_empty() {
            return Err(StoreError::InvalidParameter(
                "Username cannot be empty.".to_string(),
            ));
        }
        let mut s = self.write().await?;
        let sql = format!(
            "INSERT INTO users (username, password_hash, is_admin) VALUES ($1, $2, $3) \
             RETURNING {USER_COLUMNS}"
        );
        let args = [
            Arg::Text(username),
            Arg::Text(password_hash),
            Arg::Bool(is_admin),
        ];
        let user = match s.fetch_one(&sql, &args).await {
            Ok(row) => user_from_row(&row)?,
            Err(e) if db::is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists(format!(
                    "User (username={username}) already exists."
                )))
            }
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(user)
    }

    /// Looks a user up by name (case-sensitive).
    pub async fn get_user(&self, username: &str) -> Result<User> {
        let mut s = self.read().await?;
        require_user(&mut s, username).await
    }

    /// Looks a user up by name; `None` when absent.
    pub async fn find_user(&self, username: &str) -> Result<Option<User>> {
        let mut s = self.read().await?;
        find_user(&mut s, username).await
    }

    /// True if the user exists.
    pub async fn has_user(&self, username: &str) -> Result<bool> {
        Ok(self.find_user(username).await?.is_some())
    }

    /// Looks a user up by id (`User with id=… not found`).
    pub async fn get_user_by_id(&self, id: i64) -> Result<User> {
        let mut s = self.read().await?;
        find_user_by_id(&mut s, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("User with id={id} not found")))
    }

    /// Every user, ordered by id.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let mut s = self.read().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        s.fetch_all(&sql, &[])
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// Every user with the roles (and their grants) assigned to them, for `users/list`.
    pub async fn list_users_with_roles(&self) -> Result<Vec<(User, Vec<Role>)>> {
        let mut s = self.read().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        let users = s
            .fetch_all(&sql, &[])
            .await?
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>>>()?;
        let roles = load_roles(&mut s, &RoleFilter::AllAssigned).await?;
        let pairs = s
            .fetch_all(
                "SELECT user_id, role_id FROM user_role_assignments ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| Ok((r.i64(0)?, r.i64(1)?)))
            .collect::<Result<Vec<_>>>()?;
        let by_id: std::collections::HashMap<i64, &Role> =
            roles.iter().map(|r| (r.id, r)).collect();
        Ok(users
            .into_iter()
            .map(|u| {
                let mine = pairs
                    .iter()
                    .filter(|(uid, _)| *uid == u.id)
                    .filter_map(|(_, rid)| by_id.get(rid).map(|r| (*r).clone()))
                    .collect();
                (u, mine)
            })
            .collect())
    }

    /// Replaces a user's password hash.
    pub async fn update_password_hash(&self, username: &str, password_hash: &str) -> Result<()> {
        self.update_user_column(username, "password_hash", Arg::Text(password_hash))
            .await
    }

    /// Sets or clears a user's admin flag.
    pub async fn update_admin(&self, username: &str, is_admin: bool) -> Result<()> {
        self.update_user_column(username, "is_admin", Arg::Bool(is_admin))
            .await
    }

    async fn update_user_column(&self, username: &str, column: &str, value: Arg<'_>) -> Result<()> {
        let mut s = self.write().await?;
        let sql = format!("UPDATE users SET {column} = $1 WHERE username = $2");
        if s.execute(&sql, &[value, Arg::Text(username)]).await? == 0 {
            return Err(user_not_found(username));
        }
        self.commit(s).await
    }

    /// Deletes a user the way MLflow does: the user's `__user_<id>__` roles (in every
    /// workspace) with their grants and assignments, the user's other role assignments,
    /// the user's rows in the retained legacy tables, then the user row.
    pub async fn delete_user(&self, username: &str) -> Result<()> {
        let mut s = self.write().await?;
        let user = require_user(&mut s, username).await?;
        let name = grants::synthetic_role_name(user.id);
        let role_ids: Vec<i64> = s
            .fetch_all("SELECT id FROM roles WHERE name = $1", &[Arg::Text(&name)])
            .await?
            .iter()
            .map(|r| r.i64(0))
            .collect::<Result<_, _>>()?;
        for role_id in role_ids {
            super::roles::delete_role_rows(&mut s, role_id).await?;
        }
        s.execute(
            "DELETE FROM user_role_assignments WHERE user_id = $1",
            &[Arg::Int(user.id)],
        )
        .await?;
        for table in RETAINED_LEGACY_PERMISSION_TABLES {
            if super::schema::table_exists(&mut s, table).await? {
                let sql = format!("DELETE FROM {table} WHERE user_id = $1");
                s.execute(&sql, &[Arg::Int(user.id)]).await?;
            }
        }
        s.execute("DELETE FROM users WHERE id = $1", &[Arg::Int(user.id)])
            .await?;
        self.commit(s).await
    }
}
