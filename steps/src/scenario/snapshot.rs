//! Snapshots of response and error payloads, stored with insta (one folder per target), after
//! redacting everything that changes from run to run or is secret.
//!
//! insta keeps the files and the review workflow (`cargo insta review`, `.snap.new`). When a
//! payload changed, the step fails with a line diff of the stored and the new payload, so the
//! difference shows in the scenario's own failure (and hence in every report), not only in
//! insta's console output.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::http::{Exchange, Outcome};

/// Members whose values vary per run (ids, times, signatures) and are replaced by a marker.
const VOLATILE_MEMBERS: &[(&str, &str)] = &[
    ("client_id", "[client_id]"),
    ("client_id_issued_at", "[timestamp]"),
    ("software_id", "[software_id]"),
    ("software_statement", "[software_statement]"),
    ("jwks_uri", "[jwks_uri]"),
    ("jti", "[jti]"),
    ("iat", "[timestamp]"),
    ("exp", "[timestamp]"),
    ("expires_in", "[seconds]"),
    ("x5t#S256", "[thumbprint]"),
];

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*").expect("regex")
});
static PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(127\.0\.0\.1|localhost):\d+").expect("regex"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
        .expect("regex")
});
/// The Base62 software ids of OB Directory SSAs the suite mints fresh for each scenario (22
/// characters, letters and digits), where a holder's text names one (e.g. an application named
/// after the SSA's `software_client_name`).
static BASE62_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9A-Za-z]{22}\b").expect("regex"));
static NUMBERS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b1[6-9]\d{8}\b").expect("regex"));
/// RFC 3339 / ISO 8601 date-times (`2026-12-01T16:23:19Z`, `2026-12-01 16:23:19.123+10:00`).
static ISO_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
        .expect("regex")
});
/// HTTP dates (RFC 9110 §5.6.7: `Tue, 01 Dec 2026 16:23:19 GMT`).
static HTTP_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b")
        .expect("regex")
});

/// Replaces volatile and secret values so that a snapshot is stable across runs.
pub fn redact(value: &mut Value) {
    crate::redact::json_value(value);
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                // Names compared without case and underscores, so that a release answering in
                // camelCase (clientIdIssuedAt) is redacted like one answering in RFC 7591 names.
                let key = loose_name(k);
                if let Some((_, marker)) = VOLATILE_MEMBERS
                    .iter()
                    .find(|(name, _)| loose_name(name) == key)
                {
                    *v = Value::String((*marker).into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(s) => *s = redact_text(s),
        _ => {}
    }
}

/// A text with its volatile parts (JWTs, loopback ports, UUIDs, times) replaced by markers.
fn redact_text(text: &str) -> String {
    let t = JWT.replace_all(text, "[jwt]");
    let t = PORT.replace_all(&t, "$1:[port]");
    let t = UUID.replace_all(&t, "[uuid]");
    let t = BASE62_ID.replace_all(&t, |c: &regex::Captures<'_>| {
        let word = &c[0];
        if word.bytes().any(|b| b.is_ascii_digit()) && word.bytes().any(|b| b.is_ascii_alphabetic())
        {
            "[software_id]".to_string()
        } else {
            word.to_string()
        }
    });
    let t = ISO_TIME.replace_all(&t, "[time]");
    let t = HTTP_DATE.replace_all(&t, "[time]");
    let t = NUMBERS.replace_all(&t, "[timestamp]");
    t.into_owned()
}

/// Non-JSON bodies longer than this are cut in a scenario's snapshot (an HTML error page of a
/// gateway says what it is in its first lines).
const TEXT_BODY_LIMIT: usize = 2000;

