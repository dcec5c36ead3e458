//! The DDL of MLflow's auth schema at head, table by table, as SQLAlchemy emits it for
//! SQLite and PostgreSQL; [`migrate`](crate::store::migrate) reuses the pieces that older
//! revisions lack.

use crate::store::DbKind;

/// Integer primary key column as SQLAlchemy emits it.
fn id_column(kind: DbKind) -> &'static str {
    match kind {
        DbKind::Sqlite => "id INTEGER NOT NULL",
        DbKind::Postgres => "id SERIAL NOT NULL",
    }
}

/// `alembic_version_auth`, the table holding the revision stamp.
pub(crate) fn ddl_version_table() -> String {
    "CREATE TABLE alembic_version_auth (version_num VARCHAR(32) NOT NULL, \
     CONSTRAINT alembic_version_auth_pkc PRIMARY KEY (version_num))"
        .to_string()
}

/// `users`.
pub(crate) fn ddl_users(kind: DbKind) -> String {
    format!(
        "CREATE TABLE users ({}, username VARCHAR(255), password_hash VARCHAR(255), \
         is_admin BOOLEAN, PRIMARY KEY (id), UNIQUE (username))",
        id_column(kind)
    )
}

/// `experiment_permissions` (legacy per-experiment grants).
pub(crate) fn ddl_experiment_permissions(kind: DbKind) -> String {
    format!(
        "CREATE TABLE experiment_permissions ({}, experiment_id VARCHAR(255) NOT NULL, \
         user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id), \
         CONSTRAINT fk_user_id FOREIGN KEY(user_id) REFERENCES users (id), \
         CONSTRAINT unique_experiment_user UNIQUE (experiment_id, user_id))",
        id_column(kind)
    )
}

/// `registered_model_permissions` at head (with `workspace`); `table` allows the
/// SQLite copy-and-rename of the `2ed73881770d` upgrade.
pub(crate) fn ddl_registered_model_permissions(kind: DbKind, table: &str) -> String {
    format!(
        "CREATE TABLE {table} ({}, name VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, \
         permission VARCHAR(255), workspace VARCHAR(63) DEFAULT 'default' NOT NULL, \
         PRIMARY KEY (id), CONSTRAINT fk_user_id FOREIGN KEY(user_id) REFERENCES users (id), \
         CONSTRAINT unique_workspace_name_user UNIQUE (workspace, name, user_id))",
        id_column(kind)
    )
}

/// `scorer_permissions` (added by `0965eb92f5f0`).
pub(crate) fn ddl_scorer_permissions(kind: DbKind) -> String {
    format!(
        "CREATE TABLE scorer_permissions ({}, experiment_id VARCHAR(255) NOT NULL, \
         scorer_name VARCHAR(256) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255), \
         PRIMARY KEY (id), \
         CONSTRAINT fk_scorer_perm_user_id FOREIGN KEY(user_id) REFERENCES users (id), \
         CONSTRAINT unique_scorer_user UNIQUE (experiment_id, scorer_name, user_id))",
        id_column(kind)
    )
}

/// The three gateway permission tables (added by `a1b2c3d4e5f6`).
pub(crate) fn ddl_gateway_tables(kind: DbKind) -> Vec<String> {
    [
        (
            "gateway_secret_permissions",
            "secret_id",
            "fk_gateway_secret_perm_user_id",
            "unique_secret_user",
        ),
        (
            "gateway_endpoint_permissions",
            "endpoint_id",
            "fk_gateway_endpoint_perm_user_id",
            "unique_endpoint_user",
        ),
        (
            "gateway_model_definition_permissions",
            "model_definition_id",
            "fk_gateway_model_def_perm_user_id",
            "unique_model_def_user",
        ),
    ]
    .iter()
    .map(|(table, key, fk, uq)| {
        format!(
            "CREATE TABLE {table} ({}, {key} VARCHAR(255) NOT NULL, user_id INTEGER NOT NULL, \
             permission VARCHAR(255), PRIMARY KEY (id), \
             CONSTRAINT {fk} FOREIGN KEY(user_id) REFERENCES users (id), \
             CONSTRAINT {uq} UNIQUE ({key}, user_id))",
            id_column(kind)
        )
    })
    .collect()
}

/// `workspace_permissions` with its indexes (added by `2ed73881770d`).
pub(crate) fn ddl_workspace_permissions() -> Vec<String> {
    vec![
        "CREATE TABLE workspace_permissions (workspace VARCHAR(63) NOT NULL, \
         user_id INTEGER NOT NULL, permission VARCHAR(32) NOT NULL, \
         CONSTRAINT workspace_permissions_pk PRIMARY KEY (workspace, user_id), \
         FOREIGN KEY(user_id) REFERENCES users (id))"
            .to_string(),
        "CREATE INDEX idx_workspace_permissions_user_id ON workspace_permissions (user_id)"
            .to_string(),
        "CREATE INDEX idx_workspace_permissions_workspace ON workspace_permissions (workspace)"
            .to_string(),
    ]
}

/// The RBAC tables `roles`, `role_permissions`, `user_role_assignments` with their
/// indexes (added by `c3d4e5f6a7b8`).
pub(crate) fn ddl_rbac_tables(kind: DbKind) -> Vec<String> {
    let id = id_column(kind);
    vec![
        format!(
            "CREATE TABLE roles ({id}, name VARCHAR(255) NOT NULL, workspace VARCHAR(63) NOT NULL, \
             description VARCHAR(1024), PRIMARY KEY (id), \
             CONSTRAINT unique_workspace_role_name UNIQUE (workspace, name))"
        ),
        "CREATE INDEX idx_roles_workspace ON roles (workspace)".to_string(),
        format!(
            "CREATE TABLE role_permissions ({id}, role_id INTEGER NOT NULL, \
             resource_type VARCHAR(64) NOT NULL, resource_pattern VARCHAR(255) NOT NULL, \
             permission VARCHAR(255) NOT NULL, PRIMARY KEY (id), \
             CONSTRAINT unique_role_resource_perm UNIQUE (role_id, resource_type, resource_pattern), \
             FOREIGN KEY(role_id) REFERENCES roles (id))"
        ),
        "CREATE INDEX idx_role_permissions_role_id ON role_permissions (role_id)".to_string(),
        format!(
            "CREATE TABLE user_role_assignments ({id}, user_id INTEGER NOT NULL, \
             role_id INTEGER NOT NULL, PRIMARY KEY (id), \
             CONSTRAINT unique_user_role UNIQUE (user_id, role_id), \
             FOREIGN KEY(user_id) REFERENCES users (id), FOREIGN KEY(role_id) REFERENCES roles (id))"
        ),
        "CREATE INDEX idx_user_role_assignments_user_id ON user_role_assignments (user_id)".to_string(),
        "CREATE INDEX idx_user_role_assignments_role_id ON user_role_assignments (role_id)".to_string(),
    ]
}

/// Every statement creating the head schema (without the version table), in MLflow's order.
pub(crate) fn head_schema_ddl(kind: DbKind) -> Vec<String> {
    let mut ddl = vec![
        ddl_users(kind),
        ddl_experiment_permissions(kind),
        ddl_scorer_permissions(kind),
    ];
    ddl.extend(ddl_gateway_tables(kind));
    ddl.extend(ddl_workspace_permissions());
    ddl.push(ddl_registered_model_permissions(
        kind,
        "registered_model_permissions",
    ));
    ddl.extend(ddl_rbac_tables(kind));
    ddl
}
