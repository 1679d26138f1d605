//! Judging runs: a defect run against the rules it breaks (the kill matrix), the baseline
//! against "everything passes", and the whole self-check assembled from its runs. Pure
//! functions over what the runs left behind.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use mock_holder::{Defect, Flavour, Variation};

use crate::catalogue::{Catalogue, Level, Profile, Treatment};
use crate::report::summary::{Tool, rfc3339};
use crate::run::verdict::Verdict;
use crate::selfcheck::args::SelfcheckArgs;
use crate::selfcheck::model::*;
use crate::selfcheck::spec::{Finished, Prepared, RunSpec};

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
    // A warning of a scenario whose assertion the profile's sources leave open is one of the
    // outcomes the profile accepts: the correct holder took the other candidate.
    for s in &run.scenarios {
        let accepted = matches!(s.verdict, Verdict::Passed | Verdict::NotChecked)
            || (s.verdict == Verdict::Warning && s.unsettled.is_some())
            || s.not_offered();
        if !accepted {
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

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Failed => "failed",
        Verdict::Warning => "warning",
        Verdict::Skipped => "skipped",
        Verdict::NotChecked => "not checked",
        Verdict::Passed => "passed",
    }
}

/// How a variation run went: its false failures and the warnings it was allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariationJudgement {
    /// Scenarios that did not pass, each with the clause allowing the behaviour.
    pub false_failures: Vec<FalseFailure>,
    /// Scenarios that warned on a rule of the run's variations whose level is below MUST.
    pub expected_warnings: Vec<String>,
}

impl VariationJudgement {
    /// Accepted when no scenario failed.
    pub fn verdict(&self) -> VariationVerdict {
        if self.false_failures.is_empty() {
            VariationVerdict::Accepted
        } else {
            VariationVerdict::FalseFailure
        }
    }
}

/// Judges the run of a holder showing `variations` (behaviours the standards allow) as the
/// baseline is judged: every scenario must pass. The one exception is a warning on a
/// scenario proving one of the variations' own rules that `levels` gives below MUST: the text
/// recommends what the variation does not do, and a warning is then the right verdict. Any
/// other scenario that did not pass is a false failure, named with its rules and the clauses
/// of the variations whose rules it meets (of every variation of the run when it meets none).
pub fn judge_variation(
    variations: &[Variation],
    levels: &dyn Fn(&str) -> Option<Level>,
    run: &RunDigest,
) -> VariationJudgement {
    let allow = |v: &Variation| Allowance {
        variation: v.name().to_string(),
        clause: v.clause().to_string(),
    };
    let mut false_failures = Vec::new();
    let mut expected_warnings = Vec::new();
    for e in &run.parse_errors {
        false_failures.push(FalseFailure {
            scenario: format!("parse error: {e}"),
            verdict: "failed",
            rules: Vec::new(),
            allowed_by: variations.iter().map(allow).collect(),
        });
    }
    if run.scenarios.is_empty() {
        false_failures.push(FalseFailure {
            scenario: "no scenario ran".into(),
            verdict: "failed",
            rules: Vec::new(),
            allowed_by: variations.iter().map(allow).collect(),
        });
    }
    for s in &run.scenarios {
        if matches!(s.verdict, Verdict::Passed | Verdict::NotChecked) || s.not_offered() {
            continue;
        }
        let meeting: Vec<&Variation> = variations
            .iter()
            .filter(|v| v.rules().iter().any(|r| s.rules.contains(r)))
            .collect();
        let own_rule_below_must = meeting.iter().any(|v| {
            v.rules()
                .iter()
                .any(|r| s.rules.contains(r) && levels(r).is_some_and(|l| l != Level::Must))
        });
        if s.verdict == Verdict::Warning && (own_rule_below_must || s.unsettled.is_some()) {
            if !expected_warnings.contains(&s.id) {
                expected_warnings.push(s.id.clone());
            }
            continue;
        }
        if false_failures
            .iter()
            .any(|f: &FalseFailure| f.scenario == s.id)
        {
            continue;
        }
        let allowed_by = if meeting.is_empty() {
            variations.iter().map(allow).collect()
        } else {
            meeting.into_iter().map(allow).collect()
        };
        false_failures.push(FalseFailure {
            scenario: s.id.clone(),
            verdict: verdict_word(s.verdict),
            rules: s.rules.clone(),
            allowed_by,
        });
    }
    VariationJudgement {
        false_failures,
        expected_warnings,
    }
}

