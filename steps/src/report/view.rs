//! Exchanges as the HTML report shows them: every header and body redacted, JWTs shown twice,
//! as their compact form (signature withheld) and decoded (header and claims, secrets
//! redacted), nested JWTs (a software statement inside a request) decoded too.

use serde::Serialize;
use serde_json::Value;

use crate::http::{Exchange, Outcome};
use crate::redact;
use crate::redact::scrub;

/// Largest body shown, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// A JWT found in an exchange.
#[derive(Debug, Clone, Serialize)]
pub struct JwtView {
    /// Where it was: `request body`, `response body › software_statement`.
    pub location: String,
    /// Compact form with the signature withheld.
    pub compact: String,
    /// Decoded protected header, pretty JSON.
    pub header: String,
    /// Decoded claims, pretty JSON, secrets redacted.
    pub claims: String,
}

/// One exchange, redacted, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeView {
    /// Endpoint label (see `latency::Endpoint`).
    pub endpoint: String,
    /// Method.
    pub method: String,
    /// URL (credentials in the query removed).
    pub url: String,
    /// Client certificate presented.
    pub certificate: String,
    /// HTTP status, if any.
    pub status: Option<u16>,
    /// Transport failure, if no response.
    pub failure: Option<String>,
    /// Wall time, ms.
    pub elapsed_ms: f64,
    /// Request headers, redacted.
    pub request_headers: Vec<(String, String)>,
    /// Request body, redacted.
    pub request_body: Option<String>,
    /// Response headers, redacted.
    pub response_headers: Vec<(String, String)>,
    /// Response body, redacted.
    pub response_body: Option<String>,
    /// JWTs found in either body.
    pub jwts: Vec<JwtView>,
}

fn header(name: &str, value: &str) -> (String, String) {
    let lower = name.to_ascii_lowercase();
    let value = if lower == "cookie" || lower == "set-cookie" {
        "[redacted]".to_string()
    } else {
        scrub::text(&redact::header_value(name, value))
    };
    (name.to_string(), value)
}

fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ") && s.matches('.').count() == 2 && !s.contains(char::is_whitespace)
}

/// Decodes `token` into `out` (and any JWT inside its claims); returns its compact form with
/// the signature withheld.
fn decode_into(token: &str, location: &str, out: &mut Vec<JwtView>) -> String {
    let compact = redact::jwt(token);
    if let Ok(decoded) = dcr_vectors::jose::decode_unverified(token) {
        let mut claims = Value::Object(decoded.claims);
        redact::json_value(&mut claims);
        let mut header = Value::Object(decoded.header);
        scrub::json_strings(&mut header);
        let index = out.len();
        out.push(JwtView {
            location: location.to_string(),
            compact: compact.clone(),
            header: pretty(&header),
            claims: String::new(),
        });
        nested(&mut claims, location, "", out);
        scrub::json_strings(&mut claims);
        out[index].claims = pretty(&claims);
    }
    compact
}

