//! Werkzeug-compatible password hashes (`users.password_hash`), reference §3.3.
//!
//! Stored format: `<method>$<salt>$<hex digest>`, split at the first two `$`.
//! * `scrypt[:N:r:p]` — scrypt over the UTF-8 password with the salt *string's* UTF-8 bytes,
//!   64-byte output; without parameters werkzeug uses `32768:8:1`.
//! * `pbkdf2[:hash[:iterations]]` — PBKDF2-HMAC with the hash's own output length; the hash
//!   defaults to `sha256` and the iterations to werkzeug 3.1's `1_000_000`.
//!
//! The digest is compared as werkzeug does (`hmac.compare_digest` of lowercase hex strings), in
//! constant time. Parameters far beyond anything werkzeug generates are rejected as malformed,
//! so a hostile database row cannot make one login cost gigabytes or minutes.

// An explicit path, so the file also resolves where the fuzz target includes this one by
// `#[path]` (fuzz/fuzz_targets/werkzeug_hash.rs).
#[path = "password/format.rs"]
mod format;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

#[cfg(test)]
use format::parse_method;
pub use format::{parse_password_hash, Method, ParsedHash, PasswordHashError, Pbkdf2Hash};
use format::{scrypt_params, DEFAULT_SCRYPT, SCRYPT_OUTPUT_LEN};
use pbkdf2::pbkdf2_hmac;
use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

/// Characters of werkzeug's `SALT_CHARS`.
const SALT_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Salt length of `generate_password_hash`.
const SALT_LENGTH: usize = 16;
/// Runs the KDF of `method` and returns the lowercase hex digest.
fn derive_hex(method: Method, salt: &str, password: &str) -> Result<String, PasswordHashError> {
    let (password, salt) = (password.as_bytes(), salt.as_bytes());
    let digest = match method {
        Method::Scrypt { .. } => {
            let params = scrypt_params(method, "scrypt")?;
            let mut out = [0u8; SCRYPT_OUTPUT_LEN];
            scrypt::scrypt(password, salt, &params, &mut out)
                .map_err(|_| PasswordHashError::MalformedParameters("scrypt".to_owned()))?;
            out.to_vec()
        }
        Method::Pbkdf2 { hash, iterations } => pbkdf2_digest(hash, password, salt, iterations),
    };
    Ok(hex::encode(digest))
}

fn pbkdf2_digest(hash: Pbkdf2Hash, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    match hash {
        Pbkdf2Hash::Sha224 => {
            pbkdf2::pbkdf2_hmac_array::<Sha224, 28>(password, salt, iterations).to_vec()
        }
        Pbkdf2Hash::Sha256 => {
            pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt, iterations).to_vec()
        }
        Pbkdf2Hash::Sha384 => {
            pbkdf2::pbkdf2_hmac_array::<Sha384, 48>(password, salt, iterations).to_vec()
        }
        Pbkdf2Hash::Sha512 => {
            let mut out = [0u8; 64];
            pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
            out.to_vec()
        }
    }
}

/// `check_password_hash(stored, password)`; a malformed hash is an error, never a panic.
pub fn check_password_hash(stored: &str, password: &str) -> Result<bool, PasswordHashError> {
    let parsed = parse_password_hash(stored)?;
    let computed = derive_hex(parsed.method, parsed.salt, password)?;
    Ok(bool::from(
        computed.as_bytes().ct_eq(parsed.digest_hex.as_bytes()),
    ))
}

/// Whether `password` matches `stored`; any malformed hash is simply `false`.
pub fn verify_password(stored: &str, password: &str) -> bool {
    check_password_hash(stored, password).unwrap_or(false)
}

/// Costs what a default scrypt check costs, for a user that does not exist, so that an unknown
/// username takes as long to reject as a wrong password.
pub fn dummy_verify(password: &str) {
    const DUMMY_DIGEST: [u8; 2 * SCRYPT_OUTPUT_LEN] = [b'0'; 2 * SCRYPT_OUTPUT_LEN];
    let computed = derive_hex(DEFAULT_SCRYPT, "mlauthDummySalt0", password).unwrap_or_default();
    std::hint::black_box(computed.as_bytes().ct_eq(&DUMMY_DIGEST));
}

/// Runs a password hash computation on the blocking pool, at most one per CPU at a time. A
/// scrypt check takes 32 MiB and tens of milliseconds, so a flood of logins queues here
/// instead of exhausting memory and threads. The computation itself holds its slot: a caller
/// that gives up (a host-call timeout) does not free it before the work is done.
pub async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    static SLOTS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::LazyLock::new(|| {
            let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
            std::sync::Arc::new(tokio::sync::Semaphore::new(cpus))
        });
    let slot = SLOTS
        .clone()
        .acquire_owned()
        .await
        .expect("the hashing semaphore is never closed");
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
}

/// Checks `password` against `stored` (or pays [`dummy_verify`] when there is no such user)
/// through [`off_executor`], never on the async executor. `Err` when the check was aborted.
pub async fn verify_off_executor(
    stored: Option<String>,
    password: &str,
) -> Result<bool, tokio::task::JoinError> {
    let candidate = password.to_string();
    off_executor(move || match stored {
        Some(hash) => verify_password(&hash, &candidate),
        None => {
            dummy_verify(&candidate);
            false
        }
    })
    .await
}

/// `generate_password_hash(password)` with werkzeug's defaults:
/// `scrypt:32768:8:1$<16 chars of [A-Za-z0-9]>$<128 hex chars>`.
pub fn generate_password_hash(password: &str) -> String {
    let salt = generate_salt();
    let digest = derive_hex(DEFAULT_SCRYPT, &salt, password)
        .expect("werkzeug's default scrypt parameters are valid");
    format!("scrypt:32768:8:1${salt}${digest}")
}

/// `gen_salt(16)` from the operating system's CSPRNG.
fn generate_salt() -> String {
    (0..SALT_LENGTH)
        .map(|_| {
            char::from(
                *SALT_CHARS
                    .choose(&mut OsRng)
                    .expect("SALT_CHARS is not empty"),
            )
        })
        .collect()
}
