//! The `api-key` reference plugin, written in Rust. The same plugin exists in C, JavaScript
//! and Python under `example-plugins/polyglot/`; all four pass `mlauth plugins test`.
//!
//! * The key is the `api_key` setting; without a non-empty one every request gets `500`
//!   (fail closed) and an error log line.
//! * The request must carry exactly one credential header: `X-API-Key: <key>` or
//!   `Authorization: Bearer <key>`. The key is compared in constant time.
//! * A match runs the request as the `username` setting (default `api-user`); anything else
//!   gets `401`, `WWW-Authenticate: Bearer realm="mlflow"` and an MLflow JSON error.

use mlauth_guest_sdk::credentials::parse_bearer;
use mlauth_guest_sdk::{config, ct_eq, log, Authenticator, Authorization, Request, Response};

/// The user a valid key runs as when `username` is not set.
const DEFAULT_USERNAME: &str = "api-user";

/// The message of the `401` body.
const UNAUTHENTICATED: &str =
    "A valid API key is required (X-API-Key: <key> or Authorization: Bearer <key>).";

/// The plugin.
struct ApiKey;

impl Authenticator for ApiKey {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let Some(expected) = config::get("api_key").filter(|key| !key.is_empty()) else {
            log::error("the `api_key` setting is missing or empty; refusing every request");
            let message = "api-key plugin is not configured: set api_key";
            return Err(Response::mlflow_error(500, "INTERNAL_ERROR", message));
        };
        match presented_key(&req) {
            Some(key) if ct_eq(key, expected.as_bytes()) => {
                let user = config::get("username").unwrap_or_else(|| DEFAULT_USERNAME.into());
                Ok(Authorization::user(user))
            }
            _ => Err(challenge()),
        }
    }
}

/// The key from the request's only credential header (`X-API-Key`, or `Authorization`
/// with the `Bearer` scheme). Several credential headers count as none.
fn presented_key(req: &Request) -> Option<&[u8]> {
    let mut api_keys = req.header_values("x-api-key");
    let mut authorizations = req.header_values("authorization");
    match (api_keys.next(), authorizations.next()) {
        (Some(key), None) if api_keys.next().is_none() => Some(key),
        (None, Some(value)) if authorizations.next().is_none() => {
            parse_bearer(value).map(str::as_bytes)
        }
        _ => None,
    }
}

/// The `401`: a Bearer challenge and an MLflow JSON error.
fn challenge() -> Response {
    Response::mlflow_error(401, "UNAUTHENTICATED", UNAUTHENTICATED)
        .header("www-authenticate", r#"Bearer realm="mlflow""#)
}

mlauth_guest_sdk::export_authenticator!(ApiKey);

#[cfg(test)]
mod tests {
    use super::*;

    fn call(headers: &[(&str, &[u8])]) -> Result<Authorization, Response> {
        let builder = Request::builder("GET", "/api/2.0/mlflow/experiments/search");
        let req = headers
            .iter()
            .fold(builder, |b, (n, v)| b.header(n, v.to_vec()))
            .build();
        ApiKey::authenticate(req)
    }

    #[test]
    fn accepts_either_header() {
        config::set_for_test("api_key", Some("k3y"));
        config::set_for_test("username", None);
        let ok = call(&[("x-api-key", b"k3y")]).unwrap();
        assert_eq!(ok.username(), "api-user");
        config::set_for_test("username", Some("ci"));
        let ok = call(&[("authorization", b"bearer  k3y")]).unwrap();
        assert_eq!(ok.username(), "ci");
    }

    #[test]
    fn refuses_everything_else_with_a_challenge() {
        config::set_for_test("api_key", Some("k3y"));
        for headers in [
            &[][..],
            &[("x-api-key", &b"k3"[..])],
            &[("x-api-key", b"k3y!")],
            &[("x-api-key", b"\xff\xfe")],
            &[("x-api-key", b"k3y"), ("x-api-key", b"k3y")],
            &[("x-api-key", b"k3y"), ("authorization", b"Bearer k3y")],
            &[("authorization", b"Basic k3y")],
        ] {
            let refusal = call(headers).unwrap_err();
            assert_eq!(refusal.status(), 401, "{headers:?}");
            let challenge = refusal.header_value("www-authenticate");
            assert_eq!(challenge, Some(&br#"Bearer realm="mlflow""#[..]));
            assert!(refusal
                .body_bytes()
                .starts_with(br#"{"error_code": "UNAUTHENTICATED""#));
        }
    }

    #[test]
    fn fails_closed_without_a_key() {
        config::set_for_test("api_key", None);
        assert_eq!(call(&[("x-api-key", b"")]).unwrap_err().status(), 500);
    }
}