/// The document snapshotted for a scenario: for each of its exchanges, in order, the request
/// line (method and path, the client IDs the holder issued in the scenario replaced by
/// `[client_id]`), the certificate presented, and what came back: status, `Content-Type`,
/// `WWW-Authenticate` and the body (JSON redacted as [`redact`] does, other text with its
/// volatile parts replaced), or `"no response"`. What the suite sent is not part of it: the
/// snapshot pins the holder's answers, which a suite upgrade does not change.
///
/// Consecutive exchanges with the same request line (a batch sent at once) are put in a
/// stable order, as which of them the holder answered first is not the holder's payload.
///
/// `discovery_url`: in a scenario that does more than read the discovery document, reading it
/// is the suite's lookup of the endpoints, and its body is left out (its status and type stay):
/// the discovery scenarios pin the document, and one changed member should fail those, not
/// every scenario.
pub fn exchanges_document(exchanges: &[Exchange], discovery_url: Option<&str>) -> Value {
    let issued = issued_client_ids(exchanges);
    let is_lookup = |e: &Exchange| e.method == "GET" && Some(e.url.as_str()) == discovery_url;
    let lookups_elided = !exchanges.iter().all(is_lookup);
    let mut entries: Vec<(String, Value)> = exchanges
        .iter()
        .map(|e| {
            let line = format!("{} {}", e.method, request_path(&e.url, &issued));
            let mut entry = serde_json::Map::new();
            entry.insert("request".into(), Value::String(line.clone()));
            entry.insert("certificate".into(), Value::String(e.certificate.clone()));
            match &e.outcome {
                Outcome::Response { status, body, .. } => {
                    entry.insert("status".into(), Value::from(*status));
                    for header in ["content-type", "www-authenticate"] {
                        if let Some(v) = e.header(header) {
                            entry.insert(header.into(), Value::String(redact_text(v)));
                        }
                    }
                    if lookups_elided && is_lookup(e) {
                        entry.insert(
                            "body".into(),
                            Value::String("[the discovery document: see DISC scenarios]".into()),
                        );
                    } else if let Some(mut json) = e.json() {
                        redact(&mut json);
                        entry.insert("body".into(), json);
                    } else if !body.trim().is_empty() {
                        let mut text: String = body.chars().take(TEXT_BODY_LIMIT).collect();
                        if text.len() < body.len() {
                            text.push_str("[…]");
                        }
                        entry.insert(
                            "body".into(),
                            Value::String(replace_all(&redact_text(&text), &issued)),
                        );
                    }
                }
                Outcome::Transport { .. } => {
                    entry.insert("response".into(), Value::String("no response".into()));
                }
            }
            (line, Value::Object(entry))
        })
        .collect();
    // Stable order within each run of identical request lines.
    let mut start = 0;
    while start < entries.len() {
        let end = (start..entries.len())
            .find(|i| entries[*i].0 != entries[start].0)
            .unwrap_or(entries.len());
        entries[start..end].sort_by_cached_key(|(_, v)| sorted(v).to_string());
        start = end;
    }
    Value::Array(entries.into_iter().map(|(_, v)| v).collect())
}

/// Every `client_id` a JSON response of the scenario carried (RFC 7591 or camelCase name).
fn issued_client_ids(exchanges: &[Exchange]) -> Vec<String> {
    let mut ids: Vec<String> = exchanges
        .iter()
        .filter_map(Exchange::json)
        .filter_map(|j| {
            j.as_object()?
                .iter()
                .find(|(k, _)| loose_name(k) == "clientid")
                .and_then(|(_, v)| v.as_str().map(str::to_string))
        })
        .filter(|id| !id.is_empty())
        .collect();
    // Longest first, so that an ID containing another is replaced whole.
    ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
    ids.dedup();
    ids
}

/// `text` with every one of `ids` replaced by `[client_id]`.
fn replace_all(text: &str, ids: &[String]) -> String {
    ids.iter().fold(text.to_string(), |t, id| {
        t.replace(id.as_str(), "[client_id]")
    })
}

/// The path and query of `url` (the host and port are the target's, not its answer), with
/// issued client IDs and volatile parts replaced.
fn request_path(url: &str, issued: &[String]) -> String {
    let path = match reqwest::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    };
    redact_text(&replace_all(&path, issued))
}

