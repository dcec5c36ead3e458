//! Conversions between the SDK's types and the raw WIT records.

use crate::wit::types as raw;
use crate::{Authorization, Request, Response, Route};

impl From<raw::Request> for Request {
    fn from(r: raw::Request) -> Self {
        Self {
            method: r.method,
            raw_path: r.raw_path,
            path: r.path,
            query: r.query,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
            client_addr: r.client_addr,
            request_id: r.request_id,
        }
    }
}

impl From<Authorization> for raw::Authorization {
    fn from(a: Authorization) -> Self {
        Self {
            username: a.username,
            groups: a.groups,
            attributes: a.attributes,
        }
    }
}

impl From<raw::Authorization> for Authorization {
    fn from(a: raw::Authorization) -> Self {
        Self {
            username: a.username,
            groups: a.groups,
            attributes: a.attributes,
        }
    }
}

impl From<Response> for raw::Response {
    fn from(r: Response) -> Self {
        let headers = r.headers.into_iter();
        Self {
            status: r.status,
            headers: headers
                .map(|(name, value)| raw::Header { name, value })
                .collect(),
            body: r.body,
        }
    }
}

impl From<Route> for raw::Route {
    fn from(r: Route) -> Self {
        Self {
            path: r.path,
            methods: r.methods,
            public: r.public,
        }
    }
}

impl From<raw::Route> for Route {
    fn from(r: raw::Route) -> Self {
        Self {
            path: r.path,
            methods: r.methods,
            public: r.public,
        }
    }
}
