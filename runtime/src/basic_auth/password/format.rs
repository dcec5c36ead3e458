//! The stored hash format, `<method>$<salt>$<hex digest>`: parsing, and the bounds that keep
//! a hostile database row from making one login cost gigabytes or minutes.

/// werkzeug's default scrypt parameters (`scrypt:32768:8:1`).
pub(super) const DEFAULT_SCRYPT: Method = Method::Scrypt {
    log_n: 15,
    r: 8,
    p: 1,
};
/// `hashlib.scrypt`'s default `dklen`.
pub(super) const SCRYPT_OUTPUT_LEN: usize = 64;
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

pub(super) fn parse_method(field: &str) -> Result<Method, PasswordHashError> {
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
pub(super) fn scrypt_params(
    method: Method,
    field: &str,
) -> Result<scrypt::Params, PasswordHashError> {
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
