//! The `dcr-conformance` command line.
//!
//! Exit codes: 0 when every applicable scenario passed, 1 on conformance failures, 2 on a usage
//! or configuration error (with a message naming the problem).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::env::Env;
use crate::runner::{self, RunOptions};

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
    /// Check the detached signature of a summary.json written by `run --sign-with`.
    /// Exit 0 valid, 1 invalid, 2 usage error (unreadable file, unusable key).
    VerifyReport(VerifyArgs),
    /// Prove that the suite fails a wrong holder: run it against the correct embedded mock
    /// holder (everything must pass), then once per defect of mock-holder/defects.yaml (a
    /// scenario of each rule the defect breaks must fail), and report the kill matrix.
    /// Exit 0 every defect killed, 1 a defect survived or the baseline failed, 2 usage error.
    Selfcheck(crate::selfcheck::SelfcheckArgs),
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
struct RunArgs {
    /// Folder of feature files and `catalogue.yaml`.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_features_dir())]
    features: PathBuf,
    /// Where to write the reports (summary.json, junit.xml, cucumber.json, report.html).
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_report_dir())]
    report_dir: PathBuf,
    /// Folder holding one snapshot folder per target.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_snapshot_root())]
    snapshots: PathBuf,
    /// Sign summary.json with this private JWK (PS256 or ES256, with kid and alg): writes the
    /// detached JWS summary.json.jws; check it with `verify-report`.
    #[arg(long, value_name = "JWK_FILE")]
    sign_with: Option<PathBuf>,
    /// Console progress: auto (a bar on a terminal, plain lines in CI or without a terminal),
    /// bar (failures printed above it, no step transcript), lines (step transcript and a line
    /// per scenario), off (step transcript only).
    #[arg(long, value_enum, default_value_t = crate::report::progress::ProgressMode::Auto)]
    progress: crate::report::progress::ProgressMode,
    /// Only scenarios matching this cucumber tag expression, e.g. '@MUST and not @slow'.
    #[arg(long, value_name = "EXPR")]
    tags: Option<String>,
    /// Only scenarios whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    name: Option<regex::Regex>,
    /// Only scenarios proving this rule (repeatable), e.g. --rule DCR-REQ-022.
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Scenarios run at once.
    #[arg(long, short = 'c', default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
    /// Catalogue profile to check against: cds-au (the standards) or mock-compat (also the
    /// reference implementation's exact strings and choices, IMPL rules).
    #[arg(long, value_name = "NAME", default_value = "cds-au")]
    profile: String,
    /// Treat SHOULD and REC failures as failures (otherwise they are warnings).
    #[arg(long)]
    strict: bool,
    /// More console detail (-v: docstrings; -vv: also the World of a failed scenario).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Start the embedded mock holder with this defect (used by `selfcheck`).
    #[arg(long, value_name = "NAME", hide = true)]
    holder_defect: Option<mock_holder::Defect>,
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
        Command::VerifyReport(args) => verify_report(&args),
        Command::Selfcheck(args) => crate::selfcheck::selfcheck(args).await,
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

async fn run(args: RunArgs) -> ExitCode {
    let timeout = Duration::from_secs(args.timeout);
    let sign_with = match args.sign_with.as_deref().map(crate::report::sign::load_key) {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(e)) => {
            eprintln!("dcr-conformance: --sign-with: {e:#}");
            return ExitCode::from(2);
        }
    };
    let options = RunOptions {
        features: args.features,
        report_dir: args.report_dir,
        snapshot_root: args.snapshots,
        tags: args.tags,
        name: args.name,
        rules: args.rules,
        concurrency: args.concurrency as usize,
        verbose: args.verbose,
        profile: args.profile,
        strict: args.strict,
        progress: args.progress,
        sign_with,
    };
    let env = match Env::embedded_with(timeout, args.holder_defect).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("dcr-conformance: cannot start the embedded environment: {e:#}");
            return ExitCode::from(2);
        }
    };
    run_in(env, &options).await
}

/// Runs `options` in `env`, prints the closing line, and maps the outcome to an exit code.
pub async fn run_in(env: std::sync::Arc<Env>, options: &RunOptions) -> ExitCode {
    match runner::run(env, options).await {
        Ok(outcome) => {
            let a = &outcome.assessment;
            let warnings: Vec<_> = a
                .scenarios
                .iter()
                .filter(|s| s.verdict == crate::verdict::Verdict::Warning)
                .collect();
            if !warnings.is_empty() {
                println!(
                    "warnings: {} scenario(s) failed a SHOULD/REC/MAY rule (--strict makes SHOULD/REC failures fail the run):",
                    warnings.len()
                );
                for w in warnings {
                    println!("  {} {} [{}]", w.id, w.name, w.rules.join(", "));
                }
            }
            let gaps = a.not_covered();
            if gaps.is_empty() {
                println!(
                    "coverage: every testable rule of profile {} has a scenario",
                    a.profile
                );
            } else {
                println!(
                    "coverage: {} rule(s) of profile {} have no scenario:",
                    gaps.len(),
                    a.profile
                );
                for r in gaps {
                    println!("  {} [{}] {}", r.id, r.level.as_str(), r.rule);
                }
            }
            println!("reports: {}", options.report_dir.display());
            if options.sign_with.is_some() {
                println!(
                    "signed: {}",
                    options
                        .report_dir
                        .join(crate::report::files::SIGNATURE)
                        .display()
                );
            }
            println!("{}", outcome.closing_line());
            if outcome.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("dcr-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}
