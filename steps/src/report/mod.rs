//! The evidence a run leaves behind, written after the run from the result model (one model,
//! several renderings):
//!
//! * [`summary`]: `summary.json`, the run in one document (meta, counts, requirement matrix,
//!   coverage gaps, scenarios, latency); every other report is rendered from it;
//! * [`junit`]: `junit.xml`, failures prefixed with the rule they break;
//! * [`html`]: `report.html`, one self-contained page (minijinja template
//!   `steps/templates/report.html`), with every exchange shown redacted through [`view`];
//! * [`exchanges`]: `exchanges.json`, every scenario's exchanges redacted as the HTML shows
//!   them;
//! * [`latency`]: p50/p95/max per DCR endpoint against the 1000 ms tier;
//! * [`sign`]: the detached JWS `summary.json.jws`, and its verification;
//!
//! Writers depend only on the result model (`crate::run::results`, `crate::run::verdict`) and
//! never on the cucumber runtime.
//!
//! `cucumber.json` is written by cucumber's own writer during the run; afterwards it is
//! re-read and its strings scrubbed like everything else.

pub mod exchanges;
pub mod html;
pub mod junit;
pub mod latency;
pub mod sign;
pub mod summary;
pub mod view;

use std::path::{Path, PathBuf};

use anyhow::Context;
use dcr_vectors::SigningKey;

use crate::catalogue::Catalogue;
use crate::redact::scrub;
use crate::run::results::{RunMeta, RunResults};
use crate::run::verdict::Assessment;

pub use summary::Summary;

/// File names in the report folder.
pub mod files {
    /// JUnit XML.
    pub const JUNIT: &str = "junit.xml";
    /// Cucumber JSON.
    pub const CUCUMBER: &str = "cucumber.json";
    /// The summary.
    pub const SUMMARY: &str = "summary.json";
    /// The detached signature of the summary.
    pub const SIGNATURE: &str = "summary.json.jws";
    /// The HTML report.
    pub const HTML: &str = "report.html";
    /// Every scenario's exchanges, redacted.
    pub const EXCHANGES: &str = "exchanges.json";
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Scrubs the strings of the `cucumber.json` cucumber wrote into `dir`, if there is one.
///
/// # Errors
/// Fails when the file exists but cannot be rewritten.
pub fn scrub_cucumber_json(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(files::CUCUMBER);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    if let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) {
        scrub::json_strings(&mut value);
        write(
            dir,
            files::CUCUMBER,
            serde_json::to_string_pretty(&value)?.as_bytes(),
        )?;
    } else {
        write(dir, files::CUCUMBER, scrub::text(&text).as_bytes())?;
    }
    Ok(())
}

/// What the console shows once a run's reports are written into `report_dir`: the warnings,
/// the rules of the profile no scenario covers, where the reports (and the signature, when
/// `signed`) are, and the closing line. Lines end with a newline.
pub fn closing_text(assessment: &Assessment, report_dir: &Path, signed: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let warnings: Vec<_> = assessment
        .scenarios
        .iter()
        .filter(|s| s.verdict == crate::run::verdict::Verdict::Warning)
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "warnings: {} scenario(s) failed a SHOULD/REC/MAY rule (--strict makes SHOULD/REC failures fail the run):",
            warnings.len()
        );
        for w in warnings {
            let _ = writeln!(out, "  {} {} [{}]", w.id, w.name, w.rules.join(", "));
        }
    }
    let documented: Vec<_> = assessment
        .rules
        .iter()
        .filter_map(|r| match &r.treatment {
            crate::catalogue::Treatment::NotChecked(n) => Some((r, n)),
            _ => None,
        })
        .collect();
    if !documented.is_empty() {
        let _ = writeln!(
            out,
            "not checked by this release (profile {}): what the release documents it does not check, and what this holder did:",
            assessment.profile
        );
        for (r, n) in documented {
            let seen = match r.status {
                crate::run::verdict::RuleStatus::NotChecked => "not checked here either",
                crate::run::verdict::RuleStatus::Passed => "this holder checks it anyway",
                _ => "not run",
            };
            let _ = writeln!(
                out,
                "  {} {} ({}): {} [{seen}]",
                r.id, n.why, n.source, n.meaning
            );
        }
    }
    let gaps = assessment.not_covered();
    if gaps.is_empty() {
        let _ = writeln!(
            out,
            "coverage: every testable rule of profile {} has a scenario",
            assessment.profile
        );
    } else {
        let _ = writeln!(
            out,
            "coverage: {} rule(s) of profile {} have no scenario:",
            gaps.len(),
            assessment.profile
        );
        for r in gaps {
            let _ = writeln!(out, "  {} [{}] {}", r.id, r.level.as_str(), r.rule);
        }
    }
    let _ = writeln!(out, "reports: {}", report_dir.display());
    if signed {
        let _ = writeln!(
            out,
            "signed: {}",
            report_dir.join(files::SIGNATURE).display()
        );
    }
    let _ = writeln!(out, "{}", assessment.closing_line());
    out
}

/// Writes `summary.json`, `junit.xml`, `report.html`, `exchanges.json` (and `summary.json.jws` when `sign_with`
/// is given) into `dir`; returns the summary.
///
/// # Errors
/// Fails when a file cannot be written or the template fails to render.
pub fn write_reports(
    dir: &Path,
    meta: &RunMeta,
    catalogue: &Catalogue,
    results: &RunResults,
    assessment: &Assessment,
    sign_with: Option<&SigningKey>,
) -> anyhow::Result<Summary> {
    let summary = summary::build(meta, catalogue, results, assessment);
    let mut json = serde_json::to_vec_pretty(&summary)?;
    json.push(b'\n');
    write(dir, files::SUMMARY, &json)?;
    let signature = dir.join(files::SIGNATURE);
    match sign_with {
        Some(key) => {
            write(
                dir,
                files::SIGNATURE,
                sign::sign_detached(&json, key)?.as_bytes(),
            )?;
        }
        // A signature left over from an earlier run would not match this summary.
        None if signature.exists() => std::fs::remove_file(&signature)
            .with_context(|| format!("cannot remove the stale {}", signature.display()))?,
        None => {}
    }
    write(
        dir,
        files::JUNIT,
        junit::render(&summary, catalogue).as_bytes(),
    )?;
    let page = html::render(&summary, results, catalogue, &meta.features_dir)?;
    write(dir, files::HTML, page.as_bytes())?;
    // As the page does for every string it prints, the safety net after `view`'s redaction.
    let mut exchanges =
        serde_json::to_value(exchanges::build(&summary, results, &meta.features_dir))?;
    scrub::json_strings(&mut exchanges);
    let mut exchanges = serde_json::to_vec_pretty(&exchanges)?;
    exchanges.push(b'\n');
    write(dir, files::EXCHANGES, &exchanges)?;
    scrub_cucumber_json(dir)?;
    Ok(summary)
}
