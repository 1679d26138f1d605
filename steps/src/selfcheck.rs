//! `dcr-conformance selfcheck`: proof that every check can fail.
//!
//! A suite that passes a correct holder proves little; it must also fail a wrong one, for every
//! rule. The self-check runs the suite against the embedded mock holder once without a defect
//! (the **baseline**: every applicable scenario must pass, without warnings), then once per
//! defect of `mock-holder/defects.yaml` (the holder started with that one rule broken on
//! purpose). A defect is **killed** when, for each rule it breaks, at least one scenario tagged
//! with that rule failed (or, at SHOULD/REC/MAY, warned); otherwise it **survived**, and the
//! rules left uncaught are the ones whose scenarios need strengthening.
//!
//! The cucumber runner keeps a process-global run context, so two runs cannot share a process:
//! each run is a child process of this same binary (`run --holder-defect NAME`), with its own
//! report folder (`<report dir>/selfcheck/<defect>/`), and the verdict comes from the
//! `summary.json` it writes. Runs execute `--jobs` at a time. By default a defect run selects
//! only the scenarios of the defect's rules (`--rule`), which is enough to decide the kill;
//! `--full` runs every scenario for each defect and also reports the collateral failures.
//!
//! Output: a kill matrix on the console, `selfcheck.json` (schema `dcr-conformance/selfcheck`,
//! documented in `reports/README.md`) and `selfcheck.html` in the report folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use futures::StreamExt;
use mock_holder::Defect;
use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Level};
use crate::plan::Plan;
use crate::report::summary::{Tool, rfc3339};
use crate::runner;

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

/// `dcr-conformance selfcheck` options.
#[derive(Debug, Clone, clap::Args)]
pub struct SelfcheckArgs {
    /// Runs at once (each is a child process running the suite against its own embedded
    /// holder).
    #[arg(long, short = 'j', default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    jobs: u16,
    /// Folder of feature files and `catalogue.yaml`.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_features_dir())]
    features: PathBuf,
    /// Where to write selfcheck.json and selfcheck.html; each run's reports go to
    /// selfcheck/<defect>/ (the baseline's to selfcheck/baseline/) inside it.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_report_dir())]
    report_dir: PathBuf,
    /// Catalogue profile of every run. mock-compat (the default) is cds-au plus the
    /// reference-implementation (IMPL) rules, so that IMPL defects can be caught too.
    #[arg(long, value_name = "NAME", default_value = "mock-compat")]
    profile: String,
    /// Run every scenario for each defect (slower), which also reports the collateral
    /// failures; by default a defect run selects the scenarios of the defect's rules only.
    #[arg(long)]
    full: bool,
    /// Only this defect (repeatable); default: every defect.
    #[arg(long = "defect", value_name = "NAME")]
    defects: Vec<Defect>,
    /// Longest a single run may take, in seconds, before it is stopped and counted as an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    run_timeout: u64,
}

// ---------------------------------------------------------------------------------------------
// What a run left behind (the parts of summary.json the self-check reads)

/// A scenario verdict as `summary.json` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioVerdict {
    /// Passed.
    Passed,
    /// Failed at a level that fails the run.
    Failed,
    /// Failed at a warning level.
    Warning,
    /// Skipped.
    Skipped,
}

/// A scenario of a run, as far as the kill matrix needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct RunScenario {
    /// `@id:`.
    pub id: String,
    /// Rules it proves.
    pub rules: Vec<String>,
    /// Its verdict.
    pub verdict: ScenarioVerdict,
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

// ---------------------------------------------------------------------------------------------
// The kill matrix (pure functions over run digests)

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

/// The kill-matrix row of one defect run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Per rule, the scenarios that caught the defect (rules without any are left out).
    pub caught_by: Vec<Catch>,
    /// Rules no failing scenario caught.
    pub uncaught: Vec<String>,
    /// Failed or warning scenarios tagged with none of the defect's rules.
    pub collateral: Vec<String>,
}

impl Judgement {
    /// Killed when every rule was caught.
    pub fn verdict(&self) -> DefectVerdict {
        if self.uncaught.is_empty() {
            DefectVerdict::Killed
        } else {
            DefectVerdict::Survived
        }
    }
}

