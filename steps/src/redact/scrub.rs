//! The last line of defence: secrets removed from free text (failure messages, URLs, console
//! lines) by pattern, after `crate::redact` has already removed them by structure.
//!
//! Steps render exchanges through `crate::redact`, so their messages should hold no secrets.
//! Every report writer still passes its text through [`text`], so that a message built some
//! other way (a new step quoting a header, a holder echoing a token in an error description)
//! cannot leak a credential into evidence that is kept and shared.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// Names whose values are secrets, in form bodies, query strings and JSON text.
const SECRET_NAMES: &str = "access_token|refresh_token|registration_access_token|client_assertion|client_secret|id_token|code_verifier";

static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*)([A-Za-z][A-Za-z0-9_-]*)[ \t]+[^\s\[][^\s]*",
    )
    .expect("regex")
});
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(Bearer|DPoP)[ \t]+[A-Za-z0-9\-._~+/]{8,}=*").expect("regex"));
// `${NAME}` (an environment variable a probe step expands) is not a secret.
static FORM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\b({SECRET_NAMES})=[^&\s\[$][^&\s]*")).expect("regex"));
static JSON_MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#""({SECRET_NAMES}|d|p|q|dp|dq|qi|oth|k)"(\s*:\s*)"[^"\[][^"]*""#
    ))
    .expect("regex")
});
static JWT_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\.[A-Za-z0-9_-]{16,}").expect("regex")
});

/// `text` with credentials replaced by `[redacted]` and JWT signatures by `[signature]`.
pub fn text(text: &str) -> String {
    let t = AUTHORIZATION.replace_all(text, "${1}${2} [redacted]");
    let t = BEARER.replace_all(&t, "${1} [redacted]");
    let t = FORM.replace_all(&t, "${1}=[redacted]");
    let t = JSON_MEMBER.replace_all(&t, "\"${1}\"${2}\"[redacted]\"");
    let t = JWT_SIGNATURE.replace_all(&t, "${1}.[signature]");
    t.into_owned()
}

/// Scrubs every string inside a JSON document (used on `cucumber.json`, whose writer is
/// cucumber's own).
pub fn json_strings(value: &mut Value) {
    match value {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(json_strings),
        Value::Object(map) => map.values_mut().for_each(json_strings),
        _ => {}
    }
}

/// An `io::Write` that scrubs whole lines before passing them on (the console writer's
/// output goes through it).
#[derive(Debug)]
pub struct LineScrubber<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> LineScrubber<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, upto: usize) -> std::io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let clean = text(&String::from_utf8_lossy(&chunk));
        self.inner.write_all(clean.as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for LineScrubber<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last) = self.pending.iter().rposition(|b| *b == b'\n') {
            self.emit(last + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            self.emit(self.pending.len())?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for LineScrubber<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::io::Write as _;

    #[rstest]
    #[case::header(
        "> Authorization: Bearer abc.def-123",
        "> Authorization: Bearer [redacted]"
    )]
    #[case::already_redacted(
        "> authorization: Bearer [redacted]",
        "> authorization: Bearer [redacted]"
    )]
    #[case::bare_bearer("token Bearer abcdefgh1234 used", "token Bearer [redacted] used")]
    #[case::form(
        "grant_type=x&client_assertion=eyJabc&scope=a",
        "grant_type=x&client_assertion=[redacted]&scope=a"
    )]
    #[case::json(
        r#"{"access_token": "SECRET", "n": "pub"}"#,
        r#"{"access_token": "[redacted]", "n": "pub"}"#
    )]
    #[case::jwk(r#"{"kty":"EC","d":"SECRET"}"#, r#"{"kty":"EC","d":"[redacted]"}"#)]
    #[case::jwt(
        "x eyJhbGciOi.eyJpc3Mi.AAAAAAAAAAAAAAAAAAAAAA y",
        "x eyJhbGciOi.eyJpc3Mi.[signature] y"
    )]
    #[case::placeholder("client_assertion=${ENV}", "client_assertion=${ENV}")]
    #[case::prose(
        "the Basic writer and a bearer of news",
        "the Basic writer and a bearer of news"
    )]
    fn secrets_leave_free_text(#[case] input: &str, #[case] want: &str) {
        assert_eq!(text(input), want);
    }

    #[test]
    fn lines_are_scrubbed_whole_even_when_written_in_pieces() {
        let mut out = Vec::new();
        {
            let mut w = LineScrubber::new(&mut out);
            w.write_all(b"Authorization: Bea").expect("write");
            w.write_all(b"rer SECRETSECRET\nnext").expect("write");
        }
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            "Authorization: Bearer [redacted]\nnext"
        );
    }
}
