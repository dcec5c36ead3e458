//! A function plugin for OIDC access tokens: `Authorization: Bearer <JWT>` is verified by
//! the host's `jwt` capability (signature with the provider's JWKS, `exp`/`nbf` with
//! leeway, issuer, audience), then the username comes from a claim and the provider's
//! groups are mapped to role names.
//!
//! Settings (`[plugins.<name>.config]`): `issuer` and `audience` (required), `key_set`
//! (default `oidc`), `username_claim` (default `preferred_username`), `groups_claim`
//! (default `groups`), `role_map` (`"idp-group=role,other=role2"`), `required_group`
//! (refuse tokens without it, `403`) and `leeway_seconds` (default 60).
//!
//! Grants: `jwt` (with `jwt = ["<key set>"]`).

mod mapping;

use mlauth_guest_sdk::jwt::{self, Expectations, VerifyError};
use mlauth_guest_sdk::{log, Authenticator, Authorization, Request, Response};

use mapping::Settings;

/// The plugin.
struct OidcJwt;

impl Authenticator for OidcJwt {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let settings = Settings::from_config().map_err(|e| {
            log::error(format!("oidc-jwt is misconfigured: {e}"));
            Response::mlflow_error(500, "INTERNAL_ERROR", "oidc-jwt plugin is not configured")
        })?;
        let Some(token) = req.bearer_token() else {
            return Err(challenge());
        };
        let expect = Expectations {
            issuers: vec![settings.issuer.clone()],
            audiences: vec![settings.audience.clone()],
            leeway_seconds: settings.leeway_seconds,
        };
        let claims = jwt::verify(&settings.key_set, token, &expect).map_err(refusal)?;
        mapping::identity(&settings, &claims)
    }
}

/// MLflow's `401` with a Bearer challenge (the reason is logged, not sent).
fn challenge() -> Response {
    Response::bearer_challenge("mlflow")
}

fn refusal(err: VerifyError) -> Response {
    match err {
        VerifyError::KeysUnavailable(m) => {
            log::warn(format!("provider keys unavailable: {m}"));
            Response::mlflow_error(
                503,
                "TEMPORARILY_UNAVAILABLE",
                "identity provider keys unavailable",
            )
        }
        VerifyError::UnknownKeySet(m) | VerifyError::InvalidRequest(m) => {
            log::error(format!("oidc-jwt is misconfigured: {m}"));
            Response::mlflow_error(500, "INTERNAL_ERROR", "oidc-jwt plugin is not configured")
        }
        other => {
            log::info(format!("token refused: {other}"));
            challenge()
        }
    }
}

mlauth_guest_sdk::export_authenticator!(OidcJwt);

#[cfg(test)]
mod tests;
