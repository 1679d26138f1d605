//! Reading what the user gave (`JWT`, `FILE` or `-`) and finding the tokens in it.

use std::io::Read;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::InspectError;

/// Three base64url parts separated by dots, the whole text.
static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$").expect("valid regex")
});

/// A JWT-looking token inside other text: a JSON header (`eyJ`), payload, signature, not
/// preceded by a base64url character or a dot.
static EMBEDDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^A-Za-z0-9_.-])(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)")
        .expect("valid regex")
});

/// `"name": "` right before a token: the token is that JSON member's value.
static MEMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([A-Za-z0-9_$.-]+)"\s*:\s*"$"#).expect("valid regex"));

/// Reads the input: `-` is standard input, an existing path is a file, and anything shaped like
/// a compact JWS is the token itself. Returns a description of where it came from and the text.
///
/// # Errors
/// When the file or standard input cannot be read or is not UTF-8, or the argument is neither
/// a file nor a compact JWS.
pub(crate) fn read(input: &str) -> Result<(String, String), InspectError> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| InspectError::Unreadable {
                what: "standard input".into(),
                source,
            })?;
        return Ok(("standard input".into(), text));
    }
    let path = Path::new(input);
    if path.exists() {
        let what = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| InspectError::Unreadable {
            what: what.clone(),
            source,
        })?;
        let text =
            String::from_utf8(bytes).map_err(|_| InspectError::NotText { what: what.clone() })?;
        return Ok((what, text));
    }
    if COMPACT.is_match(input.trim()) {
        return Ok(("the argument".into(), input.to_string()));
    }
    Err(InspectError::NotInput {
        what: if input.len() > 80 {
            format!("the argument ({} characters)", input.len())
        } else {
            format!("{input:?}")
        },
    })
}

/// Where a token was found in a longer text.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// The compact token.
    pub(crate) token: String,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column (characters).
    pub(crate) column: usize,
    /// The JSON member whose value it is, if any.
    pub(crate) member: Option<String>,
    /// Whether it follows `Bearer ` (a credential).
    pub(crate) bearer: bool,
    /// Whether more dot-separated parts follow (a JWE or something else, not a JWS).
    pub(crate) more_parts: bool,
}

impl Candidate {
    /// `line 12, column 8, value of "software_statement"`.
    pub(crate) fn place(&self) -> String {
        let mut out = format!("line {}, column {}", self.line, self.column);
        if let Some(m) = &self.member {
            out.push_str(&format!(", value of {m:?}"));
        }
        if self.bearer {
            out.push_str(", after Bearer");
        }
        out
    }
}

/// What the text holds.
#[derive(Debug)]
pub(crate) enum Located {
    /// Exactly one compact JWS (whitespace aside).
    Whole(String),
    /// A JSON object (decoded claims, or an object with a `software_statement`).
    Json(Map<String, Value>),
    /// Other text, with the JWT-looking tokens found in it.
    Found(Vec<Candidate>),
}

/// Decides what `text` holds.
pub(crate) fn locate(text: &str) -> Located {
    let trimmed = text.trim();
    if COMPACT.is_match(trimmed) {
        return Located::Whole(trimmed.to_string());
    }
    if trimmed.starts_with('{')
        && let Ok(map) = serde_json::from_str::<Map<String, Value>>(trimmed)
    {
        return Located::Json(map);
    }
    let mut found = Vec::new();
    for caps in EMBEDDED.captures_iter(text) {
        let Some(m) = caps.get(1) else { continue };
        let before = &text[..m.start()];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_prefix = &text[line_start..m.start()];
        let rest = &text[m.end()..];
        found.push(Candidate {
            token: m.as_str().to_string(),
            line: before.matches('\n').count() + 1,
            column: line_prefix.chars().count() + 1,
            member: MEMBER
                .captures(line_prefix)
                .and_then(|c| c.get(1))
                .map(|n| n.as_str().to_string()),
            bearer: line_prefix
                .trim_end()
                .to_ascii_lowercase()
                .ends_with("bearer"),
            more_parts: rest.starts_with('.')
                && rest[1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        });
    }
    Located::Found(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_token_is_the_whole_input() {
        assert!(
            matches!(locate("  eyJa.eyJb.c2ln \n"), Located::Whole(t) if t == "eyJa.eyJb.c2ln")
        );
        assert!(matches!(locate("eyJa.eyJb."), Located::Whole(_)));
    }

    #[test]
    fn a_json_object_is_decoded_claims() {
        assert!(matches!(locate(r#" {"iss": "x"} "#), Located::Json(m) if m["iss"] == "x"));
    }

    #[test]
    fn tokens_in_text_are_found_with_their_place() {
        let text = "curl -d 'eyJh.eyJp.c2ln'\n{\n  \"software_statement\": \"eyJx.eyJy.eno\",\n  -H 'Authorization: Bearer eyJa.eyJb.c'\n}\nnot.eyJ.here xeyJa.eyJb.c eyJa.eyJb.c.d.e";
        let Located::Found(found) = locate(text) else {
            panic!("expected tokens in text")
        };
        let places: Vec<String> = found.iter().map(Candidate::place).collect();
        assert_eq!(
            places,
            [
                "line 1, column 10",
                "line 3, column 26, value of \"software_statement\"",
                "line 4, column 29, after Bearer",
                "line 6, column 27",
            ]
        );
        assert_eq!(found[1].token, "eyJx.eyJy.eno");
        assert!(found[3].more_parts && !found[0].more_parts);
    }

    #[test]
    fn text_without_tokens_finds_none() {
        assert!(matches!(locate("hello {not json"), Located::Found(f) if f.is_empty()));
    }
}
