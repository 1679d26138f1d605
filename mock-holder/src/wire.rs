//! The variations that rewrite responses on their way out, whatever endpoint made them (see
//! [`crate::variation`]): JSON written another way (members reversed, pretty-printed, extra
//! members, `*_supported` lists reversed, `error_uri` on token errors), the `charset`
//! parameter, extra header fields, a realm in bearer challenges, `Connection: close` after
//! every response or after a 413, and chunked bodies. [`layer`] installs the rewrite around a
//! router only when one of these variations is on, so a default holder's responses do not
//! pass through it at all.

use std::fmt::Write as _;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::state::AppState;
use crate::variation::Variation;

/// The variations this module carries out.
const WIRE: &[Variation] = &[
    Variation::ExtraDiscoveryMembers,
    Variation::ExtraRegistrationMembers,
    Variation::ExtraErrorMembers,
    Variation::ReorderedMembers,
    Variation::ReversedSupportedValues,
    Variation::PrettyJson,
    Variation::CharsetUtf8,
    Variation::ExtraResponseHeaders,
    Variation::ConnectionClose,
    Variation::ChunkedResponses,
    Variation::TokenErrorUri,
    Variation::BearerRealm,
    Variation::OversizedClose,
];

/// The member the `extra-*-members` variations add: a name no specification defines.
const EXTRA_MEMBER: &str = "mock_holder_extension";
/// Its value.
const EXTRA_VALUE: &str = "an unknown member a recipient ignores";
/// The discovery document's path.
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The token endpoint's path.
const TOKEN_PATH: &str = "/token";
/// The `error_uri` of `token-error-uri`.
const ERROR_URI: &str = "https://mock-holder.invalid/errors/token";
/// The realm of `bearer-realm`.
const REALM: &str = "mock-holder";

/// `router` with the response rewrite, when the holder runs a variation of this module.
pub(crate) fn layer(router: axum::Router, state: &AppState) -> axum::Router {
    if !WIRE.iter().any(|v| state.variation(*v)) {
        return router;
    }
    router.layer(axum::middleware::from_fn_with_state(state.clone(), rewrite))
}

/// What the rewrite needs to know of the request.
struct Asked {
    path: String,
    http1: bool,
}

