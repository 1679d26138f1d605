//! The self-check's model: what a run left behind (the parts of its `summary.json` the
//! self-check reads back) and `selfcheck.json` (schema `dcr-conformance/selfcheck`,
//! documented in `reports/README.md`).

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::catalogue::Level;
use crate::report::summary::Tool;
use crate::run::verdict::Verdict;

/// Schema name written into `selfcheck.json`.
pub const SCHEMA: &str = "dcr-conformance/selfcheck";
/// `selfcheck.json`.
pub const JSON_FILE: &str = "selfcheck.json";
/// `selfcheck.html`.
pub const HTML_FILE: &str = "selfcheck.html";
/// The folder (inside the report folder) holding one report folder per run.
pub const RUNS_DIR: &str = "selfcheck";
/// The baseline run's folder name inside [`RUNS_DIR`].
pub const BASELINE: &str = "baseline";

/// The prefix of a variation run's folder name inside [`RUNS_DIR`] (`variation-NAME`).
pub const VARIATION_PREFIX: &str = "variation-";
/// The folder name of the run with every compatible variation together.
pub const VARIATIONS_TOGETHER: &str = "variations-together";

/// A scenario of a run, as far as the kill matrix needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct RunScenario {
    /// `@id:`.
    pub id: String,
    /// Rules it proves.
    pub rules: Vec<String>,
    /// Its verdict.
    pub verdict: Verdict,
    /// Why the profile's sources leave its assertion open, if they do.
    #[serde(default)]
    pub unsettled: Option<String>,
    /// The needs it was skipped for, if it was.
    #[serde(default)]
    pub unmet_needs: Vec<String>,
}

impl RunScenario {
    /// Skipped only because the holder does not offer what it checks (or offers what it
    /// checks the absence of), as the holder's discovery says: not applicable to this holder,
    /// so not a problem of a correct holder's run.
    pub fn not_offered(&self) -> bool {
        self.verdict == Verdict::Skipped
            && !self.unmet_needs.is_empty()
            && self.unmet_needs.iter().all(|n| {
                crate::environment::capabilities::Need::from_name(n)
                    .is_some_and(crate::environment::capabilities::Need::is_holder_choice)
            })
    }
}

/// Scenario counts of a run.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RunCounts {
    /// Executed scenarios.
    pub scenarios: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Warnings.
    pub warning: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed a rule the profile's release documents as not checked.
    #[serde(default)]
    pub not_checked: usize,
}

/// A run's `summary.json`, read back.
#[derive(Debug, Clone, Deserialize)]
pub struct RunDigest {
    /// Counts.
    pub counts: RunCounts,
    /// Executed scenarios.
    pub scenarios: Vec<RunScenario>,
    /// Feature files that did not parse.
    #[serde(default)]
    pub parse_errors: Vec<String>,
}

impl RunDigest {
    /// Reads the `summary.json` of the run whose report folder is `dir`.
    ///
    /// # Errors
    /// Fails when the file is missing or is not a summary.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(crate::report::files::SUMMARY);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("the run wrote no {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a summary", path.display()))
    }
}

/// How a defect fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefectVerdict {
    /// Every rule it breaks was caught by a failing (or warning) scenario tagged with it.
    Killed,
    /// At least one rule it breaks was not caught: the suite has a hole there.
    Survived,
    /// Its run did not complete (timeout, crash, usage error, no summary).
    Error,
    /// None of its rules applies to the profile, so it was not run.
    NotApplicable,
}

/// The scenarios that caught a defect under one of its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catch {
    /// The rule.
    pub rule: String,
    /// IDs of the failed or warning scenarios tagged with it (outline rows once).
    pub scenarios: Vec<String>,
}

/// A rule a defect breaks, with its level.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// Rule ID.
    pub id: String,
    /// Level in the catalogue.
    pub level: Level,
    /// Whether the rule applies to the self-check's profile.
    pub in_profile: bool,
    /// Whether the profile checks it as its level says (it applies, and is neither unsettled
    /// nor documented as not checked by the release): only such a rule can catch a defect.
    pub checked: bool,
}

/// How one run ended.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its report folder, relative to the self-check's report folder.
    pub report_dir: String,
    /// The run's exit code, as `run` exits (0 passed, 1 conformance failures, 2 a usage or
    /// set-up error): the child's, or for a run in this process the code it ended with
    /// (`None`: killed by a signal, stopped at the time limit, or did not start).
    pub exit_code: Option<i32>,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Scenario counts (from its summary.json).
    pub counts: Option<RunCounts>,
    /// Why the run did not complete, if it did not.
    pub error: Option<String>,
}

/// The baseline (no defect).
#[derive(Debug, Clone, Serialize)]
pub struct BaselineEntry {
    /// `passed` when every scenario passed without warnings.
    pub verdict: &'static str,
    /// The run.
    #[serde(flatten)]
    pub run: RunRecord,
    /// Scenarios that did not pass (`ID verdict`), and other problems.
    pub problems: Vec<String>,
}

