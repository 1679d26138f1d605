//! Child runs (`selfcheck --isolate`): a run as a child process of this same binary (`run
//! --holder-defect NAME`) with its own report folder; its verdict comes from the
//! `summary.json` it writes. Slower than a run in this process (each child starts a process
//! and generates its own keys), for when a run must not share a process with the others.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::catalogue::source::FeaturesSource;
use crate::environment::embedded::HolderSetup;
use crate::selfcheck::spec::{Finished, RunSpec, fresh_dir};

/// The hidden `run` options that start a child's embedded holder as `holder` says. Every
/// field of [`HolderSetup`] needs one (the destructuring below fails to compile otherwise).
fn holder_args(holder: &HolderSetup) -> Vec<String> {
    let HolderSetup {
        defect,
        flavour,
        signing_algs,
        variations,
    } = holder;
    let mut args = vec!["--holder-flavour".to_string(), flavour.name().to_string()];
    if let Some(defect) = defect {
        args.extend(["--holder-defect".to_string(), defect.name().to_string()]);
    }
    for alg in signing_algs {
        args.extend(["--holder-signing-alg".to_string(), alg.to_string()]);
    }
    for v in variations {
        args.extend(["--holder-variation".to_string(), v.name().to_string()]);
    }
    args
}

/// Runs `spec` as a child process writing its reports into `dir`, stopped after `limit`.
pub(crate) async fn run_child(
    spec: &RunSpec,
    dir: &Path,
    features: &FeaturesSource,
    limit: Duration,
) -> Finished {
    let started = Instant::now();
    match spawn_and_wait(spec, dir, features, limit).await {
        Err(e) => Finished::failed(spec, format!("{e:#}"), started.elapsed().as_millis() as u64),
        Ok(code) => Finished::read(spec, dir, code, started.elapsed().as_millis() as u64),
    }
}

/// Starts `spec` as a child process of this binary and waits for it; the exit code.
async fn spawn_and_wait(
    spec: &RunSpec,
    dir: &Path,
    features: &FeaturesSource,
    limit: Duration,
) -> anyhow::Result<Option<i32>> {
    fresh_dir(dir)?;
    let console =
        std::fs::File::create(dir.join("console.txt")).context("cannot create console.txt")?;
    let exe = std::env::current_exe().context("cannot find this program's executable")?;
    let mut command = tokio::process::Command::new(exe);
    command
        .arg("run")
        .args(features.args())
        .arg("--report-dir")
        .arg(dir)
        // The embedded holder's own stored answers, built in with it.
        .arg("--snapshots")
        .arg(crate::selfcheck::snapshots::root()?)
        .args(["--progress", "off", "--profile", &spec.profile])
        .args(holder_args(&spec.holder));
    for rule in &spec.rules {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_setup_becomes_the_hidden_run_options() {
        assert_eq!(
            holder_args(&HolderSetup::correct()),
            ["--holder-flavour", "cds-au"]
        );
        assert_eq!(
            holder_args(&HolderSetup::with_defect(
                mock_holder::Defect::SkipHolderOfKey
            )),
            [
                "--holder-flavour",
                "cds-au",
                "--holder-defect",
                "skip-holder-of-key"
            ]
        );
        let wso2 = HolderSetup {
            defect: None,
            flavour: mock_holder::Flavour::Wso2ObAu01,
            signing_algs: vec![dcr_vectors::SigningAlg::Ps256],
            variations: vec![
                mock_holder::Variation::PrettyJson,
                mock_holder::Variation::Http1Only,
            ],
        };
        assert_eq!(
            holder_args(&wso2),
            [
                "--holder-flavour",
                "wso2-ob-au-0.1",
                "--holder-signing-alg",
                "PS256",
                "--holder-variation",
                "pretty-json",
                "--holder-variation",
                "http1-only"
            ]
        );
    }
}