async fn rewrite(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let asked = Asked {
        path: request.uri().path().to_string(),
        http1: request.version() <= Version::HTTP_11,
    };
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let on = |v| state.variation(v);
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let status = parts.status;
    if !json && !on(Variation::ChunkedResponses) {
        return finish(&state, &asked, parts, BodyOut::Original(body));
    }
    // The holder's bodies are small and complete: reading one back costs nothing.
    let mut body_out = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if json && let Ok(mut value) = serde_json::from_slice::<Value>(&body_out) {
        if let Value::Object(members) = &mut value {
            edit_members(&state, &asked, status, members);
        }
        let mut text = String::new();
        write_json(
            &value,
            on(Variation::ReorderedMembers),
            on(Variation::PrettyJson).then_some(0),
            &mut text,
        );
        body_out = Bytes::from(text);
    }
    if json && on(Variation::CharsetUtf8) {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    finish(&state, &asked, parts, BodyOut::Bytes(body_out))
}

/// The body the response goes out with.
enum BodyOut {
    /// Bytes read back (and perhaps rewritten).
    Bytes(Bytes),
    /// The body as the handler made it, not read.
    Original(Body),
}

fn finish(
    state: &AppState,
    asked: &Asked,
    mut parts: axum::http::response::Parts,
    body: BodyOut,
) -> Response {
    let on = |v| state.variation(v);
    if on(Variation::ExtraResponseHeaders) {
        parts.headers.insert(
            HeaderName::from_static("x-mock-holder-note"),
            HeaderValue::from_static("unrecognized header fields are ignored"),
        );
        parts
            .headers
            .insert(header::SERVER, HeaderValue::from_static("mock-holder"));
    }
    if on(Variation::BearerRealm)
        && let Some(challenge) = parts
            .headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
        && let Some(rest) = challenge.strip_prefix("Bearer")
    {
        let with_realm = if rest.trim().is_empty() {
            format!("Bearer realm=\"{REALM}\"")
        } else {
            format!("Bearer realm=\"{REALM}\",{rest}")
        };
        if let Ok(v) = HeaderValue::from_str(&with_realm) {
            parts.headers.insert(header::WWW_AUTHENTICATE, v);
        }
    }
    let close = on(Variation::ConnectionClose)
        || (on(Variation::OversizedClose) && parts.status == StatusCode::PAYLOAD_TOO_LARGE);
    if asked.http1 && close {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let body = match body {
        BodyOut::Bytes(b) if asked.http1 && on(Variation::ChunkedResponses) && !b.is_empty() => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from_stream(futures::stream::iter([Ok::<_, std::io::Error>(b)]))
        }
        BodyOut::Bytes(b) => {
            // Its length is known again from the bytes.
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(b)
        }
        BodyOut::Original(b) => b,
    };
    Response::from_parts(parts, body)
}

/// The member edits of the variations on, for the response of `asked` with `status`.
fn edit_members(
    state: &AppState,
    asked: &Asked,
    status: StatusCode,
    members: &mut Map<String, Value>,
) {
    let on = |v| state.variation(v);
    let path = asked.path.as_str();
    let error = status.is_client_error() || status.is_server_error();
    let discovery = path == DISCOVERY_PATH && status == StatusCode::OK;
    let registration = !error
        && path.starts_with(state.policy().registration_path)
        && !members.is_empty()
        && members.contains_key("client_id");
    let extra = (discovery && on(Variation::ExtraDiscoveryMembers))
        || (registration && on(Variation::ExtraRegistrationMembers))
        || (error && members.contains_key("error") && on(Variation::ExtraErrorMembers));
    if extra {
        members.insert(EXTRA_MEMBER.into(), Value::String(EXTRA_VALUE.into()));
    }
    if discovery && on(Variation::ReversedSupportedValues) {
        for (name, value) in members.iter_mut() {
            if name.ends_with("_supported")
                && let Value::Array(values) = value
            {
                values.reverse();
            }
        }
    }
    if error && path == TOKEN_PATH && members.contains_key("error") && on(Variation::TokenErrorUri)
    {
        members.insert("error_uri".into(), Value::String(ERROR_URI.into()));
    }
}

/// Writes `value` as JSON: object members in reverse order when `reverse`, pretty-printed at
/// `indent` levels when `Some`, compact otherwise. Strings and numbers are written by
/// `serde_json`, so their text is the one the holder would write.
fn write_json(value: &Value, reverse: bool, indent: Option<usize>, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    };
    match value {
        Value::Object(members) => {
            if members.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            let mut items: Vec<(&String, &Value)> = members.iter().collect();
            if reverse {
                items.reverse();
            }
            for (i, (name, member)) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                let _ = write!(out, "{}", Value::String(name.clone()));
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(member, reverse, indent.map(|l| l + 1), out);
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push('}');
        }
        Value::Array(values) => {
            if values.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(level) = indent {
                    newline(out, level + 1);
                }
                write_json(v, reverse, indent.map(|l| l + 1), out);
            }
            if let Some(level) = indent {
                newline(out, level);
            }
            out.push(']');
        }
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_written_compact_reversed_or_pretty_and_reads_back_the_same() {
        let v: Value =
            serde_json::json!({"a": 1, "b": [true, null, "x\"y"], "c": {}, "d": {"e": 2.5}});
        let mut compact = String::new();
        write_json(&v, false, None, &mut compact);
        assert_eq!(compact, serde_json::to_string(&v).expect("json"));
        let mut reversed = String::new();
        write_json(&v, true, None, &mut reversed);
        assert!(reversed.starts_with("{\"d\":"), "{reversed}");
        let mut pretty = String::new();
        write_json(&v, false, Some(0), &mut pretty);
        assert!(pretty.contains("\n  \"a\": 1"), "{pretty}");
        for text in [reversed, pretty] {
            assert_eq!(serde_json::from_str::<Value>(&text).expect("parses"), v);
        }
    }
}
