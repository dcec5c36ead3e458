//! The request table of the differential test (`differential.rs`), run in order on both
//! servers. Users: `""` sends no credentials, `"name!"` a wrong password, `"raw:…"` that
//! `Authorization` value verbatim; everyone else (`admin`, `alice`, `bob`, `carol`) uses the
//! right password. `{run}`, `{role}` are the ids of the last run and role a side created.
//!
//! Deliberate divergences, kept out of the table or compared loosely:
//! * MLflow ≤3.12's per-resource endpoints (`experiments/permissions/*`, …) are gone from
//!   MLflow 3.17 (404); mlauth keeps them for old clients (`basic_auth/api/legacy.rs`).
//! * A body that is not valid JSON: MLflow's validator reads it as `{}` ("Missing value for
//!   required parameter …"); mlauth answers "The request body is not valid JSON.", because
//!   Python's parser accepts bodies serde rejects (`NaN`), so reading it as `{}` could skip a
//!   check the upstream would then not skip ([`loose`]).
//! * The list of valid resource types in the "Invalid resource type" message: mlauth follows
//!   MLflow 3.18, which added `skill`; the pinned upstream, 3.17.2, does not have it ([`loose`]).
//! * MLflow appends the SQL statement and the password hash to "already exists" errors;
//!   mlauth does not (the test cuts MLflow's message at " Error: (" and checks mlauth never
//!   sends `[SQL:`).
//!
//! The order tells a story: users are created, alice creates resources (becoming their
//! manager), bob reads them under `default_permission = READ`, is refused writes, is granted
//! more, and loses it again; the admin API's error paths are exercised along the way.

/// One request of the table.
pub struct Step {
    pub user: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    /// A JSON body, sent as `application/json` (`""`: no body).
    pub body: &'static str,
    /// `false` for a deliberate divergence in the message: then only the status, the media
    /// type and the `error_code` must match.
    pub exact: bool,
}

const fn step(
    user: &'static str,
    method: &'static str,
    path: &'static str,
    body: &'static str,
) -> Step {
    Step {
        user,
        method,
        path,
        body,
        exact: true,
    }
}

/// The step, with a message that differs on purpose (see the module docs).
const fn loose(step: Step) -> Step {
    Step {
        exact: false,
        ..step
    }
}

/// A path under `/api/2.0/mlflow`.
macro_rules! api {
    ($path:literal) => {
        concat!("/api/2.0/mlflow", $path)
    };
}

