//! From scenario results to verdicts: what each failure means given its level, what each rule's
//! status is, which rules no scenario covers, and whether the run passed.
//!
//! * A failed scenario at MUST (or IMPL, which only runs under `mock-compat`) fails the run.
//! * A failed scenario at SHOULD or REC is a warning, or a failure with `--strict`.
//! * A failed scenario at MAY is always a warning: the behaviour is permitted either way.
//! * Skipped scenarios are skipped, with their reason, and never count as passed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalogue::{Catalogue, Level};
use crate::run::plan::Plan;
use crate::run::results::{RunResults, Status};

/// A scenario's verdict (also read back from `summary.json` by the self-check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It passed.
    Passed,
    /// It failed, and its level makes that a failure of the run.
    Failed,
    /// It failed at a level that makes that a warning.
    Warning,
    /// It did not run to completion (with a reason).
    Skipped,
}

/// A rule's status in the requirement matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    /// Every scenario for it that ran passed.
    Passed,
    /// A scenario for it failed the run.
    Failed,
    /// A scenario for it failed at a warning level.
    Warning,
    /// Its scenarios were skipped.
    Skipped,
    /// It has scenarios, but none was selected for this run.
    NotRun,
    /// No scenario proves it (a gap in the suite).
    NotCovered,
    /// It does not apply to the selected profile.
    NotInProfile,
    /// A black-box client cannot check it (see the catalogue's reason).
    Untestable,
}

/// One executed scenario with its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct AssessedScenario {
    /// `@id:` (outline rows share their outline's ID).
    pub id: String,
    /// Name as run (outline placeholders substituted).
    pub name: String,
    /// File and line.
    pub location: String,
    /// Rules proven.
    pub rules: Vec<String>,
    /// Level it was checked at.
    pub level: Level,
    /// Verdict.
    pub verdict: Verdict,
    /// The failure or skip message.
    pub message: Option<String>,
}

/// One row of the requirement matrix.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// Rule ID.
    pub id: String,
    /// Level.
    pub level: Level,
    /// Area.
    pub area: String,
    /// One-line rule.
    pub rule: String,
    /// Sources.
    pub source: Vec<String>,
    /// IDs of the executed scenarios that prove it.
    pub scenarios: Vec<String>,
    /// Status.
    pub status: RuleStatus,
}

/// The assessed run.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// Profile assessed against.
    pub profile: String,
    /// Whether SHOULD/REC failures count as failures.
    pub strict: bool,
    /// Executed scenarios.
    pub scenarios: Vec<AssessedScenario>,
    /// The requirement matrix, in rule order.
    pub rules: Vec<RuleRow>,
}

impl Assessment {
    /// Number of scenarios with `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.scenarios
            .iter()
            .filter(|s| s.verdict == verdict)
            .count()
    }

    /// Rules of the profile that no scenario covers.
    pub fn not_covered(&self) -> Vec<&RuleRow> {
        self.rules
            .iter()
            .filter(|r| r.status == RuleStatus::NotCovered)
            .collect()
    }

    /// Whether the run passed: scenarios ran and none failed.
    pub fn passed(&self) -> bool {
        !self.scenarios.is_empty() && self.count(Verdict::Failed) == 0
    }

    /// `conformance: N passed, N failed, N skipped` (warnings are counted apart).
    pub fn closing_line(&self) -> String {
        format!(
            "conformance: {} passed, {} failed, {} skipped",
            self.count(Verdict::Passed),
            self.count(Verdict::Failed),
            self.count(Verdict::Skipped)
        )
    }
}

/// Whether a declared scenario proving `rules` runs under `profile`: at least one of its rules
/// lists the profile.
pub fn applies(rules: &[String], catalogue: &Catalogue, profile: &str) -> bool {
    rules.iter().any(|r| {
        catalogue
            .rule(r)
            .is_some_and(|rule| rule.profiles.iter().any(|p| p == profile))
    })
}

