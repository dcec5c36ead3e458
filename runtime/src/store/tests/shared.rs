//! Several store handles (separate pools, as separate processes have) on one database:
//! the change counter, the change watcher and mlauth's own tables.

use std::time::{Duration, Instant};

use super::{both_backends, TestDb};
use crate::store::access_tokens::NewAccessToken;
use crate::store::{Store, StoreError, DEFAULT_WORKSPACE};

both_backends!(
    writes_bump_the_shared_counter,
    a_watcher_sees_another_handles_writes,
    mlauth_tables_are_idempotent,
    access_tokens_crud,
);

async fn open(db: &TestDb) -> Store {
    Store::connect(&db.url).await.expect("connect")
}

async fn writes_bump_the_shared_counter(db: TestDb) -> TestDb {
    let (a, b) = (open(&db).await, open(&db).await);
    let c0 = b.change_counter().await.unwrap();
    a.create_user("bob", "h", false).await.unwrap();
    let _ = a.create_user("bob", "h", false).await; // fails: no bump
    a.grant_user_permission("bob", DEFAULT_WORKSPACE, "experiment", "1", "READ")
        .await
        .unwrap();
    assert_eq!(b.change_counter().await.unwrap(), c0 + 2);
    // A write that MLflow's own tooling makes does not move it (documented: such writes
    // are caught by per-use validation, not by the counter).
    a.close().await;
    b.close().await;
    db
}

async fn a_watcher_sees_another_handles_writes(db: TestDb) -> TestDb {
    let (a, b) = (open(&db).await, open(&db).await);
    let _watcher = b.watch_changes(Duration::from_millis(50));
    let mut changes = b.subscribe();
    // The first poll establishes the baseline (and bumps once).
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .expect("first poll")
        .unwrap();
    let before = b.generation();
    let started = Instant::now();
    a.update_admin("admin", true).await.unwrap_err(); // unknown user: nothing written
    a.create_user("carol", "h", false).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .expect("the watcher saw the other handle's write")
        .unwrap();
    assert!(b.generation() > before);
    eprintln!("watcher latency: {:?}", started.elapsed());
    a.close().await;
    b.close().await;
    db
}

async fn mlauth_tables_are_idempotent(db: TestDb) -> TestDb {
    for _ in 0..2 {
        let store = open(&db).await;
        store
            .create_user(&format!("u{}", store.generation()), "h", false)
            .await
            .ok();
        store.close().await;
    }
    let store = open(&db).await;
    assert!(store.change_counter().await.unwrap() >= 1);
    store.close().await;
    db
}

fn new_token<'a>(
    name: &'a str,
    prefix: &'a str,
    hash: &'a str,
    expires_at: i64,
) -> NewAccessToken<'a> {
    NewAccessToken {
        name,
        prefix,
        token_hash: hash,
        created_at: 1_000,
        expires_at,
    }
}

async fn access_tokens_crud(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let t1 = store
        .create_access_token(&bob, new_token("ci", "abcd1234", "h1", 10_000), 2)
        .await
        .unwrap();
    assert_eq!(
        (t1.name.as_str(), t1.username.as_str(), t1.expires_at),
        ("ci", "bob", 10_000)
    );
    let dup = store
        .create_access_token(&bob, new_token("ci", "zzzz0000", "h2", 10_000), 2)
        .await;
    assert!(matches!(dup, Err(StoreError::AlreadyExists(_))), "{dup:?}");
    store
        .create_access_token(&bob, new_token("laptop", "abcd1234", "h3", 10_000), 2)
        .await
        .unwrap();
    let full = store
        .create_access_token(&bob, new_token("third", "q", "h4", 10_000), 2)
        .await;
    assert!(
        matches!(full, Err(StoreError::InvalidParameter(_))),
        "{full:?}"
    );
    let candidates = store.access_token_candidates("abcd1234").await.unwrap();
    assert_eq!(candidates.len(), 2);
    assert!(candidates.iter().all(|c| c.owner.id == bob.id));
    assert_eq!(store.list_access_tokens(bob.id).await.unwrap().len(), 2);
    store.delete_access_token(bob.id, t1.id).await.unwrap();
    let again = store.delete_access_token(bob.id, t1.id).await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
    assert_eq!(
        store
            .access_token_candidates("abcd1234")
            .await
            .unwrap()
            .len(),
        1
    );
    // Another user's id cannot revoke it.
    let carol = store.create_user("carol", "h", false).await.unwrap();
    let left = store.list_access_tokens(bob.id).await.unwrap()[0].clone();
    assert!(store.delete_access_token(carol.id, left.id).await.is_err());
    // Tokens die with their user.
    store.delete_user("bob").await.unwrap();
    assert!(store
        .access_token_candidates("abcd1234")
        .await
        .unwrap()
        .is_empty());
    assert!(store.list_access_tokens(bob.id).await.unwrap().is_empty());
    store.close().await;
    db
}
