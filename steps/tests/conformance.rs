//! The conformance suite against the embedded mock holder, as a `cargo test` target
//! (`harness = false`): the project's regression gate.
//!
//! cargo forwards libtest arguments (`--nocapture`, `--test-threads`, a name filter...) to every
//! test binary. They mean nothing to cucumber, so they are not passed on; a name filter that
//! does not match this target's name ("conformance") skips the suite, as libtest would.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dcr_conformance::environment::Environment;
use dcr_conformance::run::runner::RunOptions;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("conformance: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "conformance".contains(f.as_str())) {
        println!("conformance: 0 passed, 0 failed, 0 skipped (filtered out)");
        return ExitCode::SUCCESS;
    }
    let env = match Environment::embedded(Duration::from_secs(10)).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("cannot start the embedded environment: {e:#}");
            return ExitCode::from(2);
        }
    };
    let mut options = RunOptions::new();
    options.report_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance-reports");
    dcr_conformance::cli::run_in(env, &options).await
}
