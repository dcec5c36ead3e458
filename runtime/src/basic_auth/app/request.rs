//! The auth API's view of a request: method, path, query and a bounded body, read once.

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;

use crate::proxy::mlflow_error;
use crate::proxy::prepare::RequestContext;

/// An auth API request with its body buffered.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Method.
    pub method: Method,
    /// Normalised path (with its `/api/...` or `/ajax-api/...` prefix).
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// The body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ApiRequestError {
    /// Larger than the limit.
    #[error("request body too large")]
    TooLarge,
    /// The client stopped sending it for `server.body_read_timeout_secs`.
    #[error("request body not received within {secs} s")]
    TimedOut {
        /// The timeout in seconds.
        secs: u64,
    },
    /// Broken stream.
    #[error("request body unreadable")]
    Unreadable,
}

impl IntoResponse for ApiRequestError {
    fn into_response(self) -> Response {
        match self {
            ApiRequestError::TooLarge => mlflow_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "BAD_REQUEST",
                "Request body too large.",
            ),
            ApiRequestError::TimedOut { secs } => {
                crate::proxy::GatewayError::BodyTimeout { secs }.into_response()
            }
            ApiRequestError::Unreadable => mlflow_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "Request body could not be read.",
            ),
        }
    }
}

impl ApiRequest {
    /// Buffers the body (at most `limit` bytes).
    pub async fn from_request(
        ctx: &RequestContext,
        req: Request,
        limit: usize,
    ) -> Result<Self, ApiRequestError> {
        let (parts, body) = req.into_parts();
        let body = http_body_util::Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| {
                if crate::proxy::framing::is_body_too_large(&*e) {
                    ApiRequestError::TooLarge
                } else if let Some(timeout) = crate::proxy::body_timeout::body_timed_out(&*e) {
                    ApiRequestError::TimedOut {
                        secs: timeout.as_secs(),
                    }
                } else {
                    ApiRequestError::Unreadable
                }
            })?;
        Ok(Self {
            method: parts.method,
            path: ctx.path.clone(),
            query: ctx.query.clone(),
            headers: parts.headers,
            body: body.to_bytes(),
        })
    }

    /// Builds a request directly (tests, internal calls).
    pub fn new(method: Method, path: &str, query: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Self {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: body.into(),
        }
    }
}