/// Every step, in order (one line each: the table reads as a table).
#[rustfmt::skip]
pub const STEPS: &[Step] = &[
    // Authentication.
    step("", "GET", api!("/experiments/search?max_results=10"), ""),
    step("mallory", "GET", api!("/experiments/search?max_results=10"), ""),
    step("admin!", "GET", api!("/experiments/search?max_results=10"), ""),
    step("raw:Basic !!!", "GET", api!("/experiments/search?max_results=10"), ""),
    step("raw:Bearer some-token", "GET", api!("/experiments/search?max_results=10"), ""),
    step("", "GET", "/health", ""),
    step("", "GET", "/version", ""),
    step("", "GET", "/signup", ""),
    step("admin", "GET", "/signup", ""),
    // Users: creation and its errors.
    step("admin", "POST", api!("/users/create"), r#"{"username":"alice","password":"user-password-123"}"#),
    step("admin", "POST", api!("/users/create"), r#"{"username":"bob","password":"user-password-123"}"#),
    step("admin", "POST", api!("/users/create"), r#"{"username":"alice","password":"user-password-123"}"#),
    step("admin", "POST", api!("/users/create"), r#"{"username":"carol","password":"short"}"#),
    step("admin", "POST", api!("/users/create"), r#"{"username":"carol"}"#),
    step("alice", "POST", api!("/users/create"), r#"{"username":"dave","password":"user-password-123"}"#),
    step("bob", "GET", "/signup", ""),
    // Users: reading.
    step("admin", "GET", api!("/users/get?username=alice"), ""),
    step("alice", "GET", api!("/users/get?username=alice"), ""),
    step("alice", "GET", api!("/users/get?username=bob"), ""),
    step("admin", "GET", api!("/users/get?username=nobody"), ""),
    step("admin", "GET", api!("/users/get"), ""),
    step("alice", "GET", api!("/users/current"), ""),
    step("admin", "GET", api!("/users/current"), ""),
    step("admin", "GET", api!("/users/list"), ""),
    step("bob", "GET", api!("/users/list"), ""),
    // Users: changes.
    step("alice", "PATCH", api!("/users/update-password"), r#"{"username":"alice","password":"another-password-1"}"#),
    step("alice", "PATCH", api!("/users/update-password"), r#"{"username":"alice","password":"another-password-1","current_password":"not-the-password"}"#),
    step("alice", "PATCH", api!("/users/update-password"), r#"{"username":"bob","password":"another-password-1"}"#),
    step("bob", "PATCH", api!("/users/update-admin"), r#"{"username":"bob","is_admin":true}"#),
    step("admin", "PATCH", api!("/users/update-admin"), r#"{"username":"bob","is_admin":true}"#),
    step("bob", "GET", api!("/users/list"), ""),
    step("admin", "PATCH", api!("/users/update-admin"), r#"{"username":"bob","is_admin":false}"#),
    step("admin", "DELETE", api!("/users/delete"), r#"{"username":"admin"}"#),
    step("admin", "POST", api!("/users/create"), r#"{"username":"carol","password":"user-password-123"}"#),
    step("bob", "DELETE", api!("/users/delete"), r#"{"username":"carol"}"#),
    step("admin", "DELETE", api!("/users/delete"), r#"{"username":"carol"}"#),
    step("admin", "GET", api!("/users/get?username=carol"), ""),
    step("carol", "GET", api!("/experiments/search?max_results=10"), ""),
    // Experiments under default_permission = READ.
    step("alice", "POST", api!("/experiments/create"), r#"{"name":"alice-exp"}"#),
    step("bob", "GET", api!("/experiments/get?experiment_id=1"), ""),
    step("bob", "GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=1", ""),
    step("bob", "GET", api!("/experiments/get-by-name?experiment_name=alice-exp"), ""),
    step("bob", "GET", api!("/experiments/get?experiment_id=999"), ""),
    step("bob", "GET", api!("/experiments/get"), ""),
    step("bob", "POST", api!("/experiments/update"), r#"{"experiment_id":"1","new_name":"bob-was-here"}"#),
    step("bob", "POST", api!("/experiments/delete"), r#"{"experiment_id":"1"}"#),
    step("bob", "POST", api!("/experiments/set-experiment-tag"), r#"{"experiment_id":"1","key":"k","value":"v"}"#),
    loose(step("bob", "POST", api!("/experiments/update"), "{not json")),
    step("alice", "POST", api!("/experiments/set-experiment-tag"), r#"{"experiment_id":"1","key":"k","value":"v"}"#),
    step("bob", "POST", api!("/experiments/search"), r#"{"max_results":10}"#),
    // Direct grants on the experiment (the 3.0 permissions API).
    step("bob", "GET", "/api/3.0/mlflow/users/permissions/get?username=alice&resource_type=experiment&resource_id=1", ""),
    step("alice", "GET", "/api/3.0/mlflow/users/permissions/get?username=alice&resource_type=experiment&resource_id=1", ""),
    step("bob", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","resource_id":"1","permission":"EDIT"}"#),
    step("alice", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","resource_id":"1","permission":"EDIT"}"#),
    step("admin", "GET", "/api/3.0/mlflow/users/permissions/get?username=bob&resource_type=experiment&resource_id=1", ""),
    step("bob", "POST", api!("/experiments/update"), r#"{"experiment_id":"1","new_name":"shared-exp"}"#),
    step("bob", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","resource_id":"1","permission":"MANAGE"}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","resource_id":"1","permission":"SUPER"}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"nobody","resource_type":"experiment","resource_id":"1","permission":"READ"}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","resource_id":"1","permission":"NO_PERMISSIONS"}"#),
    loose(step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"spaceship","resource_id":"1","permission":"READ"}"#)),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","permission":"READ"}"#),
    step("admin", "GET", "/api/3.0/mlflow/users/permissions/list?username=bob", ""),
    step("bob", "GET", "/api/3.0/mlflow/users/permissions/list?username=alice", ""),
    step("bob", "GET", "/api/3.0/mlflow/users/current/permissions", ""),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"experiment","resource_id":"1","permission":"DENY"}"#),
    step("bob", "GET", api!("/experiments/get?experiment_id=1"), ""),
    step("bob", "POST", api!("/experiments/search"), r#"{"max_results":10}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/revoke", r#"{"username":"bob","resource_type":"experiment","resource_id":"1"}"#),
    step("admin", "GET", "/api/3.0/mlflow/users/permissions/get?username=bob&resource_type=experiment&resource_id=1", ""),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/revoke", r#"{"username":"bob","resource_type":"experiment","resource_id":"1"}"#),
    step("bob", "GET", api!("/experiments/get?experiment_id=1"), ""),
    // Runs inherit their experiment's permissions.
    step("alice", "POST", api!("/runs/create"), r#"{"experiment_id":"1","run_name":"r1","start_time":1}"#),
    step("bob", "GET", api!("/runs/get?run_id={run}"), ""),
    step("bob", "POST", api!("/runs/log-metric"), r#"{"run_id":"{run}","key":"m","value":1,"timestamp":1,"step":0}"#),
    step("alice", "POST", api!("/runs/log-metric"), r#"{"run_id":"{run}","key":"m","value":1,"timestamp":1,"step":0}"#),
    step("bob", "GET", api!("/metrics/get-history?run_id={run}&metric_key=m"), ""),
    step("bob", "POST", api!("/runs/update"), r#"{"run_id":"{run}","status":"FINISHED"}"#),
    step("bob", "GET", api!("/runs/get?run_id=0123456789abcdef0123456789abcdef"), ""),
    step("bob", "POST", api!("/runs/search"), r#"{"experiment_ids":["1"]}"#),
    step("bob", "POST", api!("/runs/delete"), r#"{"run_id":"{run}"}"#),
    // Registered models.
    step("alice", "POST", api!("/registered-models/create"), r#"{"name":"m1"}"#),
    step("bob", "GET", api!("/registered-models/get?name=m1"), ""),
    step("bob", "POST", api!("/registered-models/rename"), r#"{"name":"m1","new_name":"m2"}"#),
    step("bob", "DELETE", api!("/registered-models/delete"), r#"{"name":"m1"}"#),
    step("bob", "PATCH", api!("/registered-models/update"), r#"{"name":"m1","description":"d"}"#),
    step("bob", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"registered_model","resource_id":"m1","permission":"EDIT"}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"registered_model","resource_id":"m1","permission":"EDIT"}"#),
    step("admin", "GET", "/api/3.0/mlflow/users/permissions/get?username=bob&resource_type=registered_model&resource_id=m1", ""),
    step("bob", "PATCH", api!("/registered-models/update"), r#"{"name":"m1","description":"d"}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/grant", r#"{"username":"bob","resource_type":"registered_model","resource_id":"m1","permission":"READ"}"#),
    step("bob", "PATCH", api!("/registered-models/update"), r#"{"name":"m1","description":"e"}"#),
    step("admin", "POST", "/api/3.0/mlflow/users/permissions/revoke", r#"{"username":"bob","resource_type":"registered_model","resource_id":"m1"}"#),
    step("admin", "GET", "/api/3.0/mlflow/users/permissions/get?username=bob&resource_type=registered_model&resource_id=m1", ""),
    step("bob", "GET", api!("/registered-models/search?max_results=10"), ""),
    step("alice", "GET", api!("/users/get?username=alice"), ""),
    // Roles: a role in the default workspace, its permissions, its members.
    step("bob", "POST", "/api/3.0/mlflow/roles/create", r#"{"workspace":"default","name":"editors"}"#),
    step("admin", "POST", "/api/3.0/mlflow/roles/create", r#"{"workspace":"default","name":"editors","description":"edit all"}"#),
    step("admin", "POST", "/api/3.0/mlflow/roles/create", r#"{"workspace":"default","name":"editors"}"#),
    step("admin", "GET", "/api/3.0/mlflow/roles/get?role_id={role}", ""),
    step("admin", "GET", "/api/3.0/mlflow/roles/get?role_id=999", ""),
    step("admin", "POST", "/api/3.0/mlflow/roles/permissions/add", r#"{"role_id":{role},"resource_type":"experiment","resource_pattern":"*","permission":"EDIT"}"#),
    step("admin", "POST", "/api/3.0/mlflow/roles/permissions/add", r#"{"role_id":{role},"resource_type":"experiment","resource_pattern":"*","permission":"ROOT"}"#),
    step("admin", "GET", "/api/3.0/mlflow/roles/permissions/list?role_id={role}", ""),
    step("bob", "POST", api!("/experiments/update"), r#"{"experiment_id":"1","new_name":"by-role"}"#),
    step("admin", "POST", "/api/3.0/mlflow/roles/assign", r#"{"username":"bob","role_id":{role}}"#),
    step("admin", "POST", "/api/3.0/mlflow/roles/assign", r#"{"username":"bob","role_id":{role}}"#),
    step("admin", "GET", "/api/3.0/mlflow/users/roles/list?username=bob", ""),
    step("admin", "GET", "/api/3.0/mlflow/roles/users/list?role_id={role}", ""),
    step("bob", "GET", "/api/3.0/mlflow/users/current/permissions", ""),
    step("bob", "POST", api!("/experiments/update"), r#"{"experiment_id":"1","new_name":"by-role"}"#),
    step("admin", "GET", "/api/3.0/mlflow/roles/list?workspace=default", ""),
    step("admin", "DELETE", "/api/3.0/mlflow/roles/unassign", r#"{"username":"bob","role_id":{role}}"#),
    step("bob", "POST", api!("/experiments/update"), r#"{"experiment_id":"1","new_name":"bob-again"}"#),
    step("admin", "DELETE", "/api/3.0/mlflow/roles/delete", r#"{"role_id":{role}}"#),
    step("admin", "GET", "/api/3.0/mlflow/roles/get?role_id={role}", ""),
    // Passwords change last: afterwards the old one no longer works.
    step("alice", "PATCH", api!("/users/update-password"), r#"{"username":"alice","password":"another-password-1","current_password":"user-password-123"}"#),
    step("alice", "GET", api!("/users/current"), ""),
    step("admin", "PATCH", api!("/users/update-password"), r#"{"username":"alice","password":"user-password-123"}"#),
    step("alice", "GET", api!("/users/current"), ""),
];
