//! `junit.xml`, written by us from the result model rather than by cucumber's JUnit writer, so
//! that a failure names the rule it breaks: its ID, level, one-line rule and source, then the
//! expected and actual outcome from the failing step.
//!
//! Shape: `<testsuites>` › one `<testsuite>` per feature › one `<testcase>` per scenario
//! (`name` = `ID: scenario name`, `classname` = feature, `file`/`line` relative to the features
//! folder). Verdicts map as follows:
//!
//! * failed: `<failure type="ID" message="ID [LEVEL] rule (source) — expected …; actual …">`
//!   with the full text (every rule, the failed step, its message with the exchange);
//! * warning (a SHOULD/REC/MAY failure without `--strict`): no `<failure>`, so that JUnit
//!   agrees with the exit code; the warning is in `<system-out>` and in the `verdict` property;
//! * skipped: `<skipped message="…"/>`.
//!
//! Every testcase carries `rules`, `level` and `verdict` properties and its step transcript in
//! `<system-out>`.

use std::fmt::Write as _;

use crate::catalogue::Catalogue;
use crate::report::summary::{ScenarioEntry, Summary};
use crate::run::results::Status;
use crate::run::verdict::Verdict;

/// Escapes text for XML attributes and content, dropping characters XML 1.0 forbids.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text content (newlines kept as such).
fn content(text: &str) -> String {
    escape(text).replace("&#10;", "\n")
}

fn seconds(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}

/// `DCR-REQ-022 [MUST] rule text (source: a; b)` for each rule of the scenario.
fn rule_lines(scenario: &ScenarioEntry, catalogue: &Catalogue) -> Vec<String> {
    scenario
        .rules
        .iter()
        .map(|id| match catalogue.rule(id) {
            Some(rule) => format!(
                "{id} [{}] {} (source: {})",
                rule.level.as_str(),
                rule.rule,
                rule.source.join("; ")
            ),
            None => id.clone(),
        })
        .collect()
}

/// The first `expected` and `actual` lines of a step message, joined: the gist of a failure.
fn gist(message: &str) -> String {
    let mut picked: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("expected") || l.starts_with("actual"))
        .take(2)
        .collect();
    if picked.is_empty() {
        picked = message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(1)
            .collect();
    }
    picked.join("; ")
}

fn transcript(scenario: &ScenarioEntry) -> String {
    let mut out = String::new();
    for step in &scenario.steps {
        let mark = match step.status {
            Status::Passed => "✔",
            Status::Failed => "✘",
            Status::Skipped => "-",
        };
        let _ = writeln!(out, "{mark} {}", step.text);
    }
    for e in &scenario.exchanges {
        let outcome = e
            .status
            .map(|s| format!("HTTP {s}"))
            .or_else(|| e.failure.clone())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} → {outcome} ({:.0} ms)",
            e.method, e.url, e.elapsed_ms
        );
    }
    out
}

