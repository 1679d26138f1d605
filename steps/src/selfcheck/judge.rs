//! Judging runs: a defect run against the rules it breaks (the kill matrix), the baseline
//! against "everything passes", and the whole self-check assembled from its runs. Pure
//! functions over what the runs left behind.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use mock_holder::{Defect, Flavour};

use crate::catalogue::{Catalogue, Level, Profile, Treatment};
use crate::report::summary::{Tool, rfc3339};
use crate::run::verdict::Verdict;
use crate::selfcheck::args::SelfcheckArgs;
use crate::selfcheck::model::*;
use crate::selfcheck::spec::{Finished, Prepared};

/// The kill-matrix row of one defect run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Per rule, the scenarios that caught the defect (rules without any are left out).
    pub caught_by: Vec<Catch>,
    /// Rules no failing scenario caught.
    pub uncaught: Vec<String>,
    /// Failed or warning scenarios tagged with none of the defect's rules.
    pub collateral: Vec<String>,
}

impl Judgement {
    /// Killed when every rule was caught.
    pub fn verdict(&self) -> DefectVerdict {
        if self.uncaught.is_empty() {
            DefectVerdict::Killed
        } else {
            DefectVerdict::Survived
        }
    }
}

fn caught(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Failed | Verdict::Warning)
}

fn push_unique(list: &mut Vec<String>, id: &str) {
    if !list.iter().any(|x| x == id) {
        list.push(id.to_string());
    }
}

/// Judges the run of a holder with a defect breaking `rules`.
pub fn judge(rules: &[String], run: &RunDigest) -> Judgement {
    let mut by_rule: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut collateral = Vec::new();
    for scenario in run.scenarios.iter().filter(|s| caught(s.verdict)) {
        let mut tagged = false;
        for rule in rules.iter().filter(|r| scenario.rules.contains(r)) {
            tagged = true;
            push_unique(by_rule.entry(rule.as_str()).or_default(), &scenario.id);
        }
        if !tagged {
            push_unique(&mut collateral, &scenario.id);
        }
    }
    let mut seen = BTreeSet::new();
    let mut caught_by = Vec::new();
    let mut uncaught = Vec::new();
    for rule in rules {
        if !seen.insert(rule.as_str()) {
            continue;
        }
        match by_rule.remove(rule.as_str()) {
            Some(scenarios) => caught_by.push(Catch {
                rule: rule.clone(),
                scenarios,
            }),
            None => uncaught.push(rule.clone()),
        }
    }
    collateral.sort();
    Judgement {
        caught_by,
        uncaught,
        collateral,
    }
}

/// What is wrong with the baseline run (the correct holder): every scenario that did not
/// pass, and a note when nothing ran or a feature file did not parse. Empty when it is clean.
pub fn baseline_problems(run: &RunDigest) -> Vec<String> {
    let mut problems: Vec<String> = run
        .parse_errors
        .iter()
        .map(|e| format!("parse error: {e}"))
        .collect();
    if run.scenarios.is_empty() {
        problems.push("no scenario ran".into());
    }
    // A scenario of a rule the release documents it does not check is informational: the
    // correct holder of that flavour may fail it, and the run still passes.
    for s in &run.scenarios {
        if !matches!(s.verdict, Verdict::Passed | Verdict::NotChecked) {
            let verdict = match s.verdict {
                Verdict::Failed => "failed",
                Verdict::Warning => "warning",
                Verdict::Skipped => "skipped",
                Verdict::NotChecked => "not checked",
                Verdict::Passed => "passed",
            };
            let line = format!("{} {verdict}", s.id);
            if !problems.contains(&line) {
                problems.push(line);
            }
        }
    }
    problems
}

