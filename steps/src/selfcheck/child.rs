//! Child runs: each run of the self-check is a child process of this same binary (`run
//! --holder-defect NAME`) with its own report folder; its verdict comes from the
//! `summary.json` it writes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use mock_holder::Defect;

use crate::selfcheck::args::SelfcheckArgs;
use crate::selfcheck::model::{BASELINE, RUNS_DIR, RunDigest, RunRecord};

/// One child run.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) defect: Option<Defect>,
    /// `--rule` selection (empty: every scenario).
    pub(crate) rules: Vec<String>,
    pub(crate) dir: PathBuf,
}

impl Job {
    pub(crate) fn label(&self) -> &'static str {
        self.defect.map_or(BASELINE, Defect::name)
    }
}

/// A finished child run.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) record: RunRecord,
    pub(crate) digest: Option<RunDigest>,
}

pub(crate) async fn run_child(job: &Job, args: &SelfcheckArgs) -> Finished {
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
