//! Redaction of secrets before anything is printed, snapshotted or written to a report.
//!
//! Covered: bearer tokens and `Authorization` headers, client assertions, access and
//! registration access tokens in JSON bodies, and private JWK members. JWT signatures are
//! replaced too, which keeps tokens decodable for display while making them unusable.

pub mod chain;
pub mod scrub;

use serde_json::Value;

/// JSON members whose values are secrets.
const SECRET_MEMBERS: &[&str] = &[
    "access_token",
    "refresh_token",
    "registration_access_token",
    "client_assertion",
    "client_secret",
    "id_token",
    // Private JWK members (RFC 7518 §6.2.2 and §6.3.2).
    "d",
    "p",
    "q",
    "dp",
    "dq",
    "qi",
    "oth",
    "k",
];

/// A header value with credentials removed.
pub fn header_value(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization")
        || name.eq_ignore_ascii_case("proxy-authorization")
    {
        let scheme = value.split_whitespace().next().unwrap_or("");
        return format!("{scheme} [redacted]");
    }
    value.to_string()
}

/// The secret values `headers` and `body` (a request's) carry: the credentials of
/// `Authorization` headers, secret form parameters and secret JSON members. A response may
/// reflect any of them verbatim (an `error_description` quoting the token it refused), where no
/// pattern can tell them from text, so whatever shows a response also removes these by value
/// ([`strip`]).
pub fn secrets_in(headers: &[(String, String)], body: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            let credential = value
                .split_once(char::is_whitespace)
                .map_or(value.as_str(), |(_, c)| c)
                .trim();
            out.push(credential.to_string());
        }
    }
    if let Some(body) = body {
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            collect_secret_members(&json, &mut out);
        } else {
            for (k, v) in url::form_urlencoded::parse(body.trim().as_bytes()) {
                if SECRET_MEMBERS.contains(&k.as_ref()) {
                    out.push(v.into_owned());
                }
            }
        }
    }
    // Short values would match ordinary text; a JWT's signature is also removed on its own.
    out.retain(|s| s.len() >= 8 && !s.starts_with('['));
    let signatures: Vec<String> = out
        .iter()
        .filter_map(|s| s.rsplit_once('.').map(|(_, sig)| sig.to_string()))
        .filter(|sig| sig.len() >= 16)
        .collect();
    out.extend(signatures);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn collect_secret_members(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if SECRET_MEMBERS.contains(&k.as_str()) => out.push(s.clone()),
                    other => collect_secret_members(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secret_members(v, out)),
        _ => {}
    }
}

/// `text` with every one of `secrets` replaced by `[redacted]`.
pub fn strip(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "[redacted]");
        }
    }
    text
}

/// A JWT with its signature replaced (header and payload stay readable).
pub fn jwt(token: &str) -> String {
    match token.rsplit_once('.') {
        Some((signing_input, sig)) if !sig.is_empty() => format!("{signing_input}.[signature]"),
        _ => token.to_string(),
    }
}