/// The variations the self-check runs alone for a holder in `flavour`: those of `asked` that
/// apply to it, in `variations.yaml` order.
pub(crate) fn applicable_variations(asked: &[Variation], flavour: Flavour) -> Vec<Variation> {
    Variation::ALL
        .iter()
        .copied()
        .filter(|v| asked.contains(v) && v.applies_to(flavour))
        .collect()
}

/// The variations run together: of `applicable`, each in order unless it cannot run with one
/// taken before it. Empty when fewer than two would run (the runs alone cover it).
pub(crate) fn together(applicable: &[Variation]) -> Vec<Variation> {
    let mut set: Vec<Variation> = Vec::new();
    for v in applicable {
        if !set.iter().any(|t| t.incompatible_with(*v)) {
            set.push(*v);
        }
    }
    if set.len() < 2 { Vec::new() } else { set }
}

/// The level `profile` gives rule `id` (the catalogue's when the profile has no entry).
fn level_of(catalogue: &Catalogue, profile: &Profile, id: &str) -> Option<Level> {
    profile
        .rule(id)
        .map(|c| c.level)
        .or_else(|| catalogue.rule(id).map(|r| r.level))
}

/// The row of the variation table for the run `name` of `set`.
fn variation_entry(
    name: &str,
    set: &[Variation],
    catalogue: &Catalogue,
    profile: &Profile,
    finished: Option<Finished>,
) -> VariationEntry {
    let mut rules: Vec<String> = Vec::new();
    for v in set {
        for r in v.rules() {
            if !rules.contains(r) {
                rules.push(r.clone());
            }
        }
    }
    let (description, clause) = match set {
        [one] => (one.description().to_string(), one.clause().to_string()),
        _ => (
            format!("every compatible variation at once ({})", set.len()),
            String::new(),
        ),
    };
    let mut entry = VariationEntry {
        name: name.to_string(),
        description,
        variations: set.iter().map(|v| v.name().to_string()).collect(),
        rules,
        clause,
        verdict: VariationVerdict::Error,
        false_failures: Vec::new(),
        expected_warnings: Vec::new(),
        run: None,
    };
    match finished {
        Some(Finished {
            record,
            digest: Some(digest),
        }) => {
            let j = judge_variation(set, &|id| level_of(catalogue, profile, id), &digest);
            entry.verdict = j.verdict();
            entry.false_failures = j.false_failures;
            entry.expected_warnings = j.expected_warnings;
            entry.run = Some(record);
        }
        Some(Finished { record, .. }) => entry.run = Some(record),
        None => {}
    }
    entry
}

/// The variation table and its counts, from the finished runs.
fn assemble_variations(
    prepared: &Prepared,
    finished: &mut BTreeMap<String, Finished>,
) -> (Vec<VariationEntry>, VariationCounts) {
    let flavour = prepared.holder.flavour;
    let applicable = applicable_variations(&prepared.variations, flavour);
    let mut counts = VariationCounts {
        variations: prepared.variations.len(),
        applicable: applicable.len(),
        ..VariationCounts::default()
    };
    let mut entries = Vec::new();
    for v in Variation::ALL
        .iter()
        .copied()
        .filter(|v| prepared.variations.contains(v))
    {
        if !applicable.contains(&v) {
            counts.not_applicable += 1;
            entries.push(VariationEntry {
                name: v.name().to_string(),
                description: v.description().to_string(),
                variations: vec![v.name().to_string()],
                rules: v.rules().to_vec(),
                clause: v.clause().to_string(),
                verdict: VariationVerdict::NotApplicable,
                false_failures: Vec::new(),
                expected_warnings: Vec::new(),
                run: None,
            });
            continue;
        }
        let run = RunSpec::variation_name(&[v]);
        entries.push(variation_entry(
            &run,
            &[v],
            &prepared.catalogue,
            &prepared.profile,
            finished.remove(&run),
        ));
    }
    let set = together(&applicable);
    if !set.is_empty() {
        let run = RunSpec::variation_name(&set);
        entries.push(variation_entry(
            &run,
            &set,
            &prepared.catalogue,
            &prepared.profile,
            finished.remove(&run),
        ));
    }
    for e in &entries {
        match e.verdict {
            VariationVerdict::Accepted => counts.accepted += 1,
            VariationVerdict::FalseFailure => counts.false_failures += 1,
            VariationVerdict::Error => counts.errors += 1,
            VariationVerdict::NotApplicable => {}
        }
    }
    (entries, counts)
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
        ..
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
    let (variations, variation_counts) = assemble_variations(prepared, finished);
    let passed = baseline.verdict == "passed"
        && counts.survived == 0
        && counts.errors == 0
        && variation_counts.false_failures == 0
        && variation_counts.errors == 0;
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
        variation_counts,
        variations,
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
