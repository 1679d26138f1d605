//! `dcr-conformance selfcheck`: proof that every check can fail.
//!
//! A suite that passes a correct holder proves little; it must also fail a wrong one, for every
//! rule. The self-check runs the suite against the embedded mock holder once without a defect
//! (the **baseline**: every applicable scenario must pass, without warnings), then once per
//! defect of `mock-holder/defects.yaml` (the holder started with that one rule broken on
//! purpose). A defect is **killed** when, for each rule it breaks, at least one scenario tagged
//! with that rule failed (or, at SHOULD/REC/MAY, warned); otherwise it **survived**, and the
//! rules left uncaught are the ones whose scenarios need strengthening.
//!
//! The cucumber runner keeps a process-global run context, so two runs cannot share a process:
//! each run is a child process of this same binary (`run --holder-defect NAME`), with its own
//! report folder (`<report dir>/selfcheck/<defect>/`), and the verdict comes from the
//! `summary.json` it writes. Runs execute `--jobs` at a time. By default a defect run selects
//! only the scenarios of the defect's rules (`--rule`), which is enough to decide the kill;
//! `--full` runs every scenario for each defect and also reports the collateral failures.
//!
//! Output: a kill matrix on the console, `selfcheck.json` (schema `dcr-conformance/selfcheck`,
//! documented in `reports/README.md`) and `selfcheck.html` in the report folder.

mod child;
mod console;
pub mod judge;
pub mod model;
mod page;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use futures::StreamExt;
use mock_holder::Defect;

use crate::catalogue::{Catalogue, Level};
use crate::run::plan::Plan;
use crate::run::runner;
use crate::selfcheck::child::{Finished, Job, run_child};
use crate::selfcheck::console::{catch_list, closing_line, print_matrix};
use crate::selfcheck::judge::{assemble, baseline_problems, judge};
use crate::selfcheck::model::{DefectVerdict, RuleRef, SelfcheckReport};
use crate::selfcheck::page::write_outputs;

/// Schema name written into `selfcheck.json`.
pub const SCHEMA: &str = "dcr-conformance/selfcheck";
/// `selfcheck.json`.
pub const JSON_FILE: &str = "selfcheck.json";
/// `selfcheck.html`.
pub const HTML_FILE: &str = "selfcheck.html";
/// The folder (inside the report folder) holding one report folder per run.
pub const RUNS_DIR: &str = "selfcheck";
/// The baseline run's folder name inside [`RUNS_DIR`].
pub const BASELINE: &str = "baseline";

/// `dcr-conformance selfcheck` options.
#[derive(Debug, Clone, clap::Args)]
pub struct SelfcheckArgs {
    /// Runs at once (each is a child process running the suite against its own embedded
    /// holder).
    #[arg(long, short = 'j', default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    jobs: u16,
    /// Folder of feature files and `catalogue.yaml`.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_features_dir())]
    features: PathBuf,
    /// Where to write selfcheck.json and selfcheck.html; each run's reports go to
    /// selfcheck/<defect>/ (the baseline's to selfcheck/baseline/) inside it.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_report_dir())]
    report_dir: PathBuf,
    /// Catalogue profile of every run. mock-compat (the default) is cds-au plus the
    /// reference-implementation (IMPL) rules, so that IMPL defects can be caught too.
    #[arg(long, value_name = "NAME", default_value = "mock-compat")]
    profile: String,
    /// Run every scenario for each defect (slower), which also reports the collateral
    /// failures; by default a defect run selects the scenarios of the defect's rules only.
    #[arg(long)]
    full: bool,
    /// Only this defect (repeatable); default: every defect.
    #[arg(long = "defect", value_name = "NAME")]
    defects: Vec<Defect>,
    /// Longest a single run may take, in seconds, before it is stopped and counted as an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    run_timeout: u64,
}

pub(crate) fn rule_refs(defect: Defect, catalogue: &Catalogue, profile: &str) -> Vec<RuleRef> {
    defect
        .rules()
        .iter()
        .map(|id| {
            let rule = catalogue.rule(id);
            RuleRef {
                id: id.clone(),
                level: rule.map_or(Level::Must, |r| r.level),
                in_profile: rule.is_some_and(|r| r.profiles.iter().any(|p| p == profile)),
            }
        })
        .collect()
}

