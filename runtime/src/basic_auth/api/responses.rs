//! How the auth API answers: Flask's `jsonify` bodies for successes, MLflow's JSON errors
//! (`catch_mlflow_exception`), Flask's plain-text `make_response(str, 400)` and Werkzeug's HTML
//! error pages, each with the status and content type MLflow sends.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use serde_json::Value;

use crate::basic_auth::permissions::PermissionError;
use crate::proxy::mlflow_error;
use crate::store::StoreError;

/// `text/html; charset=utf-8`: what Flask gives a `str` response and Werkzeug an error page.
const TEXT_HTML: &str = "text/html; charset=utf-8";

/// A request the API refuses, shaped like MLflow's answer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// An `MlflowException` serialised by `catch_mlflow_exception` (JSON body).
    Mlflow {
        /// HTTP status of the error code (`ERROR_CODE_TO_HTTP_STATUS`).
        status: StatusCode,
        /// MLflow error code, e.g. `INVALID_PARAMETER_VALUE`.
        code: &'static str,
        /// The message, verbatim.
        message: String,
    },
    /// A validator said no: `403`, `text/html`, `Permission denied`.
    Denied,
    /// A handler's `make_response("<text>", status)`.
    Text(StatusCode, String),
    /// A Werkzeug `HTTPException` page (`abort(400)`, CSRF failures, 405).
    Page {
        /// Status.
        status: StatusCode,
        /// Description paragraph, e.g. `The CSRF token is missing.`.
        description: &'static str,
        /// `Allow` header value for 405.
        allow: Option<&'static str>,
    },
    /// `update-password`'s wrong `current_password`: MLflow's 400, marked so the gateway's
    /// brute-force limiter counts the guess.
    WrongCurrentPassword,
}

impl ApiError {
    /// `MlflowException(message, INVALID_PARAMETER_VALUE)` (400).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::mlflow(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
    }

    /// `MlflowException(message, BAD_REQUEST)` (400).
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::mlflow(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    /// `MlflowException(message, RESOURCE_DOES_NOT_EXIST)` (404).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::mlflow(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", message)
    }

    /// `MlflowException(message, RESOURCE_ALREADY_EXISTS)` (400, not 409).
    pub(crate) fn already_exists(message: impl Into<String>) -> Self {
        Self::mlflow(StatusCode::BAD_REQUEST, "RESOURCE_ALREADY_EXISTS", message)
    }

    /// `TEMPORARILY_UNAVAILABLE` (503) without internals (the cause is logged by the caller).
    pub(crate) fn unavailable() -> Self {
        Self::mlflow(
            StatusCode::SERVICE_UNAVAILABLE,
            "TEMPORARILY_UNAVAILABLE",
            "The authentication database is unavailable.",
        )
    }

    fn mlflow(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Mlflow {
            status,
            code,
            message: message.into(),
        }
    }

    /// `make_response(text, 400)`.
    pub(crate) fn text_400(text: &str) -> Self {
        Self::Text(StatusCode::BAD_REQUEST, text.to_string())
    }

    /// Werkzeug's generic `BadRequest` page (e.g. a missing form key).
    pub(crate) fn bad_request_page(description: &'static str) -> Self {
        Self::Page {
            status: StatusCode::BAD_REQUEST,
            description,
            allow: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(m) => Self::not_found(m),
            StoreError::AlreadyExists(m) => Self::already_exists(m),
            StoreError::InvalidParameter(m) => Self::invalid(m),
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "auth store unavailable; auth API request refused");
                Self::unavailable()
            }
            StoreError::Schema(detail) => {
                tracing::error!(error = %detail, "auth store schema unusable; auth API request refused");
                Self::mlflow(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "The authentication database is not usable; see the server log.",
                )
            }
        }
    }
}

impl From<PermissionError> for ApiError {
    fn from(err: PermissionError) -> Self {
        Self::invalid(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Mlflow {
                status,
                code,
                message,
            } => mlflow_error(status, code, &message),
            ApiError::Denied => crate::basic_auth::app::permission_denied(),
            ApiError::WrongCurrentPassword => {
                let mut response =
                    ApiError::invalid("Current password does not match.").into_response();
                response
                    .extensions_mut()
                    .insert(crate::brute_force::CredentialRefused);
                response
            }
            ApiError::Text(status, text) => html(status, text),
            ApiError::Page {
                status,
                description,
                allow,
            } => {
                let mut response = html(status, werkzeug_page(status, description));
                if let Some(allow) = allow {
                    response
                        .headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static(allow));
                }
                response
            }
        }
    }
}

/// Werkzeug's `HTTPException.get_body()`.
pub(crate) fn werkzeug_page(status: StatusCode, description: &str) -> String {
    let code = status.as_u16();
    let name = status.canonical_reason().unwrap_or("Error");
    format!("<!doctype html>\n<html lang=en>\n<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{description}</p>\n")
}

/// A `text/html; charset=utf-8` response.
pub(crate) fn html(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(header::CONTENT_TYPE, TEXT_HTML)], body.into()).into_response()
}

/// Flask's `jsonify(value)` / `make_response(dict)`: 200, `application/json`, compact, keys
/// sorted (serde_json's map is ordered), non-ASCII escaped as `\uXXXX`, trailing newline.
pub(crate) fn json_ok(value: &Value) -> Response {
    let mut body = ascii_json(value);
    body.push('\n');
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// `{}` — every mutation that returns nothing.
pub(crate) fn empty_ok() -> Response {
    json_ok(&Value::Object(serde_json::Map::new()))
}

/// Compact JSON with Python's `ensure_ascii=True` escaping.
pub(crate) fn ascii_json(value: &Value) -> String {
    let compact = value.to_string();
    if compact.is_ascii() {
        return compact;
    }
    // Non-ASCII can only occur inside string literals, so escaping it in place is safe.
    let mut out = String::with_capacity(compact.len() + 16);
    for c in compact.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// MarkupSafe's `escape`, as Jinja autoescaping applies it to `{{ value }}`.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The outcome of one endpoint.
pub(crate) type Outcome = Result<Response, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_match_flask_jsonify() {
        let v = serde_json::json!({"user": {"username": "élan", "is_admin": false, "id": 2}});
        assert_eq!(
            ascii_json(&v),
            r#"{"user":{"id":2,"is_admin":false,"username":"\u00e9lan"}}"#
        );
        assert_eq!(ascii_json(&serde_json::json!("😀")), r#""\ud83d\ude00""#);
    }

    #[test]
    fn werkzeug_pages_match_byte_for_byte() {
        let page = werkzeug_page(StatusCode::BAD_REQUEST, "The CSRF token is missing.");
        assert_eq!(page.len(), 117);
        let page = werkzeug_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "The method is not allowed for the requested URL.",
        );
        assert_eq!(page.len(), 153);
    }

    #[test]
    fn html_escape_matches_markupsafe() {
        assert_eq!(html_escape(r#"<eve"6'&>"#), "&lt;eve&#34;6&#39;&amp;&gt;");
    }
}
