//! The one place where gateway failures become HTTP responses. Bodies use MLflow's JSON
//! error format (`{"error_code": ..., "message": ...}` with Python `json.dumps` spacing) and
//! never carry internals: causes are logged, the client gets a request id.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

use super::path::PathError;

/// Failures on the way to a decision or to the upstream.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The path was refused by [`super::path::normalize`].
    #[error("{0}")]
    BadPath(#[from] PathError),
    /// The request headers are larger than `max_header_bytes`.
    #[error("request headers exceed {limit} bytes")]
    HeadersTooLarge {
        /// Limit in bytes.
        limit: usize,
    },
    /// The request body is larger than `max_body_bytes`.
    #[error("request body exceeds {limit} bytes")]
    BodyTooLarge {
        /// Limit in bytes.
        limit: u64,
    },
    /// A method the gateway does not pass on (`CONNECT`, `TRACE`).
    #[error("method {0} is not supported")]
    MethodNotAllowed(http::Method),
    /// A header the gateway must read is malformed.
    #[error("malformed request: {0}")]
    BadRequest(&'static str),
    /// The plugin failed; the request was refused.
    #[error("authentication plugin failed")]
    PluginFailed {
        /// Request id to quote.
        request_id: String,
        /// Whether the failure was the deadline or an unavailable host service such as the
        /// user store (503), rather than a fault of the plugin (500).
        deadline: bool,
    },
    /// The upstream could not be reached.
    #[error("upstream unreachable")]
    UpstreamUnavailable {
        /// Request id to quote.
        request_id: String,
    },
    /// The upstream did not answer in time.
    #[error("upstream timed out")]
    UpstreamTimeout {
        /// Request id to quote.
        request_id: String,
    },
    /// The client did not send its body in time (`server.body_read_timeout_secs`).
    #[error("request body not received within {secs} s")]
    BodyTimeout {
        /// The timeout in seconds.
        secs: u64,
    },
    /// Too many failed authentications from this client or for this username.
    #[error("too many failed authentications; retry after {retry_after_secs} s")]
    TooManyFailures {
        /// Seconds until the lock ends (`Retry-After`).
        retry_after_secs: u64,
    },
}

impl GatewayError {
    fn status_code_and_message(&self) -> (StatusCode, &'static str, String) {
        match self {
            GatewayError::BadPath(e) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", format!("Invalid request path: {e}.")),
            GatewayError::HeadersTooLarge { limit } => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "BAD_REQUEST",
                format!("Request headers exceed the limit of {limit} bytes."),
            ),
            GatewayError::BodyTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "BAD_REQUEST",
                format!("Request body exceeds the limit of {limit} bytes."),
            ),
            GatewayError::MethodNotAllowed(method) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "BAD_REQUEST",
                format!("The method {method} is not supported."),
            ),
            GatewayError::BadRequest(what) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", format!("Malformed request: {what}.")),
            GatewayError::PluginFailed { request_id, deadline: true } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "TEMPORARILY_UNAVAILABLE",
                format!("Authentication is temporarily unavailable (it timed out or a backing service is down); the request was refused (request id {request_id})."),
            ),
            GatewayError::PluginFailed { request_id, deadline: false } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                format!("Authentication failed inside the server; the request was refused (request id {request_id})."),
            ),
            GatewayError::UpstreamUnavailable { request_id } => (
                StatusCode::BAD_GATEWAY,
                "TEMPORARILY_UNAVAILABLE",
                format!("The MLflow tracking server is unreachable (request id {request_id})."),
            ),
            GatewayError::UpstreamTimeout { request_id } => (
                StatusCode::GATEWAY_TIMEOUT,
                "DEADLINE_EXCEEDED",
                format!("The MLflow tracking server did not answer in time (request id {request_id})."),
            ),
            GatewayError::BodyTimeout { secs } => (
                StatusCode::REQUEST_TIMEOUT,
                "BAD_REQUEST",
                format!("The request body was not received within {secs} seconds."),
            ),
            GatewayError::TooManyFailures { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "REQUEST_LIMIT_EXCEEDED",
                format!("Too many failed authentication attempts; retry after {retry_after_secs} seconds."),
            ),
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.status_code_and_message();
        let mut response = mlflow_error(status, code, &message);
        if let GatewayError::TooManyFailures { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// An MLflow JSON error response.
pub fn mlflow_error(status: StatusCode, error_code: &str, message: &str) -> Response {
    let mut response = (status, mlflow_error_json(error_code, message)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// MLflow's `MlflowException.serialize_as_json()` body: `error_code`, `message`, and the
/// `sqlstate`/`error_class` pair where MLflow defines one for the code.
pub fn mlflow_error_json(error_code: &str, message: &str) -> String {
    let quote = python_json_string;
    let mut body = format!(
        "{{\"error_code\": {}, \"message\": {}",
        quote(error_code),
        quote(message)
    );
    if let Some((sqlstate, class)) = error_class(error_code) {
        body.push_str(&format!(
            ", \"sqlstate\": {}, \"error_class\": {}",
            quote(sqlstate),
            quote(class)
        ));
    }
    body.push('}');
    body
}

/// A JSON string literal as Python's `json.dumps` writes it (`ensure_ascii`): every
/// non-ASCII character escaped as `\uXXXX` (UTF-16, surrogate pairs above the BMP).
fn python_json_string(s: &str) -> String {
    let plain = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    if plain.is_ascii() {
        return plain;
    }
    let mut out = String::with_capacity(plain.len() + 16);
    for ch in plain.chars() {
        if ch.is_ascii() {
            out.push(ch);
            continue;
        }
        let mut units = [0u16; 2];
        for unit in ch.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    }
    out
}

fn error_class(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "INVALID_PARAMETER_VALUE" | "BAD_REQUEST" => ("KAM00", "INVALID_PARAMETER_VALUE"),
        "RESOURCE_ALREADY_EXISTS" => ("KAM00", "RESOURCE_ALREADY_EXISTS"),
        "RESOURCE_DOES_NOT_EXIST" => ("KAM00", "RESOURCE_NOT_FOUND"),
        "PERMISSION_DENIED" => ("KAM00", "PERMISSION_DENIED"),
        "INTERNAL_ERROR" | "INVALID_STATE" => ("XXM00", "CLIENT_INTERNAL_ERROR"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_python_json_dumps_spacing() {
        assert_eq!(
            mlflow_error_json(
                "RESOURCE_DOES_NOT_EXIST",
                "User with username=nobody not found"
            ),
            r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "User with username=nobody not found", "sqlstate": "KAM00", "error_class": "RESOURCE_NOT_FOUND"}"#
        );
        assert_eq!(
            mlflow_error_json("TEMPORARILY_UNAVAILABLE", "a \"b\""),
            r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "a \"b\""}"#
        );
    }

    #[test]
    fn non_ascii_is_escaped_like_python_ensure_ascii() {
        // Expected string printed by Python 3.11's json.dumps for the same dict.
        assert_eq!(
            mlflow_error_json(
                "TEMPORARILY_UNAVAILABLE",
                "User j\u{fc}rgen \u{540d} \u{1f600} \u{1} not found"
            ),
            r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "User j\u00fcrgen \u540d \ud83d\ude00 \u0001 not found"}"#
        );
    }
}
