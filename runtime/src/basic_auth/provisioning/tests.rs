use super::*;

async fn store() -> Store {
    Store::connect("sqlite::memory:").await.unwrap()
}

fn identity(username: &str, groups: &[&str]) -> Identity {
    Identity {
        username: username.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        attributes: Vec::new(),
    }
}

/// One request as the basic-auth app makes it: the stored row, then the provisioner.
async fn request(
    p: &Provisioner,
    store: &Store,
    who: &Identity,
) -> Result<Option<User>, StoreError> {
    let existing = store.find_user(&who.username).await?;
    p.caller(store, who, existing).await
}

fn provisioner(create_users: bool, managed: &[&str]) -> Provisioner {
    Provisioner::new(ProvisioningConfig {
        create_users,
        managed_roles: managed.iter().map(|r| r.to_string()).collect(),
    })
}

async fn role_names(store: &Store, user: &User) -> Vec<String> {
    let mut names: Vec<String> = store
        .list_user_roles_for_workspace(user.id, DEFAULT_WORKSPACE)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn unknown_user_is_created_only_when_enabled() {
    let store = store().await;
    let off = provisioner(false, &[]);
    assert!(request(&off, &store, &identity("alice", &[]))
        .await
        .unwrap()
        .is_none());
    assert!(store.find_user("alice").await.unwrap().is_none());

    let on = provisioner(true, &[]);
    let alice = request(&on, &store, &identity("alice", &[]))
        .await
        .unwrap()
        .expect("created");
    assert_eq!(alice.username, "alice");
    assert!(!alice.is_admin, "provisioned users are never admins");
    // The password is a real werkzeug hash of a secret nobody knows.
    assert!(alice.password_hash.starts_with("scrypt:32768:8:1$"));
    for guess in ["", "alice", "password1234"] {
        assert!(!crate::basic_auth::password::verify_password(
            &alice.password_hash,
            guess
        ));
    }
    // A second request finds the same row.
    let again = request(&on, &store, &identity("alice", &[])).await.unwrap();
    assert_eq!(again.map(|u| u.id), Some(alice.id));
}

#[tokio::test]
async fn managed_roles_follow_the_groups_and_other_roles_are_left_alone() {
    let store = store().await;
    for name in ["editor", "viewer", "auditors"] {
        store
            .create_role(name, DEFAULT_WORKSPACE, None)
            .await
            .unwrap();
    }
    let bob = store.create_user("bob", "x", false).await.unwrap();
    let auditors = store
        .get_role_by_name(DEFAULT_WORKSPACE, "auditors")
        .await
        .unwrap();
    store.assign_role(bob.id, auditors.id).await.unwrap();
    let p = provisioner(false, &["editor", "viewer"]);

    // Groups outside the managed list (even names of existing roles) grant nothing.
    request(
        &p,
        &store,
        &identity("bob", &["editor", "admins", "auditors"]),
    )
    .await
    .unwrap();
    assert_eq!(role_names(&store, &bob).await, ["auditors", "editor"]);

    request(&p, &store, &identity("bob", &["viewer"]))
        .await
        .unwrap();
    assert_eq!(role_names(&store, &bob).await, ["auditors", "viewer"]);

    // No managed group left: managed roles go, the admin-assigned one stays.
    request(&p, &store, &identity("bob", &[])).await.unwrap();
    assert_eq!(role_names(&store, &bob).await, ["auditors"]);
}

#[tokio::test]
async fn a_missing_role_grants_nothing_and_does_not_fail_the_request() {
    let store = store().await;
    store
        .create_role("editor", DEFAULT_WORKSPACE, None)
        .await
        .unwrap();
    let p = provisioner(true, &["editor", "ghost"]);
    let carol = request(&p, &store, &identity("carol", &["editor", "ghost"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(role_names(&store, &carol).await, ["editor"]);
}

#[tokio::test]
async fn an_unchanged_store_is_not_read_again_and_any_write_triggers_a_resync() {
    let store = store().await;
    store
        .create_role("editor", DEFAULT_WORKSPACE, None)
        .await
        .unwrap();
    let dave = store.create_user("dave", "x", false).await.unwrap();
    let p = provisioner(false, &["editor"]);
    request(&p, &store, &identity("dave", &["editor"]))
        .await
        .unwrap();
    let generation = store.generation();
    request(&p, &store, &identity("dave", &["editor"]))
        .await
        .unwrap();
    assert_eq!(store.generation(), generation, "a memo hit writes nothing");

    // An admin removes the role through the API (a store write): the next request restores
    // what the plugin reports.
    let editor = store
        .get_role_by_name(DEFAULT_WORKSPACE, "editor")
        .await
        .unwrap();
    store.unassign_role(dave.id, editor.id).await.unwrap();
    request(&p, &store, &identity("dave", &["editor"]))
        .await
        .unwrap();
    assert_eq!(role_names(&store, &dave).await, ["editor"]);
}

#[test]
fn config_validation_names_the_bad_entry() {
    let bad = |roles: &[&str]| {
        ProvisioningConfig {
            create_users: false,
            managed_roles: roles.iter().map(|r| r.to_string()).collect(),
        }
        .validate()
        .unwrap_err()
    };
    assert!(bad(&[" "]).contains("empty role name"));
    assert!(bad(&["__user_3__"]).contains("`__user_3__`"));
    assert!(bad(&["editor", "editor"]).contains("`editor` twice"));
    assert!(ProvisioningConfig::default().validate().is_ok());
    assert!(!ProvisioningConfig::default().is_enabled());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_create_one_user_with_the_right_roles() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("auth.db").display());
    let store = Store::connect(&url).await.unwrap();
    for name in ["editor", "viewer"] {
        store
            .create_role(name, DEFAULT_WORKSPACE, None)
            .await
            .unwrap();
    }
    let p = std::sync::Arc::new(provisioner(true, &["editor", "viewer"]));
    let calls = (0..8).map(|i| {
        let (p, store) = (p.clone(), store.clone());
        let groups: &[&str] = if i % 2 == 0 {
            &["editor"]
        } else {
            &["editor", "viewer"]
        };
        let who = identity("erin", groups);
        tokio::spawn(async move { request(&p, &store, &who).await })
    });
    for call in calls.collect::<Vec<_>>() {
        let user = call
            .await
            .unwrap()
            .expect("no request fails")
            .expect("a user");
        assert_eq!(user.username, "erin");
    }
    assert_eq!(
        store.list_users().await.unwrap().len(),
        1,
        "exactly one row for erin"
    );
    // The last word is whichever request synced last; a final request settles it.
    let erin = request(&p, &store, &identity("erin", &["viewer"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(role_names(&store, &erin).await, ["viewer"]);
}
