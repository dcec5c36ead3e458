//! Test vectors were produced by werkzeug 3.1.8 (`/work/venv-probe`), e.g.
//! `python -c "from werkzeug.security import generate_password_hash as g; print(g('correct horse battery'))"`.
//! The parameter-less forms (`scrypt$…`, `pbkdf2:sha256$…`) were computed with `hashlib` the
//! way werkzeug's `_hash_internal` does. Hashes generated here were checked with werkzeug's
//! `check_password_hash` when written; `generated_hash_verifies_in_werkzeug` repeats that check
//! whenever `MLAUTH_TEST_PYTHON` names a Python with werkzeug installed.

use super::*;

const PASSWORD: &str = "correct horse battery";

const WERKZEUG_SCRYPT_DEFAULT: &str = "scrypt:32768:8:1$1K05WSbH0fHcTnqs$7d39f14689610439d2c71eaea1a011dbbe6e6d4fc32140db049e99b41cafca5072c324e9504d818c1ba542262e9eb5cf9ea16692b586044138d4cbebef36aa35";
const WERKZEUG_SCRYPT_UNICODE: &str = "scrypt:32768:8:1$jHoQSiYWaH4S6kld$a64fb51d5073c022060e05b1751a717f7166a9048ea4a417c4d53a48ff7e47cc0543ee3ae778ab527a2a75aeefaeca415a037549e531b7f2ff60babfb7dda64e";
const UNICODE_PASSWORD: &str = "naïve-pässwörd ✓ 12";
const WERKZEUG_SCRYPT_1024: &str = "scrypt:1024:8:1$bdCrsY4HForWVMfO$482ccf3276a50ed8512d229f302d531da1fc4192b965913f216f9901a17d5cc0f2484d0c29d4cd36389c07997d45822ded5f82d1e346a3783911bf43d3f116ae";
const WERKZEUG_SCRYPT_16384_4_2: &str = "scrypt:16384:4:2$4xOfyETpHiTGgQWA$2ab591956934faad3d04f8739c2ecb5271204030333f1d198ea122f5e69bde9eab68e86efa5a5b54050b1b5c1329f08ea9655f04bf352fa7483f3639fb94d958";
const SCRYPT_WITHOUT_PARAMETERS: &str = "scrypt$Zz9$eee5d8bfc850bad5e5d137c176e230e22730d449d536587909d78b1449b25c239c27752df99ab32763cabee65235abffc48f84d9dd444dccf867b6788501db1e";
const WERKZEUG_PBKDF2_SHA256: &str =
    "pbkdf2:sha256:1000$91lR1qVwlEqAAcDI$8b35e7493ee06b0843ae312a00a1d95b10db539e3006452eb26e9d96ac81f2a6";
const WERKZEUG_PBKDF2_EMPTY_PASSWORD: &str =
    "pbkdf2:sha256:1000$BwPJKF4kTdASI9vz$251ba9a83f73444aad5a89d198ff0d5e4e77beca5db87f2ee85583a9652eb2a8";
const WERKZEUG_PBKDF2_SHA512: &str = "pbkdf2:sha512:1000$8HB1UFhu14BF9BcF$a8bbe7901ca88f71a85739fa8cc2900ee8c84401b6f4dcdf9fdf440aa6f91c364b48ffb4963f331e032009d9a323835981017a1a4fa70b74120a7275dcf76102";
const PBKDF2_WITHOUT_ITERATIONS: &str =
    "pbkdf2:sha256$abc$638f9ededb741030f35da564b43f6c899f7389d650d9d1168f95c6ba1c956878";

#[test]
fn werkzeug_default_scrypt_hashes_verify() {
    assert_eq!(
        check_password_hash(WERKZEUG_SCRYPT_DEFAULT, PASSWORD),
        Ok(true)
    );
    assert_eq!(
        check_password_hash(WERKZEUG_SCRYPT_DEFAULT, "correct horse batterY"),
        Ok(false)
    );
    assert!(verify_password(WERKZEUG_SCRYPT_UNICODE, UNICODE_PASSWORD));
}

#[test]
fn werkzeug_scrypt_with_other_parameters_verifies() {
    assert!(verify_password(WERKZEUG_SCRYPT_1024, PASSWORD));
    assert!(verify_password(WERKZEUG_SCRYPT_16384_4_2, PASSWORD));
    assert!(!verify_password(WERKZEUG_SCRYPT_1024, ""));
    assert!(verify_password(SCRYPT_WITHOUT_PARAMETERS, PASSWORD));
}

#[test]
fn werkzeug_pbkdf2_hashes_verify() {
    assert!(verify_password(WERKZEUG_PBKDF2_SHA256, PASSWORD));
    assert!(!verify_password(
        WERKZEUG_PBKDF2_SHA256,
        "correct horse battery "
    ));
    assert!(verify_password(WERKZEUG_PBKDF2_EMPTY_PASSWORD, ""));
    assert!(verify_password(WERKZEUG_PBKDF2_SHA512, PASSWORD));
}

#[test]
fn pbkdf2_without_iterations_uses_werkzeugs_default() {
    let parsed = parse_password_hash("pbkdf2$s$00").unwrap();
    assert_eq!(
        parsed.method,
        Method::Pbkdf2 {
            hash: Pbkdf2Hash::Sha256,
            iterations: 1_000_000
        }
    );
    assert!(verify_password(PBKDF2_WITHOUT_ITERATIONS, PASSWORD));
}

