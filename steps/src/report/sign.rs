//! A detached JWS over `summary.json` (RFC 7515 Appendix F): the compact serialisation with the
//! payload left out, `BASE64URL(header)..BASE64URL(signature)`. The header is `alg` (PS256 or
//! ES256) and `kid` only, so `b64` is left at its default and the signing input is
//! `BASE64URL(header) || '.' || BASE64URL(exact bytes of summary.json)`.
//!
//! Anyone with the public key can check that a summary is the one the run wrote, byte for byte:
//! `dcr-conformance verify-report --summary summary.json --signature summary.json.jws --key
//! public.jwk`.

use anyhow::{Context, bail};
use dcr_vectors::SigningKey;
use dcr_vectors::jose::{b64, unb64};
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, JwsVerifier, PS256};
use serde_json::{Map, Value};

/// The file extension added to the signed file's name.
pub const EXTENSION: &str = "jws";

/// A detached JWS over `payload` signed with `key`.
///
/// # Errors
/// Fails only when the key cannot sign.
pub fn sign_detached(payload: &[u8], key: &SigningKey) -> anyhow::Result<String> {
    let mut header = Map::new();
    header.insert("alg".into(), Value::String(key.alg().as_str().into()));
    header.insert("kid".into(), Value::String(key.kid().into()));
    let signer = key.signer()?;
    let compact = dcr_vectors::jose::sign_compact(&header, payload, signer.as_ref())?;
    let mut parts = compact.split('.');
    let (Some(h), Some(_), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("the signer produced a malformed JWS");
    };
    Ok(format!("{h}..{s}"))
}

/// Why a signature did not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The key file is unusable: a usage error, not a verdict on the report.
    #[error("{0}")]
    Key(String),
    /// The signature is malformed or does not match.
    #[error("{0}")]
    Invalid(String),
}

/// What a valid signature says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Algorithm.
    pub alg: String,
    /// Key id from the header.
    pub kid: Option<String>,
}

/// The public keys in `key_json`: one JWK or a JWKS.
fn keys(key_json: &str) -> Result<Vec<Jwk>, VerifyError> {
    let value: Value = serde_json::from_str(key_json)
        .map_err(|e| VerifyError::Key(format!("the key file is not JSON: {e}")))?;
    if value.get("keys").is_some() {
        let set = JwkSet::from_bytes(key_json.as_bytes())
            .map_err(|e| VerifyError::Key(format!("the key file is not a JWKS: {e}")))?;
        return Ok(set.keys().into_iter().cloned().collect());
    }
    let jwk = Jwk::from_bytes(key_json.as_bytes())
        .map_err(|e| VerifyError::Key(format!("the key file is not a JWK: {e}")))?;
    Ok(vec![jwk])
}

