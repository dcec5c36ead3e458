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

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use pbkdf2::pbkdf2_hmac;
use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

/// Characters of werkzeug's `SALT_CHARS`.
const SALT_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Salt length of `generate_password_hash`.
const SALT_LENGTH: usize = 16;
/// werkzeug's default scrypt parameters (`scrypt:32768:8:1`).
const DEFAULT_SCRYPT: Method = Method::Scrypt {
    log_n: 15,
    r: 8,
    p: 1,
};
/// `hashlib.scrypt`'s default `dklen`.
const SCRYPT_OUTPUT_LEN: usize = 64;
/// werkzeug 3.1's `DEFAULT_PBKDF2_ITERATIONS`.
const DEFAULT_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Upper bound on PBKDF2 iterations accepted from a stored hash.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Upper bound on scrypt's `N` (2^20).
const MAX_SCRYPT_LOG_N: u8 = 20;
/// Upper bounds on scrypt's `r` and `p`.
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;
/// Upper bound on scrypt memory (`128 * N * r` bytes): 256 MiB; the default needs 32 MiB.
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
/// Upper bound on scrypt work (`N * r * p`): 16 times the default.
const MAX_SCRYPT_WORK: u64 = 16 * 32768 * 8;

/// Why a stored hash cannot be checked. Messages never contain the salt or the digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordHashError {
    /// Not `method$salt$digest`.
    #[error("password hash is not in the form method$salt$digest")]
    NotThreeFields,
    /// A method other than scrypt or pbkdf2 (werkzeug: "Invalid hash method").
    #[error("unsupported password hash method '{0}'")]
    UnsupportedMethod(String),
    /// The right method with an unparsable parameter list.
    #[error("malformed parameters in password hash method '{0}'")]
    MalformedParameters(String),
    /// Parameters outside the accepted bounds (denial-of-service guard).
    #[error("password hash method '{method}' has out-of-range parameters: {reason}")]
    ParametersOutOfRange {
        /// The method field as stored.
        method: String,
        /// Which bound was exceeded.
        reason: &'static str,
    },
}

/// The PBKDF2 pseudo-random function named in the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pbkdf2Hash {
    /// `sha224`.
    Sha224,
    /// `sha256` (werkzeug's default).
    Sha256,
    /// `sha384`.
    Sha384,
    /// `sha512`.
    Sha512,
}

/// A parsed method field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `scrypt:N:r:p` with `N = 2^log_n`.
    Scrypt {
        /// log2 of the CPU/memory cost `N`.
        log_n: u8,
        /// Block size.
        r: u32,
        /// Parallelism.
        p: u32,
    },
    /// `pbkdf2:hash:iterations`.
    Pbkdf2 {
        /// The HMAC hash.
        hash: Pbkdf2Hash,
        /// Iteration count.
        iterations: u32,
    },
}

/// A stored hash split into its parts (borrowing the stored string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedHash<'a> {
    /// The key-derivation method and its parameters.
    pub method: Method,
    /// The salt string; its UTF-8 bytes are the KDF salt.
    pub salt: &'a str,
    /// The expected digest as stored (lowercase hex when werkzeug wrote it).
    pub digest_hex: &'a str,
}

/// Splits and validates a stored hash without computing anything.
pub fn parse_password_hash(stored: &str) -> Result<ParsedHash<'_>, PasswordHashError> {
    let mut fields = stored.splitn(3, '$');
    let (Some(method), Some(salt), Some(digest_hex)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(PasswordHashError::NotThreeFields);
    };
    Ok(ParsedHash {
        method: parse_method(method)?,
        salt,
        digest_hex,
    })
}

fn parse_method(field: &str) -> Result<Method, PasswordHashError> {
    let mut parts = field.split(':');
    let name = parts.next().unwrap_or_default();
    let args: Vec<&str> = parts.collect();
    match name {
        "scrypt" => parse_scrypt(field, &args),
        "pbkdf2" => parse_pbkdf2(field, &args),
        _ => Err(PasswordHashError::UnsupportedMethod(name.to_owned())),
    }
}

