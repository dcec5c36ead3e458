//! Outermost layer: after the response is decided, count it ([`crate::metrics`]), write the
//! audit line ([`crate::audit`]) and give the client the request id (`X-Request-Id`).
//!
//! The inner layers report what they decided by attaching a [`Decision`] to the response.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;

use super::GatewayState;
use crate::audit::{now_rfc3339, Attributes, AuditRecord};
use crate::metrics::Outcome;
use crate::plugin::PluginInfo;

/// What was decided for a request, attached to its response by the inner layers.
#[derive(Clone)]
pub struct Decision {
    /// How the request ended.
    pub outcome: Outcome,
    /// The request id.
    pub request_id: Arc<str>,
    /// The authenticated user.
    pub user: Option<String>,
    /// The normalised path (empty when it could not be normalised).
    pub path: String,
    /// The plugin version that served the request.
    pub plugin: Arc<PluginInfo>,
    /// The plugin's attributes for an allowed request (audited).
    pub attributes: Vec<(String, String)>,
}

/// The layer function.
pub async fn observe(State(state): State<Arc<GatewayState>>, req: Request, next: Next) -> Response {
    // As decided on and forwarded: `prepare` (an inner layer) upper-cases the method.
    let method = super::framing::upper_cased(req.method()).unwrap_or_else(|| req.method().clone());
    let mut response = next.run(req).await;
    let status = response.status().as_u16();
    let Some(decision) = response.extensions_mut().remove::<Decision>() else {
        crate::metrics::request(Outcome::Rejected, status);
        return response;
    };
    // The host app (e.g. basic-auth's permission rules) may refuse an authenticated caller.
    let outcome = match decision.outcome {
        Outcome::Allowed if status == 401 || status == 403 => Outcome::Denied,
        other => other,
    };
    crate::metrics::request(outcome, status);
    if state.audit.enabled() {
        state.audit.write(&AuditRecord {
            time: now_rfc3339(),
            request_id: &decision.request_id,
            user: decision.user.as_deref(),
            method: method.as_str(),
            path: &decision.path,
            decision: outcome.as_str(),
            status,
            plugin: &decision.plugin.name,
            sha256: &decision.plugin.sha256,
            attributes: Attributes(&decision.attributes),
        });
    }
    // The host's id, whatever a plugin's response said.
    if let Ok(value) = HeaderValue::from_str(&decision.request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
