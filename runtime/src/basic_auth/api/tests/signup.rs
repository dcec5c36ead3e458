//! `/signup` and `users/create-ui`.

use http::Method;

use super::{request, Env};

const CREATE_UI: &str = "/api/2.0/mlflow/users/create-ui";
const FORM: &str = "application/x-www-form-urlencoded";

fn token_of(page: &str) -> String {
    let start =
        page.find(r#"name="csrf_token" value=""#).unwrap() + r#"name="csrf_token" value=""#.len();
    page[start..].split('"').next().unwrap().to_string()
}

async fn signup_token(env: &Env, who: &str) -> String {
    let a = env.get(who, "/signup", "").await;
    assert_eq!(
        (a.status.as_u16(), a.content_type.as_str()),
        (200, "text/html; charset=utf-8")
    );
    token_of(&a.body)
}

#[tokio::test]
async fn signup_page_is_mlflows_form() {
    let env = Env::new().await;
    let a = env.get("admin", "/signup", "").await;
    assert!(a.body.starts_with("\n<style>\n  form {\n"));
    assert!(a
        .body
        .contains(r#"<form action="/api/2.0/mlflow/users/create-ui" method="post">"#));
    assert!(a
        .body
        .contains(r#"<input type="text" id="username" name="username" minlength="4">"#));
    assert!(a
        .body
        .contains(r#"<input type="password" id="password" name="password" minlength="12">"#));
    assert!(a
        .body
        .ends_with("<input type=\"submit\" value=\"Sign up\">\n</form>"));
    assert!(!token_of(&a.body).is_empty());
    env.get("bob", "/signup", "").await.assert_denied();
    env.make_workspace_admin("bob", "other").await;
    assert_eq!(env.get("bob", "/signup", "").await.status.as_u16(), 200);
}

#[tokio::test]
async fn create_ui_flow() {
    let env = Env::new().await;
    let token = signup_token(&env, "admin").await;
    let form = |body: String| request(Method::POST, CREATE_UI, "", Some(FORM), &body);
    let a = env
        .send_req(
            "admin",
            form(format!(
                "csrf_token={token}&username=eve1&password=EvePassw0rd-12"
            )),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.content_type.as_str()),
        (200, "text/html; charset=utf-8")
    );
    assert_eq!(
        a.body,
        "\n<script type = \"text/javascript\">\n\n  \n    \n      alert(\"Successfully signed up user: eve1\");\n    \n  \n\n      window.location.href = \"/\";\n</script>"
    );
    assert!(env.core.store.has_user("eve1").await.unwrap());
    let a = env
        .send_req(
            "admin",
            form(format!(
                "csrf_token={token}&username=eve1&password=EvePassw0rd-12"
            )),
        )
        .await;
    assert!(
        a.body
            .contains("alert(\"Username has already been taken: eve1\");")
            && a.body.contains("href = \"/signup\"")
    );
    let a = env
        .send_req(
            "admin",
            form(format!(
                "csrf_token={token}&username=%3Ceve%226&password=EvePassw0rd-12"
            )),
        )
        .await;
    assert!(
        a.body
            .contains("alert(\"Successfully signed up user: &lt;eve&#34;6\");"),
        "{}",
        a.body
    );
    let a = env
        .send_req(
            "admin",
            form(format!(
                "csrf_token={token}&username=&password=EvePassw0rd-12"
            )),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (400, "Username and password cannot be empty.")
    );
    env.send_req(
        "admin",
        form(format!("csrf_token={token}&username=eve2&password=short")),
    )
    .await
    .assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Password must be at least 12 characters.",
    );
    let a = env
        .send_req("admin", form(format!("csrf_token={token}&username=eve3")))
        .await;
    assert_eq!(a.status.as_u16(), 400);
    assert!(a.body.contains(
        "<p>The browser (or proxy) sent a request that this server could not understand.</p>"
    ));
    // Content type: exactly form-urlencoded (a charset parameter is refused, as in MLflow).
    let mut json = request(
        Method::POST,
        CREATE_UI,
        "",
        Some("application/json"),
        r#"{"username":"eve4","password":"EvePassw0rd-12"}"#,
    );
    json.headers.insert("x-csrftoken", token.parse().unwrap());
    let a = env.send_req("admin", json).await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (
            400,
            "Invalid content type. Must be application/x-www-form-urlencoded"
        )
    );
    let charset = request(
        Method::POST,
        CREATE_UI,
        "",
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        &format!("csrf_token={token}&username=eve5&password=EvePassw0rd-12"),
    );
    assert_eq!(
        env.send_req("admin", charset).await.body,
        "Invalid content type. Must be application/x-www-form-urlencoded"
    );
}

#[tokio::test]
async fn create_ui_csrf_and_who() {
    let env = Env::new().await;
    let form = |body: &str| request(Method::POST, CREATE_UI, "", Some(FORM), body);
    let page = |text: &str| {
        format!("<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>{text}</p>\n")
    };
    let a = env
        .send_req("admin", form("username=eve1&password=EvePassw0rd-12"))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.content_type.as_str()),
        (400, "text/html; charset=utf-8")
    );
    assert_eq!(a.body, page("The CSRF token is missing."));
    let a = env
        .send_req(
            "admin",
            form("csrf_token=bad&username=eve1&password=EvePassw0rd-12"),
        )
        .await;
    assert_eq!(a.body, page("The CSRF token is invalid."));
    // A token minted for another user is invalid for this one.
    let alices = signup_token_for(&env, "carol").await;
    let a = env
        .send_req(
            "admin",
            form(&format!(
                "csrf_token={alices}&username=eve1&password=EvePassw0rd-12"
            )),
        )
        .await;
    assert_eq!(a.body, page("The CSRF token is invalid."));
    let stale = super::super::signup::csrf_token("admin", 1_000);
    let a = env
        .send_req(
            "admin",
            form(&format!(
                "csrf_token={stale}&username=eve1&password=EvePassw0rd-12"
            )),
        )
        .await;
    assert_eq!(a.body, page("The CSRF token has expired."));
    // Fail-closed for non-admins, even workspace admins with a valid token.
    env.make_workspace_admin("bob", "other").await;
    let token = signup_token(&env, "bob").await;
    env.send_req(
        "bob",
        form(&format!(
            "csrf_token={token}&username=eve1&password=EvePassw0rd-12"
        )),
    )
    .await
    .assert_denied();
    assert!(!env.core.store.has_user("eve1").await.unwrap());
}

/// A token as the page would mint it for `who` (without needing `who` to be allowed the page).
async fn signup_token_for(_env: &Env, who: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    super::super::signup::csrf_token(who, now)
}
