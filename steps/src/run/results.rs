//! The run's result model, collected from cucumber's events by
//! [`Collector`](crate::run::collect::Collector). Reports and the exit code are computed from
//! this model, once, after the run. Nothing here depends on the cucumber runtime.

use serde::Serialize;

use std::time::SystemTime;

use crate::http::Exchange;
use crate::redact::scrub;

/// The status of a scenario or step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every step passed.
    Passed,
    /// A step failed.
    Failed,
    /// Skipped (with a reason).
    Skipped,
}

/// One executed step.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Keyword and text, e.g. `When recipient A posts the registration request`.
    pub text: String,
    /// Outcome.
    pub status: Status,
    /// The failure message, when it failed.
    pub error: Option<String>,
}

/// One executed scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Feature name.
    pub feature: String,
    /// Rule name, when the scenario sits under a `Rule:`.
    pub rule: Option<String>,
    /// Scenario name.
    pub name: String,
    /// Tags of the feature, rule and scenario (without `@`).
    pub tags: Vec<String>,
    /// Feature file and line.
    pub location: String,
    /// Outcome.
    pub status: Status,
    /// Steps, background first.
    pub steps: Vec<StepResult>,
    /// Wall time from the scenario's start to its end, in milliseconds.
    pub duration_ms: f64,
    /// The needs the environment could not meet, when the scenario was skipped for them
    /// (names, as in `@needs:` tags).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet_needs: Vec<String>,
    /// Every HTTP exchange of the scenario, in order, as sent and received (unredacted: never
    /// serialised; reports render them through `crate::redact`).
    #[serde(skip)]
    pub exchanges: Vec<Exchange>,
}

impl ScenarioResult {
    /// The first failure message.
    pub fn failure(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| s.error.as_deref())
    }

    /// The scenario's `@id:` tag.
    pub fn id(&self) -> Option<&str> {
        self.tags.iter().find_map(|t| t.strip_prefix("id:"))
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunResults {
    /// Scenarios in completion order.
    pub scenarios: Vec<ScenarioResult>,
    /// Feature files that failed to parse.
    pub parse_errors: Vec<String>,
}

impl RunResults {
    /// Number of scenarios with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.scenarios.iter().filter(|s| s.status == status).count()
    }
}

/// What the reports need to know about a run besides its results.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// Target name (snapshot folder), e.g. `mock-holder`.
    pub target: String,
    /// The holder's discovery URL.
    pub discovery_url: String,
    /// Features folder (locations are shown relative to it).
    pub features_dir: std::path::PathBuf,
    /// Tag expression, if any.
    pub tags: Option<String>,
    /// Name regex, if any.
    pub name: Option<String>,
    /// `--rule` selection.
    pub rules: Vec<String>,
    /// When the run started.
    pub started_at: SystemTime,
    /// When it finished.
    pub finished_at: SystemTime,
}

/// cucumber's prefix on a failed step's message (it adds nothing: every failure is reported as
/// a step failure).
pub const PANIC_PREFIX: &str = "Step panicked. Captured output: ";

/// A step's failure message as reports show it: without cucumber's prefix, secrets scrubbed.
pub fn message(text: &str) -> String {
    scrub::text(text.strip_prefix(PANIC_PREFIX).unwrap_or(text))
}
