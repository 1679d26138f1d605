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
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Folder of feature files and `catalogue.yaml`.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_features_dir())]
    features: PathBuf,
    /// Where to write junit.xml and cucumber.json.
    #[arg(long, value_name = "DIR", default_value_os_t = runner::default_report_dir())]
    report_dir: PathBuf,
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
    }
}

async fn run(args: RunArgs) -> ExitCode {
    let timeout = Duration::from_secs(args.timeout);
    let options = RunOptions {
        features: args.features,
        report_dir: args.report_dir,
        snapshot_root: runner::default_snapshot_root(),
        tags: args.tags,
        name: args.name,
        rules: args.rules,
        concurrency: args.concurrency as usize,
        verbose: args.verbose,
        profile: args.profile,
        strict: args.strict,
    };
    let env = match Env::embedded(timeout).await {
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
