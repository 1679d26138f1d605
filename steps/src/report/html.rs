//! `report.html`: one self-contained page (inline CSS and JS, no external assets, works
//! offline) rendered with minijinja from `steps/templates/report.html`, which is compiled into
//! the binary. HTML auto-escaping is on for everything the template prints.
//!
//! The page: the verdict at the top; filters by status, level, area, tag and free text; the
//! requirement matrix; the coverage gaps; latency per endpoint; and every scenario with its
//! steps (a failure message, snapshot diffs included, shown with diff colouring) and its HTTP
//! exchanges (headers and bodies redacted, JWTs in compact form beside their decoded header
//! and claims).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::Context;
use minijinja::Environment;
use serde::Serialize;

use crate::catalogue::Catalogue;
use crate::report::latency::Endpoints;
use crate::report::summary::{self, ScenarioEntry, Summary};
use crate::report::view::ExchangeView;
use crate::run::results::{RunResults, Status};
use crate::run::verdict::Verdict;

/// The template, compiled in.
const TEMPLATE: &str = include_str!("../../templates/report.html");
/// The style sheet every page includes (`{% include "style.css" %}`), compiled in.
pub(crate) const STYLE: &str = include_str!("../../templates/style.css");

/// One line of a message, classed for colouring (`add`, `del`, `hunk`, `req`, `res` or ``).
#[derive(Debug, Clone, Serialize)]
struct Line {
    cls: &'static str,
    text: String,
}

fn lines(message: &str) -> Vec<Line> {
    let diff = message.lines().any(|l| l.starts_with("@@"));
    message
        .lines()
        .map(|l| {
            let cls = if diff && l.starts_with("@@") {
                "hunk"
            } else if diff && l.starts_with('+') && !l.starts_with("+++") {
                "add"
            } else if diff && l.starts_with('-') && !l.starts_with("---") {
                "del"
            } else if l.starts_with("> ") || l == ">" {
                "req"
            } else if l.starts_with("< ") || l == "<" {
                "res"
            } else if l.starts_with("expected") {
                "expected"
            } else if l.starts_with("actual") {
                "actual"
            } else {
                ""
            };
            Line {
                cls,
                text: l.to_string(),
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct StepView<'a> {
    text: &'a str,
    status: Status,
    lines: Vec<Line>,
}

#[derive(Debug, Serialize)]
struct ScenarioView<'a> {
    #[serde(flatten)]
    entry: &'a ScenarioEntry,
    step_views: Vec<StepView<'a>>,
    exchange_views: Vec<ExchangeView>,
    tags_attr: String,
    reason_gist: Option<String>,
    /// Its element's ID: the key, with `#` (an outline row) spelt `-row-`.
    anchor: String,
}

/// The HTML element ID of a scenario's key (`REG-021#3` → `REG-021-row-3`).
fn anchor(key: &str) -> String {
    key.replace('#', "-row-")
}

/// A scenario ID under a rule in the matrix; outline rows share their outline's ID and are
/// shown once, with the count and the worst verdict.
#[derive(Debug, Serialize)]
struct Chip {
    id: String,
    /// The element of its first run (an outline's first row).
    anchor: String,
    verdict: &'static str,
    runs: usize,
    title: String,
}

#[derive(Debug, Serialize)]
struct RuleView {
    id: String,
    tags_attr: String,
    rule: String,
    sources: Vec<String>,
    chips: Vec<Chip>,
}

fn verdict_rank(v: Verdict) -> (u8, &'static str) {
    match v {
        Verdict::Failed => (3, "failed"),
        Verdict::Warning => (2, "warning"),
        Verdict::NotChecked => (1, "not_checked"),
        Verdict::Skipped => (1, "skipped"),
        Verdict::Passed => (0, "passed"),
    }
}

fn chips(requirement: &summary::Requirement) -> Vec<Chip> {
    let mut out: Vec<(Chip, u8)> = Vec::new();
    for sc in &requirement.scenarios {
        let (rank, name) = verdict_rank(sc.verdict);
        match out.iter_mut().find(|(c, _)| c.id == sc.id) {
            Some((chip, worst)) => {
                chip.runs += 1;
                if rank > *worst {
                    *worst = rank;
                    chip.verdict = name;
                }
            }
            None => out.push((
                Chip {
                    id: sc.id.clone(),
                    anchor: anchor(&sc.key),
                    verdict: name,
                    runs: 1,
                    title: sc.name.clone(),
                },
                rank,
            )),
        }
    }
    out.into_iter().map(|(c, _)| c).collect()
}

#[derive(Debug, Serialize)]
struct Filters {
    statuses: Vec<&'static str>,
    levels: Vec<&'static str>,
    areas: Vec<String>,
    tags: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Page<'a> {
    s: &'a Summary,
    scenarios: Vec<ScenarioView<'a>>,
    rule_tags: HashMap<String, String>,
    filters: Filters,
    rules: Vec<RuleView>,
}

fn gist(reason: &str) -> String {
    let picked: Vec<&str> = reason
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("expected") || l.starts_with("actual"))
        .take(2)
        .collect();
    let text = if picked.is_empty() {
        reason.lines().next().unwrap_or_default().to_string()
    } else {
        picked.join(" · ")
    };
    let mut end = text.len().min(240);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}…", &text[..end])
    } else {
        text
    }
}

