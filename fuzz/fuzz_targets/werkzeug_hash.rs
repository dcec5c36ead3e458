//! The werkzeug hash parser (runtime/src/basic_auth/password.rs and its password/format.rs):
//! never panics on a stored value; parameters it accepts are within the documented bounds;
//! cheap accepted hashes are also run through the KDF (the costly ones are skipped to keep
//! executions fast).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../runtime/src/basic_auth/password.rs"]
mod password;

use password::Method;

fuzz_target!(|data: &[u8]| {
    let Ok(stored) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = password::parse_password_hash(stored) else {
        return;
    };
    let cheap = match parsed.method {
        Method::Scrypt { log_n, r, p } => {
            assert!((1..=20).contains(&log_n) && (1..=32).contains(&r) && (1..=16).contains(&p));
            assert!(u32::from(log_n) < 16 * r);
            log_n <= 6 && r * p <= 8
        }
        Method::Pbkdf2 { iterations, .. } => {
            assert!((1..=10_000_000).contains(&iterations));
            iterations <= 64
        }
    };
    if cheap {
        let _ = password::check_password_hash(stored, "password");
    }
});
