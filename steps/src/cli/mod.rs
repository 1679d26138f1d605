//! The `dcr-conformance` command line.
//!
//! Exit codes: 0 when every applicable scenario passed, 1 on conformance failures, 2 on a usage
//! or configuration error (with a message naming the problem).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use anyhow::Context as _;

use crate::catalogue::source::FeaturesSource;
use crate::environment::Environment;
use crate::environment::target::Target;
use crate::run::runner::{self, RunOptions};

mod snapshots;

/// Conformance suite for CDR Dynamic Client Registration (Data Holder side).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the suite. Without a target, against the embedded mock holder (nothing to configure).
    Run(RunArgs),
    /// Check a target file and the holder it names before a run: TLS with each recipient's
    /// certificate, discovery, published keys, software statements, clock offset.
    /// Exit 0 every check passed, 1 a check failed, 2 the target file is unusable.
    Doctor(DoctorArgs),
    /// Check the detached signature of a summary.json written by `run --sign-with`.
    /// Exit 0 valid, 1 invalid, 2 usage error (unreadable file, unusable key).
    VerifyReport(VerifyArgs),
    /// Decode a registration request or software statement (JWT, file or - for stdin) and check
    /// its claims against a profile offline. Exit 0 no failure, 1 failures, 2 usage error.
    Inspect(InspectArgs),
    /// List the profiles (one per DCR flavour): what each checks, from which sources, and how
    /// it differs from the profile it extends. Exit 0, or 2 when a profile file is unusable.
    Profiles(ProfilesArgs),
    /// Prove that the suite fails a wrong holder: run it against the correct embedded mock
    /// holder (everything must pass), then once per defect of mock-holder/defects.yaml (a
    /// scenario of each rule the defect breaks must fail), and report the kill matrix.
    /// Exit 0 every defect killed, 1 a defect survived or the baseline failed, 2 usage error.
    Selfcheck(crate::selfcheck::SelfcheckArgs),
    /// The payloads a run wrote for review (`.snap.new`, when a holder's answer changed): list,
    /// review one by one, accept or reject them. Exit 0 done, 2 a file could not be changed.
    Snapshots(snapshots::SnapshotsArgs),
    /// The features built into this binary (feature files, catalogue.yaml, profiles/).
    #[command(subcommand)]
    Features(FeaturesCommand),
}

