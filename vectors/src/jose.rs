//! Compact JWS construction and unverified decoding.
//!
//! Signing goes through [`sign_compact`], which takes the header as a JSON object and the
//! payload as exact bytes, so a mutation can change anything (an `alg` the key does not match,
//! `alg: none`, a payload altered after signing). Decoding here is *unverified* and is meant
//! for building requests and for showing tokens in reports.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jws::{HS256, JwsSigner};
use serde_json::{Map, Value};

use crate::keys::SigningKey;

/// Base64url without padding, as JOSE uses it.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
///
/// # Errors
/// Fails on characters outside the base64url alphabet.
pub fn unb64(text: &str) -> anyhow::Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).context("not base64url")
}

/// Signs `payload` with `signer`, using `header` exactly as given.
///
/// # Errors
/// Fails when the header cannot be serialised or the signer fails.
pub fn sign_compact(
    header: &Map<String, Value>,
    payload: &[u8],
    signer: &dyn JwsSigner,
) -> anyhow::Result<String> {
    let signing_input = format!(
        "{}.{}",
        b64(serde_json::to_vec(header)?.as_slice()),
        b64(payload)
    );
    let signature = signer.sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

/// The usual header for `key`: `alg` from the key, its `kid`, `typ: JWT`.
pub fn header_for(key: &SigningKey) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), Value::String(key.alg().as_str().into()));
    h.insert("kid".into(), Value::String(key.kid().into()));
    h.insert("typ".into(), Value::String("JWT".into()));
    h
}

/// Claims of a `private_key_jwt` client assertion (RFC 7523 §3, CDS "Client Authentication"):
/// `client_id` as issuer and subject, `aud` the token endpoint, five minutes of lifetime from
/// `now`, a fresh `jti`.
pub fn client_assertion_claims(client_id: &str, aud: &str, now: i64) -> Map<String, Value> {
    let mut claims = Map::new();
    for (k, v) in [("iss", client_id), ("sub", client_id), ("aud", aud)] {
        claims.insert(k.into(), Value::String(v.into()));
    }
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + 300).into());
    claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    claims
}

/// Signs a JSON claims object with `key` and the usual header.
///
/// # Errors
/// Fails only when signing fails.
pub fn sign_claims(claims: &Map<String, Value>, key: &SigningKey) -> anyhow::Result<String> {
    let signer = key.signer()?;
    sign_compact(
        &header_for(key),
        &serde_json::to_vec(claims)?,
        signer.as_ref(),
    )
}

/// Signs a JSON claims object with `key`, with a header that names no `kid` (`alg` and `typ`
/// only): the verifier has to find the key among the signer's.
///
/// # Errors
/// Fails only for a malformed key.
pub fn sign_claims_without_kid(
    claims: &Map<String, Value>,
    key: &SigningKey,
) -> anyhow::Result<String> {
    let signer = key.signer()?;
    let mut header = header_for(key);
    header.remove("kid");
    sign_compact(&header, &serde_json::to_vec(claims)?, signer.as_ref())
}

/// An unsecured JWS (`alg: none`, empty signature), RFC 7515 appendix A.5.
///
/// # Errors
/// Fails only when the claims cannot be serialised.
pub fn unsecured(claims: &Map<String, Value>, kid: Option<&str>) -> anyhow::Result<String> {
    let mut h = Map::new();
    h.insert("alg".into(), Value::String("none".into()));
    if let Some(kid) = kid {
        h.insert("kid".into(), Value::String(kid.into()));
    }
    h.insert("typ".into(), Value::String("JWT".into()));
    Ok(format!(
        "{}.{}.",
        b64(&serde_json::to_vec(&h)?),
        b64(&serde_json::to_vec(claims)?)
    ))
}

/// HS256 over the claims with `secret` as the MAC key, keeping `kid` (the algorithm-confusion
/// attack uses the victim's public key as the secret).
///
/// # Errors
/// Fails only when signing fails.
pub fn hs256(claims: &Map<String, Value>, secret: &[u8], kid: &str) -> anyhow::Result<String> {
    let mut h = Map::new();
    h.insert("alg".into(), Value::String("HS256".into()));
    h.insert("kid".into(), Value::String(kid.into()));
    h.insert("typ".into(), Value::String("JWT".into()));
    let signer = HS256.signer_from_bytes(secret)?;
    sign_compact(&h, &serde_json::to_vec(claims)?, &signer)
}

/// Replaces the payload of a signed compact JWS with `claims`, keeping the old signature.
///
/// # Errors
/// Fails when `jws` is not three dot-separated parts.
pub fn with_payload_replaced(jws: &str, claims: &Map<String, Value>) -> anyhow::Result<String> {
    let parts: Vec<&str> = jws.split('.').collect();
    if parts.len() != 3 {
        bail!("not a compact JWS");
    }
    Ok(format!(
        "{}.{}.{}",
        parts[0],
        b64(&serde_json::to_vec(claims)?),
        parts[2]
    ))
}

/// The decoded parts of a compact JWS, without any verification.
#[derive(Debug, Clone)]
pub struct Unverified {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The payload, parsed as a JSON object.
    pub claims: Map<String, Value>,
}

/// Decodes a compact JWS without verifying it.
///
/// # Errors
/// Fails when the input is not three base64url parts with JSON-object header and payload.
pub fn decode_unverified(jws: &str) -> anyhow::Result<Unverified> {
    let parts: Vec<&str> = jws.trim().split('.').collect();
    if parts.len() != 3 {
        bail!(
            "a compact JWS has three dot-separated parts, this has {}",
            parts.len()
        );
    }
    let header: Map<String, Value> = serde_json::from_slice(&unb64(parts[0]).context("header")?)
        .context("header is not a JSON object")?;
    let claims: Map<String, Value> = serde_json::from_slice(&unb64(parts[1]).context("payload")?)
        .context("payload is not a JSON object")?;
    Ok(Unverified { header, claims })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlg;
    use serde_json::json;

    fn claims() -> Map<String, Value> {
        json!({"iss": "x", "n": 1})
            .as_object()
            .cloned()
            .expect("object")
    }

    #[test]
    fn signed_token_round_trips_through_unverified_decode() {
        let key = SigningKey::generate(SigningAlg::Es256, "kid-1").expect("key");
        let jws = sign_claims(&claims(), &key).expect("sign");
        let d = decode_unverified(&jws).expect("decode");
        assert_eq!(d.header["alg"], "ES256");
        assert_eq!(d.header["kid"], "kid-1");
        assert_eq!(d.claims, claims());
    }

    #[test]
    fn unsecured_token_has_empty_signature() {
        let jws = unsecured(&claims(), None).expect("jws");
        assert!(jws.ends_with('.'));
        assert_eq!(
            decode_unverified(&jws).expect("decode").header["alg"],
            "none"
        );
    }

    #[test]
    fn replaced_payload_keeps_header_and_signature() {
        let key = SigningKey::generate(SigningAlg::Es256, "k").expect("key");
        let jws = sign_claims(&claims(), &key).expect("sign");
        let mut other = claims();
        other.insert("iss".into(), json!("y"));
        let tampered = with_payload_replaced(&jws, &other).expect("tamper");
        let (a, b): (Vec<_>, Vec<_>) = (jws.split('.').collect(), tampered.split('.').collect());
        assert_eq!((a[0], a[2]), (b[0], b[2]));
        assert_ne!(a[1], b[1]);
    }

    #[test]
    fn decode_rejects_two_part_input() {
        assert!(decode_unverified("abc.def").is_err());
    }
}
