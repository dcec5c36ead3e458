//! Tests of the auth API through [`super::handle`] against a temp SQLite store. Expected wire
//! strings were observed on a real MLflow 3.17.2 `--app-name basic-auth` server.

mod credentials;
mod legacy;
mod permissions;
mod role_admin;
mod roles;
mod signup;
mod tokens;
mod users;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use http::{HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;

use super::{handle, is_api_path, routes};
use crate::basic_auth::app::{ApiRequest, BasicAuthCore};
use crate::basic_auth::ini::parse_auth_config;
use crate::basic_auth::password::generate_password_hash;
use crate::store::{Store, User};

/// Every test user's password.
pub(super) const PASSWORD: &str = "Passw0rd-12345";

/// One scrypt hash of [`PASSWORD`], computed once for all tests.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| generate_password_hash(PASSWORD))
}

/// A store with `admin` (admin), `alice`, `bob` and `carol`.
pub(super) struct Env {
    pub core: Arc<BasicAuthCore>,
    _dir: tempfile::TempDir,
}

/// An answer: status, content type, body.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
    pub headers: http::HeaderMap,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts MLflow's JSON error with this status, code and message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.content_type, "application/json");
        let body = self.json();
        assert_eq!(body["error_code"], code, "{}", self.body);
        assert_eq!(body["message"], message);
    }

    /// Asserts MLflow's 403 `Permission denied`.
    #[track_caller]
    pub fn assert_denied(&self) {
        assert_eq!(
            (self.status.as_u16(), self.body.as_str()),
            (403, "Permission denied")
        );
        assert_eq!(self.content_type, "text/html; charset=utf-8");
    }

    /// Asserts a 200 JSON body, byte for byte (Flask's compact, sorted `jsonify` + newline).
    #[track_caller]
    pub fn assert_ok(&self, body: &str) {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert_eq!(self.content_type, "application/json");
        assert_eq!(self.body, format!("{body}\n"));
    }
}

/// The minimal ini the tests use (`default_permission = READ`).
pub(super) const INI: &str =
    "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///basic_auth.db\n";

impl Env {
    pub async fn new() -> Env {
        Env::with_ini(INI).await
    }

    pub async fn with_ini(ini: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/auth.db?mode=rwc", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        let config =
            parse_auth_config(ini, Path::new(""), &HashMap::<String, String>::new()).unwrap();
        let core = BasicAuthCore::new(store, config, "http://127.0.0.1:9");
        for (name, admin) in [
            ("admin", true),
            ("alice", false),
            ("bob", false),
            ("carol", false),
        ] {
            core.store
                .create_user(name, password_hash(), admin)
                .await
                .unwrap();
        }
        Env { core, _dir: dir }
    }

    pub async fn user(&self, name: &str) -> User {
        self.core.store.get_user(name).await.unwrap()
    }

    /// Sends a request as `who`; `body` is sent as `application/json`.
    pub async fn send(
        &self,
        who: &str,
        method: Method,
        path: &str,
        query: &str,
        body: &str,
    ) -> Answer {
        let req = ApiRequest::new(method, path, query, body.to_string());
        self.send_req(who, req).await
    }

    pub async fn send_req(&self, who: &str, req: ApiRequest) -> Answer {
        let caller = self.user(who).await;
        let response = handle(&self.core, &caller, &req).await;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        Answer {
            status: parts.status,
            content_type: parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            body: String::from_utf8(bytes.to_vec()).unwrap(),
            headers: parts.headers,
        }
    }

    pub async fn get(&self, who: &str, path: &str, query: &str) -> Answer {
        self.send(who, Method::GET, path, query, "").await
    }

    pub async fn post(&self, who: &str, path: &str, body: &str) -> Answer {
        self.send(who, Method::POST, path, "", body).await
    }

    pub async fn patch(&self, who: &str, path: &str, body: &str) -> Answer {
        self.send(who, Method::PATCH, path, "", body).await
    }

    pub async fn delete(&self, who: &str, path: &str, body: &str) -> Answer {
        self.send(who, Method::DELETE, path, "", body).await
    }

    /// Makes `who` a workspace admin of `workspace` through a new role.
    pub async fn make_workspace_admin(&self, who: &str, workspace: &str) -> i64 {
        let store = &self.core.store;
        let role = store
            .create_role(&format!("{workspace}-admins-{who}"), workspace, None)
            .await
            .unwrap();
        store
            .add_role_permission(role.id, "workspace", "*", "MANAGE")
            .await
            .unwrap();
        store
            .assign_role(self.user(who).await.id, role.id)
            .await
            .unwrap();
        role.id
    }
}