/// A member name without case and underscores: `client_id_issued_at` and `clientIdIssuedAt` meet.
fn loose_name(name: &str) -> String {
    name.replace('_', "").to_ascii_lowercase()
}

/// How a run treats snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// Through insta: a changed or new payload fails the step, and insta writes
    /// `<name>.snap.new` for review (or accepts it) as `INSTA_UPDATE` says. The default.
    #[default]
    Review,
    /// Compared with the stored snapshot only: a changed or missing snapshot fails the step,
    /// and nothing is written (insta, its environment variables and its process-wide settings
    /// are not involved). For runs whose payloads are wrong on purpose (the self-check's
    /// defects), several of which may share a process.
    CompareOnly,
    /// Not compared: the step passes without reading or writing anything. For the
    /// self-check's variation runs: a snapshot is a target's own earlier answer (one folder per
    /// target), and a holder showing a variation is another target than the one whose answers
    /// are stored, so its payloads differing from them is the variation itself, not a change.
    Skip,
}

/// Asserts that `body`, redacted, matches the stored snapshot `name` in `dir`.
///
/// # Errors
/// Fails with a diff when the payload changed, or when no snapshot is stored yet (in
/// [`SnapshotMode::Review`], insta then writes `<name>.snap.new` for review, except in CI).
pub fn assert_matches(
    dir: &Path,
    name: &str,
    body: &Value,
    mode: SnapshotMode,
) -> anyhow::Result<Matched> {
    if mode == SnapshotMode::Skip {
        return Ok(Matched::Same);
    }
    let mut value = body.clone();
    redact(&mut value);
    if mode == SnapshotMode::CompareOnly {
        return compare_only(dir, name, &value).map(|()| Matched::Same);
    }
    let stored_path = dir.join(format!("{name}.snap"));
    if !stored_path.exists() {
        return record(&stored_path, &value).map(|()| Matched::Recorded(stored_path));
    }
    // The same payload needs no insta (which would look for the build's source tree): only a
    // changed one goes through it, to be written as `.snap.new` for review.
    if equals_stored(&stored_path, &value) {
        return Ok(Matched::Same);
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_sort_maps(true);
    settings.set_input_file(Path::new("features"));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_json_snapshot!(name, value));
    }));
    if outcome.is_ok() {
        return Ok(Matched::Same);
    }
    mismatch(dir, name, &value, true).map(|()| Matched::Same)
}

/// How a payload met its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// It equals the stored snapshot.
    Same,
    /// No snapshot was stored: this payload was recorded as the baseline, in this file, for
    /// review (a first run against a target).
    Recorded(std::path::PathBuf),
}

