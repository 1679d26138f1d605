//! Runs in this process (the default): each run of the self-check on a thread of its own,
//! with a tokio runtime of its own, its own embedded environment and its own run context.
//!
//! What keeps one run's state out of another's verdict:
//!
//! * its **environment** is its own: a PKI generated for it (its clients cannot even complete
//!   a handshake with another run's holder), a mock holder with its own in-memory database
//!   and token-signing key, its own Register and recipient JWKS hosts on their own ports.
//!   Only the signing keys are shared by the runs of a process (inputs, never written to);
//! * its **run context** (the environment, catalogue and snapshot folder every World reads)
//!   is a task-local around the run's cucumber future, not a process-wide value;
//! * its **runtime** is dropped when the run ends, with every task the run started (the
//!   holder's listeners and connections, the JWKS hosts, pooled client connections);
//! * its **results** are collected by its own writers into its own report folder, and its
//!   verdict is read back from the `summary.json` it wrote, as for a child process;
//! * **snapshots** are only compared ([`SnapshotMode::CompareOnly`]), never written, and do
//!   not go through insta's process-wide settings or environment variables; a variation
//!   run does not compare them at all ([`SnapshotMode::Skip`]).
//!
//! `tests/isolation.rs` checks this: two holders in one process do not see each other's
//! registrations or tokens, and two runs polled together on one thread each get the verdict
//! of their own holder.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::catalogue::source::FeaturesSource;
use crate::environment::Environment;
use crate::run::progress::ProgressMode;
use crate::run::runner::{self, Console, RunOptions, SnapshotMode};
use crate::selfcheck::spec::{Finished, RunSpec, fresh_dir};

/// Per-request timeout of a self-check run (as `run`'s default).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Scenarios at once within a run (as `run`'s default).
const CONCURRENCY: usize = 4;

/// The console file of a run.
const CONSOLE: &str = "console.txt";

/// The name of a run's thread starts with this.
const THREAD_PREFIX: &str = "selfcheck ";

/// The process's panic hook while runs execute: silent on the runs' threads (a step's panic is
/// a failed step, reported by cucumber; a run's panic outside a step is its error), the
/// original one elsewhere. cucumber itself swaps the hook for a silent one during a run and
/// puts back the one it found, which with overlapping runs may be another run's silent hook;
/// the returned function puts back the original hook once every run is done.
pub(crate) fn quiet_panics() -> impl FnOnce() {
    type Hook = dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync;
    let original: Arc<Hook> = std::panic::take_hook().into();
    let elsewhere = original.clone();
    std::panic::set_hook(Box::new(move |info| {
        let on_a_run = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with(THREAD_PREFIX));
        if !on_a_run {
            elsewhere(info);
        }
    }));
    move || std::panic::set_hook(Box::new(move |info| original(info)))
}

/// The message of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs `spec` in this process, on a thread and runtime of its own, writing its reports into
/// `dir` (emptied first); stopped after `limit`. The run's console output goes to
/// `dir/console.txt`.
pub(crate) async fn run_in_process(
    spec: &RunSpec,
    dir: &Path,
    features: &FeaturesSource,
    limit: Duration,
) -> Finished {
    let started = Instant::now();
    let elapsed = || started.elapsed().as_millis() as u64;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let job = (spec.clone(), dir.to_path_buf(), features.clone());
    let thread = std::thread::Builder::new()
        .name(format!("{THREAD_PREFIX}{}", spec.name))
        .spawn(move || {
            let (spec, dir, features) = job;
            let run = || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the run's runtime")?;
                // Dropping the runtime at the end of this closure ends every task of the run.
                runtime.block_on(async {
                    match tokio::time::timeout(limit, execute(&spec, &dir, &features)).await {
                        Ok(code) => code,
                        Err(_) => anyhow::bail!(
                            "the run took longer than {} s and was stopped",
                            limit.as_secs()
                        ),
                    }
                })
            };
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(
                |payload| {
                    Err(anyhow::anyhow!(
                        "the run panicked outside a scenario: {}",
                        panic_message(payload.as_ref())
                    ))
                },
            );
            let _ = sender.send(code);
        });
    if let Err(e) = thread {
        return Finished::failed(
            spec,
            format!("cannot start the run's thread: {e}"),
            elapsed(),
        );
    }
    match receiver.await {
        Ok(Ok(code)) => Finished::read(spec, dir, Some(code), elapsed()),
        Ok(Err(e)) => {
            note(dir, &format!("dcr-conformance: {e:#}"));
            Finished::failed(spec, format!("{e:#}"), elapsed())
        }
        Err(_) => Finished::failed(spec, "the run's thread ended".to_string(), elapsed()),
    }
}

/// The run itself: what `dcr-conformance run` does with the same options, into `dir`. Its exit
/// code as `run` would give it: 0 passed, 1 conformance failures (errors are `Err`).
async fn execute(spec: &RunSpec, dir: &Path, features: &FeaturesSource) -> anyhow::Result<i32> {
    fresh_dir(dir)?;
    let env: Arc<Environment> = Environment::embedded_with(REQUEST_TIMEOUT, &spec.holder)
        .await
        .context("cannot start the embedded environment")?;
    let options = RunOptions {
        features: features.clone(),
        report_dir: dir.to_path_buf(),
        // The embedded holder's own stored answers, built in with it.
        snapshot_root: crate::selfcheck::snapshots::root()?,
        rules: spec.rules.clone(),
        concurrency: CONCURRENCY,
        profile: spec.profile.clone(),
        progress: ProgressMode::Off,
        console: Console::File(dir.join(CONSOLE)),
        // A variation's holder is another target than the one whose snapshots are stored.
        snapshots: if spec.holder.variations.is_empty() {
            SnapshotMode::CompareOnly
        } else {
            SnapshotMode::Skip
        },
        // A defect must be killed by its rules' checks, not by a payload that changed.
        scenario_snapshots: SnapshotMode::Skip,
        ..RunOptions::new()
    };
    let outcome = runner::run(env, &options).await?;
    crate::report::write_reports(
        dir,
        &outcome.meta,
        &outcome.catalogue,
        &outcome.results,
        &outcome.assessment,
        None,
    )?;
    note(
        dir,
        crate::report::closing_text(&outcome.assessment, dir, false).trim_end(),
    );
    Ok(if outcome.passed() { 0 } else { 1 })
}

/// Appends `text` to the run's console file.
fn note(dir: &Path, text: &str) {
    let path: PathBuf = dir.join(CONSOLE);
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{}", crate::redact::scrub::text(text));
    }
}