#[derive(Debug, Subcommand)]
enum FeaturesCommand {
    /// Write an editable copy of the built-in features into DIR (created when missing), to
    /// run with `run --features DIR`. Exit 0 written, 2 DIR not empty (without --force) or not
    /// writable.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The folder to write into: new or empty, unless --force.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Write into a folder that holds files already: the built-in features' files are
    /// overwritten, any other file is kept (and listed).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// A compact JWT, a file holding one (or text with JWTs in it, or a JSON object of claims),
    /// or - for standard input.
    #[arg(value_name = "JWT|FILE")]
    input: String,
    /// Profile to check against (one per DCR flavour; `dcr-conformance profiles` lists them).
    #[arg(long, value_name = "NAME", default_value = "cds-au")]
    profile: String,
    /// Time reference for iat/exp: Unix seconds or RFC 3339 (default: the system clock).
    #[arg(long, value_name = "TIME", value_parser = crate::inspect::parse_now)]
    now: Option<i64>,
    /// Clock skew a holder is assumed to allow, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(i64).range(0..=3600))]
    skew: i64,
    /// The holder's issuer (from its discovery document), to compare the request's aud with.
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// Output: text for people, json for machines.
    #[arg(long, value_enum, default_value_t = crate::inspect::Format::Text)]
    format: crate::inspect::Format,
    /// Folder holding catalogue.yaml and profiles/ [default: the features built into this
    /// binary; `dcr-conformance features export DIR` writes an editable copy].
    #[arg(long, value_name = "DIR")]
    features: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ProfilesArgs {
    /// Folder holding catalogue.yaml and profiles/ [default: the features built into this
    /// binary; `dcr-conformance features export DIR` writes an editable copy].
    #[arg(long, value_name = "DIR")]
    features: Option<PathBuf>,
    /// Also list every rule setting that differs from the catalogue.
    #[arg(long, short = 'v')]
    verbose: bool,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// The summary.json that was signed (its exact bytes are checked).
    #[arg(long, value_name = "FILE")]
    summary: PathBuf,
    /// The detached JWS (`summary.json.jws`).
    #[arg(long, value_name = "FILE")]
    signature: PathBuf,
    /// The public key: a JWK or a JWKS (JSON) file.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
}

#[derive(Debug, clap::Args)]
struct DoctorArgs {
    /// The target file (YAML) describing the holder and the recipients the suite acts as.
    #[arg(long, value_name = "FILE")]
    target: PathBuf,
    /// Per-request timeout in seconds (default: the target file's run.timeout_seconds, or 10).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Run against the Data Holder a target file describes (see vectors/targets/ and the
    /// README) instead of the embedded mock holder. Scenarios needing what the file cannot
    /// provide are skipped with the reason.
    #[arg(long, value_name = "FILE")]
    target: Option<PathBuf>,
    /// Folder of feature files, catalogue.yaml and profiles/ [default: the features built into
    /// this binary; `dcr-conformance features export DIR` writes an editable copy].
    #[arg(long, value_name = "DIR")]
    features: Option<PathBuf>,
    /// Where to write the reports (summary.json, junit.xml, cucumber.json, report.html).
    #[arg(long, value_name = "DIR", default_value = runner::DEFAULT_REPORT_DIR)]
    report_dir: PathBuf,
    /// Folder holding one snapshot folder per target (<DIR>/<target>/<profile>/)
    /// [default: snapshots/ beside the --target file, else ./snapshots].
    #[arg(long, value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Compare no snapshots (neither the named payload snapshots nor each scenario's
    /// exchanges) and record none: for a run whose verdicts alone matter.
    #[arg(long)]
    no_snapshots: bool,
    /// Sign summary.json with this private JWK (PS256 or ES256, with kid and alg): writes the
    /// detached JWS summary.json.jws; check it with `verify-report`.
    #[arg(long, value_name = "JWK_FILE")]
    sign_with: Option<PathBuf>,
    /// Console progress: auto (a bar on a terminal, plain lines in CI or without a terminal),
    /// bar (failures printed above it, no step transcript), lines (step transcript and a line
    /// per scenario), off (step transcript only).
    #[arg(long, value_enum, default_value_t = crate::run::progress::ProgressMode::Auto)]
    progress: crate::run::progress::ProgressMode,
    /// Only scenarios matching this cucumber tag expression, e.g. '@MUST and not @slow'.
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// Only scenarios whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    name: Option<regex::Regex>,
    /// Only scenarios proving this rule (repeatable), e.g. --rule DCR-REQ-022.
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Only the scenarios (outline rows) that failed or warned in the summary.json of the
    /// report folder, the last run's; combines with the other selections.
    #[arg(long)]
    rerun_failed: bool,
    /// Scenarios run at once [default: the target file's run.concurrency, or 4]. Targets with
    /// fixed software statements run one scenario at a time.
    #[arg(long, short = 'c', value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: Option<u16>,
    /// Per-request timeout in seconds [default: the target file's run.timeout_seconds, or 10].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: Option<u64>,
    /// Profile to check against, one per DCR flavour (`dcr-conformance profiles` lists them);
    /// without a target, the embedded mock holder runs in the profile's flavour
    /// [default: the target file's run.profile, or cds-au].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Treat SHOULD and REC failures as failures (otherwise they are warnings).
    #[arg(long)]
    strict: bool,
    /// More console detail (-v: docstrings; -vv: also the World of a failed scenario).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Start the embedded mock holder with this defect (used by `selfcheck`).
    #[arg(long, value_name = "NAME", hide = true)]
    holder_defect: Option<mock_holder::Defect>,
    /// Start the embedded mock holder in this flavour instead of the profile's (used by
    /// `selfcheck`).
    #[arg(long, value_name = "NAME", hide = true)]
    holder_flavour: Option<mock_holder::Flavour>,
    /// The embedded recipients sign with these algorithms in turn instead of the profile's
    /// (repeatable; used by `selfcheck`).
    #[arg(long, value_name = "ALG", hide = true)]
    holder_signing_alg: Vec<dcr_vectors::SigningAlg>,
    /// Start the embedded mock holder with this variation (repeatable; used by `selfcheck`).
    #[arg(long, value_name = "NAME", hide = true)]
    holder_variation: Vec<mock_holder::Variation>,
}

/// Parses `args` and runs the command; returns the process exit code.
pub async fn main_with(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::Doctor(args) => doctor(&args).await,
        Command::VerifyReport(args) => verify_report(&args),
        Command::Inspect(args) => crate::inspect::command(&crate::inspect::Invocation {
            input: args.input,
            features: FeaturesSource::from(args.features),
            profile: args.profile,
            now: args.now,
            skew: args.skew,
            issuer: args.issuer,
            format: args.format,
        }),
        Command::Selfcheck(args) => crate::selfcheck::selfcheck(args).await,
        Command::Profiles(args) => profiles(&args),
        Command::Snapshots(args) => snapshots::command(&args),
        Command::Features(FeaturesCommand::Export(args)) => export(&args),
    }
}

