//! Responses a plugin sends: challenges, refusals and route answers.

use crate::prelude::*;

use crate::json;

/// The body of MLflow's `401` (its exact text, which MLflow's clients match on).
pub const UNAUTHENTICATED_BODY: &str = "You are not authenticated. Please see \
    https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow \
    on how to authenticate.";

/// The body of MLflow's `403`.
pub const PERMISSION_DENIED_BODY: &str = "Permission denied";

/// The content type of MLflow's `401` and `403` answers.
const HTML: &str = "text/html; charset=utf-8";

/// An HTTP response: the `Err` of [`Authenticator::authenticate`](crate::Authenticator) or
/// the answer of [`App::handle`](crate::App).
///
/// The host validates the status (100..=599), header names and values, and the body size,
/// and refuses the whole response when any is invalid.
///
/// ```
/// use mlauth_guest_sdk::Response;
///
/// let ok = Response::new(200).json(r#"{"message": "public"}"#);
/// assert_eq!(ok.header_value("content-type"), Some(&b"application/json"[..]));
///
/// let challenge = Response::basic_challenge("mlflow");
/// assert_eq!(challenge.status(), 401);
/// assert_eq!(challenge.header_value("www-authenticate"), Some(&br#"Basic realm="mlflow""#[..]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Appends a header. The name is lower-cased; repeating a name sends it twice.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body (already serialised, for example with `serde_json::to_string`) and
    /// `Content-Type: application/json`, replacing any earlier content type.
    pub fn json(self, json: impl Into<String>) -> Self {
        self.content(Some("application/json"), json.into().into_bytes())
    }

    /// MLflow's `401` for HTTP Basic: `WWW-Authenticate: Basic realm="<realm>"`, an HTML
    /// content type and MLflow's exact text. `basic_challenge("mlflow")` is byte-for-byte
    /// what MLflow's basic-auth app sends.
    pub fn basic_challenge(realm: &str) -> Self {
        Self::challenge("Basic", realm)
    }

    /// The same `401` as [`Response::basic_challenge`] with a `Bearer realm="<realm>"`
    /// challenge.
    pub fn bearer_challenge(realm: &str) -> Self {
        Self::challenge("Bearer", realm)
    }

    /// MLflow's `403`: `Permission denied` as HTML.
    pub fn forbidden() -> Self {
        Self::new(403).content(Some(HTML), PERMISSION_DENIED_BODY.into())
    }

    /// An MLflow JSON error: `{"error_code": "<code>", "message": "<message>"}`, for example
    /// `Response::mlflow_error(500, "INTERNAL_ERROR", "plugin is not configured")`.
    pub fn mlflow_error(status: u16, error_code: &str, message: &str) -> Self {
        Self::new(status).json(json::mlflow_error(error_code, message))
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of header `name` (compared case-insensitively).
    pub fn header_value(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All headers as `(lower-case name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The body.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    fn challenge(scheme: &str, realm: &str) -> Self {
        let challenge = format!("{scheme} realm={}", quoted(realm));
        Self::new(401)
            .header("www-authenticate", challenge)
            .content(Some(HTML), UNAUTHENTICATED_BODY.into())
    }

    /// Replaces the content type (if given) and the body.
    fn content(mut self, content_type: Option<&str>, body: Vec<u8>) -> Self {
        if let Some(content_type) = content_type {
            self.headers.retain(|(n, _)| n != "content-type");
            self = self.header("content-type", content_type);
        }
        self.body = body;
        self
    }
}

/// An HTTP quoted-string (RFC 9110 §5.6.4).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(response: &Response) -> Vec<(&str, &[u8])> {
        response.headers().collect()
    }

    #[test]
    fn basic_challenge_is_mlflows_401() {
        let r = Response::basic_challenge("mlflow");
        assert_eq!(r.status(), 401);
        let expected: Vec<(&str, &[u8])> = vec![
            ("www-authenticate", br#"Basic realm="mlflow""#),
            ("content-type", b"text/html; charset=utf-8"),
        ];
        assert_eq!(headers(&r), expected);
        let body = "You are not authenticated. Please see https://www.mlflow.org/docs/latest/\
                    auth/index.html#authenticating-to-mlflow on how to authenticate.";
        assert_eq!(r.body_bytes(), body.as_bytes());
        assert_eq!(body.len(), 137);
    }

    #[test]
    fn bearer_challenge_and_realm_quoting() {
        let r = Response::bearer_challenge(r#"a"b\c"#);
        assert_eq!(
            r.header_value("WWW-Authenticate"),
            Some(&br#"Bearer realm="a\"b\\c""#[..])
        );
        assert_eq!(r.body_bytes(), UNAUTHENTICATED_BODY.as_bytes());
    }

    #[test]
    fn forbidden_is_mlflows_403() {
        let r = Response::forbidden();
        assert_eq!(
            (r.status(), r.body_bytes()),
            (403, &b"Permission denied"[..])
        );
        assert_eq!(r.header_value("content-type"), Some(HTML.as_bytes()));
    }

    #[test]
    fn json_replaces_the_content_type() {
        let r = Response::new(200)
            .header("Content-Type", "text/plain")
            .json("{}");
        let expected: Vec<(&str, &[u8])> = vec![("content-type", b"application/json")];
        assert_eq!(headers(&r), expected);
        assert_eq!(r.body_bytes(), b"{}");
    }

    #[test]
    fn mlflow_error_body() {
        let r = Response::mlflow_error(500, "INTERNAL_ERROR", "not configured");
        assert_eq!(r.status(), 500);
        let body = r#"{"error_code": "INTERNAL_ERROR", "message": "not configured"}"#;
        assert_eq!(r.body_bytes(), body.as_bytes());
    }
}