/// A request or response body with secrets removed: JSON members by name, form parameters by
/// name, and anything else passed through.
pub fn body(text: &str) -> String {
    if let Some(decoded) = decoded_jwt(text.trim()) {
        return decoded;
    }
    if let Ok(mut json) = serde_json::from_str::<Value>(text) {
        json_value(&mut json);
        // Secrets inside strings too (a token reflected in an `error_description`).
        scrub::json_strings(&mut json);
        return serde_json::to_string_pretty(&json).unwrap_or_default();
    }
    if text.contains('=') && !text.contains(' ') && !text.contains('{') {
        return text
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if SECRET_MEMBERS.contains(&k) => format!("{k}=[redacted]"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
    }
    text.to_string()
}

/// A compact JWS shown decoded: header and claims (secrets redacted, nested JWTs summarised),
/// signature withheld. `None` when `text` is not a compact JWS with JSON parts.
pub fn decoded_jwt(text: &str) -> Option<String> {
    if !text.starts_with("eyJ") || text.contains(char::is_whitespace) {
        return None;
    }
    let decoded = dcr_vectors::jose::decode_unverified(text).ok()?;
    let mut claims = Value::Object(decoded.claims);
    json_value(&mut claims);
    summarise_nested_jwts(&mut claims);
    scrub::json_strings(&mut claims);
    Some(format!(
        "JWT ({} bytes, signature not shown)\nheader: {}\nclaims: {}",
        text.len(),
        Value::Object(decoded.header),
        serde_json::to_string_pretty(&claims).unwrap_or_default()
    ))
}

/// Replaces every JWT-looking string inside `value` with a summary (size, `iss`,
/// `software_id`, `kid`), so that no nested token or signature is shown.
pub fn summarise_nested_jwts(value: &mut Value) {
    match value {
        Value::String(s) if s.starts_with("eyJ") && s.matches('.').count() == 2 => {
            let summary = dcr_vectors::jose::decode_unverified(s).ok().map(|d| {
                let pick = |k: &str| {
                    d.claims
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string()
                };
                format!(
                    "[JWT {} bytes: iss={}, software_id={}, kid={}]",
                    s.len(),
                    pick("iss"),
                    pick("software_id"),
                    d.header.get("kid").and_then(Value::as_str).unwrap_or("?")
                )
            });
            *s = summary.unwrap_or_else(|| format!("[JWT {} bytes]", s.len()));
        }
        Value::Object(map) => map.values_mut().for_each(summarise_nested_jwts),
        Value::Array(items) => items.iter_mut().for_each(summarise_nested_jwts),
        _ => {}
    }
}

/// Redacts secret members of a JSON value in place.
pub fn json_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_MEMBERS.contains(&k.as_str()) {
                    *v = Value::String("[redacted]".into());
                } else {
                    json_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::bearer("Authorization", "Bearer abc.def.ghi", "Bearer [redacted]")]
    #[case::lowercase("authorization", "Basic dXNlcjpwYXNz", "Basic [redacted]")]
    #[case::other("Content-Type", "application/jwt", "application/jwt")]
    fn credentials_leave_headers(#[case] name: &str, #[case] value: &str, #[case] want: &str) {
        assert_eq!(header_value(name, value), want);
    }

    #[test]
    fn token_responses_and_private_keys_are_redacted() {
        let out =
            body(r#"{"access_token":"SECRET1","keys":[{"kty":"RSA","n":"pub","d":"SECRET2"}]}"#);
        assert!(
            !out.contains("SECRET1") && !out.contains("SECRET2"),
            "{out}"
        );
        assert!(out.contains("pub"));
    }

    #[test]
    fn form_client_assertions_are_redacted() {
        let out =
            body("grant_type=client_credentials&client_assertion=SECRET&scope=cdr%3Aregistration");
        assert!(
            !out.contains("SECRET") && out.contains("scope=cdr%3Aregistration"),
            "{out}"
        );
    }

    #[test]
    fn jwt_bodies_are_shown_decoded_without_signature() {
        let key =
            dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "k").expect("key");
        let claims = serde_json::json!({"iss": "me", "client_assertion": "SECRET"});
        let jwt =
            dcr_vectors::jose::sign_claims(claims.as_object().expect("obj"), &key).expect("sign");
        let out = body(&jwt);
        let signature = jwt.rsplit('.').next().expect("sig");
        assert!(out.contains("\"iss\": \"me\""), "{out}");
        assert!(!out.contains("SECRET") && !out.contains(signature), "{out}");
    }

    #[test]
    fn a_token_reflected_inside_a_json_string_is_scrubbed() {
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl";
        let out = body(&format!(
            r#"{{"error":"invalid_token","error_description":"Bearer {token} is not valid"}}"#
        ));
        assert!(!out.contains("c2lnbmF0dXJl"), "{out}");
        assert!(out.contains("invalid_token"), "{out}");
    }

    #[test]
    fn secrets_a_request_carried_are_stripped_by_value_from_what_came_back() {
        let headers = vec![(
            "Authorization".to_string(),
            "Basic Q0FOQVJZYmFzaWM6".to_string(),
        )];
        let secrets = secrets_in(
            &headers,
            Some("grant_type=x&client_assertion=aaa.bbb.SIGNATURESIGNATURESIG&scope=s"),
        );
        let echoed = r#"{"error_description":"Q0FOQVJZYmFzaWM6 and SIGNATURESIGNATURESIG"}"#;
        let out = strip(echoed, &secrets);
        assert!(
            !out.contains("Q0FOQVJZ") && !out.contains("SIGNATURESIG"),
            "{out}"
        );
        let secrets = secrets_in(&[], Some(r#"{"registration_access_token":"RATRATRAT1"}"#));
        assert_eq!(strip("x RATRATRAT1 y", &secrets), "x [redacted] y");
    }

    #[test]
    fn jwt_signature_is_replaced() {
        assert_eq!(jwt("a.b.c"), "a.b.[signature]");
        assert_eq!(jwt("a.b."), "a.b.");
    }
}
