//! One request of the conformance kit ([`Case`]) and the answer it must get ([`Expect`]).

use http::{HeaderName, HeaderValue, Method};

/// The path most cases use: an ordinary MLflow API call.
const SEARCH: &str = "/api/2.0/mlflow/experiments/search";

/// What a request must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The plugin's refusal: `401` with a `WWW-Authenticate` challenge, nothing forwarded,
    /// nothing leaked.
    Refused,
    /// Forwarded once to the upstream as the user the plugin named (set by the host).
    Admitted,
    /// Not forwarded, answered with an error status (any refusal or failure will do).
    NotAdmitted,
    /// Refused by the host before the plugin runs, with this status.
    HostRefused(u16),
}

impl Expect {
    /// Short text for the report's table.
    pub fn label(self) -> String {
        match self {
            Expect::Refused => "401+challenge".into(),
            Expect::Admitted => "forwarded".into(),
            Expect::NotAdmitted => "refused".into(),
            Expect::HostRefused(status) => status.to_string(),
        }
    }
}

/// One request of the suite.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub name: String,
    pub what: String,
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
    pub expect: Expect,
}

impl Case {
    /// A `GET` of the search path without headers.
    pub fn new(name: &str, what: &str, expect: Expect) -> Self {
        Self {
            name: name.to_string(),
            what: what.to_string(),
            method: Method::GET,
            path: SEARCH.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            expect,
        }
    }

    /// Appends headers.
    pub fn with_headers(mut self, headers: &[(HeaderName, HeaderValue)]) -> Self {
        self.headers.extend(headers.iter().cloned());
        self
    }

    pub(super) fn header(mut self, name: &str, value: &[u8]) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
        let value = HeaderValue::from_bytes(value).expect("valid header value");
        self.headers.push((name, value));
        self
    }

    pub(super) fn method(mut self, method: &str) -> Self {
        self.method = Method::from_bytes(method.as_bytes()).expect("valid method");
        self
    }

    pub(super) fn path(mut self, path: &str) -> Self {
        self.path = path.to_string();
        self
    }

    pub(super) fn body(mut self, content_type: &str, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self.header("content-type", content_type.as_bytes())
    }
}