fn testcase(out: &mut String, scenario: &ScenarioEntry, catalogue: &Catalogue) {
    let (file, line) = scenario
        .location
        .rsplit_once(':')
        .unwrap_or((scenario.location.as_str(), "0"));
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\" file=\"{}\" line=\"{}\">",
        escape(&format!("{}: {}", scenario.key, scenario.name)),
        escape(&scenario.feature),
        seconds(scenario.duration_ms),
        escape(file),
        escape(line),
    );
    let verdict = serde_json::to_value(scenario.verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(out, "      <properties>");
    for (name, value) in [
        ("rules", scenario.rules.join(" ")),
        ("level", scenario.level.as_str().to_string()),
        ("verdict", verdict),
    ] {
        let _ = writeln!(
            out,
            "        <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    let _ = writeln!(out, "      </properties>");
    let rules = rule_lines(scenario, catalogue);
    let failed_step = scenario.steps.iter().find(|s| s.error.is_some());
    let mut system_out = transcript(scenario);
    match scenario.verdict {
        Verdict::Failed => {
            let message = scenario.reason.clone().unwrap_or_default();
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                escape(scenario.rules.first().map_or("", String::as_str)),
                escape(&format!("{} — {}", rules.join(" | "), gist(&message))),
                content(&format!(
                    "{}\n\nfailed step: {}\n{}",
                    rules.join("\n"),
                    failed_step.map_or("", |s| s.text.as_str()),
                    message
                )),
            );
        }
        Verdict::Warning => {
            system_out = format!(
                "WARNING: failed at level {} (a warning unless --strict)\n{}\nfailed step: {}\n{}\n\n{system_out}",
                scenario.level.as_str(),
                rules.join("\n"),
                failed_step.map_or("", |s| s.text.as_str()),
                scenario.reason.clone().unwrap_or_default()
            );
        }
        Verdict::Skipped => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                escape(scenario.reason.as_deref().unwrap_or("skipped"))
            );
        }
        // Not a failure of the run and not a pass: JUnit's nearest status is skipped, and
        // its message says which it is.
        Verdict::NotChecked => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                escape(&format!(
                    "NOT CHECKED BY THIS RELEASE: {} — {}",
                    rules.join(" | "),
                    gist(scenario.reason.as_deref().unwrap_or_default())
                ))
            );
        }
        Verdict::Passed => {}
    }
    let _ = writeln!(
        out,
        "      <system-out>{}</system-out>",
        content(&system_out)
    );
    let _ = writeln!(out, "    </testcase>");
}

/// Renders `summary` as JUnit XML.
pub fn render(summary: &Summary, catalogue: &Catalogue) -> String {
    let mut features: Vec<(&str, Vec<&ScenarioEntry>)> = Vec::new();
    for s in &summary.scenarios {
        match features.iter_mut().find(|(f, _)| *f == s.feature) {
            Some((_, list)) => list.push(s),
            None => features.push((&s.feature, vec![s])),
        }
    }
    let c = &summary.counts;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"dcr-conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        c.scenarios,
        c.failed,
        summary.parse_errors.len(),
        c.skipped,
        seconds(summary.duration_ms as f64),
        escape(&summary.started_at),
    );
    for (feature, scenarios) in features {
        let count = |v: Verdict| scenarios.iter().filter(|s| s.verdict == v).count();
        let time: f64 = scenarios.iter().map(|s| s.duration_ms).sum();
        let file = scenarios
            .first()
            .and_then(|s| s.location.rsplit_once(':').map(|(f, _)| f))
            .unwrap_or("");
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" file=\"{}\">",
            escape(feature),
            scenarios.len(),
            count(Verdict::Failed),
            count(Verdict::Skipped),
            seconds(time),
            escape(file),
        );
        let _ = writeln!(out, "    <properties>");
        for (name, value) in [
            ("target", summary.target.name.as_str()),
            ("profile", summary.profile.as_str()),
            ("strict", if summary.strict { "true" } else { "false" }),
            ("tool-version", summary.tool.version),
        ] {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                escape(value)
            );
        }
        let _ = writeln!(out, "    </properties>");
        for s in scenarios {
            testcase(&mut out, s, catalogue);
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if !summary.parse_errors.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"parse errors\" tests=\"{0}\" failures=\"0\" errors=\"{0}\" skipped=\"0\" time=\"0.000\">",
            summary.parse_errors.len()
        );
        for (i, e) in summary.parse_errors.iter().enumerate() {
            let _ = writeln!(
                out,
                "    <testcase name=\"parse error {}\" classname=\"parse errors\" time=\"0.000\"><error message=\"{}\"/></testcase>",
                i + 1,
                escape(e)
            );
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_xml_well_formed() {
        assert_eq!(
            escape("a<b & \"c\" 'd'\u{1b}[0m\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;[0m&#10;"
        );
    }

    #[test]
    fn the_gist_is_expected_then_actual() {
        let m = "expected HTTP [400]\nactual: POST https://h/register → HTTP 201\n> POST ...";
        assert_eq!(
            gist(m),
            "expected HTTP [400]; actual: POST https://h/register → HTTP 201"
        );
        assert_eq!(gist("boom\nmore"), "boom");
    }
}
