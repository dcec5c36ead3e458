//! MLflow's auth REST API (reference §7, §8): users, roles, permissions, legacy per-resource
//! endpoints, sign-up. Served by the host; `/api` and `/ajax-api` twins.
//!
//! Each endpoint is two steps, as in MLflow: the route's *validator* (skipped for admins; a
//! `false` is `403 Permission denied`, a bad parameter is already a JSON 400) and then the
//! *handler*. A path of the API requested with another method is `403` for non-admins (no
//! validator matches) and Werkzeug's `405` for admins.

mod access;
mod legacy;
mod params;
mod permissions;
mod responses;
mod roles;
mod signup;
mod users;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};

use self::legacy::{LegacyKind, LegacyOp};
use self::params::Params;
use self::responses::{ApiError, Outcome};
use super::app::{ApiRequest, BasicAuthCore};
use crate::plugin::RouteSpec;
use crate::store::User;

/// Every endpoint of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
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
}

/// `(path under /mlflow, API version, method, endpoint, has an /ajax-api twin)`.
const ROUTES: &[(&str, u8, Method, Endpoint, bool)] = &[
    ("/users/create", 2, Method::POST, Endpoint::CreateUser, true),
    (
        "/users/create-ui",
        2,
        Method::POST,
        Endpoint::CreateUserUi,
        false,
    ),
    ("/users/get", 2, Method::GET, Endpoint::GetUser, true),
    (
        "/users/current",
        2,
        Method::GET,
        Endpoint::CurrentUser,
        true,
    ),
    ("/users/list", 2, Method::GET, Endpoint::ListUsers, true),
    (
        "/users/update-password",
        2,
        Method::PATCH,
        Endpoint::UpdatePassword,
        true,
    ),
    (
        "/users/update-admin",
        2,
        Method::PATCH,
        Endpoint::UpdateAdmin,
        true,
    ),
    (
        "/users/delete",
        2,
        Method::DELETE,
        Endpoint::DeleteUser,
        true,
    ),
    (
        "/users/current/permissions",
        3,
        Method::GET,
        Endpoint::CurrentPermissions,
        true,
    ),
    (
        "/users/permissions/list",
        3,
        Method::GET,
        Endpoint::ListUserPermissions,
        true,
    ),
    (
        "/users/permissions/grant",
        3,
        Method::POST,
        Endpoint::GrantPermission,
        true,
    ),
    (
        "/users/permissions/revoke",
        3,
        Method::POST,
        Endpoint::RevokePermission,
        true,
    ),
    (
        "/users/permissions/get",
        3,
        Method::GET,
        Endpoint::GetPermission,
        true,
    ),
    ("/roles/create", 3, Method::POST, Endpoint::CreateRole, true),
    ("/roles/get", 3, Method::GET, Endpoint::GetRole, true),
    ("/roles/list", 3, Method::GET, Endpoint::ListRoles, true),
    (
        "/roles/update",
        3,
        Method::PATCH,
        Endpoint::UpdateRole,
        true,
    ),
    (
        "/roles/delete",
        3,
        Method::DELETE,
        Endpoint::DeleteRole,
        true,
    ),
    (
        "/roles/permissions/add",
        3,
        Method::POST,
        Endpoint::AddRolePermission,
        true,
    ),
    (
        "/roles/permissions/remove",
        3,
        Method::DELETE,
        Endpoint::RemoveRolePermission,
        true,
    ),
    (
        "/roles/permissions/list",
        3,
        Method::GET,
        Endpoint::ListRolePermissions,
        true,
    ),
    (
        "/roles/permissions/update",
        3,
        Method::PATCH,
        Endpoint::UpdateRolePermission,
        true,
    ),
    ("/roles/assign", 3, Method::POST, Endpoint::AssignRole, true),
    (
        "/roles/unassign",
        3,
        Method::DELETE,
        Endpoint::UnassignRole,
        true,
    ),
    (
        "/users/roles/list",
        3,
        Method::GET,
        Endpoint::ListUserRoles,
        true,
    ),
    (
        "/roles/users/list",
        3,
        Method::GET,
        Endpoint::ListRoleUsers,
        true,
    ),
];

/// The bare sign-up page (MLflow registers it without an API prefix).
const SIGNUP_PATH: &str = "/signup";

