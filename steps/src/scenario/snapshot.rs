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
static NUMBERS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b1[6-9]\d{8}\b").expect("regex"));

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
        Value::String(s) => {
            let t = JWT.replace_all(s, "[jwt]");
            let t = PORT.replace_all(&t, "$1:[port]");
            let t = UUID.replace_all(&t, "[uuid]");
            let t = NUMBERS.replace_all(&t, "[timestamp]");
            *s = t.into_owned();
        }
        _ => {}
    }
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
    let body = serde_json::to_string_pretty(&sorted(value))?;
    std::fs::write(path, format!("---\nsource: features\n---\n{body}\n"))
        .with_context(|| format!("cannot write snapshot {}", path.display()))
}

/// The body of a stored `.snap` file: what follows its metadata header.
fn stored_body(stored: &str) -> &str {
    stored.splitn(3, "---").nth(2).unwrap_or(stored).trim()
}

/// [`SnapshotMode::CompareOnly`]: the redacted `value` must equal the stored snapshot's JSON
/// (maps are compared without regard to order, as insta sorts them).
fn compare_only(dir: &Path, name: &str, value: &Value) -> anyhow::Result<()> {
    let stored_path = dir.join(format!("{name}.snap"));
    if let Ok(stored) = std::fs::read_to_string(&stored_path)
        && serde_json::from_str::<Value>(stored_body(&stored))
            .ok()
            .as_ref()
            == Some(value)
    {
        return Ok(());
    }
    mismatch(dir, name, value, false)
}

/// The failure of a payload that does not match snapshot `name`: a diff against the stored
/// one, or the payload when none is stored. `reviewed`: insta has seen it (and may have
/// written a `.snap.new`).
fn mismatch(dir: &Path, name: &str, value: &Value, reviewed: bool) -> anyhow::Result<()> {
    let stored_path = dir.join(format!("{name}.snap"));
    let new = serde_json::to_string_pretty(value)?;
    let review = if reviewed {
        "review with `cargo insta review`, or accept with INSTA_UPDATE=always"
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
            "no stored snapshot {name:?} in {} yet; the received payload was:\n{new}\n(review the written .snap.new with `cargo insta review`)",
            dir.display()
        ),
        Err(_) => anyhow::bail!(
            "no stored snapshot {name:?} in {} yet; the received payload was:\n{new}\n({review})",
            dir.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
