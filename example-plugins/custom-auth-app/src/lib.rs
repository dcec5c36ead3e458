//! MLflow's custom-app example as an mlauth app plugin.
//!
//! * `create-app` adds `/public/*` (public, any method) and `POST /api/custom-auth/login`
//!   (public, so a client can reach it before it has credentials; it is a placeholder until
//!   sessions exist); the optional `extra_route` setting adds one more public route.
//! * `authenticate` accepts HTTP Basic credentials equal to the `username` and `password`
//!   settings (compared in constant time) and answers anything else with MLflow's Basic
//!   `401` challenge. Without both settings every request is refused with `500`.

use mlauth_guest_sdk::{
    config, ct_eq, log, App, Authenticator, Authorization, Request, Response, Route,
};

/// The public prefix this app serves.
const PUBLIC: &str = "/public";
/// The login route.
const LOGIN: &str = "/api/custom-auth/login";

/// The plugin.
struct CustomAuthApp;

impl Authenticator for CustomAuthApp {
    fn authenticate(req: Request) -> Result<Authorization, Response> {
        let (Some(username), Some(password)) = (config::get("username"), config::get("password"))
        else {
            log::error(
                "the `username` and `password` settings are required; refusing every request",
            );
            return Err(Response::mlflow_error(
                500,
                "INTERNAL_ERROR",
                "custom-auth-app plugin is not configured",
            ));
        };
        match req.basic_auth() {
            // `&` rather than `&&`: always compare both, so timing does not tell which one failed.
            Some(given)
                if ct_eq(given.username.as_bytes(), username.as_bytes())
                    & ct_eq(given.password.as_bytes(), password.as_bytes()) =>
            {
                Ok(Authorization::user(username))
            }
            _ => Err(Response::basic_challenge("mlflow")),
        }
    }
}

impl App for CustomAuthApp {
    fn create_app(host_routes: Vec<Route>) -> Result<Vec<Route>, String> {
        log::info(format!(
            "adding 2 routes next to the host's {}",
            host_routes.len()
        ));
        let mut routes = vec![
            Route::new(format!("{PUBLIC}/*")).public(),
            Route::new(LOGIN).method("POST").public(),
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
            Response::new(200).json(r#"{"message": "public"}"#)
        } else if path == LOGIN && req.method() == "POST" {
            Response::new(200).json(r#"{"message": "login is not implemented yet"}"#)
        } else {
            Response::mlflow_error(404, "ENDPOINT_NOT_FOUND", "no such custom-auth-app route")
        }
    }
}

mlauth_guest_sdk::export_app!(CustomAuthApp);

#[cfg(test)]
mod tests {
    use super::*;

    fn configure() {
        config::set_for_test("username", Some("admin"));
        config::set_for_test("password", Some("pass:word"));
    }

    fn basic(value: &str) -> Request {
        Request::builder("GET", "/api/2.0/mlflow/experiments/search")
            .header("authorization", value)
            .build()
    }

    #[test]
    fn basic_credentials_must_match_both_settings() {
        configure();
        // base64("admin:pass:word"), base64("admin:wrong"), base64("root:pass:word")
        assert_eq!(
            CustomAuthApp::authenticate(basic("Basic YWRtaW46cGFzczp3b3Jk"))
                .unwrap()
                .username(),
            "admin"
        );
        for bad in [
            "Basic YWRtaW46d3Jvbmc=",
            "Basic cm9vdDpwYXNzOndvcmQ=",
            "Bearer x",
        ] {
            let refusal = CustomAuthApp::authenticate(basic(bad)).unwrap_err();
            assert_eq!(refusal, Response::basic_challenge("mlflow"));
        }
    }

    #[test]
    fn routes_and_handlers() {
        let routes = CustomAuthApp::create_app(Vec::new()).unwrap();
        assert_eq!(routes.len(), 2);
        assert!(routes.iter().all(Route::is_public));
        let public = CustomAuthApp::handle(Request::builder("DELETE", "/public/x").build(), None);
        assert_eq!(
            (public.status(), public.body_bytes()),
            (200, &br#"{"message": "public"}"#[..])
        );
        let login = CustomAuthApp::handle(Request::builder("POST", LOGIN).build(), None);
        assert_eq!(login.status(), 200);
        let other = CustomAuthApp::handle(Request::builder("GET", "/publicity").build(), None);
        assert_eq!(other.status(), 404);
    }
}
