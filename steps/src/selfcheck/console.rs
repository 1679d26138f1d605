//! The self-check on the console: the kill matrix, survivors, errors, the closing line.

use crate::selfcheck::model::{Catch, DefectVerdict, RUNS_DIR, SelfcheckReport, VariationVerdict};

pub(crate) fn catch_list(caught_by: &[Catch]) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for c in caught_by {
        for s in &c.scenarios {
            if !ids.contains(&s.as_str()) {
                ids.push(s);
            }
        }
    }
    ids.join(", ")
}

/// `1m 05s`, `42.3 s`.
pub(crate) fn human_duration(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// The kill matrix as console lines (no trailing newline).
pub(crate) fn matrix_lines(report: &SelfcheckReport) -> Vec<String> {
    let verdict_word = |v: DefectVerdict| match v {
        DefectVerdict::Killed => "killed",
        DefectVerdict::Survived => "SURVIVED",
        DefectVerdict::Error => "ERROR",
        DefectVerdict::NotApplicable => "n/a",
    };
    let rows: Vec<[String; 4]> = report
        .defects
        .iter()
        .map(|d| {
            let rules = d
                .rules
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let caught = match d.verdict {
                DefectVerdict::Survived if !d.caught_by.is_empty() => format!(
                    "{}; not {}",
                    catch_list(&d.caught_by),
                    d.uncaught_rules.join(" ")
                ),
                DefectVerdict::Survived => "-".into(),
                DefectVerdict::Error => d
                    .run
                    .as_ref()
                    .and_then(|r| r.error.clone())
                    .unwrap_or_else(|| "the run did not complete".into()),
                DefectVerdict::NotApplicable => format!("not in profile {}", report.profile),
                DefectVerdict::Killed => catch_list(&d.caught_by),
            };
            [
                d.name.clone(),
                rules,
                caught,
                verdict_word(d.verdict).to_string(),
            ]
        })
        .collect();
    let header = [
        "DEFECT".to_string(),
        "BREAKS".into(),
        "CAUGHT BY".into(),
        "VERDICT".into(),
    ];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let caught_width = width(2).min(48);
    std::iter::once(&header)
        .chain(rows.iter())
        .map(|r| {
            format!(
                "{:<w0$}  {:<w1$}  {:<caught_width$}  {}",
                r[0], r[1], r[2], r[3]
            )
        })
        .collect()
}

/// The variation table (the kill matrix's twin) as console lines: variation → the rules it
/// meets → accepted, or the scenarios it failed.
pub(crate) fn variation_lines(report: &SelfcheckReport) -> Vec<String> {
    let rows: Vec<[String; 3]> = report
        .variations
        .iter()
        .map(|v| {
            let outcome = match v.verdict {
                VariationVerdict::Accepted if v.expected_warnings.is_empty() => "accepted".into(),
                VariationVerdict::Accepted => format!(
                    "accepted (warned, below MUST: {})",
                    v.expected_warnings.join(", ")
                ),
                VariationVerdict::FalseFailure => format!(
                    "FALSE FAILURE: {}",
                    v.false_failures
                        .iter()
                        .map(|f| f.scenario.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                VariationVerdict::Error => format!(
                    "ERROR: {}",
                    v.run
                        .as_ref()
                        .and_then(|r| r.error.clone())
                        .unwrap_or_else(|| "the run did not complete".into())
                ),
                VariationVerdict::NotApplicable => format!("n/a (flavour {})", report.flavour),
            };
            let rules = if v.variations.len() > 1 {
                format!("{} variations", v.variations.len())
            } else {
                v.rules.join(" ")
            };
            [v.name.clone(), rules, outcome]
        })
        .collect();
    let header = ["VARIATION".to_string(), "MEETS".into(), "VERDICT".into()];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1).min(60));
    std::iter::once(&header)
        .chain(rows.iter())
        .map(|r| format!("{:<w0$}  {:<w1$}  {}", r[0], r[1], r[2]))
        .collect()
}

/// `selfcheck: PASSED: 80/80 defects killed, 0 survived; baseline passed; 2m 31s (-j 2)`.
pub(crate) fn closing_line(report: &SelfcheckReport) -> String {
    let c = &report.counts;
    format!(
        "selfcheck: {}: {}/{} defects killed, {} survived, {} errors; {}/{} variation runs accepted, {} false failures; baseline {}; wall time {} (-j {})",
        report.verdict.to_uppercase(),
        c.killed,
        c.applicable,
        c.survived,
        c.errors,
        report.variation_counts.accepted,
        report.variation_counts.accepted
            + report.variation_counts.false_failures
            + report.variation_counts.errors,
        report.variation_counts.false_failures,
        report.baseline.verdict,
        human_duration(report.duration_ms),
        report.jobs
    )
}

pub(crate) fn print_matrix(report: &SelfcheckReport) {
    println!();
    println!("kill matrix (defect → rules it breaks → scenarios that caught it):");
    for line in matrix_lines(report) {
        println!("  {line}");
    }
    if report.baseline.verdict != "passed" {
        println!(
            "baseline: the correct mock holder did not pass cleanly, so no kill can be trusted: {}",
            report.baseline.problems.join("; ")
        );
    }
    if !report.variations.is_empty() {
        println!();
        println!(
            "variations (behaviour the standards allow → rules it meets → every scenario must pass):"
        );
        for line in variation_lines(report) {
            println!("  {line}");
        }
    }
    for v in &report.variations {
        for f in &v.false_failures {
            println!(
                "false failure: {} {} against variation {} (rules {}); allowed by {}",
                f.scenario,
                f.verdict,
                v.name,
                if f.rules.is_empty() {
                    "-".to_string()
                } else {
                    f.rules.join(", ")
                },
                f.allowed_by
                    .iter()
                    .map(|a| format!("{}: {}", a.variation, a.clause))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
    for s in &report.survivors {
        println!(
            "survivor: {} is not caught; strengthen the scenarios of {}",
            s.defect,
            s.rules.join(", ")
        );
    }
    for d in report
        .defects
        .iter()
        .filter(|d| d.verdict == DefectVerdict::Error)
    {
        println!(
            "error: the run with defect {} did not complete (see {}/console.txt)",
            d.name,
            d.run
                .as_ref()
                .map_or(format!("{RUNS_DIR}/{}", d.name), |r| r.report_dir.clone())
        );
    }
}
