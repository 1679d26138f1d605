//! The conformance suite against the embedded mock holder, as a `cargo test` target
//! (`harness = false`): the project's regression gate.
//!
//! cargo forwards libtest arguments (`--nocapture`, `--test-threads`, a name filter...) to every
//! test binary. They mean nothing to cucumber, so they are not passed on; a name filter that
//! does not match this target's name ("conformance") skips the suite, as libtest would.
//!
//! By default the suite runs under profile `cds-au`. `DCR_CONFORMANCE_PROFILES` (a
//! comma-separated list of profiles, or `all`) runs it under each of those instead, the holder
//! in each profile's flavour, one after the other: `scripts/mutants` sets it to `all`, so that a
//! mutant of the holder's code for any flavour meets the suite of that flavour. The suite
//! compares every passed scenario's exchanges with the committed snapshots;
//! `DCR_CONFORMANCE_SCENARIO_SNAPSHOTS=skip` compares none of them; `DCR_CONFORMANCE_STRICT=1`
//! makes SHOULD failures fail (as `run --strict`); `DCR_CONFORMANCE_FAIL_FAST=1` stops at the
//! first profile whose suite fails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use dcr_conformance::catalogue::source::FeaturesSource;
use dcr_conformance::environment::Environment;
use dcr_conformance::environment::embedded::HolderSetup;
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
    // The repository's folders, explicitly: cargo runs tests in `steps/`.
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
    let profiles: Vec<String> = match std::env::var("DCR_CONFORMANCE_PROFILES") {
        Err(_) => vec!["cds-au".to_string()],
        Ok(list) if list.trim() == "all" => {
            match dcr_conformance::catalogue::Catalogue::load(&features) {
                Ok(c) => c.profile_names().map(str::to_string).collect(),
                Err(e) => {
                    eprintln!("conformance: {e:#}");
                    return ExitCode::from(2);
                }
            }
        }
        Ok(list) => list.split(',').map(|p| p.trim().to_string()).collect(),
    };
    // `scripts/mutants` sets `DCR_CONFORMANCE_FAIL_FAST=1`: a mutant is caught once one
    // profile's suite fails, and the profiles after it would only cost time.
    let fail_fast = std::env::var("DCR_CONFORMANCE_FAIL_FAST").is_ok_and(|v| v == "1");
    let mut worst = ExitCode::SUCCESS;
    for profile in profiles {
        let code = run_profile(&features, &profile).await;
        if code != ExitCode::SUCCESS {
            worst = code;
            if fail_fast {
                break;
            }
        }
    }
    worst
}

/// The suite under `profile` against the embedded holder in the profile's flavour.
async fn run_profile(features: &std::path::Path, profile: &str) -> ExitCode {
    let holder = match dcr_conformance::catalogue::Catalogue::load(features)
        .and_then(|c| c.profile(profile))
        .and_then(|p| HolderSetup::for_profile(&p))
    {
        Ok(holder) => holder,
        Err(e) => {
            eprintln!("conformance: profile {profile}: {e:#}");
            return ExitCode::from(2);
        }
    };
    let env = match Environment::embedded_with(Duration::from_secs(10), &holder).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("cannot start the embedded environment: {e:#}");
            return ExitCode::from(2);
        }
    };
    let mut options = RunOptions::new();
    options.features = FeaturesSource::Dir(features.to_path_buf());
    // The committed snapshots of the embedded holder.
    options.snapshot_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots");
    options.profile = profile.to_string();
    options.report_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance-reports")
        .join(profile);
    // `scripts/mutants` sets `DCR_CONFORMANCE_SCENARIO_SNAPSHOTS=skip`: a mutant must be
    // caught by a check, not by an answer that changed.
    if std::env::var("DCR_CONFORMANCE_SCENARIO_SNAPSHOTS").is_ok_and(|v| v == "skip") {
        options.scenario_snapshots = dcr_conformance::run::runner::SnapshotMode::Skip;
    }
    // And `DCR_CONFORMANCE_STRICT=1` (`run --strict`): a mutant that breaks a SHOULD rule is
    // caught by that rule's warning, which fails a strict run. A scenario the profile leaves
    // unsettled stays a warning even then (it counts at MAY).
    if std::env::var("DCR_CONFORMANCE_STRICT").is_ok_and(|v| v == "1") {
        options.strict = true;
    }
    dcr_conformance::cli::run_in(env, &options).await
}