fn caught(verdict: ScenarioVerdict) -> bool {
    matches!(verdict, ScenarioVerdict::Failed | ScenarioVerdict::Warning)
}

fn push_unique(list: &mut Vec<String>, id: &str) {
    if !list.iter().any(|x| x == id) {
        list.push(id.to_string());
    }
}

/// Judges the run of a holder with a defect breaking `rules`.
pub fn judge(rules: &[String], run: &RunDigest) -> Judgement {
    let mut by_rule: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut collateral = Vec::new();
    for scenario in run.scenarios.iter().filter(|s| caught(s.verdict)) {
        let mut tagged = false;
        for rule in rules.iter().filter(|r| scenario.rules.contains(r)) {
            tagged = true;
            push_unique(by_rule.entry(rule.as_str()).or_default(), &scenario.id);
        }
        if !tagged {
            push_unique(&mut collateral, &scenario.id);
        }
    }
    let mut seen = BTreeSet::new();
    let mut caught_by = Vec::new();
    let mut uncaught = Vec::new();
    for rule in rules {
        if !seen.insert(rule.as_str()) {
            continue;
        }
        match by_rule.remove(rule.as_str()) {
            Some(scenarios) => caught_by.push(Catch {
                rule: rule.clone(),
                scenarios,
            }),
            None => uncaught.push(rule.clone()),
        }
    }
    collateral.sort();
    Judgement {
        caught_by,
        uncaught,
        collateral,
    }
}

