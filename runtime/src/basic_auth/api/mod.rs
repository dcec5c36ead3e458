//! MLflow's auth REST API (reference §7, §8): users, roles, permissions, legacy per-resource
//! endpoints, sign-up. Served by the host; `/api` and `/ajax-api` twins.

use axum::response::Response;

use super::app::{ApiRequest, BasicAuthCore};
use crate::plugin::RouteSpec;
use crate::store::User;

/// Routes of the auth API (for `create-app` clash detection).
pub fn routes() -> Vec<RouteSpec> {
    Vec::new()
}

/// Whether a normalised path belongs to the auth API.
pub fn is_api_path(_path: &str) -> bool {
    false
}

/// Answers one auth API request made by `caller`.
pub async fn handle(_core: &BasicAuthCore, _caller: &User, _req: &ApiRequest) -> Response {
    super::app::permission_denied()
}
