//! From scenario results to verdicts: what each failure means given its level, what each rule's
//! status is, which rules no scenario covers, and whether the run passed.
//!
//! * A failed scenario at MUST (or IMPL, checked only under profiles that include it, such as
//!   `mock-compat`) fails the run.
//! * A failed scenario at SHOULD or REC is a warning, or a failure with `--strict`.
//! * A failed scenario at MAY is always a warning: the behaviour is permitted either way.
//! * Skipped scenarios are skipped, with their reason, and never count as passed.
//! * A failed scenario of a rule the profile's release documents as not checked is **not
//!   checked by this release**: not a failure of the run, never a pass, reported on its own.
//! * A profile may check a rule at another level than the catalogue's; a scenario is then
//!   checked at the profile's level.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalogue::{Catalogue, Level, Profile, Treatment};
use crate::run::plan::{Plan, is_rule_tag};
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
    /// It failed, and the profile's release documents that it does not make this check.
    NotChecked,
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
    /// The profile's release documents that it does not check the rule, and the holder did
    /// not.
    NotChecked,
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
    /// For an outline row, its 1-based number among the outline's rows.
    pub row: Option<usize>,
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
    /// Why the profile's sources leave the scenario's assertion open, when they do (its
    /// failure is then a warning, and a correct holder may take either candidate).
    pub unsettled: Option<String>,
}

impl AssessedScenario {
    /// The key unique in the run: the ID, with `#row` for an outline row (`REG-021#3`).
    pub fn key(&self) -> String {
        crate::run::plan::key(&self.id, self.row)
    }
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
    /// How the profile treats it (checked, unsettled, not checked by the release).
    #[serde(flatten)]
    pub treatment: Treatment,
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

    /// `conformance: N passed, N failed, N skipped`, and, when any, `N warned` (failures of a
    /// rule below MUST, which do not fail the run) and `N not checked by this release`, so that
    /// the line counts every scenario `summary.json`, `junit.xml` and `report.html` count.
    pub fn closing_line(&self) -> String {
        let mut line = format!(
            "conformance: {} passed, {} failed, {} skipped",
            self.count(Verdict::Passed),
            self.count(Verdict::Failed),
            self.count(Verdict::Skipped)
        );
        let warned = self.count(Verdict::Warning);
        if warned > 0 {
            line.push_str(&format!(", {warned} warned"));
        }
        let not_checked = self.count(Verdict::NotChecked);
        if not_checked > 0 {
            line.push_str(&format!(", {not_checked} not checked by this release"));
        }
        line
    }
}

/// Whether a declared scenario proving `rules` runs under `profile`: every one of its rules
/// applies (a scenario asserting a rule the profile does not check would fail a holder the
/// profile describes; a scenario that must run under more profiles proves fewer rules).
pub fn applies(rules: &[String], profile: &Profile) -> bool {
    profile.applies_to_all(rules)
}

/// How strongly a failure at `level` counts (MUST and IMPL fail a run).
fn strength(level: Level) -> u8 {
    match level {
        Level::Must | Level::Impl => 3,
        Level::Should | Level::Rec => 2,
        Level::May => 1,
    }
}

/// The level a scenario tagged `declared` and proving `rules` is checked at under `profile`:
/// its tag's, unless the profile checks one of its rules at another level than the
/// catalogue's, in which case the strongest such level.
pub fn scenario_level(declared: Level, rules: &[String], profile: &Profile) -> Level {
    rules
        .iter()
        .filter_map(|r| profile.rule(r))
        .filter(|c| c.level != c.rule.level)
        .map(|c| c.level)
        .max_by_key(|l| strength(*l))
        .unwrap_or(declared)
}

/// Whether a failure of a scenario proving `rules` is explained by a check the profile's
/// release documents as not made.
pub fn not_checked(rules: &[String], profile: &Profile) -> bool {
    rules.iter().any(|r| {
        profile
            .rule(r)
            .is_some_and(|c| matches!(c.treatment, Treatment::NotChecked(_)))
    })
}

/// How a failure of a scenario counts under a profile (see [`failure_weight`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureWeight {
    /// The level it is checked at.
    pub level: Level,
    /// Why the profile's sources leave it open, if they do (it then counts at MAY).
    pub unsettled: Option<String>,
    /// Whether the profile's release documents a check it makes, or judges by, as not made.
    pub not_checked: bool,
}

impl FailureWeight {
    /// The verdict of a scenario that ended with `status`.
    pub fn verdict(&self, status: Status, strict: bool) -> Verdict {
        verdict_of(status, self.level, strict, self.not_checked)
    }
}

/// How a failure of scenario `id` (run as `name`, tagged `declared` and proving `rules`, with
/// steps `step_texts`) counts under `profile`: at its level there, at MAY where the profile
/// leaves it unsettled, not at all where the release documents the check as not made. The
/// assessment and the progress lines both ask this, so that a line never says FAILED of a
/// scenario the run then counts otherwise.
pub fn failure_weight<'a>(
    profile: &Profile,
    id: &str,
    name: &str,
    declared: Level,
    rules: &[String],
    step_texts: impl IntoIterator<Item = &'a str>,
) -> FailureWeight {
    let unsettled = profile.scenario(id, name).and_then(|s| s.unsettled.clone());
    let level = if unsettled.is_some() {
        Level::May
    } else {
        scenario_level(declared, rules, profile)
    };
    FailureWeight {
        level,
        unsettled,
        not_checked: not_checked(rules, profile) || not_checked(&judged_by(step_texts), profile),
    }
}