/// What is wrong with the baseline run (the correct holder): every scenario that did not
/// pass, and a note when nothing ran or a feature file did not parse. Empty when it is clean.
pub fn baseline_problems(run: &RunDigest) -> Vec<String> {
    let mut problems: Vec<String> = run
        .parse_errors
        .iter()
        .map(|e| format!("parse error: {e}"))
        .collect();
    if run.scenarios.is_empty() {
        problems.push("no scenario ran".into());
    }
    for s in &run.scenarios {
        if s.verdict != ScenarioVerdict::Passed {
            let verdict = match s.verdict {
                ScenarioVerdict::Failed => "failed",
                ScenarioVerdict::Warning => "warning",
                ScenarioVerdict::Skipped => "skipped",
                ScenarioVerdict::Passed => "passed",
            };
            let line = format!("{} {verdict}", s.id);
            if !problems.contains(&line) {
                problems.push(line);
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// selfcheck.json

/// A rule a defect breaks, with its level.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// Rule ID.
    pub id: String,
    /// Level in the catalogue.
    pub level: Level,
    /// Whether the rule applies to the self-check's profile.
    pub in_profile: bool,
}

/// How one run ended.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its report folder, relative to the self-check's report folder.
    pub report_dir: String,
    /// The child's exit code (`None`: killed by a signal or stopped at the time limit).
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
    /// `rules` (a defect run selects its rules' scenarios) or `full`.
    pub selection: &'static str,
    /// Runs at once.
    pub jobs: u16,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, RFC 3339 UTC.
    pub finished_at: String,
    /// Wall time of the whole self-check, ms.
    pub duration_ms: u64,
    /// `passed` when the baseline passed and every applicable defect was killed.
    pub verdict: &'static str,
    /// Defect counts.
    pub counts: DefectCounts,
    /// The run without a defect.
    pub baseline: BaselineEntry,
    /// The kill matrix, in `defects.yaml` order.
    pub defects: Vec<DefectEntry>,
    /// Defects that survived, with the rules to strengthen.
    pub survivors: Vec<Survivor>,
}

impl SelfcheckReport {
    /// Whether the self-check passed.
    pub fn passed(&self) -> bool {
        self.verdict == "passed"
    }
}

// ---------------------------------------------------------------------------------------------
// Running

/// One child run.
#[derive(Debug, Clone)]
struct Job {
    defect: Option<Defect>,
    /// `--rule` selection (empty: every scenario).
    rules: Vec<String>,
    dir: PathBuf,
}

impl Job {
    fn label(&self) -> &'static str {
        self.defect.map_or(BASELINE, Defect::name)
    }
}

/// A finished child run.
#[derive(Debug)]
struct Finished {
    record: RunRecord,
    digest: Option<RunDigest>,
}

async fn run_child(job: &Job, args: &SelfcheckArgs) -> Finished {
    let started = Instant::now();
    let relative = Path::new(RUNS_DIR)
        .join(job.label())
        .to_string_lossy()
        .into_owned();
    let record = |exit_code, counts, error| RunRecord {
        report_dir: relative.clone(),
        exit_code,
        duration_ms: started.elapsed().as_millis() as u64,
        counts,
        error,
    };
    match spawn_and_wait(job, args).await {
        Err(e) => Finished {
            record: record(None, None, Some(format!("{e:#}"))),
            digest: None,
        },
        Ok(code) => {
            let digest = RunDigest::read(&job.dir);
            let error = match (code, &digest) {
                (_, Err(e)) => Some(format!("{e:#}")),
                (Some(0 | 1), Ok(_)) => None,
                (Some(c), Ok(_)) => Some(format!(
                    "the run exited with status {c} (see {}/console.txt)",
                    relative
                )),
                (None, Ok(_)) => Some("the run was stopped by a signal".into()),
            };
            let counts = digest.as_ref().ok().map(|d| d.counts.clone());
            Finished {
                record: record(code, counts, error.clone()),
                digest: if error.is_none() { digest.ok() } else { None },
            }
        }
    }
}

/// Starts `job` as a child process of this binary and waits for it; the exit code.
async fn spawn_and_wait(job: &Job, args: &SelfcheckArgs) -> anyhow::Result<Option<i32>> {
    if job.dir.exists() {
        std::fs::remove_dir_all(&job.dir)
            .with_context(|| format!("cannot clear {}", job.dir.display()))?;
    }
    std::fs::create_dir_all(&job.dir)
        .with_context(|| format!("cannot create {}", job.dir.display()))?;
    let console =
        std::fs::File::create(job.dir.join("console.txt")).context("cannot create console.txt")?;
    let exe = std::env::current_exe().context("cannot find this program's executable")?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("run")
        .arg("--features")
        .arg(&args.features)
        .arg("--report-dir")
        .arg(&job.dir)
        .args(["--progress", "off", "--profile", &args.profile]);
    if let Some(defect) = job.defect {
        command.args(["--holder-defect", defect.name()]);
    }
    for rule in &job.rules {
        command.args(["--rule", rule]);
    }
    // A defect changes payloads on purpose: never write or accept snapshots from these runs.
    command
        .env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS")
        .stdin(Stdio::null())
        .stdout(Stdio::from(console.try_clone()?))
        .stderr(Stdio::from(console))
        .kill_on_drop(true);
    let mut child = command.spawn().context("cannot start the run")?;
    let limit = Duration::from_secs(args.run_timeout);
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => Ok(status.context("waiting for the run")?.code()),
        Err(_) => {
            let _ = child.kill().await;
            anyhow::bail!(
                "the run took longer than {} s and was stopped",
                limit.as_secs()
            )
        }
    }
}

fn rule_refs(defect: Defect, catalogue: &Catalogue, profile: &str) -> Vec<RuleRef> {
    defect
        .rules()
        .iter()
        .map(|id| {
            let rule = catalogue.rule(id);
            RuleRef {
                id: id.clone(),
                level: rule.map_or(Level::Must, |r| r.level),
                in_profile: rule.is_some_and(|r| r.profiles.iter().any(|p| p == profile)),
            }
        })
        .collect()
}

/// Checks the options before anything runs; the catalogue and the defects to run.
fn prepare(args: &SelfcheckArgs) -> anyhow::Result<(Catalogue, Vec<Defect>)> {
    let catalogue = Catalogue::load(&args.features.join("catalogue.yaml"))?;
    catalogue.check_profile(&args.profile)?;
    Plan::load(&args.features, &catalogue)?;
    let defects: Vec<Defect> = if args.defects.is_empty() {
        Defect::ALL.to_vec()
    } else {
        Defect::ALL
            .iter()
            .copied()
            .filter(|d| args.defects.contains(d))
            .collect()
    };
    for d in &defects {
        if let Some(unknown) = d.rules().iter().find(|r| catalogue.rule(r).is_none()) {
            anyhow::bail!(
                "defect {d}: {unknown} is not in the catalogue (mock-holder/defects.yaml)"
            );
        }
    }
    Ok((catalogue, defects))
}