/// `dcr-conformance features export DIR`.
fn export(args: &ExportArgs) -> ExitCode {
    match crate::catalogue::source::export(&args.dir, args.force) {
        Ok(done) => {
            let count = |ending: &str| {
                done.written
                    .iter()
                    .filter(|p| p.extension().is_some_and(|e| e == ending))
                    .count()
            };
            println!(
                "wrote the built-in features into {}: {} files ({} feature files, {} YAML files: catalogue.yaml and the profiles, {} READMEs)",
                args.dir.display(),
                done.written.len(),
                count("feature"),
                count("yaml"),
                count("md"),
            );
            if !done.kept.is_empty() {
                println!(
                    "kept {} other file(s) that were there (any .feature among them runs too):",
                    done.kept.len()
                );
                for path in &done.kept {
                    println!("  {}", path.display());
                }
            }
            println!(
                "run them with: dcr-conformance run --features {}",
                args.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dcr-conformance: {}", crate::redact::chain::chain(&e));
            ExitCode::from(2)
        }
    }
}

/// `dcr-conformance profiles`.
fn profiles(args: &ProfilesArgs) -> ExitCode {
    let listed = FeaturesSource::from(args.features.clone())
        .dir()
        .and_then(|dir| crate::catalogue::Catalogue::load(&dir))
        .and_then(|catalogue| {
            let mut out = String::new();
            for name in catalogue.profile_names() {
                let profile = catalogue.profile(name)?;
                out.push_str(&crate::catalogue::profile::describe(&profile, args.verbose));
                out.push('\n');
            }
            Ok(out)
        });
    match listed {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dcr-conformance: {}", crate::redact::chain::chain(&e));
            ExitCode::from(2)
        }
    }
}

fn verify_report(args: &VerifyArgs) -> ExitCode {
    use crate::report::sign::{VerifyError, verify_detached};
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|e| eprintln!("dcr-conformance: cannot read {}: {e}", p.display()))
    };
    let (Ok(summary), Ok(signature), Ok(key)) =
        (read(&args.summary), read(&args.signature), read(&args.key))
    else {
        return ExitCode::from(2);
    };
    let signature = String::from_utf8_lossy(&signature);
    match verify_detached(&summary, &signature, &String::from_utf8_lossy(&key)) {
        Ok(ok) => {
            println!(
                "valid: {} is signed by key {} ({})",
                args.summary.display(),
                ok.kid.as_deref().unwrap_or("without kid"),
                ok.alg
            );
            ExitCode::SUCCESS
        }
        Err(VerifyError::Invalid(why)) => {
            println!("INVALID: {}: {why}", args.summary.display());
            ExitCode::from(1)
        }
        Err(VerifyError::Key(why)) => {
            eprintln!("dcr-conformance: --key {}: {why}", args.key.display());
            ExitCode::from(2)
        }
    }
}

