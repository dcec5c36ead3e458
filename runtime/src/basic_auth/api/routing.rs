//! The auth API's route table: every endpoint, its path(s) and method, and the answers to a
//! known path requested with another method.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};

use super::legacy::{LegacyKind, LegacyOp};
use super::responses::{self, ApiError};
use crate::store::User;

/// Every endpoint of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endpoint {
    CreateUser,
    CreateUserUi,
    Signup,
    GetUser,
    CurrentUser,
    ListUsers,
    UpdatePassword,
    UpdateAdmin,
    DeleteUser,
    CurrentPermissions,
    ListUserPermissions,
    GrantPermission,
    RevokePermission,
    GetPermission,
    CreateRole,
    GetRole,
    ListRoles,
    UpdateRole,
    DeleteRole,
    AddRolePermission,
    RemoveRolePermission,
    ListRolePermissions,
    UpdateRolePermission,
    AssignRole,
    UnassignRole,
    ListUserRoles,
    ListRoleUsers,
    Legacy(LegacyKind, LegacyOp),
    CreateAccessToken,
    ListAccessTokens,
    DeleteAccessToken,
}

/// Endpoints under `/api/<v>.0/mlflow` (and their `/ajax-api` twin when `twin`).
struct Group {
    version: u8,
    method: Method,
    twin: bool,
    routes: &'static [(&'static str, Endpoint)],
}

const V2_USERS: &[Group] = &[
    Group {
        version: 2,
        method: Method::POST,
        twin: true,
        routes: &[("/users/create", Endpoint::CreateUser)],
    },
    Group {
        version: 2,
        method: Method::POST,
        twin: false,
        routes: &[("/users/create-ui", Endpoint::CreateUserUi)],
    },
    Group {
        version: 2,
        method: Method::GET,
        twin: true,
        routes: &[
            ("/users/get", Endpoint::GetUser),
            ("/users/current", Endpoint::CurrentUser),
            ("/users/list", Endpoint::ListUsers),
        ],
    },
    Group {
        version: 2,
        method: Method::PATCH,
        twin: true,
        routes: &[
            ("/users/update-password", Endpoint::UpdatePassword),
            ("/users/update-admin", Endpoint::UpdateAdmin),
        ],
    },
    Group {
        version: 2,
        method: Method::DELETE,
        twin: true,
        routes: &[("/users/delete", Endpoint::DeleteUser)],
    },
];

const V3_RBAC: &[Group] = &[
    Group {
        version: 3,
        method: Method::GET,
        twin: true,
        routes: &[
            ("/users/current/permissions", Endpoint::CurrentPermissions),
            ("/users/permissions/list", Endpoint::ListUserPermissions),
            ("/users/permissions/get", Endpoint::GetPermission),
            ("/roles/get", Endpoint::GetRole),
            ("/roles/list", Endpoint::ListRoles),
            ("/roles/permissions/list", Endpoint::ListRolePermissions),
            ("/users/roles/list", Endpoint::ListUserRoles),
            ("/roles/users/list", Endpoint::ListRoleUsers),
        ],
    },
    Group {
        version: 3,
        method: Method::POST,
        twin: true,
        routes: &[
            ("/users/permissions/grant", Endpoint::GrantPermission),
            ("/users/permissions/revoke", Endpoint::RevokePermission),
            ("/roles/create", Endpoint::CreateRole),
            ("/roles/permissions/add", Endpoint::AddRolePermission),
            ("/roles/assign", Endpoint::AssignRole),
        ],
    },
    Group {
        version: 3,
        method: Method::PATCH,
        twin: true,
        routes: &[
            ("/roles/update", Endpoint::UpdateRole),
            ("/roles/permissions/update", Endpoint::UpdateRolePermission),
        ],
    },
    Group {
        version: 3,
        method: Method::DELETE,
        twin: true,
        routes: &[
            ("/roles/delete", Endpoint::DeleteRole),
            ("/roles/permissions/remove", Endpoint::RemoveRolePermission),
            ("/roles/unassign", Endpoint::UnassignRole),
        ],
    },
];

/// mlauth's personal access tokens (not in MLflow; `docs/access-tokens.md`).
const V2_TOKENS: &[Group] = &[
    Group {
        version: 2,
        method: Method::POST,
        twin: true,
        routes: &[("/users/access-tokens/create", Endpoint::CreateAccessToken)],
    },
    Group {
        version: 2,
        method: Method::GET,
        twin: true,
        routes: &[("/users/access-tokens/list", Endpoint::ListAccessTokens)],
    },
    Group {
        version: 2,
        method: Method::DELETE,
        twin: true,
        routes: &[("/users/access-tokens/delete", Endpoint::DeleteAccessToken)],
    },
];

/// The bare sign-up page (MLflow registers it without an API prefix).
const SIGNUP_PATH: &str = "/signup";

/// Path → (method, endpoint), built once.
pub(super) fn table() -> &'static HashMap<String, (Method, Endpoint)> {
    static TABLE: OnceLock<HashMap<String, (Method, Endpoint)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for group in V2_USERS.iter().chain(V3_RBAC).chain(V2_TOKENS) {
            for (suffix, endpoint) in group.routes {
                let entry = (group.method.clone(), *endpoint);
                table.insert(
                    format!("/api/{}.0/mlflow{suffix}", group.version),
                    entry.clone(),
                );
                if group.twin {
                    table.insert(
                        format!("/ajax-api/{}.0/mlflow{suffix}", group.version),
                        entry,
                    );
                }
            }
        }
        for kind in LegacyKind::ALL {
            for op in LegacyOp::ALL {
                table.insert(kind.path(op), (op.method(), Endpoint::Legacy(kind, op)));
            }
        }
        table.insert(SIGNUP_PATH.to_string(), (Method::GET, Endpoint::Signup));
        table
    })
}

/// A path the table does not know (callers check [`super::is_api_path`] first).
pub(super) fn refuse_unknown(caller: &User) -> Response {
    if !caller.is_admin {
        return ApiError::Denied.into_response();
    }
    let page = responses::werkzeug_page(
        StatusCode::NOT_FOUND,
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    );
    responses::html(StatusCode::NOT_FOUND, page)
}

/// Another method on an API path: no validator → 403 for non-admins; Flask's automatic
/// `OPTIONS` (204) or Werkzeug's 405 for admins.
pub(super) fn wrong_method(caller: &User, requested: &Method, allowed: &Method) -> Response {
    if !caller.is_admin {
        return ApiError::Denied.into_response();
    }
    let allow: &'static str = match *allowed {
        Method::GET => "HEAD, GET, OPTIONS",
        Method::POST => "POST, OPTIONS",
        Method::PATCH => "PATCH, OPTIONS",
        _ => "DELETE, OPTIONS",
    };
    if *requested == Method::OPTIONS {
        let mut response = responses::html(StatusCode::NO_CONTENT, "");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    ApiError::Page {
        status: StatusCode::METHOD_NOT_ALLOWED,
        description: "The method is not allowed for the requested URL.",
        allow: Some(allow),
    }
    .into_response()
}