/// `value` with every object's members in name order, as insta writes them (`sort_maps`); the
/// JSON maps here keep insertion order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort();
            Value::Object(
                names
                    .into_iter()
                    .map(|n| (n.clone(), sorted(&map[n])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Writes `value` (redacted) as the snapshot at `path`, in insta's format (a metadata header,
/// then the JSON with sorted members), so that `cargo insta` and later runs read it.
fn record(path: &Path, value: &Value) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the snapshot folder {}", dir.display()))?;
    }
    write_stored(path, &serde_json::to_string_pretty(&sorted(value))?)
}

/// Writes a stored snapshot: the one metadata header every stored file has (insta's own
/// `.snap.new` header names this source file, an assertion line and the input file, which
/// change with the code, not with the payload), then `body`.
fn write_stored(path: &Path, body: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::write(
        path,
        format!("---\nsource: features\n---\n{}\n", body.trim()),
    )
    .with_context(|| format!("cannot write snapshot {}", path.display()))
}

/// The body of a stored `.snap` file: what follows its metadata header.
fn stored_body(stored: &str) -> &str {
    stored.splitn(3, "---").nth(2).unwrap_or(stored).trim()
}

/// [`SnapshotMode::CompareOnly`]: the redacted `value` must equal the stored snapshot's JSON
/// (maps are compared without regard to order, as insta sorts them).
fn compare_only(dir: &Path, name: &str, value: &Value) -> anyhow::Result<()> {
    if equals_stored(&dir.join(format!("{name}.snap")), value) {
        return Ok(());
    }
    mismatch(dir, name, value, false)
}

/// Whether the snapshot stored at `path` holds `value` (maps compared without regard to order).
fn equals_stored(path: &Path, value: &Value) -> bool {
    std::fs::read_to_string(path).is_ok_and(|stored| {
        serde_json::from_str::<Value>(stored_body(&stored))
            .ok()
            .as_ref()
            == Some(value)
    })
}

/// The failure of a payload that does not match snapshot `name`: a diff against the stored
/// one, or the payload when none is stored. `reviewed`: insta has seen it (and may have
/// written a `.snap.new`).
fn mismatch(dir: &Path, name: &str, value: &Value, reviewed: bool) -> anyhow::Result<()> {
    let stored_path = dir.join(format!("{name}.snap"));
    // Sorted as the stored one is, so that the diff shows what changed, not the order.
    let new = serde_json::to_string_pretty(&sorted(value))?;
    let review = if reviewed {
        "review with `dcr-conformance snapshots review` or `cargo insta review`; accept every change with `dcr-conformance snapshots accept`"
    } else {
        "this run only compares snapshots and writes none"
    };
    match std::fs::read_to_string(&stored_path) {
        Ok(stored) => {
            let old = stored_body(&stored);
            let diff = similar::TextDiff::from_lines(old, new.as_str())
                .unified_diff()
                .header(&format!("stored {}", stored_path.display()), "received")
                .to_string();
            anyhow::bail!("the payload differs from snapshot {name:?} ({review}):\n{diff}")
        }
        Err(_) if reviewed => anyhow::bail!(
            "no stored snapshot {name:?} in {} yet; the received payload was:\n{new}\n(review the written .snap.new with `dcr-conformance snapshots review`)",
            dir.display()
        ),
        Err(_) => anyhow::bail!(
            "no stored snapshot {name:?} in {} yet; the received payload was:\n{new}\n({review})",
            dir.display()
        ),
    }
}

/// A payload insta wrote for review (`<name>.snap.new`) beside the snapshot it would replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The `.snap.new` file.
    pub new: std::path::PathBuf,
    /// The `.snap` file it replaces (it may not exist yet).
    pub stored: std::path::PathBuf,
}

impl Pending {
    /// The snapshot's name and folder, relative to `root` (e.g. `mock-holder/cds-au/scenarios/REG-001`).
    pub fn label(&self, root: &Path) -> String {
        let stem = self.stored.with_extension("");
        stem.strip_prefix(root)
            .unwrap_or(&stem)
            .display()
            .to_string()
    }

    /// A unified diff from the stored payload to the pending one (the whole pending payload
    /// when none is stored).
    ///
    /// # Errors
    /// The pending file cannot be read.
    pub fn diff(&self) -> anyhow::Result<String> {
        use anyhow::Context as _;
        let new = std::fs::read_to_string(&self.new)
            .with_context(|| format!("cannot read {}", self.new.display()))?;
        let old = std::fs::read_to_string(&self.stored).unwrap_or_default();
        Ok(
            similar::TextDiff::from_lines(stored_body(&old), stored_body(&new))
                .unified_diff()
                .header("stored", "received")
                .to_string(),
        )
    }

    /// Makes the pending payload the stored snapshot, under the stored files' header.
    ///
    /// # Errors
    /// The pending file cannot be read or removed, or the snapshot cannot be written.
    pub fn accept(&self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let new = std::fs::read_to_string(&self.new)
            .with_context(|| format!("cannot accept {}", self.new.display()))?;
        write_stored(&self.stored, stored_body(&new))?;
        std::fs::remove_file(&self.new)
            .with_context(|| format!("cannot remove {}", self.new.display()))
    }