/// Runs the self-check; returns the process exit code.
pub async fn selfcheck(args: SelfcheckArgs) -> ExitCode {
    let (catalogue, defects) = match prepare(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            return ExitCode::from(2);
        }
    };
    match execute(&args, &catalogue, &defects).await {
        Ok(report) if report.passed() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn execute(
    args: &SelfcheckArgs,
    catalogue: &Catalogue,
    defects: &[Defect],
) -> anyhow::Result<SelfcheckReport> {
    let started_at = SystemTime::now();
    let clock = Instant::now();
    let runs_dir = args.report_dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs_dir)
        .with_context(|| format!("cannot create {}", runs_dir.display()))?;

    let applicable: Vec<Defect> = defects
        .iter()
        .copied()
        .filter(|d| {
            rule_refs(*d, catalogue, &args.profile)
                .iter()
                .any(|r| r.in_profile)
        })
        .collect();
    let mut jobs = vec![Job {
        defect: None,
        rules: Vec::new(),
        dir: runs_dir.join(BASELINE),
    }];
    for d in &applicable {
        jobs.push(Job {
            defect: Some(*d),
            rules: if args.full {
                Vec::new()
            } else {
                d.rules().to_vec()
            },
            dir: runs_dir.join(d.name()),
        });
    }
    println!(
        "selfcheck: the suite against the correct mock holder, then against {} defect(s) (profile {}, {}, {} at a time)",
        applicable.len(),
        args.profile,
        if args.full {
            "every scenario per defect"
        } else {
            "the scenarios of each defect's rules"
        },
        args.jobs
    );
    let total = jobs.len();
    let mut done = 0;
    let mut finished: BTreeMap<&'static str, Finished> = BTreeMap::new();
    let mut stream = futures::stream::iter(jobs.iter())
        .map(|job| async move { (job, run_child(job, args).await) })
        .buffer_unordered(args.jobs as usize);
    while let Some((job, result)) = stream.next().await {
        done += 1;
        let outcome = match (&result.record.error, &result.digest, job.defect) {
            (Some(e), _, _) => format!("error: {e}"),
            (None, Some(d), None) => {
                let problems = baseline_problems(d);
                if problems.is_empty() {
                    format!("passed ({} scenarios)", d.counts.scenarios)
                } else {
                    format!("NOT CLEAN: {}", problems.join(", "))
                }
            }
            (None, Some(d), Some(defect)) => {
                let j = judge(defect.rules(), d);
                match j.verdict() {
                    DefectVerdict::Killed => format!("killed by {}", catch_list(&j.caught_by)),
                    _ => format!("SURVIVED: no failing scenario of {}", j.uncaught.join(", ")),
                }
            }
            (None, None, _) => "error: no summary".into(),
        };
        println!(
            "[{done}/{total}] {} {outcome} ({:.1} s)",
            job.label(),
            result.record.duration_ms as f64 / 1000.0
        );
        finished.insert(job.label(), result);
    }
    drop(stream);

    let report = assemble(
        args,
        catalogue,
        defects,
        &mut finished,
        started_at,
        clock.elapsed(),
    );
    print_matrix(&report);
    write_outputs(&args.report_dir, &report)?;
    println!(
        "reports: {} and {}",
        args.report_dir.join(JSON_FILE).display(),
        args.report_dir.join(HTML_FILE).display()
    );
    println!("{}", closing_line(&report));
    Ok(report)
}

