//! Helpers shared by the report test targets: running the `dcr-conformance` binary in a
//! scratch folder, and reading everything it wrote.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The report fixture: a small fixed catalogue and feature files (`tests/fixtures/features`).
pub fn fixture_features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features")
}

/// A fresh scratch folder under cargo's per-target temporary folder.
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs `dcr-conformance run` against the embedded mock holder with `features`, writing reports
/// into `dir/reports` and snapshots under `dir/snapshots`, with insta told to write every new
/// snapshot as `.snap.new` and to stay quiet. `extra` adds arguments, `env` variables.
pub fn run(features: &Path, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcr-conformance"));
    cmd.arg("run")
        .arg("--features")
        .arg(features)
        .arg("--report-dir")
        .arg(dir.join("reports"))
        .arg("--snapshots")
        .arg(dir.join("snapshots"))
        .args(["--concurrency", "1"])
        .args(extra)
        .env_remove("CI")
        .env_remove("INSTA_FORCE_PASS")
        .env("INSTA_UPDATE", "new")
        .env("INSTA_OUTPUT", "none");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run dcr-conformance")
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
