//! `selfcheck --all-profiles` and `selfcheck --crosswise`: the self-check over every profile.
//!
//! `--all-profiles` runs the whole self-check (baseline and defects) once per profile whose
//! flavour the mock holder emulates, each into `<report dir>/profiles/<name>/`; it passes when
//! every one passes.
//!
//! `--crosswise` runs the suite of every such profile against the correct holder in every
//! flavour (baselines only) and prints the table. A profile must pass its own flavour: that
//! cell is the baseline of `--all-profiles`, and the crosswise fails when it does not. Every
//! other cell is information, not a verdict: it shows where the suite of one flavour tells a
//! holder of another apart (failures), and where it cannot (a clean pass). Written to
//! `<report dir>/crosswise.json` (schema `dcr-conformance/crosswise`, in `reports/README.md`).

use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use mock_holder::Flavour;
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::environment::embedded::HolderSetup;
use crate::report::summary::{Tool, rfc3339};
use crate::run::verdict::Verdict;
use crate::selfcheck::args::SelfcheckArgs;
use crate::selfcheck::judge::baseline_problems;
use crate::selfcheck::model::{RunCounts, RunRecord};
use crate::selfcheck::spec::RunSpec;

/// The schema of `crosswise.json`.
pub const SCHEMA: &str = "dcr-conformance/crosswise";
/// The file name of the crosswise table in the report folder.
pub const JSON_FILE: &str = "crosswise.json";
/// The folder (inside the report folder) of `--all-profiles`' per-profile self-checks.
pub const PROFILES_DIR: &str = "profiles";

/// The profiles an embedded self-check can run, each with its correct holder, and those left
/// out with the reason.
type Runnable = (Vec<(String, HolderSetup)>, Vec<String>);

/// The profiles an embedded self-check can run: those whose flavour the mock holder emulates,
/// with that holder. A profile whose flavour it does not emulate is named with the reason.
fn runnable_profiles(catalogue: &Catalogue) -> anyhow::Result<Runnable> {
    let mut runnable = Vec::new();
    let mut left_out = Vec::new();
    for name in catalogue.profile_names() {
        let profile = catalogue.profile(name)?;
        match HolderSetup::for_profile(&profile) {
            Ok(holder) => runnable.push((name.to_string(), holder)),
            Err(e) => left_out.push(format!("{name}: {e:#}")),
        }
    }
    Ok((runnable, left_out))
}

/// `selfcheck --all-profiles`: the self-check of every runnable profile, one after the other.
pub(crate) async fn all_profiles(args: &SelfcheckArgs) -> ExitCode {
    let catalogue = match args.features().dir().and_then(|dir| Catalogue::load(&dir)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            return ExitCode::from(2);
        }
    };
    let (profiles, left_out) = match runnable_profiles(&catalogue) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            return ExitCode::from(2);
        }
    };
    for reason in &left_out {
        println!("selfcheck: not run (the mock holder does not emulate its flavour): {reason}");
    }
    let mut lines = Vec::new();
    let mut worst = 0u8;
    for (name, _) in &profiles {
        let mut one = args.clone();
        one.profile = name.clone();
        one.all_profiles = false;
        one.report_dir = args.report_dir.join(PROFILES_DIR).join(name);
        println!("selfcheck: profile {name}");
        let (code, line) = crate::selfcheck::run_profile(&one).await;
        worst = worst.max(code);
        lines.push(format!("  {name}: {line}"));
    }
    println!("selfcheck: every profile ({}):", profiles.len());
    for line in &lines {
        println!("{line}");
    }
    println!(
        "reports: {}/<profile>/",
        args.report_dir.join(PROFILES_DIR).display()
    );
    ExitCode::from(worst)
}

/// One cell of the crosswise table: the suite of `profile` against the holder in `flavour`.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The profile whose suite ran.
    pub profile: String,
    /// The flavour the holder emulated.
    pub flavour: &'static str,
    /// Whether `flavour` is the profile's own.
    pub own: bool,
    /// `passed` (every scenario passed), `differs` (some failed or warned) or `error` (the run
    /// did not complete).
    pub outcome: &'static str,
    /// The run's counts, when it completed.
    pub counts: Option<RunCounts>,
    /// The scenarios that failed or warned (their IDs, deduplicated), when it completed.
    pub differences: Vec<String>,
    /// The run: report folder, exit code, duration, error.
    pub run: RunRecord,
}

