//! MLflow's default authentication (`authenticate_request_basic_auth`) as an mlauth plugin:
//! HTTP Basic credentials checked against the basic-auth user store through the host's
//! `users` capability. The Basic password may also be one of the user's personal access
//! tokens, and `Authorization: Bearer <token>` is accepted for such a token. Anything else —
//! no header, another scheme, a malformed header, an unknown user, a wrong password, a dead
//! token — gets exactly MLflow's 401 challenge.
//!
//! This plugin is compiled into the `mlauth` binary as the default for
//! `mlauth run --app-name basic-auth`; the host grants it `users`.

use mlauth_guest_sdk::{users, Authenticator, Authorization, Request, Response};

/// The plugin.
struct BasicAuth;

impl Authenticator for BasicAuth {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let challenge = || Response::basic_challenge("mlflow");
        let user = if let Some(token) = req.bearer_token() {
            users::verify_token(token)
        } else {
            let credentials = req.basic_auth().ok_or_else(challenge)?;
            users::verify(&credentials.username, &credentials.password)
        };
        match user {
            Some(user) => Ok(Authorization::user(user.username)),
            None => Err(challenge()),
        }
    }
}

mlauth_guest_sdk::export_authenticator!(BasicAuth);

#[cfg(test)]
mod tests {
    use super::*;
    use mlauth_guest_sdk::users::{set_for_test, set_token_for_test, User};

    const TOKEN: &str = "mlat_abcd1234_secretsecretsecret";

    fn call(authorization: Option<&str>) -> Result<Authorization, Response> {
        let alice = User {
            id: 2,
            username: "alice".into(),
            is_admin: false,
        };
        set_for_test(alice.clone(), "alice-password-1");
        set_token_for_test(TOKEN, alice);
        let mut builder = Request::builder("GET", "/api/2.0/mlflow/experiments/search");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        BasicAuth::authenticate(builder.build())
    }

    #[test]
    fn valid_credentials_authenticate_the_stored_user() {
        // "alice:alice-password-1"
        let ok = call(Some("Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQtMQ==")).unwrap();
        assert_eq!(ok.username(), "alice");
    }

    #[test]
    fn an_access_token_works_as_bearer_and_as_the_basic_password() {
        let bearer = call(Some(format!("Bearer {TOKEN}").as_str())).unwrap();
        assert_eq!(bearer.username(), "alice");
        // "alice:mlat_abcd1234_secretsecretsecret"
        let basic = call(Some(
            "Basic YWxpY2U6bWxhdF9hYmNkMTIzNF9zZWNyZXRzZWNyZXRzZWNyZXQ=",
        ))
        .unwrap();
        assert_eq!(basic.username(), "alice");
        // The token under another username: "bob:mlat_abcd1234_secretsecretsecret"
        let other = call(Some(
            "Basic Ym9iOm1sYXRfYWJjZDEyMzRfc2VjcmV0c2VjcmV0c2VjcmV0",
        ))
        .unwrap_err();
        assert_eq!(other.status(), 401);
    }

    #[test]
    fn everything_else_gets_mlflows_challenge() {
        for header in [
            None,
            Some("Basic YWxpY2U6d3Jvbmc="),
            Some("Bearer abc"),
            Some("Basic !!!"),
            Some("Basic Ym9iOng="),
        ] {
            let err = call(header).unwrap_err();
            assert_eq!(err.status(), 401, "{header:?}");
        }
    }
}
