//! `summary.json`: the run in one document. What ran against what (target, profile, tool
//! version, times), the counts, the requirement matrix (every catalogue rule, its level, its
//! scenarios and their results), the coverage gaps, every scenario with its steps, and latency
//! per endpoint. Every other report is rendered from this model.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use crate::catalogue::{Catalogue, Level, Treatment};
use crate::http::Exchange;
use crate::redact::scrub;
use crate::report::latency::{self, Endpoints, Latency};
use crate::run::results::{RunMeta, RunResults, ScenarioResult, Status, message};
use crate::run::verdict::{AssessedScenario, Assessment, RuleStatus, Verdict};

/// Schema name written into every summary.
pub const SCHEMA: &str = "dcr-conformance/summary";

/// The tool that wrote the report.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `dcr-conformance`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// The target.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// Name.
    pub name: String,
    /// Discovery URL.
    pub discovery_url: String,
}

/// The selection the run was started with.
#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    /// `--tags`.
    pub tags: Option<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `--rule`.
    pub rules: Vec<String>,
}

/// Scenario counts by verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// Executed scenarios.
    pub scenarios: usize,
    /// Passed.
    pub passed: usize,
    /// Failed (fail the run).
    pub failed: usize,
    /// Failed at a warning level.
    pub warning: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed a rule the profile's release documents as not checked.
    pub not_checked: usize,
}

/// The run's overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunVerdict {
    /// Every applicable scenario passed (exit code 0).
    Passed,
    /// Conformance failures (exit code 1).
    Failed,
}

/// A scenario as the matrix lists it under a rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleScenario {
    /// `@id:`.
    pub id: String,
    /// Unique in the run: the ID, with `#row` for an outline row (`REG-021#3`).
    pub key: String,
    /// Name.
    pub name: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Why it failed, warned or was skipped.
    pub reason: Option<String>,
}

/// One row of the requirement matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
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
    /// Operations it exercises.
    pub endpoints: Vec<String>,
    /// Status.
    pub status: RuleStatus,
    /// Why it has no scenario result (not covered, not run, not in profile, untestable).
    pub reason: Option<String>,
    /// Executed scenarios proving it, with their results.
    pub scenarios: Vec<RuleScenario>,
    /// How the profile treats it: checked, unsettled (with the reason), or not checked by the
    /// profile's release (with what it documents).
    #[serde(flatten)]
    pub treatment: Treatment,
}

/// A check the profile's release documents as not made, and what the run saw.
#[derive(Debug, Clone, Serialize)]
pub struct NotCheckedRule {
    /// Rule ID.
    pub id: String,
    /// What the release documents.
    pub why: String,
    /// Where it says so.
    pub source: String,
    /// What that means for a bank.
    pub meaning: String,
    /// What this holder did: `not_checked` (as the release documents), `passed` (it checks
    /// anyway), or another status when its scenarios did not run.
    pub status: RuleStatus,
}

/// A rule of the profile that no scenario proves.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// Rule ID.
    pub id: String,
    /// Level.
    pub level: Level,
    /// Area.
    pub area: String,
    /// One-line rule.
    pub rule: String,
}

/// One step of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct StepEntry {
    /// Keyword and text.
    pub text: String,
    /// Outcome.
    pub status: Status,
    /// Failure message.
    pub error: Option<String>,
}

/// One exchange of a scenario, in brief (the HTML report shows it whole).
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeEntry {
    /// Endpoint label.
    pub endpoint: String,
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Client certificate presented.
    pub certificate: String,
    /// HTTP status.
    pub status: Option<u16>,
    /// Transport failure when there was no response.
    pub failure: Option<String>,
    /// Wall time, ms.
    pub elapsed_ms: f64,
}

/// One executed scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioEntry {
    /// `@id:` (an outline's rows share it).
    pub id: String,
    /// For an outline row, its 1-based number among the outline's Examples rows.
    pub row: Option<usize>,
    /// Unique in the run: the ID, with `#row` for an outline row (`REG-021#3`).
    pub key: String,
    /// Name.
    pub name: String,
    /// Feature name.
    pub feature: String,
    /// Gherkin `Rule:` name.
    pub rule: Option<String>,
    /// File (relative to the features folder) and line.
    pub location: String,
    /// Tags (without `@`).
    pub tags: Vec<String>,
    /// Area (`@area:` tag, else the first rule's area).
    pub area: String,
    /// Level checked at.
    pub level: Level,
    /// Rules proven.
    pub rules: Vec<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// Wall time, ms.
    pub duration_ms: f64,
    /// Why it failed, warned or was skipped.
    pub reason: Option<String>,
    /// The needs the target could not meet, for a scenario skipped for them (absent
    /// otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet_needs: Vec<String>,
    /// Why the profile's sources leave its assertion open (absent when they do not): a
    /// warning of such a scenario is one of the outcomes the profile accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsettled: Option<String>,
    /// Steps, background first.
    pub steps: Vec<StepEntry>,
    /// HTTP exchanges, in order.
    pub exchanges: Vec<ExchangeEntry>,
}