    /// Deletes the pending payload; the stored snapshot stays.
    ///
    /// # Errors
    /// The file cannot be removed.
    pub fn reject(&self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        std::fs::remove_file(&self.new)
            .with_context(|| format!("cannot remove {}", self.new.display()))
    }
}

/// Every payload waiting for review under `root`, in path order.
///
/// # Errors
/// A folder under `root` cannot be read (a missing `root` has nothing pending).
pub fn pending(root: &Path) -> anyhow::Result<Vec<Pending>> {
    use anyhow::Context as _;
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(dir) = folders.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot read {}", dir.display()))?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else if let Some(stored) = path
                .to_str()
                .and_then(|p| p.strip_suffix(".snap.new"))
                .map(|p| std::path::PathBuf::from(format!("{p}.snap")))
            {
                found.push(Pending { new: path, stored });
            }
        }
    }
    found.sort_by(|a, b| a.new.cmp(&b.new));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(method: &str, url: &str, status: u16, body: &str) -> Exchange {
        Exchange {
            method: method.into(),
            url: url.into(),
            request_headers: vec![("authorization".into(), "Bearer SECRET".into())],
            request_body: Some("eyJa.eyJb.c".into()),
            certificate: "recipient A".into(),
            outcome: Outcome::Response {
                status,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Date".into(), "Tue, 01 Dec 2026 16:23:19 GMT".into()),
                ],
                body: body.into(),
            },
            elapsed_ms: 12.5,
        }
    }

    const DISCOVERY: &str = "https://127.0.0.1:4433/.well-known/openid-configuration";

    #[test]
    fn base62_software_ids_in_text_are_redacted_and_other_words_are_not() {
        assert_eq!(
            redact_text(
                "Application with the name Mock Budget Planner 4gQHZ7ID7vLraPnCEansU7 already exist"
            ),
            "Application with the name Mock Budget Planner [software_id] already exist"
        );
        // 22 letters (no digit) or 21 characters stay.
        let plain = "abcdefghijklmnopqrstuv and 4gQHZ7ID7vLraPnCEansU";
        assert_eq!(redact_text(plain), plain);
    }

    #[test]
    fn a_scenario_document_pins_the_answers_not_what_was_sent() {
        let exchanges = vec![
            exchange(
                "GET",
                DISCOVERY,
                200,
                r#"{"issuer":"https://127.0.0.1:4433"}"#,
            ),
            exchange(
                "POST",
                "https://127.0.0.1:4433/register",
                201,
                r#"{"client_id":"c-17","client_id_issued_at":1760000000}"#,
            ),
            exchange("GET", "https://127.0.0.1:4433/register/c-17?x=1", 401, ""),
            Exchange {
                outcome: Outcome::Transport {
                    failure: crate::http::TransportFailure::TlsRefused,
                    message: "handshake failure at 2026-12-01T16:23:19Z".into(),
                },
                ..exchange("DELETE", "https://127.0.0.1:4433/register/c-17", 0, "")
            },
            exchange(
                "PUT",
                "https://127.0.0.1:4433/register/c-17",
                502,
                "<html>Bad gateway c-17 at 2026-12-01 16:23:19</html>",
            ),
        ];
        let doc = exchanges_document(&exchanges, Some(DISCOVERY));
        assert_eq!(
            doc,
            json!([
                {"request": "GET /.well-known/openid-configuration", "certificate": "recipient A",
                 "status": 200, "content-type": "application/json",
                 "body": "[the discovery document: see DISC scenarios]"},
                {"request": "POST /register", "certificate": "recipient A", "status": 201,
                 "content-type": "application/json",
                 "body": {"client_id": "[client_id]", "client_id_issued_at": "[timestamp]"}},
                {"request": "GET /register/[client_id]?x=1", "certificate": "recipient A",
                 "status": 401, "content-type": "application/json"},
                {"request": "DELETE /register/[client_id]", "certificate": "recipient A",
                 "response": "no response"},
                {"request": "PUT /register/[client_id]", "certificate": "recipient A", "status": 502,
                 "content-type": "application/json",
                 "body": "<html>Bad gateway [client_id] at [time]</html>"}
            ])
        );
        let text = doc.to_string();
        assert!(!text.contains("SECRET") && !text.contains("eyJ"), "{text}");
    }

    #[test]
    fn the_discovery_document_is_kept_where_it_is_the_subject() {
        let body = r#"{"issuer":"https://127.0.0.1:4433","registration_endpoint":"https://127.0.0.1:4433/register"}"#;
        let doc = exchanges_document(&[exchange("GET", DISCOVERY, 200, body)], Some(DISCOVERY));
        assert_eq!(
            doc[0]["body"]["registration_endpoint"],
            "https://127.0.0.1:[port]/register"
        );
    }

    #[test]
    fn a_batch_of_one_request_is_put_in_a_stable_order() {
        let url = "https://127.0.0.1:4433/register";
        let won = exchange("POST", url, 201, r#"{"client_id":"a"}"#);
        let lost = exchange("POST", url, 400, r#"{"error":"invalid_client_metadata"}"#);
        let one = exchanges_document(&[won.clone(), lost.clone()], None);
        let other = exchanges_document(&[lost, won], None);
        assert_eq!(one, other);
    }

    #[test]
    fn a_long_text_body_is_cut() {
        let long = "x".repeat(TEXT_BODY_LIMIT + 50);
        let doc = exchanges_document(&[exchange("GET", "https://h/p", 500, &long)], None);
        let body = doc[0]["body"].as_str().expect("text");
        assert!(body.ends_with("[…]") && body.len() < long.len(), "{body}");
    }

    #[test]
    fn volatile_values_are_replaced() {
        let mut v = json!({
            "client_id": "abc", "client_id_issued_at": 1760000000, "software_statement": "eyJa.eyJb.c",
            "error_description": "could not reach http://127.0.0.1:43127/jwks for 6f7a1b54-2a5e-4a1f-9d61-3c2b4b0a1a01 at 1760000000",
            "nested": {"access_token": "SECRET"}, "scope": "openid"
        });
        redact(&mut v);
        assert_eq!(v["client_id"], "[client_id]");
        assert_eq!(v["software_statement"], "[software_statement]");
        assert_eq!(v["nested"]["access_token"], "[redacted]");
        assert_eq!(v["scope"], "openid");
        assert_eq!(
            v["error_description"],
            "could not reach http://127.0.0.1:[port]/jwks for [uuid] at [timestamp]"
        );
    }

    #[test]
    fn camel_case_volatile_members_are_replaced_too() {
        let mut v = json!({
            "clientId": "abc", "clientIdIssuedAt": 1760000000, "JwksUri": "https://x/jwks",
            "x5t#s256": "AbC", "clientName": "Mock"
        });
        redact(&mut v);
        assert_eq!(v["clientId"], "[client_id]");
        assert_eq!(v["clientIdIssuedAt"], "[timestamp]");
        assert_eq!(v["JwksUri"], "[jwks_uri]");
        assert_eq!(v["x5t#s256"], "[thumbprint]");
        assert_eq!(v["clientName"], "Mock");
    }

    #[test]
    fn a_changed_payload_fails_with_a_diff() {
        let dir = std::env::temp_dir().join(format!("dcr-snap-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("s.snap"),
            "---\nsource: features\n---\n{\n  \"error\": \"invalid_client_metadata\"\n}\n",
        )
        .expect("write");
        assert_matches(
            &dir,
            "s",
            &json!({"error": "invalid_client_metadata"}),
            SnapshotMode::Review,
        )
        .expect("same payload passes");
        let err = assert_matches(
            &dir,
            "s",
            &json!({"error": "invalid_software_statement"}),
            SnapshotMode::Review,
        )
        .expect_err("changed");
        let text = err.to_string();
        assert!(
            text.contains("-  \"error\": \"invalid_client_metadata\""),
            "{text}"
        );
        assert!(
            text.contains("+  \"error\": \"invalid_software_statement\""),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Compare-only agrees with insta on every stored snapshot of the mock holder, in every
    /// profile's folder: each stored payload passes both, and the same payload with one member
    /// changed fails both.
    #[test]
    fn compare_only_agrees_with_insta_on_every_stored_snapshot() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/mock-holder");
        let mut seen = 0;
        for profile in std::fs::read_dir(&dir).expect("snapshots") {
            let profile = profile.expect("entry").path();
            if profile.is_dir() {
                seen += agree_in(&profile);
                let scenarios = profile.join("scenarios");
                if scenarios.is_dir() {
                    seen += agree_in(&scenarios);
                }
            }
        }
        assert!(
            seen > 0,
            "no stored snapshot was found under {}",
            dir.display()
        );
    }

    /// [`compare_only_agrees_with_insta_on_every_stored_snapshot`] in one folder; the number
    /// of snapshots seen.
    fn agree_in(dir: &Path) -> usize {
        let scratch = std::env::temp_dir().join(format!("dcr-snap-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&scratch).expect("dir");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("snapshots") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "snap") {
                continue;
            }
            let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
            let stored = std::fs::read_to_string(&path).expect("read");
            let value: Value = serde_json::from_str(stored_body(&stored)).expect("json body");
            // The stored payload is its own redaction's fixed point, so it passes as received.
            std::fs::copy(&path, scratch.join(path.file_name().expect("file"))).expect("copy");
            for mode in [SnapshotMode::Review, SnapshotMode::CompareOnly] {
                assert_matches(&scratch, name, &value, mode)
                    .unwrap_or_else(|e| panic!("{name} ({mode:?}): {e}"));
            }
            let mut changed = value.clone();
            match &mut changed {
                Value::Object(map) => {
                    map.insert("a_member_no_holder_sends".into(), json!(true));
                }
                other => *other = json!({"not": "the stored payload"}),
            }
            for mode in [SnapshotMode::Review, SnapshotMode::CompareOnly] {
                assert!(
                    assert_matches(&scratch, name, &changed, mode).is_err(),
                    "{name} ({mode:?}): a changed payload must fail"
                );
            }
            seen += 1;
        }
        std::fs::remove_dir_all(&scratch).ok();
        seen
    }

    /// A first run (no stored snapshot) records the payload as the baseline and passes; the
    /// next run compares with it: the same payload passes, a changed one fails.
    #[test]
    fn a_first_run_records_the_baseline_and_later_runs_compare_with_it() {
        let dir = std::env::temp_dir().join(format!("dcr-first-{}", uuid::Uuid::new_v4()));
        // Members out of name order, as a holder may send them.
        let body = json!({"error_description": "x", "error": "invalid_client_metadata", "z": {"b": 1, "a": 2}});
        let first = assert_matches(&dir, "first-run", &body, SnapshotMode::Review).expect("passes");
        assert_eq!(first, Matched::Recorded(dir.join("first-run.snap")));
        for mode in [SnapshotMode::Review, SnapshotMode::CompareOnly] {
            assert_eq!(
                assert_matches(&dir, "first-run", &body, mode).expect("same"),
                Matched::Same
            );
            let changed = json!({"error_description": "x", "error": "invalid_redirect_uri", "z": {"b": 1, "a": 2}});
            assert!(
                assert_matches(&dir, "first-run", &changed, mode).is_err(),
                "{mode:?}"
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn compare_only_fails_without_a_stored_snapshot_and_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("dcr-snap-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let err = assert_matches(&dir, "absent", &json!({"a": 1}), SnapshotMode::CompareOnly)
            .expect_err("nothing stored");
        assert!(err.to_string().contains("writes none"), "{err}");
        assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0);
        std::fs::remove_dir_all(&dir).ok();
    }
}
