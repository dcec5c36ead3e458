//! MLflow's custom-app example as an mlauth app plugin, with sessions.
//!
//! * `create-app` adds `/public/*` (public), `POST /api/custom-auth/login` and
//!   `POST /api/custom-auth/logout` (public: a client reaches them without a session); the
//!   optional `extra_route` setting adds one more public route.
//! * `login` checks `{"username": …, "password": …}` through the `users` capability and
//!   answers `{"token": …, "token_type": "Bearer", "expires_in": …}`: an opaque random token
//!   whose SHA-256 is kept in `kv` with a TTL (the store never holds a usable token).
//! * Failed logins are counted per username in `kv` (one atomic increment); at
//!   `max_failed_logins` within `lockout_seconds` the username is locked out (`429`) until
//!   the window ends — for logins and Basic credentials alike.
//! * `logout` revokes the presented Bearer token.
//! * `authenticate` accepts a live session token as `Authorization: Bearer …`, or HTTP Basic
//!   credentials checked through `users` (MLflow clients), and answers anything else with
//!   MLflow's Basic `401` challenge.
//!
//! Grants: `users`, `kv`, `crypto`.

mod session;

use mlauth_guest_sdk::{config, log, App, Authenticator, Authorization, Request, Response, Route};

use session::{Login, Settings};

/// The public prefix this app serves.
const PUBLIC: &str = "/public";
/// The login route.
const LOGIN: &str = "/api/custom-auth/login";
/// The logout route.
const LOGOUT: &str = "/api/custom-auth/logout";

/// The plugin.
struct CustomAuthApp;

impl Authenticator for CustomAuthApp {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let settings = Settings::from_config().map_err(misconfigured)?;
        if let Some(token) = req.bearer_token() {
            return match session::lookup(token) {
                Some(username) => Ok(Authorization::user(username)),
                None => Err(Response::bearer_challenge("mlflow")),
            };
        }
        match req.basic_auth() {
            Some(given) => {
                match session::check_password(&settings, &given.username, &given.password) {
                    Login::Ok(user) => Ok(Authorization::user(user)),
                    Login::LockedOut => Err(locked_out(&settings)),
                    Login::Refused => Err(Response::basic_challenge("mlflow")),
                }
            }
            None => Err(Response::basic_challenge("mlflow")),
        }
    }
}

impl App for CustomAuthApp {
    fn create_app(host_routes: Vec<Route>) -> Result<Vec<Route>, String> {
        Settings::from_config()?;
        log::info(format!(
            "adding 3 routes next to the host's {}",
            host_routes.len()
        ));
        let mut routes = vec![
            Route::new(format!("{PUBLIC}/*")).public(),
            Route::new(LOGIN).method("POST").public(),
            Route::new(LOGOUT).method("POST").public(),
        ];
        // Optional: one more public route, e.g. to try what the host does with a clash.
        if let Some(extra) = config::get("extra_route") {
            routes.push(Route::new(extra).public());
        }
        Ok(routes)
    }

    fn handle(req: Request, _user: Option<Authorization>) -> Response {
        let path = req.path();
        if path == PUBLIC || path.starts_with("/public/") {
            return Response::new(200).json(r#"{"message": "public"}"#);
        }
        let settings = match Settings::from_config() {
            Ok(s) => s,
            Err(e) => return misconfigured(e),
        };
        match (req.method(), path) {
            ("POST", LOGIN) => login(&settings, &req),
            ("POST", LOGOUT) => logout(&req),
            _ => Response::mlflow_error(404, "ENDPOINT_NOT_FOUND", "no such custom-auth-app route"),
        }
    }
}

fn login(settings: &Settings, req: &Request) -> Response {
    let Some((username, password)) = req.body().and_then(session::parse_login) else {
        return Response::mlflow_error(
            400,
            "INVALID_PARAMETER_VALUE",
            "send a JSON body {\"username\": \"...\", \"password\": \"...\"}",
        );
    };
    match session::check_password(settings, &username, &password) {
        Login::Ok(user) => {
            let token = session::issue(settings, &user);
            let body = serde_json::json!({
                "token": token,
                "token_type": "Bearer",
                "expires_in": settings.session_ttl,
            });
            Response::new(200).json(body.to_string())
        }
        Login::LockedOut => locked_out(settings),
        Login::Refused => {
            Response::mlflow_error(401, "UNAUTHENTICATED", "Invalid username or password.")
        }
    }
}

fn logout(req: &Request) -> Response {
    match req.bearer_token() {
        Some(token) => {
            let revoked = session::revoke(token);
            Response::new(200).json(serde_json::json!({ "revoked": revoked }).to_string())
        }
        None => Response::mlflow_error(
            400,
            "INVALID_PARAMETER_VALUE",
            "send the session token as Authorization: Bearer <token>",
        ),
    }
}

fn locked_out(settings: &Settings) -> Response {
    Response::mlflow_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Too many failed logins for this user; try again later.",
    )
    .header("retry-after", settings.lockout_seconds.to_string())
}

fn misconfigured(message: String) -> Response {
    log::error(format!("custom-auth-app is misconfigured: {message}"));
    Response::mlflow_error(
        500,
        "INTERNAL_ERROR",
        "custom-auth-app plugin is not configured",
    )
}

mlauth_guest_sdk::export_app!(CustomAuthApp);

#[cfg(test)]
mod tests;