/// `crosswise.json`.
#[derive(Debug, Serialize)]
pub struct CrosswiseReport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// Schema version.
    pub version: u32,
    /// The tool.
    pub tool: Tool,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// `passed` when every profile passed its own flavour.
    pub verdict: &'static str,
    /// The profiles, in table order.
    pub profiles: Vec<String>,
    /// The flavours, in table order.
    pub flavours: Vec<&'static str>,
    /// Every cell, row by row.
    pub cells: Vec<Cell>,
    /// Profiles left out (their flavour is not emulated), with the reason.
    pub left_out: Vec<String>,
}

/// `selfcheck --crosswise`.
pub(crate) async fn crosswise(args: &SelfcheckArgs) -> ExitCode {
    match run_crosswise(args).await {
        Ok(report) if report.verdict == "passed" => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run_crosswise(args: &SelfcheckArgs) -> anyhow::Result<CrosswiseReport> {
    use anyhow::Context as _;
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let catalogue = Catalogue::load(&args.features().dir()?)?;
    let (profiles, left_out) = runnable_profiles(&catalogue)?;
    let mut jobs = Vec::new();
    for (name, holder) in &profiles {
        for &flavour in Flavour::ALL {
            let mut spec = RunSpec::baseline(
                name,
                &HolderSetup {
                    flavour,
                    ..holder.clone()
                },
            );
            spec.name = format!("crosswise/{name}@{flavour}");
            jobs.push((name.clone(), flavour, flavour == holder.flavour, spec));
        }
    }
    std::fs::create_dir_all(&args.report_dir)
        .with_context(|| format!("cannot create {}", args.report_dir.display()))?;
    println!(
        "selfcheck: crosswise, the suite of {} profile(s) against the correct holder in each of {} flavour(s), {} at a time",
        profiles.len(),
        Flavour::ALL.len(),
        args.jobs
    );
    let limit = Duration::from_secs(args.run_timeout);
    let total = jobs.len();
    let restore = crate::selfcheck::in_process::quiet_panics();
    let mut stream = futures::stream::iter(jobs.iter())
        .map(|(profile, flavour, own, spec)| async move {
            let finished = crate::selfcheck::run_one(
                spec,
                args.isolation(),
                &args.features(),
                &args.report_dir,
                limit,
            )
            .await;
            cell(profile, *flavour, *own, finished)
        })
        .buffer_unordered(args.jobs as usize);
    let mut cells = Vec::new();
    while let Some(cell) = stream.next().await {
        println!(
            "[{}/{total}] {} against {}: {}",
            cells.len() + 1,
            cell.profile,
            cell.flavour,
            describe(&cell)
        );
        cells.push(cell);
    }
    drop(stream);
    restore();
    let order = |c: &Cell| {
        (
            profiles.iter().position(|(p, _)| *p == c.profile),
            Flavour::ALL.iter().position(|f| f.name() == c.flavour),
        )
    };
    cells.sort_by_key(order);
    let passed = cells
        .iter()
        .filter(|c| c.own)
        .all(|c| c.outcome == "passed");
    let report = CrosswiseReport {
        schema: SCHEMA,
        version: 1,
        tool: Tool {
            name: "dcr-conformance",
            version: env!("CARGO_PKG_VERSION"),
        },
        started_at: rfc3339(started_at),
        duration_ms: clock.elapsed().as_millis() as u64,
        verdict: if passed { "passed" } else { "failed" },
        profiles: profiles.iter().map(|(p, _)| p.clone()).collect(),
        flavours: Flavour::ALL.iter().map(|f| f.name()).collect(),
        cells,
        left_out,
    };
    print!("{}", table(&report));
    let path = args.report_dir.join(JSON_FILE);
    let mut json = serde_json::to_vec_pretty(&report)?;
    json.push(b'\n');
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    println!("reports: {}", path.display());
    println!(
        "crosswise: {}: every profile {} its own flavour; wall time {:.1} s",
        report.verdict.to_ascii_uppercase(),
        if passed { "passes" } else { "does NOT pass" },
        report.duration_ms as f64 / 1000.0
    );
    Ok(report)
}

/// The cell of a finished run.
fn cell(
    profile: &str,
    flavour: Flavour,
    own: bool,
    finished: crate::selfcheck::spec::Finished,
) -> Cell {
    let (outcome, counts, differences) = match &finished.digest {
        None => ("error", None, Vec::new()),
        Some(digest) => {
            // Whether it is clean is the baseline's judgement (a parse error or no scenario at
            // all is not); the differences are the scenarios that did not pass.
            let clean = baseline_problems(digest).is_empty();
            let mut differences: Vec<String> = Vec::new();
            for s in &digest.scenarios {
                if !matches!(s.verdict, Verdict::Passed | Verdict::NotChecked)
                    && !differences.contains(&s.id)
                {
                    differences.push(s.id.clone());
                }
            }
            let outcome = if clean { "passed" } else { "differs" };
            (outcome, Some(digest.counts.clone()), differences)
        }
    };
    Cell {
        profile: profile.to_string(),
        flavour: flavour.name(),
        own,
        outcome,
        counts,
        differences,
        run: finished.record,
    }
}

/// A cell in a few words.
fn describe(cell: &Cell) -> String {
    match (&cell.counts, cell.outcome) {
        (Some(c), "passed") => format!("passed ({} scenarios)", c.scenarios),
        (Some(c), _) => format!(
            "{} of {} scenarios failed or warned",
            c.failed + c.warning,
            c.scenarios
        ),
        (None, _) => format!(
            "error: {}",
            cell.run.error.as_deref().unwrap_or("did not complete")
        ),
    }
}

/// The console table: a row per profile, a column per flavour; `ok` where every scenario
/// passed, the number of scenarios that failed or warned otherwise, `*` marking the profile's
/// own flavour.
pub(crate) fn table(report: &CrosswiseReport) -> String {
    use std::fmt::Write as _;
    let width = report
        .profiles
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("suite \\ holder".len());
    let mut out = String::new();
    let _ = write!(out, "{:width$}", "suite \\ holder");
    for f in &report.flavours {
        let _ = write!(out, "  {f:>16}");
    }
    out.push('\n');
    for p in &report.profiles {
        let _ = write!(out, "{p:width$}");
        for f in &report.flavours {
            let text = report
                .cells
                .iter()
                .find(|c| &c.profile == p && c.flavour == *f)
                .map(|c| {
                    let mark = if c.own { "*" } else { "" };
                    match (&c.counts, c.outcome) {
                        (_, "passed") => format!("ok{mark}"),
                        (Some(n), _) => format!("{} differ{mark}", n.failed + n.warning),
                        (None, _) => format!("error{mark}"),
                    }
                })
                .unwrap_or_default();
            let _ = write!(out, "  {text:>16}");
        }
        out.push('\n');
    }
    out.push_str(
        "(* the profile's own flavour, which it must pass; elsewhere, the number of scenarios that tell the holder apart from the profile's flavour)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RunRecord {
        RunRecord {
            report_dir: "selfcheck/x".into(),
            exit_code: Some(1),
            duration_ms: 10,
            counts: None,
            error: None,
        }
    }

    #[test]
    fn the_table_marks_the_own_flavour_and_counts_differences() {
        let counts = |failed| RunCounts {
            scenarios: 10,
            passed: 10 - failed,
            failed,
            ..RunCounts::default()
        };
        let report = CrosswiseReport {
            schema: SCHEMA,
            version: 1,
            tool: Tool {
                name: "dcr-conformance",
                version: "0",
            },
            started_at: String::new(),
            duration_ms: 0,
            verdict: "passed",
            profiles: vec!["cds-au".into()],
            flavours: vec!["cds-au", "wso2-cds-0.2"],
            cells: vec![
                Cell {
                    profile: "cds-au".into(),
                    flavour: "cds-au",
                    own: true,
                    outcome: "passed",
                    counts: Some(counts(0)),
                    differences: Vec::new(),
                    run: record(),
                },
                Cell {
                    profile: "cds-au".into(),
                    flavour: "wso2-cds-0.2",
                    own: false,
                    outcome: "differs",
                    counts: Some(counts(3)),
                    differences: vec!["REG-001".into()],
                    run: record(),
                },
            ],
            left_out: Vec::new(),
        };
        let text = table(&report);
        let row = text.lines().nth(1).expect("a row");
        assert!(row.starts_with("cds-au"), "{text}");
        assert!(row.contains("ok*"), "{text}");
        assert!(row.contains("3 differ"), "{text}");
        assert!(!row.contains("3 differ*"), "{text}");
    }
}
