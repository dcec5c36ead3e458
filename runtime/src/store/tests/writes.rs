//! Write bookkeeping on SQLite and PostgreSQL: the generation counter and concurrent
//! writers through clones of one handle.

use super::{both_backends, open, TestDb};
use crate::store::DEFAULT_WORKSPACE;

both_backends!(generation_counts_writes, concurrent_grants_are_safe);

async fn generation_counts_writes(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let g0 = store.generation();
    store.create_user("bob", "h", false).await.unwrap();
    assert_eq!(store.generation(), g0 + 1);
    store.get_user("bob").await.unwrap();
    let _ = store.create_user("bob", "h", false).await;
    assert_eq!(
        store.generation(),
        g0 + 1,
        "reads and failed writes do not count"
    );
    store
        .grant_user_permission("bob", DEFAULT_WORKSPACE, "experiment", "1", "READ")
        .await
        .unwrap();
    let clone = store.clone();
    clone.update_admin("bob", true).await.unwrap();
    assert_eq!(store.generation(), g0 + 3, "clones share the counter");
    store.close().await;
    db
}

async fn concurrent_grants_are_safe(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .grant_user_permission(
                        "bob",
                        "default",
                        "experiment",
                        &(i % 4).to_string(),
                        "READ",
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("join").expect("grant");
    }
    let roles = store.list_user_roles(bob.id).await.unwrap();
    assert_eq!(roles.len(), 1, "exactly one synthetic role");
    assert_eq!(roles[0].permissions.len(), 4);
    store.close().await;
    db
}