/// Renders the HTML report.
///
/// # Errors
/// Fails only when the template fails to render (a bug).
pub fn render(
    summary: &Summary,
    results: &RunResults,
    catalogue: &Catalogue,
    features_dir: &Path,
) -> anyhow::Result<String> {
    let all: Vec<_> = results
        .scenarios
        .iter()
        .flat_map(|s| s.exchanges.iter())
        .collect();
    let endpoints = Endpoints::learn(all.iter().copied());
    let by_location: HashMap<String, &crate::run::results::ScenarioResult> = results
        .scenarios
        .iter()
        .map(|r| (summary::relative(&r.location, features_dir), r))
        .collect();

    let mut rule_tags: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut areas = BTreeSet::new();
    let mut tags = BTreeSet::new();
    let scenarios: Vec<ScenarioView<'_>> = summary
        .scenarios
        .iter()
        .map(|entry| {
            for r in &entry.rules {
                rule_tags
                    .entry(r.clone())
                    .or_default()
                    .extend(entry.tags.iter().cloned());
            }
            areas.insert(entry.area.clone());
            tags.extend(entry.tags.iter().cloned());
            let exchange_views = by_location
                .get(&entry.location)
                .map(|r| {
                    r.exchanges
                        .iter()
                        .map(|e| ExchangeView::new(e, endpoints.classify(e).label()))
                        .collect()
                })
                .unwrap_or_default();
            ScenarioView {
                entry,
                step_views: entry
                    .steps
                    .iter()
                    .map(|s| StepView {
                        text: &s.text,
                        status: s.status,
                        lines: s.error.as_deref().map(lines).unwrap_or_default(),
                    })
                    .collect(),
                exchange_views,
                tags_attr: entry.tags.join(" "),
                reason_gist: entry.reason.as_deref().map(gist),
                anchor: anchor(&entry.key),
            }
        })
        .collect();
    for r in &summary.requirements {
        areas.insert(r.area.clone());
    }
    let rules = summary
        .requirements
        .iter()
        .map(|r| RuleView {
            id: r.id.clone(),
            tags_attr: rule_tags
                .get(&r.id)
                .map(|t| t.iter().cloned().collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            rule: r.rule.clone(),
            sources: catalogue
                .rule(&r.id)
                .map(|c| c.source.clone())
                .unwrap_or_default(),
            chips: chips(r),
        })
        .collect();
    let page = Page {
        s: summary,
        scenarios,
        rule_tags: rule_tags
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().collect::<Vec<_>>().join(" ")))
            .collect(),
        filters: Filters {
            statuses: vec![
                "passed",
                "failed",
                "warning",
                "skipped",
                "not_checked",
                "not_run",
                "not_covered",
                "not_in_profile",
                "untestable",
            ],
            levels: vec!["MUST", "SHOULD", "MAY", "REC", "IMPL"],
            areas: areas.into_iter().filter(|a| !a.is_empty()).collect(),
            tags: tags
                .into_iter()
                .filter(|t| !t.starts_with("id:") && !t.starts_with("area:"))
                .collect(),
        },
        rules,
    };
    render_page("report.html", TEMPLATE, &page)
}

/// Renders `template` (named `name`) with the report's style sheet and filters: the one
/// page renderer of `report.html` and of the self-check's page.
///
/// # Errors
/// Fails only when the template does not parse or fails to render (a bug).
pub fn render_page(name: &str, template: &str, page: &impl Serialize) -> anyhow::Result<String> {
    let mut env = Environment::new();
    env.add_filter("status_label", |s: String| s.replace('_', " "));
    // The last line of defence: every string the page prints is scrubbed of credentials, so a
    // value that reached the page some other way than through `view` (a reason, a step's text,
    // a holder's reflected token) cannot leak one.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) => {
            let clean = crate::redact::scrub::text(text);
            let clean = if value.is_safe() {
                minijinja::Value::from_safe_string(clean)
            } else {
                minijinja::Value::from(clean)
            };
            minijinja::escape_formatter(out, state, &clean)
        }
        None => minijinja::escape_formatter(out, state, value),
    });
    env.add_template("style.css", STYLE)
        .context("the style sheet does not parse")?;
    env.add_template(name, template)
        .with_context(|| format!("the template {name} does not parse"))?;
    env.get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(page)))
        .with_context(|| format!("the template {name} failed to render"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_are_classed_only_in_a_diff() {
        let classes = |m: &str| lines(m).into_iter().map(|l| l.cls).collect::<Vec<_>>();
        assert_eq!(
            classes("changed:\n--- stored\n+++ received\n@@ -1 +1 @@\n-a\n+b\n c"),
            ["", "", "", "hunk", "del", "add", ""]
        );
        assert_eq!(
            classes("expected x\nactual: y\n> GET /\n< HTTP 200\n- item"),
            ["expected", "actual", "req", "res", ""]
        );
    }
}
