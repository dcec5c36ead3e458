//! Users on SQLite and PostgreSQL: CRUD and MLflow's error messages.

use super::{assert_msg, both_backends, open, TestDb};

both_backends!(users_crud, user_errors_use_mlflow_messages);

async fn users_crud(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let hash = "scrypt:32768:8:1$salt$abcdef";
    let alice = store.create_user("alice", hash, false).await.unwrap();
    let admin = store
        .create_user("admin", "pbkdf2:sha256:1$s$h", true)
        .await
        .unwrap();
    assert_eq!(
        (
            alice.username.as_str(),
            alice.password_hash.as_str(),
            alice.is_admin
        ),
        ("alice", hash, false)
    );
    assert!(admin.is_admin && admin.id > alice.id);
    assert_eq!(store.get_user("alice").await.unwrap(), alice);
    assert_eq!(store.get_user_by_id(admin.id).await.unwrap(), admin);
    assert!(store.has_user("alice").await.unwrap());
    assert!(
        !store.has_user("Alice").await.unwrap(),
        "usernames are case-sensitive"
    );
    assert_eq!(store.find_user("nobody").await.unwrap(), None);
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "admin"]);
    store
        .update_password_hash("alice", "scrypt:new")
        .await
        .unwrap();
    store.update_admin("alice", true).await.unwrap();
    let alice2 = store.get_user("alice").await.unwrap();
    assert_eq!(
        (alice2.password_hash.as_str(), alice2.is_admin),
        ("scrypt:new", true)
    );
    store.update_admin("alice", false).await.unwrap();
    assert!(!store.get_user("alice").await.unwrap().is_admin);
    assert!(
        !format!("{alice2:?}").contains("scrypt"),
        "Debug must redact the hash"
    );
    store.delete_user("admin").await.unwrap();
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    store.close().await;
    db
}

async fn user_errors_use_mlflow_messages(db: TestDb) -> TestDb {
    let store = open(&db).await;
    store.create_user("alice", "h", false).await.unwrap();
    assert_msg(
        store.create_user("alice", "h", false).await,
        "AlreadyExists",
        "User (username=alice) already exists.",
    );
    assert_msg(
        store.create_user("", "h", false).await,
        "InvalidParameter",
        "Username cannot be empty.",
    );
    assert_msg(
        store.get_user("nobody").await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_msg(
        store.get_user_by_id(999).await,
        "NotFound",
        "User with id=999 not found",
    );
    assert_msg(
        store.update_password_hash("nobody", "h").await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_msg(
        store.update_admin("nobody", true).await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_msg(
        store.delete_user("nobody").await,
        "NotFound",
        "User with username=nobody not found",
    );
    store.close().await;
    db
}
