use mlauth_guest_sdk::jwt::{self, VerifyError};
use mlauth_guest_sdk::{config, Authenticator, Request};

use super::*;

fn setup() {
    config::set_for_test("issuer", Some("https://idp.test/"));
    config::set_for_test("audience", Some("mlflow"));
    config::set_for_test(
        "role_map",
        Some("ml-admins=admin, ml-team=editor, ml-team2=editor"),
    );
}

fn bearer(token: &str) -> Request {
    Request::builder("GET", "/api/2.0/mlflow/experiments/search")
        .header("authorization", format!("Bearer {token}"))
        .build()
}

#[test]
fn verified_claims_become_the_identity_with_mapped_roles() {
    setup();
    jwt::set_for_test(
        "good",
        Ok(
            r#"{"iss":"https://idp.test/","sub":"u1","preferred_username":"alice","groups":["ml-team","ml-team2","other"]}"#,
        ),
    );
    let auth = OidcJwt::authenticate(bearer("good")).unwrap();
    assert_eq!(auth.username(), "alice");
    assert_eq!(auth.groups(), ["editor"]);
    assert!(auth.attributes().contains(&("sub".into(), "u1".into())));
}

#[test]
fn refusals_map_to_401_503_and_403() {
    setup();
    jwt::set_for_test("expired", Err(VerifyError::Expired));
    jwt::set_for_test("down", Err(VerifyError::KeysUnavailable("x".into())));
    jwt::set_for_test(
        "nogroup",
        Ok(r#"{"preferred_username":"bob","groups":"ml-team"}"#),
    );
    jwt::set_for_test("noname", Ok(r#"{"sub":"x"}"#));
    let expired = OidcJwt::authenticate(bearer("expired")).unwrap_err();
    assert_eq!(expired.status(), 401);
    assert!(
        std::str::from_utf8(expired.header_value("www-authenticate").unwrap())
            .unwrap()
            .contains("Bearer")
    );
    assert_eq!(
        OidcJwt::authenticate(bearer("down")).unwrap_err().status(),
        503
    );
    assert_eq!(
        OidcJwt::authenticate(bearer("noname"))
            .unwrap_err()
            .status(),
        401
    );
    let missing = Request::builder("GET", "/").build();
    assert_eq!(OidcJwt::authenticate(missing).unwrap_err().status(), 401);
    config::set_for_test("required_group", Some("ml-admins"));
    assert_eq!(
        OidcJwt::authenticate(bearer("nogroup"))
            .unwrap_err()
            .status(),
        403
    );
}

#[test]
fn settings_are_checked() {
    assert!(mapping::parse_role_map("a=b,,c = d").unwrap().len() == 2);
    assert!(mapping::parse_role_map("a").is_err());
    setup();
    config::set_for_test("leeway_seconds", Some("301"));
    assert_eq!(
        OidcJwt::authenticate(bearer("x")).unwrap_err().status(),
        500
    );
    config::set_for_test("leeway_seconds", None);
    // A misspelt setting fails closed instead of being ignored.
    config::set_for_test("required_groups", Some("ml-admins"));
    assert_eq!(
        OidcJwt::authenticate(bearer("x")).unwrap_err().status(),
        500
    );
    config::set_for_test("required_groups", None);
    config::set_for_test("issuer", None);
    assert_eq!(
        OidcJwt::authenticate(bearer("x")).unwrap_err().status(),
        500
    );
}
