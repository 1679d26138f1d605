//! Running the features against an environment: cucumber wiring (writers: console, Cucumber
//! JSON, the result collector, progress), the run, and its outcome (results and verdicts, from
//! which the caller writes the reports).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Parser as _;
use cucumber::{World as _, WriterExt as _, writer};

use crate::catalogue::source::FeaturesSource;
use crate::catalogue::{Catalogue, Profile};
use crate::environment::Environment;
use crate::redact::scrub::LineScrubber;
use crate::run::collect::{Collector, ExchangeStore};
use crate::run::console::{Shown, Tidy, clean};
use crate::run::hooks::after_scenario;
use crate::run::plan::Plan;
use crate::run::progress::{Progress, ProgressMode};
use crate::run::results::{RunMeta, RunResults, ScenarioResult};
use crate::run::selection::{Decision, Selection};
use crate::run::verdict::{self, Assessment};
pub use crate::scenario::snapshot::SnapshotMode;
use crate::scenario::world::{DcrWorld, RunContext, with_context};

/// Where reports go by default: `reports` in the current folder.
pub const DEFAULT_REPORT_DIR: &str = "reports";

/// The snapshot root by default: `snapshots` beside the target file when there is one (a
/// target's snapshots stay with its file), else in the current folder (the embedded holder's).
pub fn default_snapshot_root(target_file: Option<&Path>) -> PathBuf {
    let beside = target_file
        .and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty());
    match beside {
        Some(dir) => dir.join("snapshots"),
        None => PathBuf::from("snapshots"),
    }
}

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where the feature files and the catalogue are read (the built-in ones, or a folder).
    pub features: FeaturesSource,
    /// Where reports go.
    pub report_dir: PathBuf,
    /// Snapshot root; a target's snapshots under a profile are in `<root>/<target>/<profile>/`.
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
    /// The profile to assess against (`features/profiles/<name>.yaml`).
    pub profile: String,
    /// Whether SHOULD and REC failures fail the run.
    pub strict: bool,
    /// Console progress: a bar on a terminal, plain lines in CI.
    pub progress: ProgressMode,
    /// Key that signs `summary.json` (detached JWS in `summary.json.jws`).
    pub sign_with: Option<dcr_vectors::SigningKey>,
    /// Where the console transcript goes.
    pub console: Console,
    /// Whether snapshots go through insta (review) or are only compared.
    pub snapshots: SnapshotMode,
    /// The same for the snapshot of every passed scenario's exchanges. The self-check skips
    /// them: a defect must be killed by the checks of its rules, not by a payload that changed.
    pub scenario_snapshots: SnapshotMode,
    /// Only the scenarios at these locations (file relative to the features folder, and
    /// line), when given: `--rerun-failed` (see [`crate::run::rerun`]).
    pub only: Option<std::collections::BTreeSet<String>>,
}

/// Where a run's console output (cucumber's transcript and the run's own lines) goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Console {
    /// This process's standard output, with the run's progress mode.
    #[default]
    Stdout,
    /// A file, created or truncated: the transcript without colours or progress, scrubbed like
    /// the console. Runs sharing a process (the self-check) each write their own.
    File(PathBuf),
}

/// A clonable handle on a run's console output: cucumber's transcript (on standard output
/// nowhere while a progress bar shows, since it would fight with the bar), and the run's own
/// lines (always shown).
#[derive(Clone)]
struct ConsoleOut {
    transcript: Arc<std::sync::Mutex<LineScrubber<Box<dyn Write + Send>>>>,
    /// The run's own lines go to standard output rather than into the transcript.
    lines_to_stdout: bool,
}

impl ConsoleOut {
    fn open(
        console: &Console,
        progress: ProgressMode,
        features: &Path,
        built_in: bool,
    ) -> anyhow::Result<Self> {
        let out: Box<dyn Write + Send> = match console {
            Console::Stdout if progress.resolve() == ProgressMode::Bar => Box::new(std::io::sink()),
            Console::Stdout => Box::new(std::io::stdout()),
            Console::File(path) => Box::new(
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
            ),
        };
        Ok(Self {
            transcript: Arc::new(std::sync::Mutex::new(LineScrubber::new(Box::new(
                Tidy::new(out, features, built_in),
            )))),
            lines_to_stdout: *console == Console::Stdout,
        })
    }

    /// One of the run's own lines.
    fn line(&self, text: &str) {
        if self.lines_to_stdout {
            println!("{}", crate::redact::scrub::text(text));
        } else {
            let _ = writeln!(self.clone(), "{text}");
        }
    }
}