fn verdict_of(status: Status, level: Level, strict: bool) -> Verdict {
    match status {
        Status::Passed => Verdict::Passed,
        Status::Skipped => Verdict::Skipped,
        Status::Failed if level.failure_is_warning(strict) => Verdict::Warning,
        Status::Failed => Verdict::Failed,
    }
}

/// Assesses `results` of a run planned by `plan` under `profile`.
pub fn assess(
    catalogue: &Catalogue,
    plan: &Plan,
    results: &RunResults,
    profile: &str,
    strict: bool,
) -> Assessment {
    let mut scenarios = Vec::new();
    for result in &results.scenarios {
        let declared = result.id().and_then(|id| plan.scenarios.get(id));
        let (id, rules, level) = match declared {
            Some(d) => (d.id.clone(), d.rules.clone(), d.level),
            // The plan validated every scenario before the run; this only guards a file
            // changed during the run.
            None => (
                result.id().unwrap_or("?").to_string(),
                Vec::new(),
                Level::Must,
            ),
        };
        scenarios.push(AssessedScenario {
            id,
            name: result.name.clone(),
            location: result.location.clone(),
            rules,
            level,
            verdict: verdict_of(result.status, level, strict),
            message: result.failure().map(str::to_string),
        });
    }
    let mut by_rule: BTreeMap<&str, Vec<&AssessedScenario>> = BTreeMap::new();
    for s in &scenarios {
        for r in &s.rules {
            by_rule.entry(r.as_str()).or_default().push(s);
        }
    }
    let covered = plan.covered_rules();
    let rules = catalogue
        .rules()
        .map(|rule| {
            let ran = by_rule.get(rule.id.as_str()).cloned().unwrap_or_default();
            let any = |v: Verdict| ran.iter().any(|s| s.verdict == v);
            let status = if !rule.profiles.iter().any(|p| p == profile) {
                RuleStatus::NotInProfile
            } else if !rule.testable && !covered.contains(rule.id.as_str()) {
                RuleStatus::Untestable
            } else if any(Verdict::Failed) {
                RuleStatus::Failed
            } else if any(Verdict::Warning) {
                RuleStatus::Warning
            } else if any(Verdict::Passed) {
                RuleStatus::Passed
            } else if any(Verdict::Skipped) {
                RuleStatus::Skipped
            } else if covered.contains(rule.id.as_str()) {
                RuleStatus::NotRun
            } else {
                RuleStatus::NotCovered
            };
            let mut ids: Vec<String> = ran.iter().map(|s| s.id.clone()).collect();
            ids.dedup();
            RuleRow {
                id: rule.id.clone(),
                level: rule.level,
                area: rule.area.clone(),
                rule: rule.rule.clone(),
                source: rule.source.clone(),
                scenarios: ids,
                status,
            }
        })
        .collect();
    Assessment {
        profile: profile.to_string(),
        strict,
        scenarios,
        rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::must_fails(Level::Must, false, Verdict::Failed)]
    #[case::impl_fails(Level::Impl, false, Verdict::Failed)]
    #[case::should_warns(Level::Should, false, Verdict::Warning)]
    #[case::rec_warns(Level::Rec, false, Verdict::Warning)]
    #[case::should_strict_fails(Level::Should, true, Verdict::Failed)]
    #[case::rec_strict_fails(Level::Rec, true, Verdict::Failed)]
    #[case::may_never_fails(Level::May, true, Verdict::Warning)]
    fn a_failure_means_what_its_level_says(
        #[case] level: Level,
        #[case] strict: bool,
        #[case] want: Verdict,
    ) {
        assert_eq!(verdict_of(Status::Failed, level, strict), want);
    }

    #[test]
    fn skipped_is_never_passed() {
        assert_eq!(
            verdict_of(Status::Skipped, Level::Must, false),
            Verdict::Skipped
        );
    }
}