/// The rules a scenario's outcome steps judge by (`the outcome is one that R accepts`): a PUT
/// twin proves UK-REQ-065 but is judged by its POST rule, whose treatment then explains its
/// failure as the POST scenario's would be.
fn judged_by<'a>(step_texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    step_texts
        .into_iter()
        .filter_map(|text| {
            let rest = text.split_once("the outcome is one that ")?.1;
            let rule = rest.strip_suffix(" accepts")?;
            (!rule.contains(' ')).then(|| rule.to_string())
        })
        .collect()
}

fn verdict_of(status: Status, level: Level, strict: bool, not_checked: bool) -> Verdict {
    match status {
        Status::Passed => Verdict::Passed,
        Status::Skipped => Verdict::Skipped,
        Status::Failed if not_checked => Verdict::NotChecked,
        Status::Failed if level.failure_is_warning(strict) => Verdict::Warning,
        Status::Failed => Verdict::Failed,
    }
}

/// Assesses `results` of a run planned by `plan` under `profile`.
pub fn assess(
    catalogue: &Catalogue,
    plan: &Plan,
    results: &RunResults,
    profile: &Profile,
    strict: bool,
) -> Assessment {
    let mut scenarios = Vec::new();
    for result in &results.scenarios {
        let declared = result.id().and_then(|id| plan.scenarios.get(id));
        let row = declared.and_then(|d| d.row(&result.location));
        let (id, rules, declared_level) = match declared {
            Some(d) => {
                // An outline row may prove a rule more than its outline (a tagged Examples
                // block): the rules are the row's own tags.
                let mut rules: Vec<String> = result
                    .tags
                    .iter()
                    .filter(|t| is_rule_tag(t))
                    .cloned()
                    .collect();
                rules.dedup();
                if rules.is_empty() {
                    rules = d.rules.clone();
                }
                (d.id.clone(), rules, d.level)
            }
            // The plan validated every scenario before the run; this only guards a file
            // changed during the run.
            None => (
                result.id().unwrap_or("?").to_string(),
                Vec::new(),
                Level::Must,
            ),
        };
        // A scenario the profile's sources leave open counts at MAY: its failure is a
        // warning saying why.
        let weight = failure_weight(
            profile,
            &id,
            &result.name,
            declared_level,
            &rules,
            result.steps.iter().map(|s| s.text.as_str()),
        );
        let message = result.failure().map(|m| match &weight.unsettled {
            Some(why) => format!("unsettled under profile {}: {why}\n{m}", profile.name),
            None => m.to_string(),
        });
        scenarios.push(AssessedScenario {
            id,
            row,
            name: result.name.clone(),
            location: result.location.clone(),
            verdict: weight.verdict(result.status, strict),
            rules,
            level: weight.level,
            message,
            unsettled: weight.unsettled,
        });
    }
    let mut by_rule: BTreeMap<&str, Vec<&AssessedScenario>> = BTreeMap::new();
    for s in &scenarios {
        for r in &s.rules {
            by_rule.entry(r.as_str()).or_default().push(s);
        }
    }
    let covered = plan.covered_rules(profile);
    let rules = catalogue
        .matrix_rules(profile)
        .map(|rule| {
            let ran = by_rule.get(rule.id.as_str()).cloned().unwrap_or_default();
            let any = |v: Verdict| ran.iter().any(|s| s.verdict == v);
            let checked = profile.rule(&rule.id);
            let status = if checked.is_none() {
                RuleStatus::NotInProfile
            } else if !rule.testable && !covered.contains(rule.id.as_str()) {
                RuleStatus::Untestable
            } else if any(Verdict::Failed) {
                RuleStatus::Failed
            } else if any(Verdict::Warning) {
                RuleStatus::Warning
            } else if any(Verdict::NotChecked) {
                RuleStatus::NotChecked
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
                level: checked.map_or(rule.level, |c| c.level),
                area: rule.area.clone(),
                rule: rule.rule.clone(),
                source: rule.source.clone(),
                scenarios: ids,
                status,
                treatment: checked.map_or(Treatment::Checked, |c| c.treatment.clone()),
            }
        })
        .collect();
    Assessment {
        profile: profile.name.clone(),
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
        assert_eq!(verdict_of(Status::Failed, level, strict, false), want);
    }

    #[test]
    fn skipped_is_never_passed() {
        assert_eq!(
            verdict_of(Status::Skipped, Level::Must, false, false),
            Verdict::Skipped
        );
    }

    #[test]
    fn a_failure_a_release_documents_is_not_checked_not_failed_nor_passed() {
        assert_eq!(
            verdict_of(Status::Failed, Level::Must, true, true),
            Verdict::NotChecked
        );
        assert_eq!(
            verdict_of(Status::Passed, Level::Must, true, true),
            Verdict::Passed
        );
    }

    #[test]
    fn an_outcome_step_names_the_rule_it_judges_by() {
        let step = |text: &str| crate::run::results::StepResult {
            text: text.into(),
            status: Status::Passed,
            error: None,
        };
        let steps = [
            step("When recipient A updates its registration with mutation \"redirect-not-in-ssa\""),
            step("Then the outcome is one that UK-REQ-032 accepts"),
            step("Then the response status is 400"),
        ];
        assert_eq!(
            judged_by(steps.iter().map(|s| s.text.as_str())),
            ["UK-REQ-032"]
        );
        assert!(
            judged_by([step("Then the outcome is one that <rule> maybe accepts")
                .text
                .as_str()])
            .is_empty()
        );
    }
}
