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
//! A run is described by a [`RunSpec`] (name, profile, how the holder is set up, selection).
//! By default each run executes in this process, on a thread and tokio runtime of its own with
//! its own embedded environment and run context (see [`in_process`] for what keeps runs apart);
//! with `--isolate`, each is a child process of this same binary (`run --holder-defect NAME`).
//! Either way a run writes its own report folder (`<report dir>/selfcheck/<name>/`) and its
//! verdict is read back from the `summary.json` it wrote. Runs execute `--jobs` at a time. By
//! default a defect run selects only the scenarios of the defect's rules (`--rule`), which is
//! enough to decide the kill; `--full` runs every scenario for each defect and also reports
//! the collateral failures.
//!
//! Output: a kill matrix on the console, `selfcheck.json` (schema `dcr-conformance/selfcheck`,
//! documented in `reports/README.md`) and `selfcheck.html` in the report folder.

mod args;
mod child;
mod console;
pub mod crosswise;
pub mod in_process;
pub mod judge;
pub mod model;
mod page;
mod snapshots;
pub mod spec;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use futures::StreamExt;
use mock_holder::{Defect, Variation};

use crate::catalogue::Catalogue;
use crate::catalogue::source::FeaturesSource;
use crate::environment::embedded::HolderSetup;
use crate::run::plan::Plan;
pub use crate::selfcheck::args::{Isolation, SelfcheckArgs};
use crate::selfcheck::child::run_child;
use crate::selfcheck::console::{catch_list, closing_line, print_matrix};
use crate::selfcheck::judge::{
    applicable, applicable_variations, assemble, baseline_problems, checked_rules, judge,
    judge_variation, together,
};
use crate::selfcheck::model::{DefectVerdict, HTML_FILE, JSON_FILE, RUNS_DIR, SelfcheckReport};
use crate::selfcheck::page::write_outputs;
pub use crate::selfcheck::spec::RunSpec;
use crate::selfcheck::spec::{Finished, Prepared};

/// Runs `spec` (its reports into `spec.dir(report_dir)`), isolated as `isolation` says,
/// stopped after `limit`.
pub(crate) async fn run_one(
    spec: &RunSpec,
    isolation: Isolation,
    features: &FeaturesSource,
    report_dir: &Path,
    limit: Duration,
) -> Finished {
    let dir = spec.dir(report_dir);
    match isolation {
        Isolation::InProcess => in_process::run_in_process(spec, &dir, features, limit).await,
        Isolation::ChildProcess => run_child(spec, &dir, features, limit).await,
    }
}

/// Checks the options before anything runs.
fn prepare(args: &SelfcheckArgs) -> anyhow::Result<Prepared> {
    let features = args.features().dir()?;
    let catalogue = Catalogue::load(&features)?;
    let profile = catalogue.profile(&args.profile)?;
    Plan::load(&features, &catalogue)?;
    let mut holder = HolderSetup::for_profile(&profile)?;
    if let Some(flavour) = args.holder_flavour {
        holder.flavour = flavour;
    }
    let defects: Vec<Defect> = if args.defects.is_empty() {
        Defect::ALL.to_vec()
    } else {
        Defect::ALL
            .iter()
            .copied()
            .filter(|d| args.defects.contains(d))
            .collect()
    };
    // Only what is judged against this holder's flavour is checked: the UK defects and
    // variations name UK-REQ rules of another catalogue.
    for d in defects.iter().filter(|d| d.applies_to(holder.flavour)) {
        if let Some(unknown) = d.rules().iter().find(|r| catalogue.rule(r).is_none()) {
            anyhow::bail!(
                "defect {d}: {unknown} is not in the catalogue (mock-holder/defects.yaml)"
            );
        }
    }
    let variations: Vec<Variation> = if args.no_variations {
        Vec::new()
    } else if args.variations.is_empty() {
        Variation::ALL.to_vec()
    } else {
        Variation::ALL
            .iter()
            .copied()
            .filter(|v| args.variations.contains(v))
            .collect()
    };
    for v in variations.iter().filter(|v| v.applies_to(holder.flavour)) {
        if let Some(unknown) = v.rules().iter().find(|r| catalogue.rule(r).is_none()) {
            anyhow::bail!(
                "variation {v}: {unknown} is not in the catalogue (mock-holder/variations.yaml)"
            );
        }
    }
    Ok(Prepared {
        catalogue,
        profile,
        holder,
        defects,
        variations,
    })
}

/// Runs the self-check; returns the process exit code.
pub async fn selfcheck(args: SelfcheckArgs) -> ExitCode {
    if args.all_profiles {
        return crosswise::all_profiles(&args).await;
    }
    if args.crosswise {
        return crosswise::crosswise(&args).await;
    }
    ExitCode::from(run_profile(&args).await.0)
}

