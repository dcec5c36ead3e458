use std::net::IpAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::*;

fn config() -> BruteForceConfig {
    BruteForceConfig {
        max_failures_per_user_address: 3,
        max_failures_per_address: 5,
        max_failures_per_user: 8,
        window_secs: 60,
        lockout_secs: 120,
        max_entries: 1000,
        ..BruteForceConfig::default()
    }
}

fn basic(user: &str) -> HeaderMap {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:wrong"));
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
    );
    headers
}

fn attempt(user: &str, addr: &str) -> Attempt {
    Attempt::from_request(Some(addr.parse().unwrap()), &basic(user))
}

#[test]
fn defaults_are_on_and_valid() {
    let config = BruteForceConfig::default();
    assert!(config.enabled);
    config.validate().unwrap();
    assert!(config
        .user_lockout_exempt
        .contains(&"127.0.0.1".parse::<IpAddr>().unwrap()));
}

#[test]
fn out_of_range_values_name_the_key() {
    let bad = BruteForceConfig {
        window_secs: 0,
        ..BruteForceConfig::default()
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .contains("brute_force.window_secs = 0"));
    let bad = BruteForceConfig {
        max_failures_per_address: 5000,
        ..BruteForceConfig::default()
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .contains("brute_force.max_failures_per_address = 5000"));
}

#[test]
fn pair_locks_at_its_threshold_with_retry_after() {
    let limiter = BruteForce::new(config());
    let t0 = Instant::now();
    let alice = attempt("alice", "10.0.0.1");
    for i in 0..3 {
        assert!(limiter.check_at(&alice, t0).is_ok(), "before failure {i}");
        limiter.failure_at(&alice, t0);
    }
    let lock = limiter.check_at(&alice, t0).unwrap_err();
    assert_eq!(lock.tier, Tier::UserAddress);
    assert_eq!(lock.retry_after_secs, 120);
    let later = t0 + Duration::from_millis(60_500);
    assert_eq!(
        limiter
            .check_at(&alice, later)
            .unwrap_err()
            .retry_after_secs,
        60
    );
    // Other users from that address and alice from elsewhere are not affected.
    assert!(limiter.check_at(&attempt("bob", "10.0.0.1"), t0).is_ok());
    assert!(limiter.check_at(&attempt("alice", "10.0.0.2"), t0).is_ok());
    // The lock ends.
    assert!(limiter
        .check_at(&alice, t0 + Duration::from_secs(121))
        .is_ok());
}

#[test]
fn the_window_slides() {
    let limiter = BruteForce::new(config());
    let t0 = Instant::now();
    let alice = attempt("alice", "10.0.0.1");
    limiter.failure_at(&alice, t0);
    limiter.failure_at(&alice, t0 + Duration::from_secs(30));
    // The first failure has left the 60 s window: two failures in it, no lock.
    limiter.failure_at(&alice, t0 + Duration::from_secs(61));
    assert!(limiter
        .check_at(&alice, t0 + Duration::from_secs(61))
        .is_ok());
    limiter.failure_at(&alice, t0 + Duration::from_secs(62));
    assert!(limiter
        .check_at(&alice, t0 + Duration::from_secs(62))
        .is_err());
}

#[test]
fn spraying_locks_the_address_and_a_success_does_not_lift_it() {
    let limiter = BruteForce::new(config());
    let t0 = Instant::now();
    for i in 0..5 {
        let a = attempt(&format!("user{i}"), "10.0.0.9");
        limiter.failure_at(&a, t0);
        limiter.success_at(&attempt("mallory", "10.0.0.9"));
    }
    let lock = limiter
        .check_at(&attempt("mallory", "10.0.0.9"), t0)
        .unwrap_err();
    assert_eq!(lock.tier, Tier::Address);
    // Credentials other than Basic are still refused by the address lock.
    let mut bearer = HeaderMap::new();
    bearer.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_static("Bearer x"),
    );
    let anon = Attempt::from_request(Some("10.0.0.9".parse().unwrap()), &bearer);
    assert!(limiter.check_at(&anon, t0).is_err());
}

#[test]
fn a_success_resets_its_own_pair() {
    let limiter = BruteForce::new(config());
    let t0 = Instant::now();
    let alice = attempt("alice", "10.0.0.1");
    limiter.failure_at(&alice, t0);
    limiter.failure_at(&alice, t0);
    limiter.success_at(&alice);
    limiter.failure_at(&alice, t0);
    limiter.failure_at(&alice, t0);
    assert!(limiter.check_at(&alice, t0).is_ok());
}

