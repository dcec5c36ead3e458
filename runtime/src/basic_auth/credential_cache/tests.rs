use super::*;

const TTL: Duration = Duration::from_secs(60);

fn cache(max_entries: usize) -> CredentialCache {
    CredentialCache::new(TTL, max_entries)
}

fn put(
    cache: &CredentialCache,
    username: &str,
    password: &str,
    user_id: i64,
    now: Instant,
) -> bool {
    cache.insert_at(
        username,
        password,
        user_id,
        false,
        "hash",
        cache.generation(),
        now,
    )
}

#[test]
fn hit_after_insert_returns_the_identity() {
    let cache = cache(10);
    assert!(cache.insert("alice", "pw-alice-123", 7, true, "hash", cache.generation()));
    let hit = cache.get("alice", "pw-alice-123").unwrap();
    assert_eq!((hit.user_id, hit.is_admin, hit.generation), (7, true, 0));
}

#[test]
fn unknown_user_and_different_password_miss() {
    let cache = cache(10);
    put(&cache, "alice", "pw-alice-123", 1, Instant::now());
    assert_eq!(cache.get("bob", "pw-alice-123"), None);
    assert_eq!(cache.get("alice", "pw-alice-124"), None);
    assert_eq!(cache.get("alice", ""), None);
}

#[test]
fn username_password_boundary_is_unambiguous() {
    let cache = cache(10);
    let now = Instant::now();
    put(&cache, "a\0b", "c", 1, now);
    assert_eq!(cache.get_at("a", "b\0c", now), None);
    put(&cache, "ab", "c", 2, now);
    assert_eq!(cache.get_at("a", "bc", now), None);
}

#[test]
fn entries_expire_after_the_ttl() {
    let cache = cache(10);
    let start = Instant::now();
    put(&cache, "alice", "pw", 1, start);
    assert!(cache
        .get_at("alice", "pw", start + TTL - Duration::from_millis(1))
        .is_some());
    assert_eq!(cache.get_at("alice", "pw", start + TTL), None);
}

#[test]
fn expired_entries_are_purged_on_insert() {
    let cache = cache(10);
    let start = Instant::now();
    put(&cache, "alice", "pw", 1, start);
    put(&cache, "bob", "pw", 2, start + TTL + Duration::from_secs(1));
    assert_eq!(cache.len(), 1);
}

#[test]
fn a_full_cache_evicts_the_oldest_entry() {
    let cache = cache(2);
    let t0 = Instant::now();
    put(&cache, "u1", "pw", 1, t0);
    put(&cache, "u2", "pw", 2, t0 + Duration::from_secs(1));
    put(&cache, "u3", "pw", 3, t0 + Duration::from_secs(2));
    let now = t0 + Duration::from_secs(3);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.get_at("u1", "pw", now), None);
    assert!(cache.get_at("u2", "pw", now).is_some());
    assert!(cache.get_at("u3", "pw", now).is_some());
}

#[test]
fn reinserting_a_key_refreshes_it_without_evicting_others() {
    let cache = cache(2);
    let t0 = Instant::now();
    put(&cache, "u1", "pw", 1, t0);
    put(&cache, "u2", "pw", 2, t0);
    put(&cache, "u1", "pw", 1, t0 + Duration::from_secs(1));
    assert_eq!(cache.len(), 2);
    put(&cache, "u3", "pw", 3, t0 + Duration::from_secs(2));
    let now = t0 + Duration::from_secs(3);
    assert_eq!(cache.get_at("u2", "pw", now), None, "u2 is now the oldest");
    assert!(cache.get_at("u1", "pw", now).is_some());
}

#[test]
fn the_order_queue_stays_bounded_under_churn() {
    let cache = cache(4);
    let t0 = Instant::now();
    for i in 0..1_000 {
        put(&cache, "same", "pw", 1, t0 + Duration::from_millis(i));
    }
    assert_eq!(cache.len(), 1);
    assert!(cache.lock().order.len() <= 4 * 2 + 16 + 1);
}

#[test]
fn invalidate_user_drops_all_their_entries_only() {
    let cache = cache(10);
    let now = Instant::now();
    put(&cache, "alice", "old-password", 1, now);
    put(&cache, "alice", "new-password", 1, now);
    put(&cache, "bob", "pw", 2, now);
    cache.invalidate_user("alice");
    assert_eq!(cache.get_at("alice", "old-password", now), None);
    assert_eq!(cache.get_at("alice", "new-password", now), None);
    assert!(cache.get_at("bob", "pw", now).is_some());
}

#[test]
fn clear_drops_everything() {
    let cache = cache(10);
    put(&cache, "alice", "pw", 1, Instant::now());
    cache.clear();
    assert!(cache.is_empty());
    assert_eq!(cache.get("alice", "pw"), None);
}

#[test]
fn an_insert_racing_an_invalidation_is_dropped() {
    let cache = cache(10);
    let before_check = cache.generation();
    cache.invalidate_user("alice"); // e.g. a password change lands during the scrypt check
    assert!(!cache.insert("alice", "old-password", 1, false, "hash", before_check));
    assert_eq!(cache.get("alice", "old-password"), None);
    assert!(cache.insert(
        "alice",
        "new-password",
        1,
        false,
        "hash",
        cache.generation()
    ));
}

#[test]
fn a_zero_sized_or_disabled_cache_stores_nothing() {
    let cache = cache(0);
    assert!(!cache.insert("alice", "pw", 1, false, "hash", cache.generation()));
    assert!(cache.is_empty());
    assert!(CredentialCache::from_settings(0, 10_000).is_none());
    assert!(CredentialCache::from_settings(60, 10_000).is_some());
}

#[test]
fn keys_differ_between_caches_and_never_contain_the_password() {
    let (a, b) = (cache(1), cache(1));
    assert_ne!(a.cache_key("alice", "pw"), b.cache_key("alice", "pw"));
    let debug = format!("{a:?}");
    assert!(!debug.contains("hmac_key"), "{debug}");
}

#[test]
fn concurrent_use_is_safe() {
    let cache = std::sync::Arc::new(cache(64));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let user = format!("user{}", (t * 200 + i) % 100);
                    cache.insert(&user, "pw", i, false, "hash", cache.generation());
                    let _ = cache.get(&user, "pw");
                    if i % 50 == 0 {
                        cache.invalidate_user(&user);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(cache.len() <= 64);
}

#[test]
fn a_hit_is_bound_to_the_hash_it_was_verified_against() {
    let cache = CredentialCache::new(Duration::from_secs(60), 10);
    assert!(cache.insert("alice", "pw", 1, false, "scrypt:a$b$c", cache.generation()));
    let hit = cache.get("alice", "pw").expect("hit");
    assert!(cache.hash_matches(&hit, "scrypt:a$b$c"));
    // The stored hash changed (a password change by any writer): the hit no longer counts.
    assert!(!cache.hash_matches(&hit, "scrypt:a$b$d"));
    assert!(!cache.hash_matches(&hit, ""));
}