/// The whole summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// Schema version.
    pub version: u32,
    /// Tool.
    pub tool: Tool,
    /// Target.
    pub target: Target,
    /// Profile assessed against.
    pub profile: String,
    /// Whether SHOULD/REC failures fail the run.
    pub strict: bool,
    /// Selection.
    pub selection: Selection,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, RFC 3339 UTC.
    pub finished_at: String,
    /// Wall time of the run, ms.
    pub duration_ms: u64,
    /// Overall verdict.
    pub verdict: RunVerdict,
    /// Scenario counts.
    pub counts: Counts,
    /// Rule counts by status.
    pub rule_counts: BTreeMap<String, usize>,
    /// Feature files that failed to parse.
    pub parse_errors: Vec<String>,
    /// The requirement matrix: every catalogue rule, in ID order.
    pub requirements: Vec<Requirement>,
    /// Rules of the profile without a scenario.
    pub coverage_gaps: Vec<Gap>,
    /// Checks the profile's release documents as not made.
    pub not_checked: Vec<NotCheckedRule>,
    /// Executed scenarios, in file and line order.
    pub scenarios: Vec<ScenarioEntry>,
    /// Latency per endpoint.
    pub latency: Latency,
}

/// `time` as RFC 3339 UTC with milliseconds.
pub fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// `location` relative to the features folder, when it is inside it.
pub fn relative(location: &str, features_dir: &Path) -> String {
    let canonical = features_dir
        .canonicalize()
        .unwrap_or_else(|_| features_dir.to_path_buf());
    for dir in [features_dir.to_path_buf(), canonical] {
        let prefix = format!("{}/", dir.display().to_string().trim_end_matches('/'));
        if let Some(rest) = location.strip_prefix(&prefix) {
            return rest.to_string();
        }
    }
    location.to_string()
}