/// Loads a target file, printing its problems (exit 2) when it is unusable.
fn load_target(path: &std::path::Path) -> Result<Target, ExitCode> {
    Target::load(path).map_err(|e| {
        eprintln!("dcr-conformance: {e}");
        ExitCode::from(2)
    })
}

async fn doctor(args: &DoctorArgs) -> ExitCode {
    let target = match load_target(&args.target) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let timeout = Duration::from_secs(
        args.timeout
            .or(target.timeout.map(|t| t.as_secs()))
            .unwrap_or(10),
    );
    let report = crate::environment::doctor::run(target, timeout).await;
    print!("{}", report.render());
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let only = if args.rerun_failed {
        match crate::run::rerun::last_failures(&args.report_dir) {
            Ok(rerun) if rerun.locations.is_empty() => {
                println!(
                    "nothing to rerun: {} has no failed or warning scenario",
                    args.report_dir.join("summary.json").display()
                );
                return ExitCode::SUCCESS;
            }
            Ok(rerun) => {
                println!(
                    "rerunning {} scenario(s) that failed or warned in {}: {}",
                    rerun.keys.len(),
                    args.report_dir.join("summary.json").display(),
                    rerun.keys.join(", ")
                );
                Some(rerun.locations)
            }
            Err(e) => {
                eprintln!("dcr-conformance: {}", crate::redact::chain::chain(&e));
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let target = match args.target.as_deref().map(load_target).transpose() {
        Ok(t) => t,
        Err(code) => return code,
    };
    let from_file = |f: fn(&Target) -> Option<u64>| target.as_ref().and_then(f);
    let timeout = Duration::from_secs(
        args.timeout
            .or(from_file(|t| t.timeout.map(|d| d.as_secs())))
            .unwrap_or(10),
    );
    let concurrency = args
        .concurrency
        .or(target.as_ref().and_then(|t| t.concurrency))
        .unwrap_or(4);
    let profile = args
        .profile
        .clone()
        .or(target.as_ref().and_then(|t| t.profile.clone()))
        .unwrap_or_else(|| "cds-au".into());
    let sign_with = match args.sign_with.as_deref().map(crate::report::sign::load_key) {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(e)) => {
            eprintln!(
                "dcr-conformance: --sign-with: {}",
                crate::redact::chain::chain(&e)
            );
            return ExitCode::from(2);
        }
    };
    let snapshot_root = args
        .snapshots
        .unwrap_or_else(|| runner::default_snapshot_root(args.target.as_deref()));
    let options = RunOptions {
        features: FeaturesSource::from(args.features),
        report_dir: args.report_dir,
        snapshot_root,
        tags: args.tags,
        name: args.name,
        rules: args.rules,
        concurrency: concurrency as usize,
        verbose: args.verbose,
        profile,
        strict: args.strict,
        progress: args.progress,
        sign_with,
        console: runner::Console::Stdout,
        // A holder showing variations is another target than the one whose snapshots are
        // stored (the self-check's variation runs): its snapshots are not compared. A holder
        // with a defect answers wrongly on purpose: its payloads are compared, never recorded.
        snapshots: if !args.holder_variation.is_empty() || args.no_snapshots {
            crate::scenario::snapshot::SnapshotMode::Skip
        } else if args.holder_defect.is_some() {
            crate::scenario::snapshot::SnapshotMode::CompareOnly
        } else {
            crate::scenario::snapshot::SnapshotMode::Review
        },
        // The same for every scenario's exchanges; and a defect (the self-check's child runs)
        // must be killed by its rules' checks, not by a payload that changed.
        scenario_snapshots: if args.holder_variation.is_empty()
            && args.holder_defect.is_none()
            && !args.no_snapshots
        {
            crate::scenario::snapshot::SnapshotMode::Review
        } else {
            crate::scenario::snapshot::SnapshotMode::Skip
        },
        only,
    };
    let env = match target {
        None => match embedded_holder(&options.features, &options.profile, args.holder_defect) {
            Ok(mut holder) => {
                if let Some(flavour) = args.holder_flavour {
                    holder.flavour = flavour;
                }
                if !args.holder_signing_alg.is_empty() {
                    holder.signing_algs = args.holder_signing_alg;
                }
                holder.variations = args.holder_variation;
                Environment::embedded_with(timeout, &holder)
                    .await
                    .context("cannot start the embedded environment")
            }
            Err(e) => Err(e),
        },
        Some(_)
            if args.holder_defect.is_some()
                || args.holder_flavour.is_some()
                || !args.holder_signing_alg.is_empty()
                || !args.holder_variation.is_empty() =>
        {
            Err(anyhow::anyhow!(
                "--holder-defect, --holder-flavour, --holder-signing-alg and --holder-variation apply to the embedded mock holder only, not to a --target"
            ))
        }
        Some(target) => {
            let path = target.path.display().to_string();
            Environment::from_target(target, timeout)
                .await
                .with_context(|| format!("cannot set up the target of {path} (`dcr-conformance doctor --target {path}` checks it)"))
        }
    };
    let env = match env {
        Ok(env) => env,
        Err(e) => {
            eprintln!("dcr-conformance: {}", crate::redact::chain::chain(&e));
            return ExitCode::from(2);
        }
    };
    run_in(env, &options).await
}

/// The mock holder an embedded run of `profile` starts, with `defect` (see
/// [`crate::environment::embedded::HolderSetup::for_profile`]).
///
/// # Errors
/// When the profile cannot be loaded, or names a flavour the mock holder does not emulate.
fn embedded_holder(
    features: &FeaturesSource,
    profile: &str,
    defect: Option<mock_holder::Defect>,
) -> anyhow::Result<crate::environment::embedded::HolderSetup> {
    let catalogue = crate::catalogue::Catalogue::load(&features.dir()?)?;
    let profile = catalogue.profile(profile)?;
    Ok(crate::environment::embedded::HolderSetup {
        defect,
        ..crate::environment::embedded::HolderSetup::for_profile(&profile)?
    })
}

/// Runs `options` in `env`, prints the closing line, and maps the outcome to an exit code.
pub async fn run_in(env: std::sync::Arc<Environment>, options: &RunOptions) -> ExitCode {
    let outcome = match runner::run(env, options).await {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("dcr-conformance: {}", crate::redact::chain::chain(&e));
            return ExitCode::from(2);
        }
    };
    let written = crate::report::write_reports(
        &options.report_dir,
        &outcome.meta,
        &outcome.catalogue,
        &outcome.results,
        &outcome.assessment,
        options.sign_with.as_ref(),
    );
    match written {
        Ok(_) => {
            if !outcome.new_snapshots.is_empty() {
                println!(
                    "snapshots: {} new, recorded as this target's baseline (none was stored); review them, they are compared from the next run on:",
                    outcome.new_snapshots.len()
                );
                let cwd = std::env::current_dir().unwrap_or_default();
                for path in &outcome.new_snapshots {
                    println!("  {}", crate::run::console::shown(path, &cwd));
                }
            }
            print!(
                "{}",
                crate::report::closing_text(
                    &outcome.assessment,
                    &options.report_dir,
                    options.sign_with.is_some()
                )
            );
            if outcome.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("dcr-conformance: {}", crate::redact::chain::chain(&e));
            ExitCode::from(2)
        }
    }
}
