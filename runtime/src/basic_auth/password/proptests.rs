//! Property tests for the werkzeug hash parser: arbitrary stored strings never panic, the
//! scrypt bounds are exactly the documented ones, errors never echo the salt or digest, and
//! a hash verifies with its own password only.

use proptest::prelude::*;

use super::*;

/// The documented acceptance rule for `scrypt:N:r:p`, written independently of the parser.
fn scrypt_allowed(n: u64, r: u64, p: u64) -> bool {
    let log_n = n.trailing_zeros() as u64;
    n >= 2
        && n.is_power_of_two()
        && log_n <= 20
        && (1..=32).contains(&r)
        && (1..=16).contains(&p)
        && 128 * n * r <= 256 * 1024 * 1024
        && n * r * p <= 16 * 32768 * 8
        && log_n < 16 * r
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..40, (0u32..22).prop_map(|e| 1u64 << e), any::<u64>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_stored_strings_never_panic(stored in any::<String>()) {
        let _ = parse_password_hash(&stored);
    }

    #[test]
    fn structured_stored_strings_never_panic(
        method in prop_oneof![
            Just("scrypt".to_string()), Just("pbkdf2".to_string()),
            "(scrypt|pbkdf2)(:[0-9a-z]{0,6}){0,4}", "\\PC{0,10}",
        ],
        rest in "[$a-zA-Z0-9]{0,20}",
    ) {
        let _ = parse_password_hash(&format!("{method}${rest}"));
    }

    #[test]
    fn scrypt_bounds_are_exactly_the_documented_ones(n in number(), r in number(), p in number()) {
        let stored = format!("scrypt:{n}:{r}:{p}$salt$00");
        let parsed = parse_password_hash(&stored);
        prop_assert_eq!(parsed.is_ok(), scrypt_allowed(n, r, p), "{} {} {} -> {:?}", n, r, p, parsed);
    }

    #[test]
    fn pbkdf2_iteration_bounds(iterations in number()) {
        let stored = format!("pbkdf2:sha256:{iterations}$salt$00");
        let parsed = parse_password_hash(&stored);
        prop_assert_eq!(parsed.is_ok(), (1..=10_000_000).contains(&iterations));
    }

    #[test]
    fn errors_never_echo_salt_or_digest(
        method in "[a-z0-9:]{0,16}",
        salt in "SALT[A-Za-z0-9]{8}",
        digest in "DIGEST[0-9a-f]{8}",
    ) {
        if let Err(e) = check_password_hash(&format!("{method}${salt}${digest}"), "pw") {
            let shown = e.to_string();
            prop_assert!(!shown.contains(&salt) && !shown.contains(&digest), "{}", shown);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_hash_verifies_with_its_own_password_only(
        hash in prop::sample::select(vec!["sha224", "sha256", "sha384", "sha512"]),
        iterations in 1u32..20,
        salt in "[^$]{0,16}",
        password in "\\PC{0,24}",
        other in "\\PC{0,24}",
    ) {
        let method = parse_method(&format!("pbkdf2:{hash}:{iterations}")).unwrap();
        let digest = derive_hex(method, &salt, &password).unwrap();
        let stored = format!("pbkdf2:{hash}:{iterations}${salt}${digest}");
        prop_assert_eq!(check_password_hash(&stored, &password), Ok(true));
        prop_assert_eq!(check_password_hash(&stored, &other), Ok(other == password));
        // Only lowercase hex digests match, as in werkzeug's string compare.
        let upper = format!("pbkdf2:{hash}:{iterations}${salt}${}", digest.to_uppercase());
        prop_assert_eq!(check_password_hash(&upper, &password), Ok(false));
    }
}
