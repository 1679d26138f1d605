//! JWS (JOSE) helpers shared by everything that reads a compact JWS: registration requests and
//! SSAs, client assertions, the holder's own access tokens. They parse and verify; what a
//! claim must contain is decided by their callers.

use josekit::jws::JwsVerifier;
use serde_json::{Map, Value};

/// Algorithms allowed for SSAs, registration requests and client assertions (FAPI 1.0
/// Advanced §8.6), and for the signing algorithms a client registers.
pub(crate) const ALLOWED_ALGS: &[&str] = &["PS256", "ES256"];

/// Splits a compact JWS and decodes its header and payload (no verification).
pub(crate) fn split_jws(token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.is_empty() || p.is_empty() {
        return None;
    }
    URL_SAFE_NO_PAD.decode(s).ok()?;
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let payload = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    Some((header, payload))
}

/// Verifies `token` with a verifier chosen for the header's `alg` (see
/// [`crate::jwks::JwksCache::verifier_for`]) and parses its payload.
pub(crate) fn verify_compact(
    token: &str,
    verifier: &dyn JwsVerifier,
) -> Result<Map<String, Value>, String> {
    let (payload, _) =
        josekit::jws::deserialize_compact(token, verifier).map_err(|e| e.to_string())?;
    serde_json::from_slice(&payload).map_err(|e| format!("payload is not a JSON object: {e}"))
}

/// The header's `alg` (one of [`ALLOWED_ALGS`]) and `kid`, checked before any key is looked
/// up, so that a forbidden algorithm never reaches a verifier. `what` names the token in the
/// error text.
pub(crate) fn header_alg_and_kid<'a>(
    header: &'a Map<String, Value>,
    what: &str,
) -> Result<(&'a str, &'a str), String> {
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(format!("the {what} header has no alg"))?;
    if !ALLOWED_ALGS.contains(&alg) {
        return Err(format!(
            "the {what} must be signed with PS256 or ES256, not {alg}"
        ));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(format!("the {what} header has no kid"))?;
    Ok((alg, kid))
}

/// A NumericDate claim in milliseconds, keeping the fraction a NumericDate may have (RFC 7519
/// §2); `None` when absent or not a number.
pub(crate) fn millis_claim(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    let v = claims.get(name)?;
    v.as_i64()
        .map(|s| s.saturating_mul(1000))
        .or_else(|| v.as_f64().map(|f| (f * 1000.0).round() as i64))
}

/// A string claim; an empty string counts as absent.
pub(crate) fn str_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::two_parts("a.b")]
    #[case::four_parts("a.b.c.d")]
    #[case::not_base64("***.b.c")]
    #[case::empty("")]
    fn malformed_compact_jws_is_not_split(#[case] token: &str) {
        assert!(split_jws(token).is_none());
    }

    #[rstest]
    #[case::none("none", "PS256 or ES256")]
    #[case::hs256("HS256", "PS256 or ES256")]
    #[case::rs256("RS256", "PS256 or ES256")]
    fn forbidden_algorithms_are_refused_before_any_key_lookup(
        #[case] alg: &str,
        #[case] msg: &str,
    ) {
        let header: Map<String, Value> = serde_json::json!({"alg": alg, "kid": "k"})
            .as_object()
            .cloned()
            .expect("obj");
        let err = header_alg_and_kid(&header, "x").expect_err("refused");
        assert!(err.contains(msg), "{err}");
    }

    #[rstest]
    #[case::whole_seconds(serde_json::json!(1_700_000_000), Some(1_700_000_000_000))]
    #[case::a_fraction(serde_json::json!(1_700_000_000.25), Some(1_700_000_000_250))]
    #[case::not_a_number(serde_json::json!("1700000000"), None)]
    fn numeric_dates_are_read_to_the_millisecond(#[case] exp: Value, #[case] want: Option<i64>) {
        let claims: Map<String, Value> = [("exp".to_string(), exp)].into_iter().collect();
        assert_eq!(millis_claim(&claims, "exp"), want);
    }

    #[test]
    fn header_without_kid_is_refused() {
        let header: Map<String, Value> = serde_json::json!({"alg": "PS256"})
            .as_object()
            .cloned()
            .expect("obj");
        assert!(
            header_alg_and_kid(&header, "x")
                .expect_err("refused")
                .contains("kid")
        );
    }
}
