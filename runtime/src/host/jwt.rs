//! `mlauth:plugin/jwt` (capability `jwt`): verify a JWT with a key set the host holds
//! (see [`super::jwks`]): signature (asymmetric algorithms only), `exp` and `nbf` with a
//! bounded leeway, issuer (accepted by both the plugin and the key set's config) and
//! audience. Returns the claims as JSON text.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::jwks::KeySet;
use super::timed_call;
use crate::bindings::mlauth::plugin::jwt::{Expectations, Host, VerifyError};
use crate::state::HostState;

/// Largest leeway a plugin may ask for, in seconds.
pub const MAX_LEEWAY_SECONDS: u32 = 300;
/// Longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 16 << 10;

/// Algorithms accepted: asymmetric only (an HMAC "key" from a JWKS would be a shared secret).
const ALLOWED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn check_expectations(set: &KeySet, expect: &Expectations) -> Result<(), VerifyError> {
    let invalid = |m: String| Err(VerifyError::InvalidRequest(m));
    if expect.issuers.is_empty() {
        return invalid("issuers must not be empty".into());
    }
    if expect.audiences.is_empty() {
        return invalid("audiences must not be empty".into());
    }
    if expect.leeway_seconds > MAX_LEEWAY_SECONDS {
        return invalid(format!(
            "leeway-seconds must be at most {MAX_LEEWAY_SECONDS}"
        ));
    }
    if let Some(iss) = expect.issuers.iter().find(|i| !set.issuers.contains(i)) {
        return invalid(format!(
            "issuer {iss:?} is not allowed for key set `{}` (jwt.{}.issuers)",
            set.name, set.name
        ));
    }
    Ok(())
}

/// Whether `jwk` is a key of the type `alg` needs (and, when it names one, for `alg`).
fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let kind_fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), a) => format!("{a:?}").starts_with(['R', 'P']),
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA) => true,
        _ => false,
    };
    kind_fits
        && jwk
            .common
            .key_algorithm
            .as_ref()
            .is_none_or(|ka| ka.to_string() == format!("{alg:?}"))
}

/// The key for a token's header: by `kid`, or the only fitting key when there is none.
fn find_key<'a>(set: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let mut fitting = set.keys.iter().filter(|k| key_fits(k, alg));
    match kid {
        Some(kid) => fitting.find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let first = fitting.next();
            first.filter(|_| fitting.next().is_none())
        }
    }
}

fn map_error(err: jsonwebtoken::errors::Error) -> VerifyError {
    use jsonwebtoken::errors::ErrorKind as K;
    match err.kind() {
        K::ExpiredSignature => VerifyError::Expired,
        K::ImmatureSignature => VerifyError::NotYetValid,
        K::InvalidIssuer => VerifyError::WrongIssuer,
        K::InvalidAudience => VerifyError::WrongAudience,
        K::MissingRequiredClaim(c) if c == "exp" => VerifyError::Expired,
        K::MissingRequiredClaim(c) if c == "iss" => VerifyError::WrongIssuer,
        K::MissingRequiredClaim(c) if c == "aud" => VerifyError::WrongAudience,
        K::InvalidSignature | K::InvalidAlgorithm | K::InvalidEcdsaKey | K::InvalidRsaKey(_) => {
            VerifyError::BadSignature
        }
        K::InvalidKeyFormat | K::Crypto(_) => VerifyError::BadSignature,
        other => VerifyError::Malformed(format!("{other:?}")),
    }
}

/// Verifies `token` against the keys of `set`; fetches again once on an unknown `kid`.
pub async fn verify(
    set: &KeySet,
    token: &str,
    expect: &Expectations,
) -> Result<String, VerifyError> {
    check_expectations(set, expect)?;
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::Malformed("token too long".into()));
    }
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| VerifyError::Malformed(format!("bad header: {:?}", e.kind())))?;
    if !ALLOWED.contains(&header.alg) {
        return Err(VerifyError::BadSignature);
    }
    let kid = header.kid.as_deref();
    let mut keys = set
        .keys(false)
        .await
        .map_err(VerifyError::KeysUnavailable)?;
    if find_key(&keys, kid, header.alg).is_none() {
        keys = set.keys(true).await.map_err(VerifyError::KeysUnavailable)?;
    }
    let jwk = find_key(&keys, kid, header.alg)
        .ok_or_else(|| VerifyError::UnknownKey(kid.unwrap_or("(no kid)").to_string()))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| VerifyError::BadSignature)?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = u64::from(expect.leeway_seconds);
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.set_issuer(&expect.issuers);
    validation.set_audience(&expect.audiences);
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &key,
        &validation,
    )
    .map_err(map_error)?;
    serde_json::to_string(&data.claims).map_err(|e| VerifyError::Malformed(e.to_string()))
}

impl Host for HostState {
    async fn verify(
        &mut self,
        key_set: String,
        token: String,
        expect: Expectations,
    ) -> wasmtime::Result<Result<String, VerifyError>> {
        let Some(set) = self.plugin.services.jwt.get(&key_set).cloned() else {
            return Ok(Err(VerifyError::UnknownKeySet(format!(
                "key set `{key_set}` is not granted to this plugin (list it in `jwt = [...]` under its [plugins.<name>] and define [jwt.{key_set}])"
            ))));
        };
        let call = async { Ok::<_, std::convert::Infallible>(verify(&set, &token, &expect).await) };
        timed_call(self, "jwt verify", call).await
    }
}
