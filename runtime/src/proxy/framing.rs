//! Request-smuggling guards that need more than hyper's HTTP/1 parser gives.
//!
//! hyper already refuses (400) differing `Content-Length`s, a `Content-Length` that is not
//! plain digits, a `Transfer-Encoding` whose last coding is not `chunked` (`chunked,
//! identity`, `xchunked`), `Transfer-Encoding` on HTTP/1.0, obs-fold continuation lines and
//! NUL/CR inside header values; with both `Content-Length` and `Transfer-Encoding: chunked` it
//! drops the length, decodes the chunked body and closes the connection after the answer.
//! Forwarding always re-frames the body, so the upstream never sees the client's framing.
//!
//! What is added here: more than one `Host` is refused (RFC 9112 §3.2), an absolute-form
//! target naming another host than `Host` is refused, a `Transfer-Encoding` other than a
//! single `chunked` is refused (the gateway drops the header, so another coding such as
//! `gzip, chunked` would reach the upstream undeclared), bodies without a
//! `Content-Length` (chunked) are capped at `max_body_bytes` while they stream, and the
//! method is upper-cased (MLflow's werkzeug upper-cases it too, so a plugin or rule that
//! tests for `POST` must not be passed `post`) and `CONNECT`/`TRACE` are refused.

use std::error::Error as StdError;

use axum::body::Body;
use axum::extract::Request;
use http::header::{HOST, TRANSFER_ENCODING};
use http_body_util::{LengthLimitError, Limited};

use super::GatewayError;

/// Refuses a request with several `Host` fields, or whose absolute-form target names a
/// different authority than its `Host` field.
pub fn check_host(req: &Request) -> Result<(), GatewayError> {
    let mut hosts = req.headers().get_all(HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(GatewayError::BadRequest("more than one Host header"));
    }
    if let (Some(target), Some(host)) = (req.uri().authority(), host) {
        if !target
            .as_str()
            .as_bytes()
            .eq_ignore_ascii_case(host.as_bytes())
        {
            return Err(GatewayError::BadRequest(
                "the request target names a different host than the Host header",
            ));
        }
    }
    Ok(())
}

/// Upper-cases the method (what the plugin, the rules and the upstream all see) and refuses
/// `CONNECT` and `TRACE`, which an MLflow gateway has no use for.
pub fn normalize_method(req: &mut Request) -> Result<(), GatewayError> {
    if let Some(upper) = upper_cased(req.method()) {
        *req.method_mut() = upper;
    }
    if matches!(*req.method(), http::Method::CONNECT | http::Method::TRACE) {
        return Err(GatewayError::MethodNotAllowed(req.method().clone()));
    }
    Ok(())
}

/// The method upper-cased, when it has a lower-case letter (`None`: already upper case).
pub fn upper_cased(method: &http::Method) -> Option<http::Method> {
    let sent = method.as_str();
    if !sent.bytes().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    // Upper-casing keeps a valid token valid, so this cannot fail.
    http::Method::from_bytes(sent.to_ascii_uppercase().as_bytes()).ok()
}

/// Refuses any `Transfer-Encoding` but exactly one `chunked` coding (hyper has already
/// refused those whose last coding is not `chunked`).
pub fn check_transfer_encoding(req: &Request) -> Result<(), GatewayError> {
    let mut codings = 0;
    for value in req.headers().get_all(TRANSFER_ENCODING) {
        for coding in value.as_bytes().split(|b| *b == b',') {
            let coding = coding.trim_ascii();
            if !coding.is_empty() {
                if !coding.eq_ignore_ascii_case(b"chunked") {
                    return Err(GatewayError::BadRequest("unsupported Transfer-Encoding"));
                }
                codings += 1;
            }
        }
    }
    if codings > 1 {
        return Err(GatewayError::BadRequest("unsupported Transfer-Encoding"));
    }
    Ok(())
}

/// Caps the body at `limit` bytes while it streams. A body with a `Content-Length` over the
/// limit was already refused; this catches chunked bodies, whose size is only known at the end.
pub fn limit_body(req: &mut Request, limit: u64) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let body = std::mem::replace(req.body_mut(), Body::empty());
    *req.body_mut() = Body::new(Limited::new(body, limit));
}

/// Whether `err` (or any error it wraps) is the body limit of [`limit_body`].
pub fn is_body_too_large(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, hosts: &[&str]) -> Request {
        let mut builder = http::Request::get(target);
        for host in hosts {
            builder = builder.header(HOST, *host);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn methods_are_upper_cased_and_connect_and_trace_refused() {
        for (sent, seen) in [
            ("post", "POST"),
            ("Delete", "DELETE"),
            ("GET", "GET"),
            ("purge", "PURGE"),
        ] {
            let mut req = http::Request::builder()
                .method(sent)
                .uri("/x")
                .body(Body::empty())
                .unwrap();
            normalize_method(&mut req).unwrap();
            assert_eq!(req.method().as_str(), seen);
        }
        for refused in ["CONNECT", "connect", "TRACE", "trace"] {
            let mut req = http::Request::builder()
                .method(refused)
                .uri("/x")
                .body(Body::empty())
                .unwrap();
            let err = normalize_method(&mut req).unwrap_err();
            assert!(
                matches!(err, GatewayError::MethodNotAllowed(_)),
                "{refused}: {err}"
            );
        }
    }

    #[test]
    fn host_rules() {
        assert!(check_host(&request("/x", &["a"])).is_ok());
        assert!(check_host(&request("/x", &[])).is_ok());
        assert!(check_host(&request("http://a:1/x", &["A:1"])).is_ok());
        assert!(check_host(&request("/x", &["a", "a"])).is_err());
        assert!(check_host(&request("/x", &["a", "b"])).is_err());
        assert!(check_host(&request("http://evil/x", &["a"])).is_err());
    }

    #[test]
    fn only_plain_chunked_is_accepted() {
        let with = |values: &[&str]| {
            let mut req = request("/x", &[]);
            for v in values {
                req.headers_mut()
                    .append(TRANSFER_ENCODING, v.parse().unwrap());
            }
            check_transfer_encoding(&req).is_ok()
        };
        assert!(with(&[]) && with(&["chunked"]) && with(&[" Chunked "]));
        assert!(!with(&["gzip, chunked"]) && !with(&["chunked, chunked"]));
        assert!(!with(&["chunked", "chunked"]) && !with(&["identity"]));
    }

    #[tokio::test]
    async fn chunked_bodies_are_capped() {
        use http_body_util::BodyExt;
        let mut req = request("/x", &[]);
        *req.body_mut() = Body::from(vec![b'a'; 100]);
        limit_body(&mut req, 10);
        let err = req.into_body().collect().await.unwrap_err();
        assert!(is_body_too_large(&err));
        let mut req = request("/x", &[]);
        *req.body_mut() = Body::from(vec![b'a'; 10]);
        limit_body(&mut req, 10);
        assert_eq!(
            req.into_body().collect().await.unwrap().to_bytes().len(),
            10
        );
    }
}