impl Write for ConsoleOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.transcript.lock() {
            Ok(mut out) => out.write(buf),
            Err(_) => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.transcript.lock() {
            Ok(mut out) => out.flush(),
            Err(_) => Ok(()),
        }
    }
}

impl RunOptions {
    /// Defaults: the built-in features, reports and snapshots in the current folder,
    /// everything selected.
    pub fn new() -> Self {
        Self {
            features: FeaturesSource::Embedded,
            report_dir: PathBuf::from(DEFAULT_REPORT_DIR),
            snapshot_root: default_snapshot_root(None),
            tags: None,
            name: None,
            rules: Vec::new(),
            concurrency: 4,
            verbose: 0,
            profile: "cds-au".into(),
            strict: false,
            progress: ProgressMode::Auto,
            sign_with: None,
            console: Console::Stdout,
            snapshots: SnapshotMode::Review,
            scenario_snapshots: SnapshotMode::Review,
            only: None,
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
    /// Verdicts and the requirement matrix.
    pub assessment: Assessment,
    /// What the reports need to know about the run besides its results.
    pub meta: RunMeta,
    /// The catalogue the run was assessed against.
    pub catalogue: Arc<Catalogue>,
    /// The profile the run was assessed against.
    pub profile: Arc<Profile>,
    /// Snapshots recorded by this run because none was stored (files written), for review.
    pub new_snapshots: Vec<PathBuf>,
}

impl RunOutcome {
    /// `conformance: N passed, N failed, N skipped`, and, when any, `N warned` and `N not
    /// checked by this release` (see [`verdict::Assessment::closing_line`]).
    pub fn closing_line(&self) -> String {
        self.assessment.closing_line()
    }

    /// Whether everything applicable passed.
    pub fn passed(&self) -> bool {
        self.results.parse_errors.is_empty() && self.assessment.passed()
    }
}

/// Checks the selection against the catalogue before anything runs; the profile checked.
fn check_selection(catalogue: &Catalogue, opts: &RunOptions) -> anyhow::Result<Profile> {
    let profile = catalogue.profile(&opts.profile)?;
    for rule in &opts.rules {
        if catalogue.rule(rule).is_none() {
            anyhow::bail!(
                "--rule {rule}: no such rule in the catalogue or the profiles (IDs look like DCR-REQ-030)"
            );
        }
        if !profile.applies(rule) {
            anyhow::bail!(
                "--rule {rule}: profile {} does not check this rule (`dcr-conformance profiles` lists what each checks)",
                profile.name
            );
        }
    }
    Ok(profile)
}

/// Runs the features against `env`, writing `cucumber.json` into the report folder during the
/// run; the other reports are written from the outcome (see [`crate::report::write_reports`]).
///
/// # Errors
/// Fails (a usage or configuration error) when the catalogue or the report folder is unusable.
pub async fn run(env: Arc<Environment>, opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let features = opts.features.dir()?;
    let catalogue = Arc::new(Catalogue::load(&features)?);
    let profile = Arc::new(check_selection(&catalogue, opts)?);
    // Absolute: insta resolves a relative snapshot folder against the source file.
    let snapshot_dir = clean(
        &opts
            .snapshot_root
            .join(&env.target)
            .join(&profile.snapshots),
    );
    let plan = Arc::new(Plan::load(&features, &catalogue)?);
    if let Some(id) = profile
        .scenarios
        .keys()
        .find(|id| !plan.scenarios.contains_key(*id))
    {
        anyhow::bail!(
            "profile {}: scenarios.{id}: no scenario has the ID {id}",
            profile.name
        );
    }
    std::fs::create_dir_all(&opts.report_dir).with_context(|| {
        format!(
            "cannot create the report folder {}",
            opts.report_dir.display()
        )
    })?;

    let (target, discovery_url) = (env.target.clone(), env.discovery_url.clone());
    let cleanup = !env.fresh_software_ids;
    let built_in = opts.features.is_embedded();
    let mut console = ConsoleOut::open(&opts.console, opts.progress, &features, built_in)?;
    let capabilities = env.capabilities_with_discovery().await;
    for (need, why) in capabilities.unmet() {
        console.line(&format!(
            "target {target}: scenarios needing {} are skipped: {why}",
            need.name()
        ));
    }
    // The tag expression is evaluated in the selection: given to cucumber's own CLI it would
    // replace the filter (profile, --rule, --name and needs would be ignored).
    let selection = Selection {
        tags: Selection::parse_tags(opts.tags.as_deref())?,
        name: opts.name.clone(),
        rules: opts.rules.clone(),
        profile: profile.clone(),
        capabilities,
        profiles_dir: features.join("profiles"),
        only: opts.only.clone(),
        features_dir: features.clone(),
    };
    let waits = crate::scenario::waits::Waits::default();
    let context = Arc::new(RunContext {
        env: env.clone(),
        catalogue: catalogue.clone(),
        profile: profile.clone(),
        snapshot_dir,
        snapshots: opts.snapshots,
        scenario_snapshots: opts.scenario_snapshots,
        waits: waits.clone(),
        new_snapshots: std::sync::Mutex::new(Vec::new()),
    });

    let json = File::create(opts.report_dir.join("cucumber.json"))
        .context("cannot write cucumber.json")?;
    let (collector, results) = Collector::new();
    let exchanges = ExchangeStore::default();
    let collector = collector.with_exchanges(exchanges.clone());
    let started_at = std::time::SystemTime::now();

    // Fixed software statements mean one software product per recipient: scenarios that
    // register must not overlap, so they run one at a time.
    let concurrency = if env.fresh_software_ids {
        opts.concurrency.max(1)
    } else {
        1
    };
    let mut args = vec!["dcr-conformance".to_string()];
    args.extend(["--concurrency".into(), concurrency.to_string()]);
    if opts.verbose > 0 {
        args.push(format!("-{}", "v".repeat(opts.verbose.min(2) as usize)));
    }
    let cli = cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::try_parse_from(&args)
        .map_err(|e| anyhow::anyhow!("invalid selection: {e}"))?;

    let not_run: Arc<std::sync::Mutex<Vec<ScenarioResult>>> = Arc::default();
    let skipped = not_run.clone();
    let (coloring, progress) = match opts.console {
        Console::Stdout => (writer::Coloring::Auto, opts.progress),
        Console::File(_) => (writer::Coloring::Never, ProgressMode::Off),
    };
    let cucumber = DcrWorld::cucumber()
        .after(after_scenario(exchanges, cleanup, plan.clone()))
        .with_writer(
            writer::Basic::raw(console.clone(), coloring, 0)
                .summarized()
                .tee::<DcrWorld, _>(writer::Json::for_tee(json))
                .tee::<DcrWorld, _>(collector.discard_stats_writes().discard_arbitrary_writes())
                .tee::<DcrWorld, _>(
                    Progress::new(
                        progress,
                        profile.clone(),
                        opts.strict,
                        waits,
                        Shown::new(&features, built_in),
                    )
                    .discard_stats_writes()
                    .discard_arbitrary_writes(),
                )
                .normalized(),
        )
        .fail_on_skipped()
        .with_cli(cli)
        .filter_run(
            features.clone(),
            move |feature, rule, scenario| match selection.decide(feature, rule, scenario) {
                Decision::Run => true,
                Decision::Out => false,
                Decision::NotRun(result) => {
                    if let Ok(mut list) = skipped.lock() {
                        list.push(*result);
                    }
                    false
                }
            },
        );
    // Every World of this run is built while this future is polled, and reads `context`.
    with_context(context.clone(), cucumber).await;
    let _ = console.flush();

    let mut results = results.lock().map(|r| r.clone()).unwrap_or_default();
    if let Ok(mut list) = not_run.lock() {
        results.scenarios.append(&mut list);
    }
    let assessment = verdict::assess(&catalogue, &plan, &results, &profile, opts.strict);
    let meta = RunMeta {
        target,
        discovery_url,
        features_dir: features.clone(),
        tags: opts.tags.clone(),
        name: opts.name.as_ref().map(|r| r.as_str().to_string()),
        rules: opts.rules.clone(),
        started_at,
        finished_at: std::time::SystemTime::now(),
    };
    let mut new_snapshots = context
        .new_snapshots
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    new_snapshots.sort();
    Ok(RunOutcome {
        results,
        assessment,
        meta,
        catalogue,
        profile,
        new_snapshots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_folders_are_in_the_current_folder_or_beside_the_target_file() {
        let opts = RunOptions::new();
        assert_eq!(opts.features, FeaturesSource::Embedded);
        assert_eq!(opts.report_dir, Path::new("reports"));
        assert_eq!(opts.snapshot_root, Path::new("snapshots"));
        assert_eq!(
            default_snapshot_root(Some(Path::new("/banks/example/target.yaml"))),
            Path::new("/banks/example/snapshots")
        );
        assert_eq!(
            default_snapshot_root(Some(Path::new("target.yaml"))),
            Path::new("snapshots")
        );
        assert_eq!(
            default_snapshot_root(Some(Path::new("banks/target.yaml"))),
            Path::new("banks/snapshots")
        );
    }
}
