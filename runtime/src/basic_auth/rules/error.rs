//! The one error type of the rules module and its single mapping to HTTP.
//!
//! Every failure on the way to a decision refuses the request: a failed check is MLflow's
//! `403 Permission denied`, a malformed request is MLflow's `400` JSON, and an infrastructure
//! failure (auth store, upstream read API, response hook) is a `5xx` JSON with the cause
//! logged. Nothing here ever forwards a request.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;

use crate::basic_auth::app::{permission_denied, store_failure};
use crate::proxy::mlflow_error;
use crate::proxy::prepare::RequestContext;
use crate::store::StoreError;

/// Why a request was refused by the rules.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The permission check failed (or the route has no rule): MLflow's 403.
    #[error("permission denied")]
    Denied,
    /// `INVALID_PARAMETER_VALUE` (400): a missing, malformed or ambiguous parameter.
    #[error("{0}")]
    InvalidParameter(String),
    /// `RESOURCE_DOES_NOT_EXIST` (404), where MLflow's validator raises instead of denying.
    #[error("{0}")]
    NotFound(String),
    /// The JSON body is larger than the rules will buffer (413).
    #[error("request body exceeds {limit} bytes")]
    BodyTooLarge {
        /// Limit in bytes.
        limit: usize,
    },
    /// The client stopped sending its body for `server.body_read_timeout_secs` (408).
    #[error("request body not received within {secs} s")]
    BodyTimeout {
        /// The timeout in seconds.
        secs: u64,
    },
    /// The request body could not be read from the client (400).
    #[error("request body could not be read: {0}")]
    BodyUnreadable(String),
    /// The upstream answered a resolution call with an MLflow error, passed on as is
    /// (MLflow's validators re-raise every lookup error except "does not exist").
    #[error("upstream rejected a resolution call with status {status}")]
    UpstreamRejected {
        /// The upstream's status (4xx).
        status: StatusCode,
        /// The upstream's JSON error body.
        body: Bytes,
    },
    /// The upstream read API failed, timed out or answered something unparsable (502).
    #[error("upstream read API failed: {0}")]
    Upstream(String),
    /// The auth store failed (503).
    #[error("auth store failed: {0}")]
    Store(#[from] StoreError),
    /// A bug or an impossible state in the rules (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl RuleError {
    /// A 400 `INVALID_PARAMETER_VALUE` with MLflow's "missing parameter" text.
    pub fn missing(param: &str) -> Self {
        RuleError::InvalidParameter(format!(
            "Missing value for required parameter '{param}'. See the API docs for more information about request parameters."
        ))
    }

    /// A 400 for a parameter given twice with different values (never guessed).
    pub fn conflicting(param: &str) -> Self {
        RuleError::InvalidParameter(format!(
            "Request specifies conflicting values for parameter '{param}'; provide it once."
        ))
    }

    /// The HTTP response for this error; logs the cause of infrastructure failures.
    pub fn into_http(self, ctx: &RequestContext) -> Response {
        let rid = &ctx.request_id;
        match self {
            RuleError::Denied => permission_denied(),
            RuleError::InvalidParameter(message) => {
                mlflow_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", &message)
            }
            RuleError::NotFound(message) => {
                mlflow_error(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", &message)
            }
            RuleError::BodyTooLarge { limit } => mlflow_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "BAD_REQUEST",
                &format!("Request body exceeds the limit of {limit} bytes."),
            ),
            RuleError::BodyTimeout { secs } => {
                crate::proxy::GatewayError::BodyTimeout { secs }.into_response()
            }
            RuleError::BodyUnreadable(cause) => {
                tracing::info!(request_id = %rid, cause = %cause, "request body unreadable; refused");
                mlflow_error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "The request body could not be read.",
                )
            }
            RuleError::UpstreamRejected { status, body } => {
                let mut response = (status, body).into_response();
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                response
            }
            RuleError::Upstream(cause) => {
                tracing::error!(request_id = %rid, cause = %cause, "resolution via the upstream failed; request refused");
                mlflow_error(
                    StatusCode::BAD_GATEWAY,
                    "TEMPORARILY_UNAVAILABLE",
                    &format!("The MLflow tracking server could not be consulted for authorization (request id {rid})."),
                )
            }
            RuleError::Store(err) => store_failure(ctx, &err),
            RuleError::Internal(cause) => {
                tracing::error!(request_id = %rid, cause = %cause, "authorization failed internally; request refused");
                mlflow_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    &format!("Authorization failed inside the server (request id {rid})."),
                )
            }
        }
    }
}

/// Shorthand for rule results.
pub type RuleResult<T> = Result<T, RuleError>;