#[test]
fn username_lock_spares_exempt_addresses() {
    let limiter = BruteForce::new(config());
    let t0 = Instant::now();
    for i in 0..8 {
        limiter.failure_at(&attempt("admin", &format!("10.0.1.{i}")), t0);
    }
    let lock = limiter
        .check_at(&attempt("admin", "10.0.2.1"), t0)
        .unwrap_err();
    assert_eq!(lock.tier, Tier::User);
    assert!(limiter.check_at(&attempt("admin", "127.0.0.1"), t0).is_ok());
    assert!(limiter.check_at(&attempt("admin", "::1"), t0).is_ok());
    limiter.clear();
    assert!(limiter.check_at(&attempt("admin", "10.0.2.1"), t0).is_ok());
}

#[test]
fn only_denials_with_credentials_count() {
    let limiter = BruteForce::new(BruteForceConfig {
        max_failures_per_address: 1,
        ..config()
    });
    let addr = Some("10.0.0.5".parse().unwrap());
    let anonymous = Attempt::from_request(addr, &HeaderMap::new());
    limiter.denied(&anonymous, StatusCode::UNAUTHORIZED);
    assert!(limiter.check(&anonymous).is_ok());
    let guess = Attempt::from_request(addr, &basic("x"));
    limiter.denied(&guess, StatusCode::BAD_REQUEST);
    assert!(limiter.check(&guess).is_ok());
    limiter.denied(&guess, StatusCode::FORBIDDEN);
    assert!(limiter.check(&anonymous).is_err());
}

#[test]
fn disabled_never_locks() {
    let limiter = BruteForce::new(BruteForceConfig {
        enabled: false,
        ..config()
    });
    let a = attempt("alice", "10.0.0.1");
    for _ in 0..50 {
        limiter.denied(&a, StatusCode::UNAUTHORIZED);
    }
    assert!(limiter.check(&a).is_ok());
    assert_eq!(limiter.entries(), 0);
}

#[test]
fn memory_is_bounded_and_the_oldest_goes_first() {
    let limiter = BruteForce::new(BruteForceConfig {
        max_failures_per_user: 0,
        max_failures_per_address: 0,
        max_failures_per_user_address: 1,
        ..config()
    });
    let t0 = Instant::now();
    let first = attempt("first", "10.9.9.9");
    limiter.failure_at(&first, t0);
    assert!(limiter.check_at(&first, t0).is_err());
    for i in 0..5000 {
        limiter.failure_at(&attempt(&format!("u{i}"), "10.0.0.1"), t0);
        assert!(limiter.entries() <= 1000);
    }
    // The oldest counter was evicted; the newest are still locked.
    assert!(limiter.check_at(&first, t0).is_ok());
    assert!(limiter.check_at(&attempt("u4999", "10.0.0.1"), t0).is_err());
    let table = limiter.lock_table();
    assert!(table.order_len() <= 2 * 1000 + 1);
}

#[test]
fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
    assert_eq!(
        address_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
        "2001:db8:1:2::".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        address_key("::ffff:10.0.0.1".parse().unwrap()),
        "10.0.0.1".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn basic_usernames_are_parsed_leniently_and_safely() {
    assert_eq!(basic_username(b"Basic YWxpY2U6cHc="), Some("alice".into()));
    assert_eq!(
        basic_username(b"basic  YWxpY2U6cHc= "),
        Some("alice".into())
    );
    // What the guest SDK also accepts: no padding, a tab after the scheme.
    assert_eq!(
        basic_username(b"Basic YWRtaW46Z3Vlc3M"),
        Some("admin".into())
    );
    assert_eq!(
        basic_username(b"Basic\tYWRtaW46Z3Vlc3M="),
        Some("admin".into())
    );
    assert_eq!(
        basic_username(b"\tBasic \t YWRtaW46Z3Vlc3M\t"),
        Some("admin".into())
    );
    assert_eq!(basic_username(b"Basic !!!"), None);
    assert_eq!(basic_username(b"Bearer YWxpY2U6cHc="), None);
    assert_eq!(basic_username(b"Basic bm9jb2xvbg=="), None); // "nocolon"
}

proptest::proptest! {
    /// Whenever the guest SDK (and so the built-in basic-auth plugin) reads a username from a
    /// `Basic` header, the limiter counts the attempt against that same username.
    #[test]
    fn the_limiter_reads_every_username_the_sdk_reads(
        scheme in "(Basic|basic|BASIC|bAsIc)",
        gap in "[ \t]{1,3}",
        edges in "[ \t]{0,2}",
        user in "[a-zA-Z0-9@._-]{0,12}",
        password in "[ -~]{0,12}",
        padded in proptest::bool::ANY,
    ) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let token = if padded { encoded } else { encoded.trim_end_matches('=').to_string() };
        let header = format!("{edges}{scheme}{gap}{token}{edges}");
        if let Some(credentials) = mlauth_guest_sdk::credentials::parse_basic(header.as_bytes()) {
            proptest::prop_assert_eq!(basic_username(header.as_bytes()), Some(credentials.username));
        }
    }
}
