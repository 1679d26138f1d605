//! `exchanges.json`: every executed scenario's HTTP exchanges, whole and redacted exactly as
//! `report.html` shows them ([`ExchangeView`]: headers and bodies redacted, JWTs in compact form
//! without their signature beside their decoded header and claims), so that an audit can read
//! them without scraping the HTML.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::report::latency::Endpoints;
use crate::report::summary::{self, Summary, Target, Tool};
use crate::report::view::ExchangeView;
use crate::run::results::RunResults;
use crate::run::verdict::Verdict;

/// Schema name written into the document.
pub const SCHEMA: &str = "dcr-conformance/exchanges";

/// One scenario's exchanges.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioExchanges {
    /// `@id:`.
    pub id: String,
    /// Outline row number, if an outline row.
    pub row: Option<usize>,
    /// Unique in the run (`REG-021#3`), as in `summary.json`.
    pub key: String,
    /// Name.
    pub name: String,
    /// File (relative to the features folder) and line.
    pub location: String,
    /// Verdict.
    pub verdict: Verdict,
    /// Its exchanges, in order.
    pub exchanges: Vec<ExchangeView>,
}

/// The whole document.
#[derive(Debug, Clone, Serialize)]
pub struct Exchanges {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// Schema version.
    pub version: u32,
    /// Tool.
    pub tool: Tool,
    /// Target.
    pub target: Target,
    /// Profile.
    pub profile: String,
    /// Start of the run, as in `summary.json`.
    pub started_at: String,
    /// Executed scenarios, in `summary.json`'s order.
    pub scenarios: Vec<ScenarioExchanges>,
}

/// The exchanges of the run `summary` describes.
pub fn build(summary: &Summary, results: &RunResults, features_dir: &Path) -> Exchanges {
    let endpoints = Endpoints::learn(results.scenarios.iter().flat_map(|s| s.exchanges.iter()));
    let by_location: HashMap<String, &crate::run::results::ScenarioResult> = results
        .scenarios
        .iter()
        .map(|r| (summary::relative(&r.location, features_dir), r))
        .collect();
    let scenarios = summary
        .scenarios
        .iter()
        .map(|entry| ScenarioExchanges {
            id: entry.id.clone(),
            row: entry.row,
            key: entry.key.clone(),
            name: entry.name.clone(),
            location: entry.location.clone(),
            verdict: entry.verdict,
            exchanges: by_location
                .get(&entry.location)
                .map(|r| {
                    r.exchanges
                        .iter()
                        .map(|e| ExchangeView::new(e, endpoints.classify(e).label()))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Exchanges {
        schema: SCHEMA,
        version: 1,
        tool: summary.tool.clone(),
        target: summary.target.clone(),
        profile: summary.profile.clone(),
        started_at: summary.started_at.clone(),
        scenarios,
    }
}
