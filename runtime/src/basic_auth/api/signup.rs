//! `GET /signup` (MLflow's sign-up form) and `POST /api/2.0/mlflow/users/create-ui` (its form
//! target).
//!
//! As in MLflow 3.18, the page is open to admins and workspace admins, while `create-ui` has
//! no validator and so is admin-only (non-admins get 403, fail-closed). The form carries a
//! CSRF token: `<unix seconds>.<hex HMAC-SHA256>` over the caller's username and the timestamp
//! under a per-process random key, valid for an hour (Flask-WTF's default) and checked in
//! constant time. Binding the token to the authenticated user replaces Flask's session cookie.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::StatusCode;
use serde_json::Value;
use sha2::Sha256;

use super::responses::{html, html_escape, ApiError, Outcome};
use super::users::create_user;
use super::Call;
use crate::basic_auth::params::{mimetype, parse_urlencoded};

/// The page MLflow renders (its template with the MLflow logo), `{csrf_token}` to fill in.
const PAGE: &str = include_str!("signup_page.html");

/// Flask-WTF's `WTF_CSRF_TIME_LIMIT`.
const TOKEN_TTL_SECS: u64 = 3600;

/// Tolerated clock skew for tokens from the future (none are minted here, but be lenient).
const FUTURE_SKEW_SECS: u64 = 60;

/// Why a CSRF token was refused (Flask-WTF's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CsrfError {
    Missing,
    Invalid,
    Expired,
}

impl CsrfError {
    fn into_api_error(self) -> ApiError {
        ApiError::bad_request_page(match self {
            CsrfError::Missing => "The CSRF token is missing.",
            CsrfError::Invalid => "The CSRF token is invalid.",
            CsrfError::Expired => "The CSRF token has expired.",
        })
    }
}

fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(rand::random)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn mac(username: &str, ts: u64) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(process_key()).expect("HMAC accepts any key length");
    mac.update(b"mlauth/signup-csrf\0");
    mac.update(username.as_bytes());
    mac.update(b"\0");
    mac.update(ts.to_string().as_bytes());
    mac
}

/// A token for `username`, minted at `ts`.
pub(super) fn csrf_token(username: &str, ts: u64) -> String {
    format!(
        "{ts}.{}",
        hex::encode(mac(username, ts).finalize().into_bytes())
    )
}

/// Checks a token for `username` at time `now`.
pub(super) fn check_csrf_token(
    token: Option<&str>,
    username: &str,
    now: u64,
) -> Result<(), CsrfError> {
    let token = token.filter(|t| !t.is_empty()).ok_or(CsrfError::Missing)?;
    let (ts, digest) = token.split_once('.').ok_or(CsrfError::Invalid)?;
    let ts: u64 = ts.parse().map_err(|_| CsrfError::Invalid)?;
    let digest = hex::decode(digest).map_err(|_| CsrfError::Invalid)?;
    mac(username, ts)
        .verify_slice(&digest)
        .map_err(|_| CsrfError::Invalid)?;
    if ts > now + FUTURE_SKEW_SECS {
        return Err(CsrfError::Invalid);
    }
    if now - ts.min(now) > TOKEN_TTL_SECS {
        return Err(CsrfError::Expired);
    }
    Ok(())
}

/// `GET /signup`.
pub(super) fn page(call: &Call<'_>) -> Outcome {
    let token = csrf_token(&call.caller.username, now());
    Ok(html(StatusCode::OK, PAGE.replace("{csrf_token}", &token)))
}

/// MLflow's `alert(href)`: the flashed message in a JavaScript `alert`, then a redirect.
pub(super) fn alert(message: &str, href: &str) -> String {
    format!(
        "\n<script type = \"text/javascript\">\n\n  \n    \n      alert(\"{}\");\n    \n  \n\n      window.location.href = \"{}\";\n</script>",
        html_escape(message),
        html_escape(href)
    )
}

/// `POST users/create-ui` (admins only; see the module docs).
pub(super) async fn create_user_ui(call: &Call<'_>) -> Outcome {
    let form_request = mimetype(&call.req.headers) == "application/x-www-form-urlencoded";
    let form = match form_request {
        true => parse_urlencoded(&String::from_utf8_lossy(&call.req.body)),
        false => Vec::new(),
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let header_token = ["x-csrftoken", "x-csrf-token"].iter().find_map(|h| {
        call.req
            .headers
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let token = field("csrf_token").or(header_token);
    check_csrf_token(token.as_deref(), &call.caller.username, now())
        .map_err(CsrfError::into_api_error)?;

    let exact_type = call
        .req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if exact_type != Some("application/x-www-form-urlencoded") {
        return Err(ApiError::text_400(
            "Invalid content type. Must be application/x-www-form-urlencoded",
        ));
    }
    let unreadable = || {
        ApiError::bad_request_page(
            "The browser (or proxy) sent a request that this server could not understand.",
        )
    };
    let username = field("username").ok_or_else(unreadable)?;
    let password = field("password").ok_or_else(unreadable)?;
    if username.is_empty() || password.is_empty() {
        return Err(ApiError::text_400("Username and password cannot be empty."));
    }
    if call.core.store.has_user(&username).await? {
        return Ok(html(
            StatusCode::OK,
            alert(
                &format!("Username has already been taken: {username}"),
                "/signup",
            ),
        ));
    }
    create_user(call.core, &username, &Value::String(password)).await?;
    Ok(html(
        StatusCode::OK,
        alert(&format!("Successfully signed up user: {username}"), "/"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_user_and_time() {
        let t = csrf_token("admin", 1_000_000);
        assert_eq!(check_csrf_token(Some(&t), "admin", 1_000_000), Ok(()));
        assert_eq!(check_csrf_token(Some(&t), "admin", 1_003_600), Ok(()));
        assert_eq!(
            check_csrf_token(Some(&t), "admin", 1_003_601),
            Err(CsrfError::Expired)
        );
        assert_eq!(
            check_csrf_token(Some(&t), "mallory", 1_000_000),
            Err(CsrfError::Invalid)
        );
        assert_eq!(
            check_csrf_token(None, "admin", 1_000_000),
            Err(CsrfError::Missing)
        );
        assert_eq!(
            check_csrf_token(Some(""), "admin", 1_000_000),
            Err(CsrfError::Missing)
        );
        assert_eq!(
            check_csrf_token(Some("1000000.zz"), "admin", 1_000_000),
            Err(CsrfError::Invalid)
        );
        let forged = t.replacen("1000000", "1000500", 1);
        assert_eq!(
            check_csrf_token(Some(&forged), "admin", 1_000_600),
            Err(CsrfError::Invalid)
        );
    }

    #[test]
    fn alert_matches_flask_render() {
        // MLflow 3.17.2 answered exactly 146 bytes for `eve1`.
        assert_eq!(alert("Successfully signed up user: eve1", "/").len(), 146);
        assert_eq!(
            alert("Username has already been taken: eve1", "/signup").len(),
            156
        );
    }
}