/// Path → (method, endpoint), built once.
fn table() -> &'static HashMap<String, (Method, Endpoint)> {
    static TABLE: OnceLock<HashMap<String, (Method, Endpoint)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for (suffix, version, method, endpoint, ajax) in ROUTES {
            table.insert(
                format!("/api/{version}.0/mlflow{suffix}"),
                (method.clone(), *endpoint),
            );
            if *ajax {
                table.insert(
                    format!("/ajax-api/{version}.0/mlflow{suffix}"),
                    (method.clone(), *endpoint),
                );
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

/// Routes of the auth API (for `create-app` clash detection).
pub fn routes() -> Vec<RouteSpec> {
    let mut routes: Vec<RouteSpec> = table()
        .iter()
        .map(|(path, (method, _))| RouteSpec {
            path: path.clone(),
            methods: vec![method.clone()],
            public: false,
        })
        .collect();
    routes.sort_by(|a, b| a.path.cmp(&b.path));
    routes
}

/// Whether a normalised path belongs to the auth API (any method: a wrong method is answered
/// here as MLflow answers it).
pub fn is_api_path(path: &str) -> bool {
    table().contains_key(path)
}

/// One request on its way through an endpoint.
pub(crate) struct Call<'a> {
    /// Shared state.
    pub core: &'a BasicAuthCore,
    /// The authenticated caller.
    pub caller: &'a User,
    /// The request.
    pub req: &'a ApiRequest,
    /// Its parameters.
    pub params: Params,
}

/// Answers one auth API request made by `caller`.
pub async fn handle(core: &BasicAuthCore, caller: &User, req: &ApiRequest) -> Response {
    let Some((method, endpoint)) = table().get(&req.path) else {
        return refuse_unknown(caller);
    };
    let head_of_get = req.method == Method::HEAD && *method == Method::GET;
    if req.method != *method && !(head_of_get && caller.is_admin) {
        return wrong_method(caller, &req.method, method);
    }
    let call = Call {
        core,
        caller,
        req,
        params: Params::from_request(req),
    };
    match dispatch(&call, *endpoint).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn dispatch(call: &Call<'_>, endpoint: Endpoint) -> Outcome {
    if !call.caller.is_admin && !validator(call, endpoint).await? {
        return Err(ApiError::Denied);
    }
    match endpoint {
        Endpoint::CreateUser => users::create(call).await,
        Endpoint::CreateUserUi => signup::create_user_ui(call).await,
        Endpoint::Signup => signup::page(call),
        Endpoint::GetUser => users::get(call).await,
        Endpoint::CurrentUser => users::current(call),
        Endpoint::ListUsers => users::list(call).await,
        Endpoint::UpdatePassword => users::update_password(call).await,
        Endpoint::UpdateAdmin => users::update_admin(call).await,
        Endpoint::DeleteUser => users::delete(call).await,
        Endpoint::CurrentPermissions => permissions::list_current(call).await,
        Endpoint::ListUserPermissions => permissions::list_for_user(call).await,
        Endpoint::GrantPermission => permissions::grant(call).await,
        Endpoint::RevokePermission => permissions::revoke(call).await,
        Endpoint::GetPermission => permissions::get(call).await,
        Endpoint::CreateRole => roles::create(call).await,
        Endpoint::GetRole => roles::get(call).await,
        Endpoint::ListRoles => roles::list(call).await,
        Endpoint::UpdateRole => roles::update(call).await,
        Endpoint::DeleteRole => roles::delete(call).await,
        Endpoint::AddRolePermission => roles::add_permission(call).await,
        Endpoint::RemoveRolePermission => roles::remove_permission(call).await,
        Endpoint::ListRolePermissions => roles::list_permissions(call).await,
        Endpoint::UpdateRolePermission => roles::update_permission(call).await,
        Endpoint::AssignRole => roles::assign(call).await,
        Endpoint::UnassignRole => roles::unassign(call).await,
        Endpoint::ListUserRoles => roles::list_user_roles(call).await,
        Endpoint::ListRoleUsers => roles::list_role_users(call).await,
        Endpoint::Legacy(kind, op) => legacy::handle(call, kind, op).await,
    }
}

/// The route's validator for a non-admin caller (`BEFORE_REQUEST_VALIDATORS`).
async fn validator(call: &Call<'_>, endpoint: Endpoint) -> Result<bool, ApiError> {
    match endpoint {
        Endpoint::CurrentUser | Endpoint::CurrentPermissions | Endpoint::ListUsers => Ok(true),
        Endpoint::CreateUserUi | Endpoint::UpdateAdmin | Endpoint::DeleteUser => Ok(false),
        Endpoint::CreateUser | Endpoint::Signup => access::is_any_workspace_admin(call).await,
        Endpoint::GetUser | Endpoint::UpdatePassword => access::username_is_sender(call),
        Endpoint::ListUserPermissions | Endpoint::ListUserRoles => {
            access::can_view_user_roles(call).await
        }
        Endpoint::GrantPermission | Endpoint::RevokePermission => {
            permissions::can_manage_resource(call).await
        }
        Endpoint::GetPermission => permissions::can_get_user_permission(call).await,
        Endpoint::GetRole | Endpoint::ListRolePermissions => access::can_view_roles(call).await,
        Endpoint::ListRoles => access::can_list_roles(call).await,
        Endpoint::CreateRole
        | Endpoint::UpdateRole
        | Endpoint::DeleteRole
        | Endpoint::AddRolePermission
        | Endpoint::RemoveRolePermission
        | Endpoint::UpdateRolePermission
        | Endpoint::AssignRole
        | Endpoint::UnassignRole
        | Endpoint::ListRoleUsers => access::can_manage_roles(call).await,
        Endpoint::Legacy(kind, _) => legacy::can_manage(call, kind).await,
    }
}

/// A path the table does not know (callers check [`is_api_path`] first).
fn refuse_unknown(caller: &User) -> Response {
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
fn wrong_method(caller: &User, requested: &Method, allowed: &Method) -> Response {
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