/// A request with an explicit content type (`None` removes it).
pub(super) fn request(
    method: Method,
    path: &str,
    query: &str,
    content_type: Option<&str>,
    body: &str,
) -> ApiRequest {
    let mut req = ApiRequest::new(method, path, query, body.to_string());
    match content_type {
        Some(ct) => req.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(ct).unwrap(),
        ),
        None => req.headers.remove(http::header::CONTENT_TYPE),
    };
    req
}

pub(super) const MISSING_USERNAME: &str =
    "Missing value for required parameter 'username'. See the API docs for more information about request parameters.";

#[test]
fn route_table_covers_every_endpoint_and_twin() {
    let routes = routes();
    let find = |p: &str| {
        routes
            .iter()
            .find(|r| r.path == p)
            .map(|r| r.methods.clone())
    };
    assert_eq!(
        find("/api/2.0/mlflow/users/create"),
        Some(vec![Method::POST])
    );
    assert_eq!(
        find("/ajax-api/2.0/mlflow/users/create"),
        Some(vec![Method::POST])
    );
    assert_eq!(
        find("/api/2.0/mlflow/users/create-ui"),
        Some(vec![Method::POST])
    );
    assert_eq!(find("/ajax-api/2.0/mlflow/users/create-ui"), None);
    assert_eq!(
        find("/ajax-api/3.0/mlflow/roles/users/list"),
        Some(vec![Method::GET])
    );
    assert_eq!(
        find("/api/3.0/mlflow/users/permissions/revoke"),
        Some(vec![Method::POST])
    );
    assert_eq!(
        find("/api/2.0/mlflow/experiments/permissions/update"),
        Some(vec![Method::PATCH])
    );
    assert_eq!(
        find("/api/3.0/mlflow/gateway/model-definitions/permissions/delete"),
        Some(vec![Method::DELETE])
    );
    assert_eq!(find("/signup"), Some(vec![Method::GET]));
    assert_eq!(
        find("/ajax-api/2.0/mlflow/users/access-tokens/delete"),
        Some(vec![Method::DELETE])
    );
    // 26 MLflow endpoints, 25 with an ajax twin, 24 legacy routes, /signup; 3 token
    // endpoints with their twins.
    assert_eq!(routes.len(), 26 + 25 + 24 + 1 + 3 * 2);
    assert!(routes.iter().all(|r| !r.public && is_api_path(&r.path)));
    assert!(!is_api_path("/api/2.0/mlflow/experiments/search"));
    assert!(!is_api_path("/api/2.0/mlflow/users/nonexistent"));
}

#[tokio::test]
async fn wrong_methods_answer_like_flask() {
    let env = Env::new().await;
    let get_path = "/api/2.0/mlflow/users/get";
    env.send("bob", Method::POST, get_path, "username=bob", "")
        .await
        .assert_denied();
    let a = env
        .send("admin", Method::POST, get_path, "username=bob", "")
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.content_type, "text/html; charset=utf-8");
    assert_eq!(a.headers["allow"], "HEAD, GET, OPTIONS");
    assert_eq!(
        a.body,
        "<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n"
    );
    let a = env
        .send(
            "admin",
            Method::DELETE,
            "/api/2.0/mlflow/users/create",
            "",
            "",
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), &a.headers["allow"]),
        (405, &HeaderValue::from_static("POST, OPTIONS"))
    );
    let a = env
        .send(
            "admin",
            Method::OPTIONS,
            "/api/2.0/mlflow/users/update-admin",
            "",
            "",
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (204, ""));
    assert_eq!(a.headers["allow"], "PATCH, OPTIONS");
    env.send(
        "bob",
        Method::OPTIONS,
        "/api/2.0/mlflow/users/update-admin",
        "",
        "",
    )
    .await
    .assert_denied();
    // HEAD reaches the GET handler for admins; `_get_request_param` refuses the method.
    let a = env
        .send("admin", Method::HEAD, get_path, "username=bob", "")
        .await;
    a.assert_error(400, "BAD_REQUEST", "Unsupported HTTP method 'HEAD'");
    env.send("bob", Method::HEAD, get_path, "username=bob", "")
        .await
        .assert_denied();
}
