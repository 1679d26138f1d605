//! The text output: each token decoded (signature withheld) with its findings, the tokens
//! skipped, the rules cited with their catalogue text, and the counts.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::{Finding, Report, RuleRef, Token};

/// The whole report as text.
pub(crate) fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "inspect: {}", report.input);
    let _ = writeln!(
        out,
        "profile {}; time reference {}; clock skew {} s; holder issuer {}",
        report.profile,
        report.now_utc,
        report.skew_seconds,
        report
            .issuer
            .as_deref()
            .map_or("not given (--issuer)".to_string(), |i| format!("{i:?}")),
    );
    out.push_str(
        "offline: no signature is verified and nothing is fetched; signatures are never shown\n",
    );
    let mut cited = BTreeMap::new();
    for token in &report.tokens {
        write_token(&mut out, token, &mut cited);
    }
    if !report.skipped.is_empty() {
        out.push_str("\nskipped:\n");
        for s in &report.skipped {
            let _ = writeln!(out, "  {}: {}", s.found, s.reason);
        }
    }
    if !cited.is_empty() {
        out.push_str(
            "\nrules cited (FAIL: a holder following the rule refuses this input; WARN: a SHOULD, REC or MAY rule, no catalogue rule, or a holder's choice; OK: passed; INFO: for information):\n",
        );
        for rule in cited.values() {
            let _ = writeln!(out, "  {} [{}] {}", rule.id, rule.level.as_str(), rule.rule);
        }
    }
    let c = report.counts;
    let _ = writeln!(
        out,
        "\nresult: {} FAIL, {} WARN, {} OK, {} INFO",
        c.fail, c.warn, c.ok, c.info
    );
    out
}

fn write_token<'a>(out: &mut String, token: &'a Token, cited: &mut BTreeMap<&'a str, &'a RuleRef>) {
    let _ = writeln!(
        out,
        "\n{} {}: {}",
        token.label,
        token.kind.describe(),
        token.found
    );
    if let Some(header) = &token.header {
        let _ = writeln!(out, "header:\n{}", indented(header));
    }
    let _ = writeln!(out, "claims:\n{}", indented(&token.claims));
    if let Some(signature) = &token.signature {
        let _ = writeln!(out, "signature: {signature}");
    }
    let _ = writeln!(out, "findings:");
    for f in &token.findings {
        let _ = writeln!(out, "  {}", finding_line(f));
        for r in &f.rules {
            cited.insert(r.id.as_str(), r);
        }
    }
    for nested in &token.nested {
        write_token(out, nested, cited);
    }
}

/// `FAIL DCR-REQ-015 [MUST] iss "x" is not ...`; several rules are joined with `+`.
fn finding_line(f: &Finding) -> String {
    let rules = if f.rules.is_empty() {
        "(no catalogue rule)".to_string()
    } else {
        f.rules
            .iter()
            .map(|r| format!("{} [{}]", r.id, r.level.as_str()))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    format!("{:<4} {rules} {}", f.status.as_str(), f.message)
}

fn indented(value: &Value) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_default()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
