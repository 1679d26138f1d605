//! Running the features against an environment: cucumber wiring, scenario selection, writers,
//! and the verdict.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser as _;
use cucumber::{World as _, WriterExt as _, writer};

use crate::catalogue::Catalogue;
use crate::env::Env;
use crate::results::{Collector, RunResults, Status};
use crate::world::{DcrWorld, RunContext, install};

/// The repository's `features/` folder (compile-time default).
pub fn default_features_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

/// The repository's `reports/` folder (compile-time default).
pub fn default_report_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports")
}

/// The folder holding one snapshot folder per target.
pub fn default_snapshot_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Feature files folder; its `catalogue.yaml` is the catalogue.
    pub features: PathBuf,
    /// Where reports go.
    pub report_dir: PathBuf,
    /// Snapshot root; the target's snapshots are in `<root>/<target>/`.
    pub snapshot_root: PathBuf,
    /// Cucumber tag expression.
    pub tags: Option<String>,
    /// Scenario name regex.
    pub name: Option<regex::Regex>,
    /// Only scenarios tagged with one of these rule IDs.
    pub rules: Vec<String>,
    /// Scenarios run at once.
    pub concurrency: usize,
    /// Console verbosity (0: scenario and step lines; 1+: also docstrings and the World on failure).
    pub verbose: u8,
}

impl RunOptions {
    /// Defaults: the repository's folders, everything selected.
    pub fn new() -> Self {
        Self {
            features: default_features_dir(),
            report_dir: default_report_dir(),
            snapshot_root: default_snapshot_root(),
            tags: None,
            name: None,
            rules: Vec::new(),
            concurrency: 4,
            verbose: 0,
        }
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Per-scenario results.
    pub results: RunResults,
}

impl RunOutcome {
    /// `conformance: N passed, N failed, N skipped`.
    pub fn closing_line(&self) -> String {
        format!(
            "conformance: {} passed, {} failed, {} skipped",
            self.results.count(Status::Passed),
            self.results.count(Status::Failed),
            self.results.count(Status::Skipped)
        )
    }

    /// Whether everything applicable passed.
    pub fn passed(&self) -> bool {
        self.results.count(Status::Failed) == 0
            && self.results.parse_errors.is_empty()
            && !self.results.scenarios.is_empty()
    }
}

/// Runs the features against `env`, writing `junit.xml` and `cucumber.json` into the report dir.
///
/// # Errors
/// Fails (a usage or configuration error) when the catalogue or the report folder is unusable.
pub async fn run(env: Arc<Env>, opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let catalogue = Arc::new(Catalogue::load(&opts.features.join("catalogue.yaml"))?);
    std::fs::create_dir_all(&opts.report_dir).with_context(|| {
        format!(
            "cannot create the report folder {}",
            opts.report_dir.display()
        )
    })?;
    let snapshot_dir = opts.snapshot_root.join(&env.target);
    install(Arc::new(RunContext {
        env,
        catalogue,
        snapshot_dir,
    }));

    let junit =
        File::create(opts.report_dir.join("junit.xml")).context("cannot write junit.xml")?;
    let json = File::create(opts.report_dir.join("cucumber.json"))
        .context("cannot write cucumber.json")?;
    let (collector, results) = Collector::new();

    let mut args = vec!["dcr-conformance".to_string()];
    if let Some(tags) = &opts.tags {
        args.extend(["--tags".into(), tags.clone()]);
    }
    args.extend(["--concurrency".into(), opts.concurrency.max(1).to_string()]);
    if opts.verbose > 0 {
        args.push(format!("-{}", "v".repeat(opts.verbose.min(2) as usize)));
    }
    let cli = cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::try_parse_from(&args)
        .map_err(|e| anyhow::anyhow!("invalid selection: {e}"))?;

    let name = opts.name.clone();
    let rules = opts.rules.clone();
    DcrWorld::cucumber()
        .with_writer(
            writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0)
                .summarized()
                .tee::<DcrWorld, _>(writer::JUnit::for_tee(junit, 0))
                .tee::<DcrWorld, _>(writer::Json::for_tee(json))
                .tee::<DcrWorld, _>(collector.discard_stats_writes().discard_arbitrary_writes())
                .normalized(),
        )
        .fail_on_skipped()
        .with_cli(cli)
        .filter_run(opts.features.clone(), move |feature, rule, scenario| {
            let name_ok = name.as_ref().is_none_or(|re| re.is_match(&scenario.name));
            let rule_ok = rules.is_empty() || {
                let tags = feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| r.tags.iter()))
                    .chain(scenario.tags.iter());
                tags.into_iter().any(|t| rules.iter().any(|r| r == t))
            };
            name_ok && rule_ok
        })
        .await;

    let results = results.lock().map(|r| r.clone()).unwrap_or_default();
    Ok(RunOutcome { results })
}