#[test]
fn digest_comparison_is_exact_like_werkzeug() {
    // werkzeug compares hex strings, so an upper-case digest never matches (checked: False).
    let upper = WERKZEUG_PBKDF2_SHA256.replace("8b35e7493ee", "8B35E7493EE");
    assert_eq!(check_password_hash(&upper, PASSWORD), Ok(false));
    let truncated = &WERKZEUG_PBKDF2_SHA256[..WERKZEUG_PBKDF2_SHA256.len() - 2];
    assert_eq!(check_password_hash(truncated, PASSWORD), Ok(false));
}

#[test]
fn only_the_first_two_dollars_split() {
    let parsed = parse_password_hash("pbkdf2:sha256:1000$salt$ab$cd").unwrap();
    assert_eq!((parsed.salt, parsed.digest_hex), ("salt", "ab$cd"));
    assert_eq!(
        check_password_hash("pbkdf2:sha256:1000$salt$ab$cd", PASSWORD),
        Ok(false)
    );
}

#[test]
fn malformed_hashes_are_errors_and_verify_false() {
    let cases = [
        ("", PasswordHashError::NotThreeFields),
        ("scrypt$onlytwo", PasswordHashError::NotThreeFields),
        (
            "md5$a$b",
            PasswordHashError::UnsupportedMethod("md5".into()),
        ),
        (
            "pbkdf2:sha1:1000$a$b",
            PasswordHashError::UnsupportedMethod("pbkdf2:sha1:1000".into()),
        ),
        (
            "scrypt:1:2$a$b",
            PasswordHashError::MalformedParameters("scrypt:1:2".into()),
        ),
        (
            "scrypt:x:8:1$a$b",
            PasswordHashError::MalformedParameters("scrypt:x:8:1".into()),
        ),
        (
            "scrypt:-1:8:1$a$b",
            PasswordHashError::MalformedParameters("scrypt:-1:8:1".into()),
        ),
        (
            "pbkdf2:sha256:1000:9$a$b",
            PasswordHashError::MalformedParameters("pbkdf2:sha256:1000:9".into()),
        ),
    ];
    for (stored, expected) in cases {
        assert_eq!(
            check_password_hash(stored, PASSWORD),
            Err(expected),
            "{stored:?}"
        );
        assert!(!verify_password(stored, PASSWORD));
    }
}

#[test]
fn absurd_parameters_are_rejected_before_any_work() {
    for stored in [
        "scrypt:3:8:1$a$b",
        "scrypt:1:8:1$a$b",
        "scrypt:2097152:8:1$a$b",
        "scrypt:1048576:8:1$a$b",
        "scrypt:32768:64:1$a$b",
        "scrypt:32768:8:17$a$b",
        "scrypt:32768:8:0$a$b",
        "scrypt:65536:1:1$a$b",
        "scrypt:99999999999999999999:8:1$a$b",
        "pbkdf2:sha256:0$a$b",
        "pbkdf2:sha256:10000001$a$b",
    ] {
        let err = check_password_hash(stored, PASSWORD).unwrap_err();
        assert!(
            matches!(
                err,
                PasswordHashError::ParametersOutOfRange { .. }
                    | PasswordHashError::MalformedParameters(_)
            ),
            "{stored}: {err:?}"
        );
    }
}

#[test]
fn errors_never_echo_salt_or_digest() {
    let err = check_password_hash("scrypt:3:8:1$SECRETSALT$DEADBEEF", PASSWORD).unwrap_err();
    let text = err.to_string();
    assert!(
        !text.contains("SECRETSALT") && !text.contains("DEADBEEF"),
        "{text}"
    );
}

#[test]
fn generated_hashes_have_werkzeugs_default_shape_and_verify() {
    let stored = generate_password_hash(PASSWORD);
    let parsed = parse_password_hash(&stored).unwrap();
    assert!(stored.starts_with("scrypt:32768:8:1$"));
    assert_eq!(stored.len(), 162, "same length as werkzeug's default hash");
    assert_eq!(parsed.salt.len(), 16);
    assert!(parsed.salt.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(parsed.digest_hex.len(), 128);
    assert!(verify_password(&stored, PASSWORD));
    assert!(!verify_password(&stored, "wrong"));
    assert_ne!(generate_salt(), generate_salt());
}

#[test]
fn dummy_verify_runs_a_default_scrypt_without_panicking() {
    dummy_verify(PASSWORD);
    dummy_verify("");
}

/// Cross-check with real werkzeug when `MLAUTH_TEST_PYTHON` points at a Python that has it.
#[test]
fn generated_hash_verifies_in_werkzeug() {
    let Some(python) = std::env::var_os("MLAUTH_TEST_PYTHON") else {
        println!("skipped: set MLAUTH_TEST_PYTHON to a Python with werkzeug to cross-check");
        return;
    };
    let stored = generate_password_hash(UNICODE_PASSWORD);
    let script =
        "import sys; from werkzeug.security import check_password_hash as c; print(c(sys.argv[1], sys.argv[2]))";
    let output = std::process::Command::new(python)
        .args(["-c", script, &stored, UNICODE_PASSWORD])
        .output()
        .expect("MLAUTH_TEST_PYTHON must be runnable");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "True");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hash_computations_never_run_more_than_one_per_cpu() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let calls: Vec<_> = (0..cpus * 3)
        .map(|_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(off_executor(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let most = most.load(Ordering::SeqCst);
    assert!((1..=cpus).contains(&most), "{most} at once on {cpus} CPUs");
}