fn parse_scrypt(field: &str, args: &[&str]) -> Result<Method, PasswordHashError> {
    let (n, r, p) = match args {
        [] => return Ok(DEFAULT_SCRYPT),
        [n, r, p] => (
            parse_number(field, n)?,
            parse_number(field, r)?,
            parse_number(field, p)?,
        ),
        _ => return Err(PasswordHashError::MalformedParameters(field.to_owned())),
    };
    let out_of_range = |reason| PasswordHashError::ParametersOutOfRange {
        method: field.to_owned(),
        reason,
    };
    if n < 2 || !n.is_power_of_two() {
        return Err(out_of_range("N must be a power of two greater than 1"));
    }
    let log_n = n.trailing_zeros() as u8;
    if log_n > MAX_SCRYPT_LOG_N {
        return Err(out_of_range("N is above 2^20"));
    }
    let r = bounded(r, MAX_SCRYPT_R).ok_or_else(|| out_of_range("r must be 1..=32"))?;
    let p = bounded(p, MAX_SCRYPT_P).ok_or_else(|| out_of_range("p must be 1..=16"))?;
    if 128 * n * u64::from(r) > MAX_SCRYPT_MEMORY {
        return Err(out_of_range("memory cost 128*N*r is above 256 MiB"));
    }
    if n * u64::from(r) * u64::from(p) > MAX_SCRYPT_WORK {
        return Err(out_of_range("work N*r*p is above 16x the default"));
    }
    let method = Method::Scrypt { log_n, r, p };
    scrypt_params(method, field)?;
    Ok(method)
}

fn parse_pbkdf2(field: &str, args: &[&str]) -> Result<Method, PasswordHashError> {
    let (hash_name, iterations) = match args {
        [] => ("sha256", DEFAULT_PBKDF2_ITERATIONS as u64),
        [hash] => (*hash, DEFAULT_PBKDF2_ITERATIONS as u64),
        [hash, iterations] => (*hash, parse_number(field, iterations)?),
        _ => return Err(PasswordHashError::MalformedParameters(field.to_owned())),
    };
    let hash = match hash_name {
        "sha224" => Pbkdf2Hash::Sha224,
        "sha256" => Pbkdf2Hash::Sha256,
        "sha384" => Pbkdf2Hash::Sha384,
        "sha512" => Pbkdf2Hash::Sha512,
        _ => return Err(PasswordHashError::UnsupportedMethod(field.to_owned())),
    };
    let iterations = bounded(iterations, MAX_PBKDF2_ITERATIONS).ok_or(
        PasswordHashError::ParametersOutOfRange {
            method: field.to_owned(),
            reason: "iterations must be 1..=10000000",
        },
    )?;
    Ok(Method::Pbkdf2 { hash, iterations })
}

fn parse_number(field: &str, text: &str) -> Result<u64, PasswordHashError> {
    let digits_only =
        !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit());
    match digits_only {
        true => text
            .parse()
            .map_err(|_| PasswordHashError::MalformedParameters(field.to_owned())),
        false => Err(PasswordHashError::MalformedParameters(field.to_owned())),
    }
}

fn bounded(value: u64, max: u32) -> Option<u32> {
    u32::try_from(value).ok().filter(|v| (1..=max).contains(v))
}

/// scrypt's own parameter rules (e.g. `N < 2^(16 r)`), which OpenSSL enforces for werkzeug too.
fn scrypt_params(method: Method, field: &str) -> Result<scrypt::Params, PasswordHashError> {
    let Method::Scrypt { log_n, r, p } = method else {
        return Err(PasswordHashError::MalformedParameters(field.to_owned()));
    };
    scrypt::Params::new(log_n, r, p, SCRYPT_OUTPUT_LEN).map_err(|_| {
        PasswordHashError::ParametersOutOfRange {
            method: field.to_owned(),
            reason: "scrypt requires N < 2^(16*r)",
        }
    })
}

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

/// Checks `password` against `stored` (or pays [`dummy_verify`] when there is no such user)
/// on the blocking pool, never on the async executor. `Err` when the check was aborted.
pub async fn verify_off_executor(
    stored: Option<String>,
    password: &str,
) -> Result<bool, tokio::task::JoinError> {
    let candidate = password.to_string();
    tokio::task::spawn_blocking(move || match stored {
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