/// The self-check of `args.profile`: its exit status (0 passed, 1 failed, 2 could not run)
/// and its closing line.
pub(crate) async fn run_profile(args: &SelfcheckArgs) -> (u8, String) {
    let prepared = match prepare(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            return (2, format!("could not run: {e:#}"));
        }
    };
    match execute(args, &prepared).await {
        Ok(report) => (u8::from(!report.passed()), closing_line(&report)),
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            (2, format!("could not run: {e:#}"))
        }
    }
}

async fn execute(args: &SelfcheckArgs, prepared: &Prepared) -> anyhow::Result<SelfcheckReport> {
    let Prepared {
        catalogue,
        profile,
        holder,
        defects,
        variations,
    } = prepared;
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let runs_dir = args.report_dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir)
        .with_context(|| format!("cannot create {}", runs_dir.display()))?;

    let applicable: Vec<Defect> = defects
        .iter()
        .copied()
        .filter(|d| applicable(*d, catalogue, profile, holder.flavour))
        .collect();
    let mut jobs = vec![RunSpec::baseline(&args.profile, holder)];
    for d in &applicable {
        let rules = checked_rules(*d, catalogue, profile);
        jobs.push(RunSpec::defect(
            &args.profile,
            holder,
            *d,
            &rules,
            args.full,
        ));
    }
    let alone = applicable_variations(variations, holder.flavour);
    let with_all = together(&alone);
    for v in &alone {
        jobs.push(RunSpec::variation(&args.profile, holder, &[*v]));
    }
    if !with_all.is_empty() {
        jobs.push(RunSpec::variation(&args.profile, holder, &with_all));
    }
    let isolation = args.isolation();
    println!(
        "selfcheck: the suite against the correct mock holder, then against {} defect(s) and {} variation run(s) (profile {}, holder flavour {}, {}, {} at a time, {})",
        applicable.len(),
        alone.len() + usize::from(!with_all.is_empty()),
        args.profile,
        holder.flavour,
        if args.full {
            "every scenario per defect"
        } else {
            "the scenarios of each defect's rules"
        },
        args.jobs,
        match isolation {
            Isolation::InProcess => "each run on its own thread in this process",
            Isolation::ChildProcess => "each run a child process",
        }
    );
    let total = jobs.len();
    let mut done = 0;
    let limit = Duration::from_secs(args.run_timeout);
    let mut finished: BTreeMap<String, Finished> = BTreeMap::new();
    let restore = in_process::quiet_panics();
    let mut stream = futures::stream::iter(jobs.iter())
        .map(|job| async move {
            (
                job,
                run_one(job, isolation, &args.features(), &args.report_dir, limit).await,
            )
        })
        .buffer_unordered(args.jobs as usize);
    while let Some((job, result)) = stream.next().await {
        done += 1;
        let outcome = match (&result.record.error, &result.digest, job.holder.defect) {
            (Some(e), _, _) => format!("error: {e}"),
            (None, Some(d), None) if !job.holder.variations.is_empty() => {
                let levels = |id: &str| {
                    profile
                        .rule(id)
                        .map(|c| c.level)
                        .or_else(|| catalogue.rule(id).map(|r| r.level))
                };
                let j = judge_variation(&job.holder.variations, &levels, d);
                if j.false_failures.is_empty() {
                    format!("accepted ({} scenarios)", d.counts.scenarios)
                } else {
                    format!(
                        "FALSE FAILURE: {}",
                        j.false_failures
                            .iter()
                            .map(|f| format!("{} {}", f.scenario, f.verdict))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            }
            (None, Some(d), None) => {
                let problems = baseline_problems(d);
                if problems.is_empty() {
                    format!("passed ({} scenarios)", d.counts.scenarios)
                } else {
                    format!("NOT CLEAN: {}", problems.join(", "))
                }
            }
            (None, Some(d), Some(defect)) => {
                let j = judge(&checked_rules(defect, catalogue, profile), d);
                match j.verdict() {
                    DefectVerdict::Killed => format!("killed by {}", catch_list(&j.caught_by)),
                    _ => format!("SURVIVED: no failing scenario of {}", j.uncaught.join(", ")),
                }
            }
            (None, None, _) => "error: no summary".into(),
        };
        println!(
            "[{done}/{total}] {} {outcome} ({:.1} s)",
            job.name,
            result.record.duration_ms as f64 / 1000.0
        );
        finished.insert(job.name.clone(), result);
    }
    drop(stream);
    restore();

    let report = assemble(args, prepared, &mut finished, started_at, clock.elapsed());
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
