//! Personal access tokens through the auth API and the credential checks.

use http::Method;
use serde_json::Value;

use super::{Env, PASSWORD};

const CREATE: &str = "/api/2.0/mlflow/users/access-tokens/create";
const LIST: &str = "/api/2.0/mlflow/users/access-tokens/list";
const DELETE: &str = "/api/2.0/mlflow/users/access-tokens/delete";

async fn mint(env: &Env, who: &str, body: &str) -> Value {
    let answer = env.send(who, Method::POST, CREATE, "", body).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn a_minted_token_verifies_as_password_and_alone_until_revoked() {
    let env = Env::new().await;
    let created = mint(&env, "bob", r#"{"name": "ci", "expires_in_days": 2}"#).await;
    let token = created["token"].as_str().unwrap().to_string();
    let meta = &created["access_token"];
    assert_eq!(
        (meta["name"].as_str(), meta["username"].as_str()),
        (Some("ci"), Some("bob"))
    );
    let lifetime = meta["expiration_timestamp"].as_i64().unwrap()
        - meta["creation_timestamp"].as_i64().unwrap();
    assert_eq!(lifetime, 2 * 86_400_000);
    assert!(token.starts_with(&format!("mlat_{}_", meta["prefix"].as_str().unwrap())));

    let core = &env.core;
    assert_eq!(
        core.verify_credentials("bob", &token)
            .await
            .unwrap()
            .unwrap()
            .username,
        "bob"
    );
    assert!(core
        .verify_credentials("alice", &token)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        core.verify_token(&token, None)
            .await
            .unwrap()
            .unwrap()
            .username,
        "bob"
    );
    assert!(
        core.verify_password("bob", &token).await.unwrap().is_none(),
        "never a password"
    );
    // One character off is no token.
    let mut forged = token.clone();
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    assert!(core.verify_token(&forged, None).await.unwrap().is_none());

    let list = env.send("bob", Method::GET, LIST, "", "").await;
    assert_eq!(list.status.as_u16(), 200);
    assert!(
        !list.body.contains(&token[14..]) && list.body.contains("\"ci\""),
        "{}",
        list.body
    );

    let id = meta["id"].as_i64().unwrap();
    let revoke = env
        .send(
            "bob",
            Method::DELETE,
            DELETE,
            "",
            &format!(r#"{{"id": {id}}}"#),
        )
        .await;
    assert_eq!(revoke.status.as_u16(), 200, "{}", revoke.body);
    assert!(core.verify_token(&token, None).await.unwrap().is_none());
    assert!(core
        .verify_credentials("bob", &token)
        .await
        .unwrap()
        .is_none());
    assert!(core
        .verify_credentials("bob", PASSWORD)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn only_admins_manage_other_users_tokens_and_bad_input_is_named() {
    let env = Env::new().await;
    env.send("alice", Method::GET, LIST, "username=bob", "")
        .await
        .assert_denied();
    env.send(
        "alice",
        Method::POST,
        CREATE,
        "",
        r#"{"name": "x", "username": "bob"}"#,
    )
    .await
    .assert_denied();
    let by_admin = mint(&env, "admin", r#"{"name": "svc", "username": "bob"}"#).await;
    assert_eq!(by_admin["access_token"]["username"], "bob");
    let listed = env
        .send("admin", Method::GET, LIST, "username=bob", "")
        .await
        .json();
    assert_eq!(listed["access_tokens"].as_array().unwrap().len(), 1);
    let id = by_admin["access_token"]["id"].as_i64().unwrap();
    // alice cannot revoke bob's token by id: it is not hers.
    env.send(
        "alice",
        Method::DELETE,
        DELETE,
        "",
        &format!(r#"{{"id": {id}}}"#),
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        &format!("Access token with id={id} not found."),
    );

    for (body, message) in [
        (
            r#"{"name": "x", "expires_in_days": 0}"#,
            "expires_in_days must be between 1 and 366, got 0.",
        ),
        (
            r#"{"name": "x", "expires_in_days": 367}"#,
            "expires_in_days must be between 1 and 366, got 367.",
        ),
        (
            r#"{"name": "  "}"#,
            "Token name must be 1 to 255 characters.",
        ),
    ] {
        env.send("bob", Method::POST, CREATE, "", body)
            .await
            .assert_error(400, "INVALID_PARAMETER_VALUE", message);
    }
    env.send("bob", Method::POST, CREATE, "", r#"{"name": "svc"}"#)
        .await
        .assert_error(
            400,
            "RESOURCE_ALREADY_EXISTS",
            "Access token with name=svc already exists for user=bob.",
        );
}
