//! `run --rerun-failed`: the scenarios that failed or warned in the last `summary.json` of a
//! report folder, by location (file relative to the features folder, and line: an outline row
//! has its own line), so that a rerun runs exactly those rows.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;

/// The last run's failed and warning scenarios, read from `summary.json` in `report_dir`.
#[derive(Debug, Clone)]
pub struct Rerun {
    /// Their locations (`registration/create.feature:13`).
    pub locations: BTreeSet<String>,
    /// Their keys (`REG-021#3`), for the console.
    pub keys: Vec<String>,
}

/// Reads the failed and warning scenarios of the `summary.json` in `report_dir`.
///
/// # Errors
/// When there is no `summary.json` there, or it is not a summary.
pub fn last_failures(report_dir: &Path) -> anyhow::Result<Rerun> {
    let path = report_dir.join("summary.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "--rerun-failed: no summary.json in {} (run the suite first, or give the --report-dir of the run to repeat)",
            report_dir.display()
        ),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("--rerun-failed: cannot read {}", path.display()));
        }
    };
    let summary: Value = serde_json::from_str(&text)
        .with_context(|| format!("--rerun-failed: {} is not JSON", path.display()))?;
    if summary.get("schema").and_then(Value::as_str) != Some("dcr-conformance/summary") {
        bail!(
            "--rerun-failed: {} is not a dcr-conformance summary (no schema \"dcr-conformance/summary\")",
            path.display()
        );
    }
    let mut locations = BTreeSet::new();
    let mut keys = Vec::new();
    for s in summary
        .get("scenarios")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let verdict = s.get("verdict").and_then(Value::as_str).unwrap_or_default();
        if !matches!(verdict, "failed" | "warning") {
            continue;
        }
        let Some(location) = s.get("location").and_then(Value::as_str) else {
            bail!(
                "--rerun-failed: a scenario of {} has no location",
                path.display()
            );
        };
        locations.insert(location.to_string());
        let key = s
            .get("key")
            .or_else(|| s.get("id"))
            .and_then(Value::as_str)
            .unwrap_or(location);
        keys.push(key.to_string());
    }
    Ok(Rerun { locations, keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_summary_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("dcr-rerun-{}", uuid::Uuid::new_v4()));
        let err = last_failures(&dir).expect_err("no summary");
        assert!(
            err.to_string()
                .contains("--rerun-failed: no summary.json in"),
            "{err}"
        );
    }

    #[test]
    fn failed_and_warning_scenarios_are_picked_by_location() {
        let dir = std::env::temp_dir().join(format!("dcr-rerun-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("summary.json"),
            r#"{"schema":"dcr-conformance/summary","scenarios":[
                {"id":"A-1","key":"A-1","location":"a.feature:3","verdict":"passed"},
                {"id":"A-2","key":"A-2#2","location":"a.feature:12","verdict":"failed"},
                {"id":"A-3","key":"A-3","location":"a.feature:20","verdict":"warning"},
                {"id":"A-4","key":"A-4","location":"a.feature:30","verdict":"skipped"}]}"#,
        )
        .expect("summary");
        let rerun = last_failures(&dir).expect("reads");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(rerun.keys, ["A-2#2", "A-3"]);
        assert_eq!(
            rerun.locations.into_iter().collect::<Vec<_>>(),
            ["a.feature:12", "a.feature:20"]
        );
    }
}
