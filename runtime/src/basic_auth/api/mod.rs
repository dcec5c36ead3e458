//! MLflow's auth REST API (reference §7, §8): users, roles, permissions, legacy per-resource
//! endpoints, sign-up. Served by the host; `/api` and `/ajax-api` twins.
//!
//! Each endpoint is two steps, as in MLflow: the route's *validator* (skipped for admins; a
//! `false` is `403 Permission denied`, a bad parameter is already a JSON 400) and then the
//! *handler*. A path of the API requested with another method is `403` for non-admins (no
//! validator matches) and Werkzeug's `405` for admins.

mod access;
mod legacy;
mod permissions;
pub(crate) mod responses;
mod roles;
mod routing;
mod signup;
mod tokens;
mod users;

#[cfg(test)]
mod tests;

use axum::response::{IntoResponse, Response};
use http::Method;

use self::responses::{ApiError, Outcome};
use self::routing::{refuse_unknown, table, wrong_method, Endpoint};
use super::app::{ApiRequest, BasicAuthCore};
use crate::basic_auth::params::flask::FlaskParams as Params;
use crate::plugin::RouteSpec;
use crate::store::User;

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
        Endpoint::CreateAccessToken => tokens::create(call).await,
        Endpoint::ListAccessTokens => tokens::list(call).await,
        Endpoint::DeleteAccessToken => tokens::delete(call).await,
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
        Endpoint::CreateAccessToken | Endpoint::ListAccessTokens | Endpoint::DeleteAccessToken => {
            Ok(tokens::is_self(call))
        }
    }
}
