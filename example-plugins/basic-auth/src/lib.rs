//! MLflow's default authentication (`authenticate_request_basic_auth`) as an mlauth plugin:
//! HTTP Basic credentials checked against the basic-auth user store through the host's
//! `users` capability. Anything else — no header, another scheme, a malformed header, an
//! unknown user, a wrong password — gets exactly MLflow's 401 challenge.
//!
//! This plugin is compiled into the `mlauth` binary as the default for
//! `mlauth run --app-name basic-auth`; the host grants it `users`.

use mlauth_guest_sdk::{users, Authenticator, Authorization, Request, Response};

/// The plugin.
struct BasicAuth;

impl Authenticator for BasicAuth {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let challenge = || Response::basic_challenge("mlflow");
        let credentials = req.basic_auth().ok_or_else(challenge)?;
        match users::verify(&credentials.username, &credentials.password) {
            Some(user) => Ok(Authorization::user(user.username)),
            None => Err(challenge()),
        }
    }
}

mlauth_guest_sdk::export_authenticator!(BasicAuth);

#[cfg(test)]
mod tests {
    use super::*;
    use mlauth_guest_sdk::users::{set_for_test, User};

    fn call(authorization: Option<&str>) -> Result<Authorization, Response> {
        set_for_test(User { id: 2, username: "alice".into(), is_admin: false }, "alice-password-1");
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
    fn everything_else_gets_mlflows_challenge() {
        for header in [None, Some("Basic YWxpY2U6d3Jvbmc="), Some("Bearer abc"), Some("Basic !!!"), Some("Basic Ym9iOng=")] {
            let err = call(header).unwrap_err();
            assert_eq!(err.status(), 401, "{header:?}");
        }
    }
}