/// One kill-matrix row.
#[derive(Debug, Clone, Serialize)]
pub struct DefectEntry {
    /// Defect name.
    pub name: String,
    /// What the defective holder does.
    pub description: String,
    /// The rules it breaks.
    pub rules: Vec<RuleRef>,
    /// Killed, survived, error or not applicable.
    pub verdict: DefectVerdict,
    /// Per rule, the scenarios that caught it.
    pub caught_by: Vec<Catch>,
    /// Rules (of the profile) whose scenarios did not catch it.
    pub uncaught_rules: Vec<String>,
    /// Failed or warning scenarios tagged with none of its rules (complete only with `--full`).
    pub collateral: Vec<String>,
    /// The run (absent when not applicable).
    pub run: Option<RunRecord>,
}

/// A defect that survived, and the rules whose scenarios need strengthening.
#[derive(Debug, Clone, Serialize)]
pub struct Survivor {
    /// Defect name.
    pub defect: String,
    /// Uncaught rules.
    pub rules: Vec<String>,
}

/// Defect counts by verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DefectCounts {
    /// Defects in the self-check.
    pub defects: usize,
    /// Run (applicable to the profile).
    pub applicable: usize,
    /// Killed.
    pub killed: usize,
    /// Survived.
    pub survived: usize,
    /// Runs that did not complete.
    pub errors: usize,
    /// Not applicable to the profile.
    pub not_applicable: usize,
}

/// How a variation run fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariationVerdict {
    /// Every scenario passed (or, on one of the variation's own rules below MUST, warned).
    Accepted,
    /// A scenario failed (or warned, or was skipped) against a holder the standards allow:
    /// the suite is wrong there.
    FalseFailure,
    /// Its run did not complete (timeout, crash, usage error, no summary).
    Error,
    /// The variation does not apply to the holder's flavour, so it was not run.
    NotApplicable,
}

/// A scenario that did not pass against a holder showing allowed behaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FalseFailure {
    /// `@id:` of the scenario.
    pub scenario: String,
    /// Its verdict (`failed`, `warning`, `skipped`).
    pub verdict: &'static str,
    /// The rules it proves.
    pub rules: Vec<String>,
    /// The variations of the run whose rules it meets (every variation of the run when none
    /// does), each with the clause that allows it.
    pub allowed_by: Vec<Allowance>,
}

/// A variation and the clause that allows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allowance {
    /// Variation name.
    pub variation: String,
    /// The clause.
    pub clause: String,
}

/// One row of the variation table (the kill matrix's twin).
#[derive(Debug, Clone, Serialize)]
pub struct VariationEntry {
    /// Variation name, or `variations-together` for the run of every compatible variation.
    pub name: String,
    /// What the holder does instead of its default.
    pub description: String,
    /// The variations of the run (the one variation, or every compatible one).
    pub variations: Vec<String>,
    /// The rules whose checks meet it.
    pub rules: Vec<String>,
    /// The clause that allows it (empty for the run together: see each variation's row).
    pub clause: String,
    /// Accepted, false failure, error or not applicable.
    pub verdict: VariationVerdict,
    /// The scenarios that did not pass, each with its rules and the clause that allows the
    /// behaviour.
    pub false_failures: Vec<FalseFailure>,
    /// Scenarios that warned on one of the variation's own rules whose level is below MUST
    /// (a behaviour the text recommends against but allows): reported, not a false failure.
    pub expected_warnings: Vec<String>,
    /// The run (absent when not applicable).
    pub run: Option<RunRecord>,
}

/// Variation counts by verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VariationCounts {
    /// Variations in the self-check.
    pub variations: usize,
    /// Applicable to the holder's flavour (each run alone).
    pub applicable: usize,
    /// Runs accepted (the runs alone and the run together).
    pub accepted: usize,
    /// Runs with a false failure.
    pub false_failures: usize,
    /// Runs that did not complete.
    pub errors: usize,
    /// Not applicable to the flavour.
    pub not_applicable: usize,
}

/// `selfcheck.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SelfcheckReport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// Schema version.
    pub version: u32,
    /// Tool.
    pub tool: Tool,
    /// Profile of every run.
    pub profile: String,
    /// The flavour the embedded holder emulated in every run (the profile's, unless
    /// `--holder-flavour` said otherwise).
    pub flavour: &'static str,
    /// `rules` (a defect run selects its rules' scenarios) or `full`.
    pub selection: &'static str,
    /// Runs at once.
    pub jobs: u16,
    /// How runs were kept apart: `in-process` (each on its own thread and runtime) or
    /// `child-process` (`--isolate`).
    pub isolation: &'static str,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, RFC 3339 UTC.
    pub finished_at: String,
    /// Wall time of the whole self-check, ms.
    pub duration_ms: u64,
    /// `passed` when the baseline passed, every applicable defect was killed and every
    /// variation run was accepted.
    pub verdict: &'static str,
    /// Defect counts.
    pub counts: DefectCounts,
    /// The run without a defect.
    pub baseline: BaselineEntry,
    /// The kill matrix, in `defects.yaml` order.
    pub defects: Vec<DefectEntry>,
    /// Defects that survived, with the rules to strengthen.
    pub survivors: Vec<Survivor>,
    /// Variation counts.
    pub variation_counts: VariationCounts,
    /// The variation table: each variation alone, in `variations.yaml` order, then the run
    /// with every compatible variation together (`variations-together`).
    pub variations: Vec<VariationEntry>,
}

impl SelfcheckReport {
    /// Whether the self-check passed.
    pub fn passed(&self) -> bool {
        self.verdict == "passed"
    }
}
