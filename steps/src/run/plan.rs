//! The run plan: every scenario declared under `features/`, read before anything runs, and
//! checked against the catalogue. A scenario that names a rule the catalogue does not know, a
//! scenario ID used twice, or a scenario without an ID or level tag is a usage error (exit 2):
//! a traceability mistake must stop the run, not quietly weaken it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cucumber::gherkin::{Feature, GherkinEnv};

use crate::catalogue::{Catalogue, Level};

/// Whether `tag` is written like a rule ID (`DCR-REQ-030`, `WSO2-CDS02-001`, `UK-REQ-012`):
/// upper-case words joined by hyphens, ending in three digits. Whether the rule exists is
/// checked against the catalogue and the profiles.
pub fn is_rule_tag(tag: &str) -> bool {
    let Some((head, digits)) = tag.rsplit_once('-') else {
        return false;
    };
    digits.len() == 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !head.is_empty()
        && head.split('-').all(|w| {
            !w.is_empty()
                && w.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && w.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

/// One declared scenario (an outline counts once).
#[derive(Debug, Clone)]
pub struct Declared {
    /// `@id:` value.
    pub id: String,
    /// Scenario name.
    pub name: String,
    /// File and line.
    pub location: String,
    /// Rule IDs it proves.
    pub rules: Vec<String>,
    /// Its level tag.
    pub level: Level,
    /// Its area tag (from `@area:`), if any.
    pub area: Option<String>,
    /// An outline's rows, in order, by the line cucumber gives each expanded row (the line
    /// of the row in its Examples table); empty for a plain scenario.
    pub rows: Vec<u64>,
}

impl Declared {
    /// The 1-based number of the outline row run at `location` (`file:line`), if this is an
    /// outline and that is one of its rows.
    pub fn row(&self, location: &str) -> Option<usize> {
        let line: u64 = location.rsplit_once(':')?.1.parse().ok()?;
        self.rows.iter().position(|l| *l == line).map(|i| i + 1)
    }
}

/// The key of an executed scenario, unique in a run: its ID, and for an outline row `#` and
/// the row's number (`REG-021#3`).
pub fn key(id: &str, row: Option<usize>) -> String {
    match row {
        Some(n) => format!("{id}#{n}"),
        None => id.to_string(),
    }
}

/// All declared scenarios.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// By `@id:`.
    pub scenarios: BTreeMap<String, Declared>,
}

fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read features folder {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            feature_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

/// The level a tag names (`MUST`, `SHOULD`, ...), if it is a level tag.
pub(crate) fn level_tag(tag: &str) -> Option<Level> {
    match tag {
        "MUST" => Some(Level::Must),
        "SHOULD" => Some(Level::Should),
        "MAY" => Some(Level::May),
        "REC" => Some(Level::Rec),
        "IMPL" => Some(Level::Impl),
        _ => None,
    }
}

/// Every concrete scenario of `feature` (outline rows expanded, backgrounds included) must
/// have needs that can be worked out: each step's definition declares them and its values
/// (mutation names, ...) are valid.
fn check_needs(file: &Path, feature: Feature, problems: &mut Vec<String>) {
    use cucumber::feature::Ext as _;
    let feature = match feature.expand_examples() {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{}: {e}", file.display()));
            return;
        }
    };
    let background = feature.background.iter().flat_map(|b| b.steps.iter());
    let mut scenarios: Vec<(Vec<&cucumber::gherkin::Step>, &cucumber::gherkin::Scenario)> = feature
        .scenarios
        .iter()
        .map(|sc| (background.clone().collect(), sc))
        .collect();
    for rule in &feature.rules {
        let steps: Vec<_> = background
            .clone()
            .chain(rule.background.iter().flat_map(|b| b.steps.iter()))
            .collect();
        scenarios.extend(rule.scenarios.iter().map(|sc| (steps.clone(), sc)));
    }
    for (background, sc) in scenarios {
        let steps = background.into_iter().chain(sc.steps.iter());
        if let Err(e) = crate::scenario::needs::of_scenario(steps, std::iter::empty()) {
            problems.push(format!("{}:{}: {e}", file.display(), sc.position.line));
        }
    }
}

impl Plan {
    /// Reads every `.feature` under `dir` and checks its tags against `catalogue`.
    ///
    /// # Errors
    /// Every problem found, one per line: parse errors, unknown rule IDs, duplicate or missing
    /// scenario IDs, missing or several level tags.
    pub fn load(dir: &Path, catalogue: &Catalogue) -> anyhow::Result<Self> {
        let mut files = Vec::new();
        feature_files(dir, &mut files)?;
        files.sort();
        if files.is_empty() {
            bail!("no .feature files under {}", dir.display());
        }
        let mut plan = Plan::default();
        let mut problems = Vec::new();
        for file in files {
            let feature = match Feature::parse_path(&file, GherkinEnv::default()) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            plan.add_feature(&file, &feature, catalogue, &mut problems);
            check_needs(&file, feature, &mut problems);
        }
        if !problems.is_empty() {
            bail!(
                "the features do not trace cleanly to the catalogue:\n  {}",
                problems.join("\n  ")
            );
        }
        Ok(plan)
    }

    fn add_feature(
        &mut self,
        file: &Path,
        feature: &Feature,
        catalogue: &Catalogue,
        problems: &mut Vec<String>,
    ) {
        let mut scopes: Vec<(Vec<String>, &cucumber::gherkin::Scenario)> = Vec::new();
        for sc in &feature.scenarios {
            scopes.push((feature.tags.clone(), sc));
        }
        for rule in &feature.rules {
            for sc in &rule.scenarios {
                scopes.push((
                    feature
                        .tags
                        .iter()
                        .chain(rule.tags.iter())
                        .cloned()
                        .collect(),
                    sc,
                ));
            }
        }
        for (inherited, sc) in scopes {
            let location = format!("{}:{}", file.display(), sc.position.line);
            let tags: Vec<&String> = inherited.iter().chain(sc.tags.iter()).collect();
            let ids: Vec<&str> = tags.iter().filter_map(|t| t.strip_prefix("id:")).collect();
            // Rules of the scenario, then those only some of its outline rows prove (a tagged
            // Examples block).
            let mut rules: Vec<String> = tags
                .iter()
                .filter(|t| is_rule_tag(t))
                .map(|t| t.to_string())
                .collect();
            for tag in sc.examples.iter().flat_map(|e| e.tags.iter()) {
                if is_rule_tag(tag) && !rules.contains(tag) {
                    rules.push(tag.clone());
                }
            }
            let levels: BTreeSet<Level> = tags.iter().filter_map(|t| level_tag(t)).collect();
            let area = tags
                .iter()
                .find_map(|t| t.strip_prefix("area:"))
                .map(str::to_string);
            for rule in &rules {
                if catalogue.rule(rule).is_none() {
                    problems.push(format!(
                        "{location}: tag @{rule} names no rule of the catalogue or of a profile"
                    ));
                }
            }
            for tag in crate::scenario::needs::unknown_need_tags(tags.iter().map(|t| t.as_str())) {
                problems.push(format!(
                    "{location}: tag @{tag} names no need (known: {})",
                    crate::scenario::needs::Need::ALL
                        .map(|n| n.name())
                        .join(", ")
                ));
            }
            if rules.is_empty() {
                problems.push(format!(
                    "{location}: scenario {:?} proves no rule (add a rule tag such as @DCR-REQ-NNN)",
                    sc.name
                ));
            }
            let level = match levels.len() {
                1 => levels.into_iter().next(),
                0 => {
                    problems.push(format!(
                        "{location}: scenario {:?} has no level tag (@MUST, @SHOULD, ...)",
                        sc.name
                    ));
                    None
                }
                _ => {
                    problems.push(format!(
                        "{location}: scenario {:?} has several level tags",
                        sc.name
                    ));
                    None
                }
            };
            let id = match ids.as_slice() {
                [id] => id.to_string(),
                [] => {
                    problems.push(format!(
                        "{location}: scenario {:?} has no @id: tag",
                        sc.name
                    ));
                    continue;
                }
                _ => {
                    problems.push(format!(
                        "{location}: scenario {:?} has several @id: tags",
                        sc.name
                    ));
                    continue;
                }
            };
            if let Some(other) = self.scenarios.get(&id) {
                problems.push(format!(
                    "{location}: scenario ID {id} is already used at {}",
                    other.location
                ));
                continue;
            }
            if let Some(level) = level {
                self.scenarios.insert(
                    id.clone(),
                    Declared {
                        id,
                        name: sc.name.clone(),
                        location,
                        rules,
                        level,
                        area,
                        // As cucumber numbers an expanded row: the Examples keyword's line,
                        // plus 2 for the header, plus the row's index in its table.
                        rows: sc
                            .examples
                            .iter()
                            .flat_map(|e| {
                                let body = e
                                    .table
                                    .as_ref()
                                    .map_or(0, |t| t.rows.len().saturating_sub(1));
                                (0..body).map(move |i| (e.position.line + i + 2) as u64)
                            })
                            .collect(),
                    },
                );
            }
        }
    }

    /// Rule IDs that at least one declared scenario proves under `profile`: a scenario runs
    /// there only when each of its rules applies, and one the profile turns off whole proves
    /// nothing (one turned off for some outline rows still proves its rules with the others).
    pub fn covered_rules(&self, profile: &crate::catalogue::Profile) -> BTreeSet<&str> {
        self.scenarios
            .values()
            .filter(|s| profile.applies_to_all(&s.rules))
            .filter(|s| {
                profile
                    .scenario(&s.id, &s.name)
                    .is_none_or(|setting| setting.off.is_none() || !setting.rows.is_empty())
            })
            .flat_map(|s| s.rules.iter().map(String::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::parse(
            "schema: dcr-conformance/catalogue\nversion: 1\nrules:\n- {id: DCR-REQ-001, area: x, level: MUST, rule: r, testable: true}\n",
        )
        .expect("catalogue")
    }

    fn plan_of(text: &str) -> anyhow::Result<Plan> {
        let dir = std::env::temp_dir().join(format!("dcr-plan-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("a.feature"), text)?;
        let plan = Plan::load(&dir, &catalogue());
        std::fs::remove_dir_all(&dir).ok();
        plan
    }

    #[test]
    fn rule_tags_are_recognised_by_their_shape() {
        for tag in ["DCR-REQ-030", "WSO2-CDS02-001", "UK-REQ-012", "CDS-HYB-001"] {
            assert!(is_rule_tag(tag), "{tag}");
        }
        for tag in [
            "MUST",
            "id:REG-001",
            "area:transport",
            "needs:delete",
            "DCR-REQ-30",
            "dcr-req-030",
            "-001",
        ] {
            assert!(!is_rule_tag(tag), "{tag}");
        }
    }

    #[test]
    fn a_well_tagged_scenario_is_planned() {
        let plan =
            plan_of("Feature: f\n  @id:X-1 @DCR-REQ-001 @MUST\n  Scenario: s\n    When the discovery document is fetched\n")
                .expect("plan");
        assert_eq!(plan.scenarios["X-1"].rules, vec!["DCR-REQ-001".to_string()]);
        assert_eq!(plan.scenarios["X-1"].level, Level::Must);
    }

    #[test]
    fn an_unknown_rule_id_is_a_usage_error() {
        let err = plan_of("Feature: f\n  @id:X-1 @DCR-REQ-999 @MUST\n  Scenario: s\n    When the discovery document is fetched\n")
            .expect_err("unknown");
        assert!(
            err.to_string().contains("@DCR-REQ-999 names no rule"),
            "{err}"
        );
    }

    #[test]
    fn a_step_matching_no_definition_is_a_usage_error() {
        let err = plan_of(
            "Feature: f\n  @id:X-1 @DCR-REQ-001 @MUST\n  Scenario: s\n    When recipient C posts the registration request\n",
        )
        .expect_err("undefined step");
        assert!(
            err.to_string().contains("matches no step definition"),
            "{err}"
        );
    }

    #[test]
    fn a_duplicate_scenario_id_is_a_usage_error() {
        let text = "Feature: f\n  @id:X-1 @DCR-REQ-001 @MUST\n  Scenario: s\n    When the discovery document is fetched\n\n  @id:X-1 @DCR-REQ-001 @MUST\n  Scenario: t\n    When the discovery document is fetched\n";
        let err = plan_of(text).expect_err("duplicate");
        assert!(err.to_string().contains("X-1 is already used"), "{err}");
    }

    #[test]
    fn missing_id_and_level_are_reported_together() {
        let err = plan_of("Feature: f\n  @DCR-REQ-001\n  Scenario: s\n    When the discovery document is fetched\n")
            .expect_err("missing");
        let text = err.to_string();
        assert!(
            text.contains("no level tag") && text.contains("no @id: tag"),
            "{text}"
        );
    }
}
