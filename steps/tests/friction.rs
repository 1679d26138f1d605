//! Target-file and report friction met by a new user (issue #19): the console transcript of a
//! failed step, outline rows' keys in the reports, the machine-readable exchanges and
//! `--rerun-failed`. Each test runs the binary against the embedded mock holder.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo_features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

fn summary(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("reports/summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary is JSON")
}

fn scenarios(summary: &Value) -> Vec<Value> {
    summary["scenarios"].as_array().cloned().unwrap_or_default()
}

/// A failed step is printed without cucumber's "Step panicked" prefix, and its `Defined:`
/// path names a file that exists.
#[test]
fn the_console_shows_a_failed_step_plainly_with_a_whole_path() {
    let dir = support::scratch("friction-console");
    let out = support::run(
        &support::fixture_features(),
        &dir,
        &["--progress", "off"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "the fixture has a MUST failure");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("Step panicked"), "{stdout}");
    let defined: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Defined: "))
        .collect();
    assert!(!defined.is_empty(), "a failed step is located\n{stdout}");
    for location in defined {
        let file = location.rsplitn(3, ':').nth(2).expect("file:line:col");
        assert!(
            Path::new(file).exists(),
            "Defined: {location} names no file (from {})",
            std::env::current_dir().expect("cwd").display()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Each outline row has its own key (`ID#row`) beside the outline's ID, in every report, and
/// no scenario name keeps an Examples placeholder.
#[test]
fn outline_rows_have_their_own_keys_and_no_placeholder_names() {
    let dir = support::scratch("friction-rows");
    let out = support::run(
        &repo_features(),
        &dir,
        &[
            "--progress",
            "off",
            "--name",
            "^The response's .* is the software statement's$",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let summary = summary(&dir);
    let rows = scenarios(&summary);
    assert!(rows.len() > 1, "the outline has several rows");
    let placeholder = regex::Regex::new(r"<[A-Za-z_]+>").expect("regex");
    let mut keys = std::collections::BTreeSet::new();
    for (i, s) in rows.iter().enumerate() {
        let name = s["name"].as_str().expect("name");
        assert!(!placeholder.is_match(name), "{name}");
        assert_eq!(s["id"], "REG-021", "the outline's ID is kept");
        assert_eq!(s["row"], i + 1, "{s}");
        assert_eq!(s["key"], format!("REG-021#{}", i + 1));
        assert!(keys.insert(s["key"].to_string()), "unique keys");
    }
    let junit = std::fs::read_to_string(dir.join("reports/junit.xml")).expect("junit");
    assert!(junit.contains("name=\"REG-021#2: "), "{junit}");
    let html = std::fs::read_to_string(dir.join("reports/report.html")).expect("html");
    assert!(
        html.contains("id=\"sc-REG-021-row-2\""),
        "one element per row"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--rerun-failed` runs only what failed or warned in the last summary.json, and says why
/// it cannot when there is none.
#[test]
fn rerun_failed_runs_only_the_failed_and_warning_scenarios_of_the_last_run() {
    let dir = support::scratch("friction-rerun");
    let none = support::run(
        &support::fixture_features(),
        &dir,
        &["--progress", "off", "--rerun-failed"],
        &[],
    );
    assert_eq!(none.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(
        stderr.contains("--rerun-failed: no summary.json in"),
        "{stderr}"
    );

    let first = support::run(
        &support::fixture_features(),
        &dir,
        &["--progress", "off"],
        &[],
    );
    assert_eq!(first.status.code(), Some(1));
    let keys = |summary: &Value, pick: &dyn Fn(&Value) -> bool| -> Vec<String> {
        scenarios(summary)
            .iter()
            .filter(|s| pick(s))
            .map(|s| s["key"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let failed_first = keys(&summary(&dir), &|s| {
        matches!(s["verdict"].as_str(), Some("failed" | "warning"))
    });
    assert_eq!(failed_first, ["GOLD-002", "GOLD-003"]);

    let rerun = support::run(
        &support::fixture_features(),
        &dir,
        &["--progress", "off", "--rerun-failed"],
        &[],
    );
    assert_eq!(rerun.status.code(), Some(1), "GOLD-002 still fails");
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        stdout.contains("rerunning 2 scenario(s) that failed or warned in"),
        "{stdout}"
    );
    assert_eq!(keys(&summary(&dir), &|_| true), failed_first);
    std::fs::remove_dir_all(&dir).ok();
}

/// A progress line counts a scenario as the run's assessment does: under a profile whose
/// release documents checks it does not make (`wso2-accelerator-3`) a scenario failing such a
/// check is "not checked by this release", one the profile leaves unsettled a warning, and
/// no line says FAILED of a run that fails nothing.
#[test]
fn progress_lines_count_as_the_assessment_does() {
    let dir = support::scratch("friction-progress");
    let out = support::run(
        &repo_features(),
        &dir,
        &[
            "--profile",
            "wso2-accelerator-3",
            "--progress",
            "lines",
            "--no-snapshots",
            // UK-REQ-032: refusals the release documents it does not make; UK-REQ-062: a
            // revocation the profile leaves unsettled.
            "--rule",
            "UK-REQ-032",
            "--rule",
            "UK-REQ-062",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let summary = summary(&dir);
    let mut lines: std::collections::BTreeMap<&str, u64> = Default::default();
    let verdicts =
        regex::Regex::new(r"^\[\d+/\d+\] (passed|warning|FAILED|not checked by this release) ")
            .expect("regex");
    for line in stdout.lines() {
        if let Some(c) = verdicts.captures(line) {
            let verdict = match c.get(1).map(|m| m.as_str()) {
                Some("passed") => "passed",
                Some("warning") => "warning",
                Some("FAILED") => "failed",
                _ => "not_checked",
            };
            *lines.entry(verdict).or_default() += 1;
        }
    }
    let counts = &summary["counts"];
    for verdict in ["passed", "failed", "warning", "not_checked"] {
        assert_eq!(
            lines.get(verdict).copied().unwrap_or(0),
            counts[verdict].as_u64().expect("a count"),
            "{verdict}: progress lines {lines:?}, summary {counts}\n{stdout}"
        );
    }
    assert!(
        counts["not_checked"].as_u64() > Some(0) && counts["warning"].as_u64() > Some(0),
        "the selection has a not-checked scenario and a warning: {counts}"
    );
    // The last line's running totals are the run's.
    let last = stdout
        .lines()
        .rfind(|l| verdicts.is_match(l))
        .expect("progress lines");
    let totals = format!(
        "(failed so far: {}, warnings: {}, not checked by this release: {})",
        counts["failed"], counts["warning"], counts["not_checked"]
    );
    assert!(
        last.ends_with(&totals),
        "{last:?} does not end with {totals:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