/// Checks the options before anything runs; the catalogue and the defects to run.
fn prepare(args: &SelfcheckArgs) -> anyhow::Result<(Catalogue, Vec<Defect>)> {
    let catalogue = Catalogue::load(&args.features.join("catalogue.yaml"))?;
    catalogue.check_profile(&args.profile)?;
    Plan::load(&args.features, &catalogue)?;
    let defects: Vec<Defect> = if args.defects.is_empty() {
        Defect::ALL.to_vec()
    } else {
        Defect::ALL
            .iter()
            .copied()
            .filter(|d| args.defects.contains(d))
            .collect()
    };
    for d in &defects {
        if let Some(unknown) = d.rules().iter().find(|r| catalogue.rule(r).is_none()) {
            anyhow::bail!(
                "defect {d}: {unknown} is not in the catalogue (mock-holder/defects.yaml)"
            );
        }
    }
    Ok((catalogue, defects))
}

/// Runs the self-check; returns the process exit code.
pub async fn selfcheck(args: SelfcheckArgs) -> ExitCode {
    let (catalogue, defects) = match prepare(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            return ExitCode::from(2);
        }
    };
    match execute(&args, &catalogue, &defects).await {
        Ok(report) if report.passed() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn execute(
    args: &SelfcheckArgs,
    catalogue: &Catalogue,
    defects: &[Defect],
) -> anyhow::Result<SelfcheckReport> {
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let runs_dir = args.report_dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir)
        .with_context(|| format!("cannot create {}", runs_dir.display()))?;

    let applicable: Vec<Defect> = defects
        .iter()
        .copied()
        .filter(|d| {
            rule_refs(*d, catalogue, &args.profile)
                .iter()
                .any(|r| r.in_profile)
        })
        .collect();
    let mut jobs = vec![Job {
        defect: None,
        rules: Vec::new(),
        dir: runs_dir.join(BASELINE),
    }];
    for d in &applicable {
        jobs.push(Job {
            defect: Some(*d),
            rules: if args.full {
                Vec::new()
            } else {
                d.rules().to_vec()
            },
            dir: runs_dir.join(d.name()),
        });
    }
    println!(
        "selfcheck: the suite against the correct mock holder, then against {} defect(s) (profile {}, {}, {} at a time)",
        applicable.len(),
        args.profile,
        if args.full {
            "every scenario per defect"
        } else {
            "the scenarios of each defect's rules"
        },
        args.jobs
    );
    let total = jobs.len();
    let mut done = 0;
    let mut finished: BTreeMap<&'static str, Finished> = BTreeMap::new();
    let mut stream = futures::stream::iter(jobs.iter())
        .map(|job| async move { (job, run_child(job, args).await) })
        .buffer_unordered(args.jobs as usize);
    while let Some((job, result)) = stream.next().await {
        done += 1;
        let outcome = match (&result.record.error, &result.digest, job.defect) {
            (Some(e), _, _) => format!("error: {e}"),
            (None, Some(d), None) => {
                let problems = baseline_problems(d);
                if problems.is_empty() {
                    format!("passed ({} scenarios)", d.counts.scenarios)
                } else {
                    format!("NOT CLEAN: {}", problems.join(", "))
                }
            }
            (None, Some(d), Some(defect)) => {
                let j = judge(defect.rules(), d);
                match j.verdict() {
                    DefectVerdict::Killed => format!("killed by {}", catch_list(&j.caught_by)),
                    _ => format!("SURVIVED: no failing scenario of {}", j.uncaught.join(", ")),
                }
            }
            (None, None, _) => "error: no summary".into(),
        };
        println!(
            "[{done}/{total}] {} {outcome} ({:.1} s)",
            job.label(),
            result.record.duration_ms as f64 / 1000.0
        );
        finished.insert(job.label(), result);
    }
    drop(stream);

    let report = assemble(
        args,
        catalogue,
        defects,
        &mut finished,
        started_at,
        clock.elapsed(),
    );
    print_matrix(&report);
    write_outputs(&args.report_dir, &report)?;
    println!(
        "reports: {} and {}",
        args.report_dir.join(JSON_FILE).display(),
        args.report_dir.join(HTML_FILE).display()
    );
    println!("{}", closing_line(&report));
    Ok(report)
}