/// Replaces JWT strings inside `value` by their compact form without signature, decoding each.
fn nested(value: &mut Value, location: &str, path: &str, out: &mut Vec<JwtView>) {
    match value {
        Value::String(s) if looks_like_jwt(s) => {
            let here = format!("{location} › {}", path.trim_start_matches('.'));
            *s = decode_into(s, &here, out);
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                nested(v, location, &format!("{path}.{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                nested(v, location, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn truncated(text: &str) -> String {
    if text.len() <= MAX_BODY {
        return text.to_string();
    }
    let mut end = MAX_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n… [{} more bytes not shown]",
        &text[..end],
        text.len() - end
    )
}

/// A body as shown: JWT → compact form (decoded into `jwts`); JSON → pretty, redacted, JWTs
/// inside decoded; form or text → redacted.
fn body(text: &str, location: &str, jwts: &mut Vec<JwtView>) -> String {
    let trimmed = text.trim();
    if looks_like_jwt(trimmed) {
        let compact = decode_into(trimmed, location, jwts);
        return format!(
            "(a JWT of {} bytes: its compact form, signature withheld, and its decoded header and claims are below)\n{}",
            trimmed.len(),
            compact.chars().take(120).collect::<String>() + "…"
        );
    }
    if let Ok(mut json) = serde_json::from_str::<Value>(text) {
        redact::json_value(&mut json);
        nested(&mut json, location, "", jwts);
        // A holder may reflect a token inside a string (an `error_description` quoting the
        // bearer token it refused): every string is scrubbed like free text.
        scrub::json_strings(&mut json);
        return truncated(&pretty(&json));
    }
    truncated(&scrub::text(&redact::body(text)))
}

impl ExchangeView {
    /// The view of `exchange`, called at `endpoint`.
    pub fn new(exchange: &Exchange, endpoint: &str) -> Self {
        let mut jwts = Vec::new();
        let request_body = exchange
            .request_body
            .as_deref()
            .map(|b| body(b, "request body", &mut jwts));
        let (status, failure, response_headers, response_body) = match &exchange.outcome {
            Outcome::Response {
                status,
                headers,
                body: text,
            } => (
                Some(*status),
                None,
                headers.iter().map(|(k, v)| header(k, v)).collect(),
                Some(body(text, "response body", &mut jwts)),
            ),
            Outcome::Transport { failure, message } => (
                None,
                Some(scrub::text(&format!("{failure:?}: {message}"))),
                Vec::new(),
                None,
            ),
        };
        // What the request carried is removed by value from what came back (a holder may echo
        // a token verbatim, where no pattern finds it).
        let secrets =
            redact::secrets_in(&exchange.request_headers, exchange.request_body.as_deref());
        let strip = |text: String| redact::strip(&text, &secrets);
        let response_headers: Vec<(String, String)> = response_headers
            .into_iter()
            .map(|(k, v)| (k, strip(v)))
            .collect();
        let response_body = response_body.map(strip);
        let failure = failure.map(strip);
        for jwt in &mut jwts {
            jwt.compact = strip(std::mem::take(&mut jwt.compact));
            jwt.header = strip(std::mem::take(&mut jwt.header));
            jwt.claims = strip(std::mem::take(&mut jwt.claims));
        }
        Self {
            endpoint: endpoint.to_string(),
            method: exchange.method.clone(),
            url: scrub::text(&exchange.url),
            certificate: exchange.certificate.clone(),
            status,
            failure,
            elapsed_ms: (exchange.elapsed_ms * 10.0).round() / 10.0,
            request_headers: exchange
                .request_headers
                .iter()
                .map(|(k, v)| header(k, v))
                .collect(),
            request_body,
            response_headers,
            response_body,
            jwts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_jwt_body_is_shown_compact_without_signature_and_decoded_with_nested_jwts() {
        let key =
            dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "k").expect("key");
        let inner = dcr_vectors::jose::sign_claims(
            json!({"iss": "cdr-register"}).as_object().expect("obj"),
            &key,
        )
        .expect("inner");
        let outer = dcr_vectors::jose::sign_claims(
            json!({"iss": "adr", "software_statement": inner, "client_secret": "SECRET"})
                .as_object()
                .expect("obj"),
            &key,
        )
        .expect("outer");
        let exchange = Exchange {
            method: "POST".into(),
            url: "https://h/register".into(),
            request_headers: vec![("Authorization".into(), "Bearer SECRETTOKEN".into())],
            request_body: Some(outer.clone()),
            certificate: "recipient A".into(),
            outcome: Outcome::Response {
                status: 201,
                headers: vec![("set-cookie".into(), "s=SECRET".into())],
                body: json!({"software_statement": inner, "registration_access_token": "SECRET"})
                    .to_string(),
            },
            elapsed_ms: 1.0,
        };
        let view = ExchangeView::new(&exchange, "POST /register");
        let all = serde_json::to_string(&view).expect("json");
        assert!(!all.contains("SECRET"), "{all}");
        for token in [&outer, &inner] {
            let signature = token.rsplit('.').next().expect("sig");
            assert!(!all.contains(signature), "signature shown: {all}");
        }
        let locations: Vec<&str> = view.jwts.iter().map(|j| j.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "request body",
                "request body › software_statement",
                "response body › software_statement"
            ]
        );
        assert!(view.jwts[0].claims.contains("\"iss\": \"adr\""));
        assert!(
            view.request_body
                .as_deref()
                .is_some_and(|b| b.starts_with("(a JWT of"))
        );
        assert!(view.jwts[0].compact.ends_with(".[signature]"));
    }
}
