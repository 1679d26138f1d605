//! Golden tests of the report formats: the report fixture (`tests/fixtures/features`: a pass,
//! a MUST failure, a SHOULD warning, a refused TLS handshake, a registration exchange, a
//! coverage gap, an untestable and an out-of-profile rule) runs against the embedded mock
//! holder; `summary.json`, `junit.xml` and the verdict-and-matrix fragment of `report.html` are
//! normalised (times, durations, ports, ids, temporary paths, and the rendered exchanges inside
//! failure messages stripped) and compared with the files under `tests/golden/`.
//!
//! Regenerate after an intended format change with
//! `UPDATE_GOLDEN=1 cargo test -p dcr-conformance --test reports_golden`, and review the diff.

mod support;

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(127\.0\.0\.1|localhost):\d+", "$1:[port]"),
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[uuid]",
        ),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[time]"),
        (
            r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT",
            "[date]",
        ),
        (r"\b\d+(\.\d+)? ms\b", "[n] ms"),
        (r"\b1[6-9]\d{8}\b", "[timestamp]"),
        (r"\b\d+ bytes\b", "[n] bytes"),
        (r"(?i)content-length: \d+", "content-length: [n]"),
        (r#"time="[\d.]+""#, r#"time="[t]""#),
        (
            r#"name="tool-version" value="[^"]*""#,
            r#"name="tool-version" value="[version]""#,
        ),
    ]
    .into_iter()
    .map(|(re, to)| (Regex::new(re).expect("regex"), to))
    .collect()
});

/// Text with run-specific values replaced, and every exchange rendered inside a message
/// (from its first `> ` request line to the next blank line or closing tag) replaced by
/// `[exchange]`: exchanges are pinned by the HTML and redaction tests, not here.
fn normalise(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "[dir]");
    let mut out = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if !skipping && (line.starts_with("> ") || line.starts_with("&gt; ")) {
            skipping = true;
            out.push("[exchange]".to_string());
            continue;
        }
        if skipping {
            if line.is_empty() {
                skipping = false;
            } else if let Some(at) = ["</failure>", "</system-out>"]
                .iter()
                .find_map(|tag| line.find(tag))
            {
                skipping = false;
                out.push(line[at..].to_string());
                continue;
            } else {
                continue;
            }
        }
        out.push(line.to_string());
    }
    let mut text = out.join("\n");
    for (re, to) in RULES.iter() {
        text = re.replace_all(&text, *to).into_owned();
    }
    text + "\n"
}

/// summary.json with measured values replaced by placeholders, then normalised as text.
fn normalise_summary(text: &str, dir: &Path) -> String {
    fn walk(value: &mut Value, dir: &Path) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    match k.as_str() {
                        "duration_ms" | "elapsed_ms" | "p50_ms" | "p95_ms" | "max_ms" => {
                            *v = Value::String("[ms]".into())
                        }
                        "flag" | "over_tier" => *v = Value::String("[measured]".into()),
                        "started_at" | "finished_at" => *v = Value::String("[time]".into()),
                        "reason" | "error" => {
                            if let Value::String(s) = v {
                                *s = normalise(s, dir).trim_end().to_string();
                            }
                        }
                        _ => walk(v, dir),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, dir)),
            _ => {}
        }
    }
    let mut value: Value = serde_json::from_str(text).expect("summary.json is JSON");
    walk(&mut value, dir);
    value["tool"]["version"] = Value::String("[version]".into());
    normalise(&serde_json::to_string_pretty(&value).expect("json"), dir)
}

/// The part of report.html between the golden markers (verdict, matrix, gaps).
fn html_fragment(text: &str, dir: &Path) -> String {
    let start = text.find("<!-- golden:start -->").expect("start marker");
    let end = text.find("<!-- golden:end -->").expect("end marker");
    normalise(&text[start..end], dir)
}

fn compare(name: &str, actual: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    (expected != actual).then(|| {
        format!(
            "{name} differs from {} (UPDATE_GOLDEN=1 regenerates it):\n{}",
            path.display(),
            similar::TextDiff::from_lines(expected.as_str(), actual)
                .unified_diff()
                .header("golden", "actual")
        )
    })
}

/// The fixture run's reports match the golden files.
#[test]
fn report_formats_match_the_golden_files() {
    let dir = support::scratch("golden");
    let out = support::run(
        &support::fixture_features(),
        &dir,
        &["--progress", "off"],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the fixture has one MUST failure, so the run exits 1\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let reports = dir.join("reports");
    let read = |name: &str| std::fs::read_to_string(reports.join(name)).expect(name);
    let diffs: Vec<String> = [
        compare(
            "summary.json",
            &normalise_summary(&read("summary.json"), &dir),
        ),
        compare("junit.xml", &normalise(&read("junit.xml"), &dir)),
        compare(
            "report-fragment.html",
            &html_fragment(&read("report.html"), &dir),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));

    // report.html is self-contained: nothing is loaded from anywhere.
    let html = read("report.html");
    for external in ["<link", "src=\"", "@import", "url(", "href=\"http"] {
        assert!(
            !html.contains(external),
            "report.html refers to an external asset ({external})"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