fn status_name(status: RuleStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The reason a scenario did not pass: its failure message, or for a skip the skipped step.
fn reason(result: &ScenarioResult, verdict: &AssessedScenario) -> Option<String> {
    match verdict.verdict {
        Verdict::Passed => None,
        Verdict::Skipped => Some(verdict.message.clone().unwrap_or_else(|| {
            result
                .steps
                .iter()
                .find(|s| s.status == Status::Skipped)
                .map_or("skipped".to_string(), |s| {
                    format!("skipped at step: {}", s.text)
                })
        })),
        Verdict::Failed | Verdict::Warning | Verdict::NotChecked => verdict.message.clone(),
    }
    .map(|m| message(&m))
}

fn key(location: &str) -> (String, u64) {
    match location.rsplit_once(':') {
        Some((file, line)) => (file.to_string(), line.parse().unwrap_or(0)),
        None => (location.to_string(), 0),
    }
}

/// Builds the summary of a run.
pub fn build(
    meta: &RunMeta,
    catalogue: &Catalogue,
    results: &RunResults,
    assessment: &Assessment,
) -> Summary {
    let all_exchanges: Vec<&Exchange> = results
        .scenarios
        .iter()
        .flat_map(|s| s.exchanges.iter())
        .collect();
    let endpoints = Endpoints::learn(all_exchanges.iter().copied());
    let rule_area = |id: &str| catalogue.rule(id).map(|r| r.area.clone());

    let mut scenarios: Vec<ScenarioEntry> = results
        .scenarios
        .iter()
        .zip(&assessment.scenarios)
        .map(|(result, verdict)| ScenarioEntry {
            id: verdict.id.clone(),
            row: verdict.row,
            key: verdict.key(),
            name: result.name.clone(),
            feature: result.feature.clone(),
            rule: result.rule.clone(),
            location: relative(&result.location, &meta.features_dir),
            tags: result.tags.clone(),
            area: result
                .tags
                .iter()
                .rev()
                .find_map(|t| t.strip_prefix("area:").map(str::to_string))
                .or_else(|| verdict.rules.first().and_then(|r| rule_area(r)))
                .unwrap_or_default(),
            level: verdict.level,
            rules: verdict.rules.clone(),
            verdict: verdict.verdict,
            duration_ms: (result.duration_ms * 10.0).round() / 10.0,
            reason: reason(result, verdict),
            unmet_needs: result.unmet_needs.clone(),
            unsettled: verdict.unsettled.clone(),
            steps: result
                .steps
                .iter()
                .map(|s| StepEntry {
                    text: scrub::text(&s.text),
                    status: s.status,
                    error: s.error.as_deref().map(message),
                })
                .collect(),
            exchanges: result
                .exchanges
                .iter()
                .map(|e| ExchangeEntry {
                    endpoint: endpoints.classify(e).label().to_string(),
                    method: e.method.clone(),
                    url: scrub::text(&e.url),
                    certificate: e.certificate.clone(),
                    status: e.status(),
                    failure: match &e.outcome {
                        crate::http::Outcome::Transport { failure, .. } => {
                            Some(format!("{failure:?}"))
                        }
                        crate::http::Outcome::Response { .. } => None,
                    },
                    elapsed_ms: (e.elapsed_ms * 10.0).round() / 10.0,
                })
                .collect(),
        })
        .collect();
    scenarios.sort_by_key(|a| key(&a.location));

    let requirements: Vec<Requirement> = assessment
        .rules
        .iter()
        .map(|row| {
            let rule = catalogue.rule(&row.id);
            let reason = match row.status {
                RuleStatus::NotCovered => Some("no scenario proves this rule".to_string()),
                RuleStatus::NotRun => {
                    Some("it has scenarios, but none was selected for this run".to_string())
                }
                RuleStatus::NotInProfile => {
                    Some(format!("does not apply to profile {}", assessment.profile))
                }
                RuleStatus::Untestable => Some(
                    rule.and_then(|r| r.untestable_reason.clone())
                        .unwrap_or_else(|| "a black-box client cannot check it".into()),
                ),
                RuleStatus::NotChecked => match &row.treatment {
                    Treatment::NotChecked(n) => Some(format!(
                        "not checked by this release: {} ({}); {}",
                        n.why, n.source, n.meaning
                    )),
                    _ => None,
                },
                _ => None,
            };
            let mut proving: Vec<RuleScenario> = scenarios
                .iter()
                .filter(|s| s.rules.contains(&row.id))
                .map(|s| RuleScenario {
                    id: s.id.clone(),
                    key: s.key.clone(),
                    name: s.name.clone(),
                    verdict: s.verdict,
                    reason: s.reason.clone(),
                })
                .collect();
            proving.dedup_by(|a, b| a.key == b.key);
            Requirement {
                id: row.id.clone(),
                level: row.level,
                area: row.area.clone(),
                rule: row.rule.clone(),
                source: row.source.clone(),
                endpoints: rule.map(|r| r.endpoints.clone()).unwrap_or_default(),
                status: row.status,
                reason,
                scenarios: proving,
                treatment: row.treatment.clone(),
            }
        })
        .collect();
    let not_checked = requirements
        .iter()
        .filter_map(|r| match &r.treatment {
            Treatment::NotChecked(n) => Some(NotCheckedRule {
                id: r.id.clone(),
                why: n.why.clone(),
                source: n.source.clone(),
                meaning: n.meaning.clone(),
                status: r.status,
            }),
            _ => None,
        })
        .collect();
    let mut rule_counts = BTreeMap::new();
    for r in &requirements {
        *rule_counts.entry(status_name(r.status)).or_insert(0) += 1;
    }
    let coverage_gaps = assessment
        .not_covered()
        .into_iter()
        .map(|r| Gap {
            id: r.id.clone(),
            level: r.level,
            area: r.area.clone(),
            rule: r.rule.clone(),
        })
        .collect();
    let passed = results.parse_errors.is_empty() && assessment.passed();
    Summary {
        schema: SCHEMA,
        version: 1,
        tool: Tool {
            name: "dcr-conformance",
            version: env!("CARGO_PKG_VERSION"),
        },
        target: Target {
            name: meta.target.clone(),
            discovery_url: meta.discovery_url.clone(),
        },
        profile: assessment.profile.clone(),
        strict: assessment.strict,
        selection: Selection {
            tags: meta.tags.clone(),
            name: meta.name.clone(),
            rules: meta.rules.clone(),
        },
        started_at: rfc3339(meta.started_at),
        finished_at: rfc3339(meta.finished_at),
        duration_ms: meta
            .finished_at
            .duration_since(meta.started_at)
            .map_or(0, |d| d.as_millis() as u64),
        verdict: if passed {
            RunVerdict::Passed
        } else {
            RunVerdict::Failed
        },
        counts: Counts {
            scenarios: assessment.scenarios.len(),
            passed: assessment.count(Verdict::Passed),
            failed: assessment.count(Verdict::Failed),
            warning: assessment.count(Verdict::Warning),
            skipped: assessment.count(Verdict::Skipped),
            not_checked: assessment.count(Verdict::NotChecked),
        },
        rule_counts,
        parse_errors: results
            .parse_errors
            .iter()
            .map(|e| scrub::text(e))
            .collect(),
        requirements,
        coverage_gaps,
        not_checked,
        scenarios,
        latency: latency::measure(all_exchanges.iter().copied()),
    }
}
