//! An mlauth function plugin that accepts one static API token.
//!
//! The token is read from `Authorization: Bearer <token>` or, failing that, from
//! `X-API-Key: <token>`, and compared in constant time with the `token` setting. A match
//! runs the request as the `username` setting (default `api-user`); anything else gets a
//! `401` with a `Bearer` challenge and MLflow's text. Without a `token` setting every
//! request is refused with `500` (fail closed).
//!
//! Built `no_std` with the SDK's lean runtime ([`mlauth_guest_sdk::lean_runtime!`]): no Rust
//! `std` and no WASI imports, so each request's fresh instance is cheaper to create.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;

use mlauth_guest_sdk::{config, ct_eq, log, Authenticator, Authorization, Request, Response};

/// The user a valid token runs as when `username` is not set.
const DEFAULT_USERNAME: &str = "api-user";

/// The plugin.
struct StaticToken;

impl Authenticator for StaticToken {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let Some(expected) = config::get("token").filter(|token| !token.is_empty()) else {
            log::error("the `token` setting is missing or empty; refusing every request");
            return Err(not_configured());
        };
        match presented_token(&req) {
            Some(token) if ct_eq(token, expected.as_bytes()) => Ok(Authorization::user(username())),
            _ => Err(Response::bearer_challenge("mlflow")),
        }
    }
}

/// The token from the `Authorization: Bearer` header, else from the only `X-API-Key`.
fn presented_token(req: &Request) -> Option<&[u8]> {
    if let Some(token) = req.bearer_token() {
        return Some(token.as_bytes());
    }
    let mut keys = req.header_values("x-api-key");
    let key = keys.next()?;
    keys.next().is_none().then_some(key)
}

/// The configured user name, or the default.
fn username() -> String {
    config::get("username").unwrap_or_else(|| DEFAULT_USERNAME.into())
}

/// The `500` sent while the plugin has no token to compare with.
fn not_configured() -> Response {
    let message = "static-token plugin is not configured";
    Response::mlflow_error(500, "INTERNAL_ERROR", message)
}

mlauth_guest_sdk::export_authenticator!(StaticToken);
mlauth_guest_sdk::lean_runtime!();

#[cfg(test)]
mod tests {
    use super::*;

    fn call(headers: &[(&str, &str)]) -> Result<Authorization, Response> {
        let builder = Request::builder("GET", "/api/2.0/mlflow/experiments/search");
        let req = headers
            .iter()
            .fold(builder, |b, (n, v)| b.header(n, *v))
            .build();
        StaticToken::authenticate(req)
    }

    #[test]
    fn accepts_bearer_and_api_key() {
        config::set_for_test("token", Some("t0k3n"));
        assert_eq!(
            call(&[("authorization", "Bearer t0k3n")])
                .unwrap()
                .username(),
            "api-user"
        );
        config::set_for_test("username", Some("ci"));
        assert_eq!(call(&[("x-api-key", "t0k3n")]).unwrap().username(), "ci");
    }

    #[test]
    fn rejects_wrong_missing_and_repeated_tokens() {
        config::set_for_test("token", Some("t0k3n"));
        for headers in [
            &[("authorization", "Bearer t0k3")][..],
            &[],
            &[("x-api-key", "t0k3n"), ("x-api-key", "t0k3n")],
            &[("authorization", "Bearer nope"), ("x-api-key", "t0k3n")],
        ] {
            let refusal = call(headers).unwrap_err();
            assert_eq!(refusal.status(), 401);
            let challenge = refusal.header_value("www-authenticate");
            assert_eq!(challenge, Some(&br#"Bearer realm="mlflow""#[..]));
        }
    }

    #[test]
    fn fails_closed_without_a_token() {
        config::set_for_test("token", Some(""));
        let refusal = call(&[("x-api-key", "")]).unwrap_err();
        assert_eq!(refusal.status(), 500);
        let body = r#"{"error_code": "INTERNAL_ERROR", "message": "static-token plugin is not configured"}"#;
        assert_eq!(refusal.body_bytes(), body.as_bytes());
    }
}
