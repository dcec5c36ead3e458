//! The incoming request as a plugin sees it.

use crate::prelude::*;

use crate::credentials::{self, BasicCredentials};

/// An HTTP request handed to [`Authenticator::authenticate`](crate::Authenticator) or
/// [`App::handle`](crate::App).
///
/// The host has already applied its limits and normalised the path. Header names are
/// lower-case; values are raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub(crate) method: String,
    pub(crate) raw_path: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) client_addr: String,
    pub(crate) request_id: String,
}

impl Request {
    /// Starts building a request, for unit tests of a plugin on the host.
    pub fn builder(method: &str, path: &str) -> RequestBuilder {
        RequestBuilder::new(method, path)
    }

    /// The upper-case HTTP method (`GET`, `POST`, ...).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The normalised path (percent-decoded once, dot segments and repeated slashes
    /// resolved). The host routes and forwards on this path, so decide on it too.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path exactly as the client sent it, still percent-encoded.
    pub fn raw_path(&self) -> &str {
        &self.raw_path
    }

    /// The raw query string without the leading `?`; empty when there is none.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The value of the first header called `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        let (_, value) = self.headers().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        Some(value)
    }

    /// The value of the first header called `name`, if it is valid UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        core::str::from_utf8(self.header(name)?).ok()
    }

    /// Every value of the header called `name`, in arrival order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All headers as `(lower-case name, value)`, in arrival order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// The buffered body, or `None` when the host streams the body past the plugin.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The client's socket address, for example `127.0.0.1:53412`.
    pub fn client_addr(&self) -> &str {
        &self.client_addr
    }

    /// The id the host assigned to this request (also in the host's logs).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The credentials of an `Authorization: Basic ...` header (RFC 7617).
    ///
    /// `None` when there is no such header, when it is malformed (see
    /// [`credentials::parse_basic`]), or when the request has more than one `Authorization`
    /// header.
    pub fn basic_auth(&self) -> Option<BasicCredentials> {
        credentials::parse_basic(self.authorization_header()?)
    }

    /// The token of an `Authorization: Bearer <token>` header (RFC 6750).
    ///
    /// `None` when there is no such header, when it does not hold exactly one token, or when
    /// the request has more than one `Authorization` header.
    pub fn bearer_token(&self) -> Option<&str> {
        credentials::parse_bearer(self.authorization_header()?)
    }

    /// The only `Authorization` header; several of them are treated as none (fail closed).
    fn authorization_header(&self) -> Option<&[u8]> {
        let mut values = self.header_values("authorization");
        let first = values.next()?;
        values.next().is_none().then_some(first)
    }
}

/// Builds a [`Request`] by hand, for testing plugins off-wasm.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    request: Request,
}

impl RequestBuilder {
    fn new(method: &str, path: &str) -> Self {
        Self {
            request: Request {
                method: method.to_ascii_uppercase(),
                raw_path: path.to_owned(),
                path: path.to_owned(),
                query: String::new(),
                headers: Vec::new(),
                body: None,
                client_addr: "127.0.0.1:1".to_owned(),
                request_id: "test".to_owned(),
            },
        }
    }

    /// Sets the raw path (by default the same as the path).
    pub fn raw_path(mut self, raw_path: &str) -> Self {
        self.request.raw_path = raw_path.to_owned();
        self
    }

    /// Sets the query string (without `?`).
    pub fn query(mut self, query: &str) -> Self {
        self.request.query = query.to_owned();
        self
    }

    /// Appends a header; the name is lower-cased as the host does.
    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        let name = name.to_ascii_lowercase();
        self.request.headers.push((name, value.into()));
        self
    }

    /// Sets a buffered body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.request.body = Some(body.into());
        self
    }

    /// Sets the client address.
    pub fn client_addr(mut self, addr: &str) -> Self {
        self.request.client_addr = addr.to_owned();
        self
    }

    /// Sets the request id.
    pub fn request_id(mut self, id: &str) -> Self {
        self.request.request_id = id.to_owned();
        self
    }

    /// Finishes the request.
    pub fn build(self) -> Request {
        self.request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(values: &[&str]) -> Request {
        let builder = Request::builder("get", "/api");
        let builder = values
            .iter()
            .fold(builder, |b, v| b.header("Authorization", *v));
        builder.build()
    }

    #[test]
    fn headers_are_case_insensitive() {
        let req = Request::builder("GET", "/")
            .header("X-Api-Key", "k")
            .build();
        assert_eq!(req.method(), "GET");
        assert_eq!(req.header("x-api-key"), Some(&b"k"[..]));
        assert_eq!(req.header("X-API-KEY"), Some(&b"k"[..]));
        assert_eq!(req.header_str("x-Api-key"), Some("k"));
        assert_eq!(req.header("missing"), None);
    }

    #[test]
    fn header_str_rejects_non_utf8() {
        let req = Request::builder("GET", "/")
            .header("x", &b"\xff"[..])
            .build();
        assert_eq!(req.header("x"), Some(&b"\xff"[..]));
        assert_eq!(req.header_str("x"), None);
    }

    #[test]
    fn credentials_come_from_the_authorization_header() {
        assert_eq!(with_auth(&["Bearer t"]).bearer_token(), Some("t"));
        let basic = with_auth(&["Basic YWxpY2U6czNjcmV0"]).basic_auth().unwrap();
        assert_eq!(
            (basic.username.as_str(), basic.password.as_str()),
            ("alice", "s3cret")
        );
        assert_eq!(with_auth(&[]).bearer_token(), None);
        assert_eq!(with_auth(&["Bearer t"]).basic_auth(), None);
    }

    #[test]
    fn repeated_authorization_headers_count_as_none() {
        assert_eq!(with_auth(&["Bearer t", "Bearer t"]).bearer_token(), None);
        let twice = with_auth(&["Basic YWxpY2U6czNjcmV0", "Basic YWxpY2U6czNjcmV0"]);
        assert_eq!(twice.basic_auth(), None);
    }
}