pub(crate) fn assemble(
    args: &SelfcheckArgs,
    prepared: &Prepared,
    finished: &mut BTreeMap<String, Finished>,
    started_at: SystemTime,
    elapsed: Duration,
) -> SelfcheckReport {
    let Prepared {
        catalogue,
        profile,
        holder,
        defects,
    } = prepared;
    let flavour = holder.flavour;
    let baseline = match finished.remove(BASELINE) {
        Some(Finished {
            record,
            digest: Some(digest),
        }) => {
            let problems = baseline_problems(&digest);
            BaselineEntry {
                verdict: if problems.is_empty() {
                    "passed"
                } else {
                    "failed"
                },
                run: record,
                problems,
            }
        }
        Some(Finished { record, .. }) => BaselineEntry {
            verdict: "error",
            problems: vec![record.error.clone().unwrap_or_default()],
            run: record,
        },
        None => BaselineEntry {
            verdict: "error",
            problems: vec!["the baseline did not run".into()],
            run: RunRecord {
                report_dir: format!("{RUNS_DIR}/{BASELINE}"),
                exit_code: None,
                duration_ms: 0,
                counts: None,
                error: None,
            },
        },
    };
    let mut entries = Vec::new();
    let mut counts = DefectCounts {
        defects: defects.len(),
        ..DefectCounts::default()
    };
    for &defect in defects {
        let rules = rule_refs(defect, catalogue, profile);
        let checked: Vec<String> = rules
            .iter()
            .filter(|r| r.checked)
            .map(|r| r.id.clone())
            .collect();
        let mut entry = DefectEntry {
            name: defect.name().to_string(),
            description: defect.description().to_string(),
            rules,
            verdict: DefectVerdict::NotApplicable,
            caught_by: Vec::new(),
            uncaught_rules: Vec::new(),
            collateral: Vec::new(),
            run: None,
        };
        if applicable(defect, catalogue, profile, flavour) {
            counts.applicable += 1;
            match finished.remove(defect.name()) {
                Some(Finished {
                    record,
                    digest: Some(digest),
                }) => {
                    let j = judge(&checked, &digest);
                    entry.verdict = j.verdict();
                    entry.caught_by = j.caught_by;
                    entry.uncaught_rules = j.uncaught;
                    entry.collateral = j.collateral;
                    entry.run = Some(record);
                }
                Some(Finished { record, .. }) => {
                    entry.verdict = DefectVerdict::Error;
                    entry.run = Some(record);
                }
                None => entry.verdict = DefectVerdict::Error,
            }
        }
        match entry.verdict {
            DefectVerdict::Killed => counts.killed += 1,
            DefectVerdict::Survived => counts.survived += 1,
            DefectVerdict::Error => counts.errors += 1,
            DefectVerdict::NotApplicable => counts.not_applicable += 1,
        }
        entries.push(entry);
    }
    let survivors: Vec<Survivor> = entries
        .iter()
        .filter(|e| e.verdict == DefectVerdict::Survived)
        .map(|e| Survivor {
            defect: e.name.clone(),
            rules: e.uncaught_rules.clone(),
        })
        .collect();
    let passed = baseline.verdict == "passed" && counts.survived == 0 && counts.errors == 0;
    SelfcheckReport {
        schema: SCHEMA,
        version: 1,
        tool: Tool {
            name: "dcr-conformance",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile: args.profile.clone(),
        flavour: flavour.name(),
        selection: if args.full { "full" } else { "rules" },
        jobs: args.jobs,
        isolation: args.isolation().as_str(),
        started_at: rfc3339(started_at),
        finished_at: rfc3339(SystemTime::now()),
        duration_ms: elapsed.as_millis() as u64,
        verdict: if passed { "passed" } else { "failed" },
        counts,
        baseline,
        defects: entries,
        survivors,
    }
}

/// The rules `defect` breaks, with their level under `profile` and whether it checks them.
pub(crate) fn rule_refs(defect: Defect, catalogue: &Catalogue, profile: &Profile) -> Vec<RuleRef> {
    defect
        .rules()
        .iter()
        .map(|id| {
            let checked = profile.rule(id);
            RuleRef {
                id: id.clone(),
                level: checked
                    .map(|c| c.level)
                    .or_else(|| catalogue.rule(id).map(|r| r.level))
                    .unwrap_or(Level::Must),
                in_profile: checked.is_some(),
                checked: checked.is_some_and(|c| c.treatment == Treatment::Checked),
            }
        })
        .collect()
}

/// The rules of `defect` that can catch it under `profile` (see [`RuleRef::checked`]).
pub(crate) fn checked_rules(
    defect: Defect,
    catalogue: &Catalogue,
    profile: &Profile,
) -> Vec<String> {
    rule_refs(defect, catalogue, profile)
        .into_iter()
        .filter(|r| r.checked)
        .map(|r| r.id)
        .collect()
}

/// Whether the self-check runs `defect` against a holder in `flavour` under `profile`: the
/// defect perverts that flavour, and breaks a rule the profile checks.
pub(crate) fn applicable(
    defect: Defect,
    catalogue: &Catalogue,
    profile: &Profile,
    flavour: Flavour,
) -> bool {
    defect.applies_to(flavour) && !checked_rules(defect, catalogue, profile).is_empty()
}
