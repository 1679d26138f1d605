//! Snapshots of every scenario's exchanges, end to end with the binary: a first run records
//! them as the baseline and passes; a holder whose answer changed fails that scenario (and only
//! that one) with the diff; `dcr-conformance snapshots` rejects or accepts the change.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo_features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

fn summary(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("reports/summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("json")
}

/// The verdict of each scenario of the last run, by key.
fn verdicts(dir: &Path) -> Vec<(String, String)> {
    let s = summary(dir);
    let mut v: Vec<(String, String)> = s["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap_or_default().to_string(),
                s["verdict"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn snapshots(dir: &Path, action: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dcr-conformance"))
        .args(["snapshots", action, "--snapshots"])
        .arg(dir.join("snapshots"))
        .output()
        .expect("snapshots");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_changed_answer_fails_its_scenario_until_it_is_accepted() {
    let dir = support::scratch("payload-snapshots");
    // REG-001 (one registration) and the REG-021 rows of DCR-REQ-060 (the same rule).
    let args = ["--progress", "off", "--rule", "DCR-REQ-060"];
    let first = support::run(&repo_features(), &dir, &args, &[]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(" new, recorded as this target's baseline"),
        "{stdout}"
    );
    let stored = dir.join("snapshots/mock-holder/cds-au/scenarios/REG-001.snap");
    let baseline = std::fs::read_to_string(&stored).expect("REG-001's exchanges were recorded");
    assert!(
        baseline.contains("\"request\": \"POST /register\""),
        "{baseline}"
    );
    assert!(baseline.contains("\"status\": 201"), "{baseline}");
    assert!(!baseline.contains("eyJ"), "no JWT is stored: {baseline}");
    let passed = verdicts(&dir);
    assert!(passed.iter().all(|(_, v)| v == "passed"), "{passed:?}");

    // The same holder again: nothing new, everything passes.
    let again = support::run(&repo_features(), &dir, &args, &[]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains(" new, recorded"), "{stdout}");

    // The stored answer is made to differ from what the holder sends: as if the holder changed.
    std::fs::write(
        &stored,
        baseline.replace("\"status\": 201", "\"status\": 200"),
    )
    .expect("edit");
    let changed = support::run(&repo_features(), &dir, &args, &[]);
    assert_eq!(changed.status.code(), Some(1));
    let now = verdicts(&dir);
    for (key, verdict) in &now {
        let expected = if key == "REG-001" { "failed" } else { "passed" };
        assert_eq!(verdict, expected, "{key}: {now:?}");
    }
    let s = summary(&dir);
    let reg001 = s["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["key"] == "REG-001")
        .expect("REG-001");
    let message = reg001.to_string();
    assert!(
        message.contains("the holder's answers in this scenario changed"),
        "{message}"
    );
    assert!(message.contains("-    \\\"status\\\": 200"), "{message}");
    assert!(message.contains("+    \\\"status\\\": 201"), "{message}");
    let pending = stored.with_extension("snap.new");
    assert!(
        pending.exists(),
        "insta wrote the changed answer for review"
    );

    // Rejected: the (edited) stored one stays, so the scenario still fails.
    assert!(snapshots(&dir, "reject").contains("0 accepted, 1 rejected"));
    assert!(!pending.exists());
    let still = support::run(&repo_features(), &dir, &args, &[]);
    assert_eq!(still.status.code(), Some(1));
    // Accepted: the holder's answer is the baseline again, and the run passes.
    assert!(snapshots(&dir, "accept").contains("1 accepted, 0 rejected"));
    // (insta's header names where it was written from; the payload is the baseline's.)
    let body = |text: &str| text.split_once("\n---\n").map(|(_, b)| b.to_string());
    let accepted_text = std::fs::read_to_string(&stored).expect("stored");
    assert_eq!(body(&accepted_text), body(&baseline));
    let accepted = support::run(&repo_features(), &dir, &args, &[]);
    assert_eq!(accepted.status.code(), Some(0));
    assert_eq!(verdicts(&dir), passed);

    // --no-snapshots compares nothing: the edited snapshot does not fail the run.
    std::fs::write(
        &stored,
        baseline.replace("\"status\": 201", "\"status\": 200"),
    )
    .expect("edit");
    let off = support::run(
        &repo_features(),
        &dir,
        &[&args[..], &["--no-snapshots"]].concat(),
        &[],
    );
    assert_eq!(off.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}
