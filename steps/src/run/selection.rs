//! Which scenarios a run executes: the user's selection (`--tags`, `--name`, `--rule`), the
//! profile's rules, and what the environment can provide. A scenario whose needs the
//! environment cannot meet is not run: it is recorded as skipped, with the reason.

use std::sync::Arc;

use cucumber::gherkin;

use crate::catalogue::Profile;
use crate::environment::capabilities::Capabilities;
use crate::run::collect::location;
use crate::run::plan::is_rule_tag;
use crate::run::results::{ScenarioResult, Status, StepResult};
use crate::run::verdict;
use crate::scenario::needs;

/// What the run does with one scenario.
#[derive(Debug)]
pub enum Decision {
    /// Run it.
    Run,
    /// Not selected: it is not part of this run at all.
    Out,
    /// Selected, but the environment cannot provide what it needs: recorded as skipped.
    NotRun(Box<ScenarioResult>),
}

/// The selection of a run.
#[derive(Debug)]
pub struct Selection {
    /// `--tags`, parsed.
    pub tags: Option<cucumber::gherkin::tagexpr::TagOperation>,
    /// `--name`.
    pub name: Option<regex::Regex>,
    /// `--rule` (empty: every rule).
    pub rules: Vec<String>,
    /// The profile checked.
    pub profile: Arc<Profile>,
    /// What the environment can provide.
    pub capabilities: Capabilities,
    /// The features' `profiles/` folder: a feature file in `profiles/<name>/` holds the
    /// scenarios of profile `<name>`, which run under that profile only (not under the
    /// profiles extending it, nor under others whose rules they happen to prove).
    pub profiles_dir: std::path::PathBuf,
    /// Only the scenarios at these locations (file relative to `features_dir`, and line), when
    /// given (`--rerun-failed`).
    pub only: Option<std::collections::BTreeSet<String>>,
    /// The features folder the run reads.
    pub features_dir: std::path::PathBuf,
}

impl Selection {
    /// Parses a `--tags` expression.
    ///
    /// # Errors
    /// A message naming the expression when it does not parse.
    pub fn parse_tags(
        expr: Option<&str>,
    ) -> anyhow::Result<Option<cucumber::gherkin::tagexpr::TagOperation>> {
        expr.map(str::parse::<cucumber::gherkin::tagexpr::TagOperation>)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--tags {:?}: {e}", expr.unwrap_or("")))
    }

    /// The profile whose folder (`profiles/<name>/`) holds `feature`, if any.
    fn owning_profile(&self, feature: &gherkin::Feature) -> Option<String> {
        let path = feature.path.as_ref()?;
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let root =
            std::fs::canonicalize(&self.profiles_dir).unwrap_or_else(|_| self.profiles_dir.clone());
        let relative = path.strip_prefix(&root).ok()?;
        let mut components = relative.components();
        let first = components.next()?;
        // A file directly in profiles/ belongs to no profile.
        components.next()?;
        Some(first.as_os_str().to_string_lossy().into_owned())
    }

    /// `scenario`'s location relative to the features folder (`registration/create.feature:13`),
    /// as `summary.json` gives it.
    fn relative_location(
        &self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
    ) -> String {
        let path = feature.path.clone().unwrap_or_default();
        let canonical =
            |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let (path, root) = (canonical(&path), canonical(&self.features_dir));
        let file = path.strip_prefix(&root).unwrap_or(&path);
        format!("{}:{}", file.display(), scenario.position.line)
    }

    /// Decides about one scenario.
    pub fn decide(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> Decision {
        let all_tags = || {
            feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| r.tags.iter()))
                .chain(scenario.tags.iter())
        };
        let rule_tags: Vec<String> = all_tags().filter(|t| is_rule_tag(t)).cloned().collect();
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|re| re.is_match(&scenario.name));
        let rule_ok = self.rules.is_empty() || rule_tags.iter().any(|t| self.rules.contains(t));
        let tags_ok = self
            .tags
            .as_ref()
            .is_none_or(|expr| cucumber::tag::Ext::eval(expr, all_tags()));
        // A scenario (or outline row) the profile turns off is not part of its run.
        let off = all_tags()
            .find_map(|t| t.strip_prefix("id:"))
            .and_then(|id| self.profile.scenario(id, &scenario.name))
            .is_some_and(|s| s.off.is_some());
        let only_ok = self
            .only
            .as_ref()
            .is_none_or(|only| only.contains(&self.relative_location(feature, scenario)));
        let own_profile = self.owning_profile(feature);
        let profile_ok = own_profile.as_ref().is_none_or(|p| *p == self.profile.name);
        if off
            || !(profile_ok
                && only_ok
                && name_ok
                && rule_ok
                && tags_ok
                && verdict::applies(&rule_tags, &self.profile))
        {
            return Decision::Out;
        }
        let steps = feature
            .background
            .iter()
            .chain(rule.and_then(|r| r.background.as_ref()))
            .flat_map(|b| b.steps.iter())
            .chain(scenario.steps.iter());
        // The plan checked every scenario's needs before the run; a step whose needs cannot
        // be worked out fails when it runs, so it is run.
        let Ok(needs) = needs::of_scenario(steps, all_tags().map(String::as_str)) else {
            return Decision::Run;
        };
        match self.capabilities.skip_reason(&needs) {
            None => Decision::Run,
            Some(reason) => {
                let mut result = not_run_result(feature, rule, scenario, reason);
                result.unmet_needs = self
                    .capabilities
                    .unmet_of(&needs)
                    .into_iter()
                    .map(|n| n.name().to_string())
                    .collect();
                Decision::NotRun(Box::new(result))
            }
        }
    }
}

/// The result of a scenario the target cannot run: skipped, with the reason as its message.
fn not_run_result(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
    reason: String,
) -> ScenarioResult {
    ScenarioResult {
        feature: feature.name.clone(),
        rule: rule.map(|r| r.name.clone()),
        name: scenario.name.clone(),
        tags: feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| r.tags.iter()))
            .chain(scenario.tags.iter())
            .cloned()
            .collect(),
        location: location(feature, scenario),
        status: Status::Skipped,
        steps: vec![StepResult {
            text: "needs of the scenario".into(),
            status: Status::Skipped,
            error: Some(reason),
        }],
        duration_ms: 0.0,
        unmet_needs: Vec::new(),
        exchanges: Vec::new(),
    }
}