/// Checks the detached JWS `jws` over `payload` with the key(s) in `key_json`.
///
/// # Errors
/// [`VerifyError::Key`] for an unusable key file, [`VerifyError::Invalid`] when the signature
/// is malformed, names an algorithm other than PS256/ES256 or the key's own, or does not match.
pub fn verify_detached(payload: &[u8], jws: &str, key_json: &str) -> Result<Verified, VerifyError> {
    let invalid = |m: String| VerifyError::Invalid(m);
    let parts: Vec<&str> = jws.trim().split('.').collect();
    let [header_b64, body, signature_b64] = parts.as_slice() else {
        return Err(invalid(format!(
            "not a compact JWS: {} dot-separated parts, expected 3",
            parts.len()
        )));
    };
    if !body.is_empty() {
        return Err(invalid(
            "not a detached JWS: the payload part is not empty".into(),
        ));
    }
    let header: Map<String, Value> = unb64(header_b64)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(|| invalid("the JWS header is not base64url JSON".into()))?;
    if header.get("b64").is_some() || header.get("crit").is_some() {
        return Err(invalid(
            "the JWS header has b64 or crit, which this format does not use".into(),
        ));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if alg != "PS256" && alg != "ES256" {
        return Err(invalid(format!(
            "alg {alg:?} is not allowed (PS256 or ES256)"
        )));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_string);
    let signature =
        unb64(signature_b64).map_err(|_| invalid("the signature is not base64url".into()))?;
    let candidates: Vec<Jwk> = keys(key_json)?
        .into_iter()
        .filter(|k| kid.is_none() || k.key_id().is_none() || k.key_id() == kid.as_deref())
        .collect();
    if candidates.is_empty() {
        return Err(invalid(format!(
            "no key in the key file has kid {:?}",
            kid.unwrap_or_default()
        )));
    }
    let input = format!("{header_b64}.{}", b64(payload));
    let mut last = String::new();
    for jwk in candidates {
        if let Some(key_alg) = jwk.algorithm()
            && key_alg != alg
        {
            last = format!("the key is for {key_alg}, the signature says {alg}");
            continue;
        }
        let verifier: Box<dyn JwsVerifier> = match alg.as_str() {
            "PS256" => match PS256.verifier_from_jwk(&jwk) {
                Ok(v) => Box::new(v),
                Err(e) => return Err(VerifyError::Key(format!("unusable PS256 key: {e}"))),
            },
            _ => match ES256.verifier_from_jwk(&jwk) {
                Ok(v) => Box::new(v),
                Err(e) => return Err(VerifyError::Key(format!("unusable ES256 key: {e}"))),
            },
        };
        match verifier.verify(input.as_bytes(), &signature) {
            Ok(()) => return Ok(Verified { alg, kid }),
            Err(e) => last = format!("the signature does not match: {e}"),
        }
    }
    Err(invalid(last))
}

/// Loads a private signing key (PS256 or ES256) from a JWK file.
///
/// # Errors
/// Fails when the file is missing or not a usable private JWK with `kid` and `alg`.
pub fn load_key(path: &std::path::Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the signing key {}", path.display()))?;
    SigningKey::from_private_jwk(&text, None, None)
        .with_context(|| format!("the signing key {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dcr_vectors::SigningAlg;
    use rstest::rstest;

    fn public(key: &SigningKey) -> String {
        key.public_jwk().expect("public").to_string()
    }

    #[rstest]
    #[case::ps256(SigningAlg::Ps256)]
    #[case::es256(SigningAlg::Es256)]
    fn a_detached_signature_verifies_over_the_exact_bytes(#[case] alg: SigningAlg) {
        let key = SigningKey::generate(alg, "report-1").expect("key");
        let jws = sign_detached(b"{\"a\":1}\n", &key).expect("sign");
        assert!(jws.contains(".."), "{jws}");
        let ok = verify_detached(b"{\"a\":1}\n", &jws, &public(&key)).expect("valid");
        assert_eq!(ok.kid.as_deref(), Some("report-1"));
        let err = verify_detached(b"{\"a\":2}\n", &jws, &public(&key)).expect_err("changed");
        assert!(matches!(err, VerifyError::Invalid(_)), "{err}");
    }

    #[test]
    fn another_key_does_not_verify() {
        let key = SigningKey::generate(SigningAlg::Es256, "k").expect("key");
        let other = SigningKey::generate(SigningAlg::Es256, "k").expect("key");
        let jws = sign_detached(b"x", &key).expect("sign");
        assert!(matches!(
            verify_detached(b"x", &jws, &public(&other)),
            Err(VerifyError::Invalid(_))
        ));
    }

    #[test]
    fn an_attached_payload_or_a_bad_key_file_is_refused() {
        let key = SigningKey::generate(SigningAlg::Es256, "k").expect("key");
        let jws = sign_detached(b"x", &key).expect("sign");
        let attached = jws.replace("..", &format!(".{}.", b64(b"x")));
        assert!(matches!(
            verify_detached(b"x", &attached, &public(&key)),
            Err(VerifyError::Invalid(_))
        ));
        assert!(matches!(
            verify_detached(b"x", &jws, "not json"),
            Err(VerifyError::Key(_))
        ));
    }
}
