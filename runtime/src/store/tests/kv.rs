//! The `mlauth_kv` table on SQLite and PostgreSQL: values, TTLs, namespaces, purge, and
//! atomic increments from two independent pools (two "instances").

use super::{both_backends, TestDb};
use crate::store::{KvStore, Store};

both_backends!(
    values_ttls_and_namespaces,
    increments_count_correctly_across_instances,
    counter_windows_restart_after_expiry,
    kv_lives_beside_the_mlflow_schema,
);

const T0: i64 = 1_700_000_000_000;

async fn values_ttls_and_namespaces(db: TestDb) -> TestDb {
    let kv = KvStore::connect(&db.url).await.expect("kv");
    assert_eq!(kv.get("a", "k", T0).await.unwrap(), None);
    kv.set("a", "k", b"\x00bytes\xff", None, T0).await.unwrap();
    kv.set("b", "k", b"other", Some(T0 + 1000), T0)
        .await
        .unwrap();
    assert_eq!(
        kv.get("a", "k", T0).await.unwrap().as_deref(),
        Some(&b"\x00bytes\xff"[..])
    );
    // Namespaces are separate.
    assert_eq!(
        kv.get("b", "k", T0).await.unwrap().as_deref(),
        Some(&b"other"[..])
    );
    // Expired = absent, exactly at the expiry instant.
    assert!(kv.get("b", "k", T0 + 999).await.unwrap().is_some());
    assert_eq!(kv.get("b", "k", T0 + 1000).await.unwrap(), None);
    // Overwrite replaces value and TTL.
    kv.set("a", "k", b"v2", Some(T0 + 5000), T0).await.unwrap();
    assert_eq!(
        kv.get("a", "k", T0 + 4999).await.unwrap().as_deref(),
        Some(&b"v2"[..])
    );
    assert_eq!(kv.get("a", "k", T0 + 5000).await.unwrap(), None);
    // Delete reports whether a live entry went away.
    kv.set("a", "d", b"x", None, T0).await.unwrap();
    assert!(kv.delete("a", "d", T0).await.unwrap());
    assert!(!kv.delete("a", "d", T0).await.unwrap());
    assert!(
        !kv.delete("b", "k", T0 + 2000).await.unwrap(),
        "expired is not live"
    );
    // Purge removes expired rows only.
    assert_eq!(kv.purge_expired(T0 + 10_000).await.unwrap(), 1);
    assert_eq!(kv.purge_expired(T0 + 10_000).await.unwrap(), 0);
    db
}

async fn increments_count_correctly_across_instances(db: TestDb) -> TestDb {
    let one = KvStore::connect(&db.url).await.expect("kv one");
    let two = KvStore::connect(&db.url).await.expect("kv two");
    let mut tasks = Vec::new();
    for i in 0..40 {
        let kv = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            kv.increment("ns", "hits", 1, Some(T0 + 60_000), T0)
                .await
                .unwrap()
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort();
    assert_eq!(
        seen,
        (1..=40).collect::<Vec<i64>>(),
        "every increment saw a distinct count"
    );
    assert_eq!(
        one.get("ns", "hits", T0).await.unwrap().as_deref(),
        Some(&b"40"[..])
    );
    assert_eq!(two.increment("ns", "hits", -5, None, T0).await.unwrap(), 35);
    db
}

async fn counter_windows_restart_after_expiry(db: TestDb) -> TestDb {
    let kv = KvStore::connect(&db.url).await.expect("kv");
    assert_eq!(
        kv.increment("n", "c", 1, Some(T0 + 1000), T0)
            .await
            .unwrap(),
        1
    );
    // A later increment keeps the first window (its own TTL is ignored).
    assert_eq!(
        kv.increment("n", "c", 1, Some(T0 + 9000), T0 + 500)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        kv.get("n", "c", T0 + 999).await.unwrap().as_deref(),
        Some(&b"2"[..])
    );
    assert_eq!(kv.get("n", "c", T0 + 1000).await.unwrap(), None);
    // After the window the counter starts again, with a new window.
    assert_eq!(
        kv.increment("n", "c", 1, Some(T0 + 3000), T0 + 1000)
            .await
            .unwrap(),
        1
    );
    assert!(kv.get("n", "c", T0 + 2999).await.unwrap().is_some());
    // A plain value is replaced by a counter.
    kv.set("n", "v", b"text", None, T0).await.unwrap();
    assert_eq!(kv.increment("n", "v", 7, None, T0).await.unwrap(), 7);
    db
}

async fn kv_lives_beside_the_mlflow_schema(db: TestDb) -> TestDb {
    let store = Store::connect(&db.url).await.expect("store");
    let kv = KvStore::open(&store).await.expect("kv on the auth db");
    kv.set("app", "k", b"v", None, T0).await.unwrap();
    store
        .create_user("alice", "pbkdf2:sha256:1$s$00", false)
        .await
        .unwrap();
    store.close().await;
    // Reopening runs the schema check again: the extra table is tolerated, data survives.
    let store = Store::connect(&db.url).await.expect("reopen");
    let kv = KvStore::open(&store).await.expect("kv again (idempotent)");
    assert_eq!(
        kv.get("app", "k", T0).await.unwrap().as_deref(),
        Some(&b"v"[..])
    );
    assert!(store.find_user("alice").await.unwrap().is_some());
    store.close().await;
    db
}