fn catch_list(caught_by: &[Catch]) -> String {
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

fn assemble(
    args: &SelfcheckArgs,
    catalogue: &Catalogue,
    defects: &[Defect],
    finished: &mut BTreeMap<&'static str, Finished>,
    started_at: SystemTime,
    elapsed: Duration,
) -> SelfcheckReport {
    let baseline = match finished.remove(BASELINE) {
        Some(Finished {
            record,
            digest: Some(digest),
        }) => {
            let problems = baseline_problems(&digest);
            BaselineEntry {
                verdict: if problems.is_empty() {
                    "passed"
                } else {
                    "failed"
                },
                run: record,
                problems,
            }
        }
        Some(Finished { record, .. }) => BaselineEntry {
            verdict: "error",
            problems: vec![record.error.clone().unwrap_or_default()],
            run: record,
        },
        None => BaselineEntry {
            verdict: "error",
            problems: vec!["the baseline did not run".into()],
            run: RunRecord {
                report_dir: format!("{RUNS_DIR}/{BASELINE}"),
                exit_code: None,
                duration_ms: 0,
                counts: None,
                error: None,
            },
        },
    };
    let mut entries = Vec::new();
    let mut counts = DefectCounts {
        defects: defects.len(),
        ..DefectCounts::default()
    };
    for &defect in defects {
        let rules = rule_refs(defect, catalogue, &args.profile);
        let in_profile: Vec<String> = rules
            .iter()
            .filter(|r| r.in_profile)
            .map(|r| r.id.clone())
            .collect();
        let mut entry = DefectEntry {
            name: defect.name().to_string(),
            description: defect.description().to_string(),
            rules,
            verdict: DefectVerdict::NotApplicable,
            caught_by: Vec::new(),
            uncaught_rules: Vec::new(),
            collateral: Vec::new(),
            run: None,
        };
        if !in_profile.is_empty() {
            counts.applicable += 1;
            match finished.remove(defect.name()) {
                Some(Finished {
                    record,
                    digest: Some(digest),
                }) => {
                    let j = judge(&in_profile, &digest);
                    entry.verdict = j.verdict();
                    entry.caught_by = j.caught_by;
                    entry.uncaught_rules = j.uncaught;
                    entry.collateral = j.collateral;
                    entry.run = Some(record);
                }
                Some(Finished { record, .. }) => {
                    entry.verdict = DefectVerdict::Error;
                    entry.run = Some(record);
                }
                None => entry.verdict = DefectVerdict::Error,
            }
        }
        match entry.verdict {
            DefectVerdict::Killed => counts.killed += 1,
            DefectVerdict::Survived => counts.survived += 1,
            DefectVerdict::Error => counts.errors += 1,
            DefectVerdict::NotApplicable => counts.not_applicable += 1,
        }
        entries.push(entry);
    }
    let survivors: Vec<Survivor> = entries
        .iter()
        .filter(|e| e.verdict == DefectVerdict::Survived)
        .map(|e| Survivor {
            defect: e.name.clone(),
            rules: e.uncaught_rules.clone(),
        })
        .collect();
    let passed = baseline.verdict == "passed" && counts.survived == 0 && counts.errors == 0;
    SelfcheckReport {
        schema: SCHEMA,
        version: 1,
        tool: Tool {
            name: "dcr-conformance",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile: args.profile.clone(),
        selection: if args.full { "full" } else { "rules" },
        jobs: args.jobs,
        started_at: rfc3339(started_at),
        finished_at: rfc3339(SystemTime::now()),
        duration_ms: elapsed.as_millis() as u64,
        verdict: if passed { "passed" } else { "failed" },
        counts,
        baseline,
        defects: entries,
        survivors,
    }
}

/// `1m 05s`, `42.3 s`.
pub fn human_duration(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// The kill matrix as console lines (no trailing newline).
pub fn matrix_lines(report: &SelfcheckReport) -> Vec<String> {
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

/// `selfcheck: PASSED: 80/80 defects killed, 0 survived; baseline passed; 2m 31s (-j 2)`.
pub fn closing_line(report: &SelfcheckReport) -> String {
    let c = &report.counts;
    format!(
        "selfcheck: {}: {}/{} defects killed, {} survived, {} errors; baseline {}; wall time {} (-j {})",
        report.verdict.to_uppercase(),
        c.killed,
        c.applicable,
        c.survived,
        c.errors,
        report.baseline.verdict,
        human_duration(report.duration_ms),
        report.jobs
    )
}

fn print_matrix(report: &SelfcheckReport) {
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

fn write_outputs(dir: &Path, report: &SelfcheckReport) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    let path = dir.join(JSON_FILE);
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    let page = crate::report::html::render_selfcheck(report)?;
    let path = dir.join(HTML_FILE);
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(id: &str, rules: &[&str], verdict: ScenarioVerdict) -> RunScenario {
        RunScenario {
            id: id.into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            verdict,
        }
    }

    fn run(scenarios: Vec<RunScenario>) -> RunDigest {
        RunDigest {
            counts: RunCounts::default(),
            scenarios,
            parse_errors: Vec::new(),
        }
    }

    fn rules(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|r| r.to_string()).collect()
    }

    use ScenarioVerdict::{Failed, Passed, Skipped, Warning};

    #[test]
    fn a_failing_scenario_tagged_with_the_rule_kills_the_defect() {
        let j = judge(
            &rules(&["DCR-REQ-024"]),
            &run(vec![
                scenario("SSA-004", &["DCR-REQ-024"], Failed),
                scenario("SSA-004", &["DCR-REQ-024"], Failed),
                scenario("SSA-005", &["DCR-REQ-024"], Passed),
            ]),
        );
        assert_eq!(j.verdict(), DefectVerdict::Killed);
        assert_eq!(
            j.caught_by,
            vec![Catch {
                rule: "DCR-REQ-024".into(),
                scenarios: vec!["SSA-004".into()]
            }],
            "outline rows are listed once"
        );
        assert!(j.uncaught.is_empty() && j.collateral.is_empty());
    }

    #[test]
    fn a_warning_counts_as_caught_but_a_skip_does_not() {
        let warned = judge(
            &rules(&["DCR-REQ-020"]),
            &run(vec![scenario("MGT-029", &["DCR-REQ-020"], Warning)]),
        );
        assert_eq!(warned.verdict(), DefectVerdict::Killed);
        let skipped = judge(
            &rules(&["DCR-REQ-020"]),
            &run(vec![scenario("MGT-029", &["DCR-REQ-020"], Skipped)]),
        );
        assert_eq!(skipped.verdict(), DefectVerdict::Survived);
        assert_eq!(skipped.uncaught, rules(&["DCR-REQ-020"]));
    }

    #[test]
    fn a_no_op_defect_where_everything_passes_survives() {
        let j = judge(
            &rules(&["DCR-REQ-073"]),
            &run(vec![scenario("MGT-004", &["DCR-REQ-073"], Passed)]),
        );
        assert_eq!(j.verdict(), DefectVerdict::Survived);
        assert_eq!(j.uncaught, rules(&["DCR-REQ-073"]));
    }

    #[test]
    fn failures_under_other_rules_are_collateral_not_kills() {
        let j = judge(
            &rules(&["DCR-REQ-062"]),
            &run(vec![
                scenario("REG-020", &["DCR-REQ-065"], Failed),
                scenario("MGT-001", &["DCR-REQ-078"], Warning),
                scenario("REG-001", &["DCR-REQ-060", "DCR-REQ-062"], Passed),
            ]),
        );
        assert_eq!(j.verdict(), DefectVerdict::Survived);
        assert_eq!(j.collateral, rules(&["MGT-001", "REG-020"]));
    }

    #[test]
    fn every_rule_of_a_defect_must_be_caught() {
        let rs = rules(&["DCR-REQ-079", "DCR-REQ-088"]);
        let partly = judge(
            &rs,
            &run(vec![
                scenario("LIF-004", &["DCR-REQ-079"], Failed),
                scenario("LIF-003", &["DCR-REQ-088"], Passed),
            ]),
        );
        assert_eq!(partly.verdict(), DefectVerdict::Survived);
        assert_eq!(partly.uncaught, rules(&["DCR-REQ-088"]));
        assert_eq!(partly.caught_by.len(), 1);
        let fully = judge(
            &rs,
            &run(vec![
                scenario("LIF-004", &["DCR-REQ-079"], Failed),
                scenario("LIF-003", &["DCR-REQ-088"], Warning),
            ]),
        );
        assert_eq!(fully.verdict(), DefectVerdict::Killed);
    }

    #[test]
    fn a_scenario_proving_two_rules_of_the_defect_catches_both() {
        let j = judge(
            &rules(&["DCR-REQ-080", "DCR-REQ-022"]),
            &run(vec![scenario(
                "MGT-024",
                &["DCR-REQ-080", "DCR-REQ-022"],
                Failed,
            )]),
        );
        assert_eq!(j.verdict(), DefectVerdict::Killed);
        assert_eq!(j.caught_by.len(), 2);
    }

    #[test]
    fn the_baseline_must_pass_without_warnings_or_skips() {
        assert!(baseline_problems(&run(vec![scenario("A-1", &["R"], Passed)])).is_empty());
        assert_eq!(
            baseline_problems(&run(vec![
                scenario("A-1", &["R"], Passed),
                scenario("A-2", &["R"], Warning),
                scenario("A-3", &["R"], Failed),
                scenario("A-3", &["R"], Failed),
                scenario("A-4", &["R"], Skipped),
            ])),
            vec!["A-2 warning", "A-3 failed", "A-4 skipped"]
        );
        assert_eq!(baseline_problems(&run(vec![])), vec!["no scenario ran"]);
    }

    #[test]
    fn a_summary_json_is_read_back() {
        let text = r#"{"schema":"dcr-conformance/summary","counts":{"scenarios":2,"passed":1,"failed":1,"warning":0,"skipped":0},
            "scenarios":[{"id":"SSA-004","name":"x","rules":["DCR-REQ-024"],"verdict":"failed","steps":[]},
                         {"id":"SSA-005","name":"y","rules":["DCR-REQ-024"],"verdict":"passed"}]}"#;
        let digest: RunDigest = serde_json::from_str(text).expect("parses");
        assert_eq!(digest.counts.failed, 1);
        assert_eq!(
            judge(&rules(&["DCR-REQ-024"]), &digest).verdict(),
            DefectVerdict::Killed
        );
    }

    fn finished(scenarios: Vec<RunScenario>) -> Finished {
        Finished {
            record: RunRecord {
                report_dir: "selfcheck/x".into(),
                exit_code: Some(1),
                duration_ms: 1000,
                counts: Some(RunCounts::default()),
                error: None,
            },
            digest: Some(run(scenarios)),
        }
    }

    #[test]
    fn a_survivor_fails_the_self_check_and_names_its_rule_everywhere() {
        let args = SelfcheckArgs {
            jobs: 2,
            features: runner::default_features_dir(),
            report_dir: std::env::temp_dir(),
            profile: "cds-au".into(),
            full: false,
            defects: Vec::new(),
            run_timeout: 300,
        };
        let catalogue = Catalogue::load(&args.features.join("catalogue.yaml")).expect("catalogue");
        let defects = [
            Defect::AuthorizationCodeGrantOptional,
            Defect::SkipHolderOfKey,
            Defect::AcceptExpiredSsa,
        ];
        let mut runs = BTreeMap::from([
            (
                BASELINE,
                finished(vec![scenario("MGT-004", &["DCR-REQ-073"], Passed)]),
            ),
            (
                Defect::SkipHolderOfKey.name(),
                finished(vec![scenario("MGT-004", &["DCR-REQ-073"], Passed)]),
            ),
            (
                Defect::AcceptExpiredSsa.name(),
                finished(vec![scenario("SSA-004", &["DCR-REQ-024"], Failed)]),
            ),
        ]);
        let report = assemble(
            &args,
            &catalogue,
            &defects,
            &mut runs,
            SystemTime::now(),
            Duration::from_secs(90),
        );
        assert!(!report.passed());
        assert_eq!(report.baseline.verdict, "passed");
        assert_eq!(
            (
                report.counts.applicable,
                report.counts.killed,
                report.counts.survived,
                report.counts.not_applicable
            ),
            (2, 1, 1, 1),
            "the IMPL defect is not applicable under cds-au"
        );
        assert_eq!(report.survivors.len(), 1);
        assert_eq!(report.survivors[0].rules, rules(&["DCR-REQ-073"]));
        let lines = matrix_lines(&report).join("\n");
        assert!(
            lines.contains("skip-holder-of-key") && lines.contains("SURVIVED"),
            "{lines}"
        );
        assert!(
            closing_line(&report).starts_with("selfcheck: FAILED: 1/2 defects killed, 1 survived")
        );
        let page = crate::report::html::render_selfcheck(&report).expect("renders");
        assert!(
            page.contains("DCR-REQ-073 not caught"),
            "the page names the rule"
        );
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["schema"], SCHEMA);
        assert_eq!(json["defects"][1]["verdict"], "survived");
        assert_eq!(json["defects"][0]["verdict"], "not_applicable");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human_duration(42_300), "42.3 s");
        assert_eq!(human_duration(151_000), "2m 31s");
    }
}
