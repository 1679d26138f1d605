//! What one run of the self-check is ([`RunSpec`]) and what it left behind ([`Finished`]).

use std::path::{Path, PathBuf};

use mock_holder::{Defect, Variation};

use crate::catalogue::{Catalogue, Profile};
use crate::environment::embedded::HolderSetup;
use crate::selfcheck::model::{
    BASELINE, RUNS_DIR, RunDigest, RunRecord, VARIATION_PREFIX, VARIATIONS_TOGETHER,
};

/// One run of the self-check: the suite, under a profile, with a selection, against an
/// embedded mock holder set up a certain way. A value rather than arguments so that it can
/// grow (the holder's flavour and variations go into [`HolderSetup`]; a run's own options
/// beside `rules`) while every runner takes the same thing: the runs in this process
/// ([`crate::selfcheck::run_in_process`]) and the child processes of `--isolate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// The run's name: its report folder `selfcheck/<name>/` and its key in the kill matrix
    /// (`baseline`, or the defect's name).
    pub name: String,
    /// The catalogue profile the suite runs under.
    pub profile: String,
    /// How the embedded holder is set up.
    pub holder: HolderSetup,
    /// Only the scenarios proving these rules (`--rule`); empty: every scenario.
    pub rules: Vec<String>,
}

impl RunSpec {
    /// The baseline: every scenario of `profile` against the correct `holder`.
    pub fn baseline(profile: &str, holder: &HolderSetup) -> Self {
        Self {
            name: BASELINE.to_string(),
            profile: profile.to_string(),
            holder: HolderSetup {
                defect: None,
                variations: Vec::new(),
                ..holder.clone()
            },
            rules: Vec::new(),
        }
    }

    /// The run of `defect` in `holder`: the scenarios of `rules`, the defect's rules that the
    /// profile checks (every scenario with `full`).
    pub fn defect(
        profile: &str,
        holder: &HolderSetup,
        defect: Defect,
        rules: &[String],
        full: bool,
    ) -> Self {
        Self {
            name: defect.name().to_string(),
            profile: profile.to_string(),
            holder: HolderSetup {
                defect: Some(defect),
                variations: Vec::new(),
                ..holder.clone()
            },
            rules: if full { Vec::new() } else { rules.to_vec() },
        }
    }

    /// The run of `holder` showing the variations of `set` (one alone, or every compatible
    /// one together): every scenario, each of which must pass.
    pub fn variation(profile: &str, holder: &HolderSetup, set: &[Variation]) -> Self {
        Self {
            name: Self::variation_name(set),
            profile: profile.to_string(),
            holder: HolderSetup {
                defect: None,
                variations: set.to_vec(),
                ..holder.clone()
            },
            rules: Vec::new(),
        }
    }

    /// The name of the run of `set`: `variation-NAME` for one, `variations-together` for more.
    pub fn variation_name(set: &[Variation]) -> String {
        match set {
            [one] => format!("{VARIATION_PREFIX}{one}"),
            _ => VARIATIONS_TOGETHER.to_string(),
        }
    }

    /// Its report folder inside the self-check's report folder.
    pub fn dir(&self, report_dir: &Path) -> PathBuf {
        report_dir.join(RUNS_DIR).join(&self.name)
    }

    /// Its report folder relative to the self-check's (as `selfcheck.json` records it).
    pub(crate) fn relative_dir(&self) -> String {
        Path::new(RUNS_DIR)
            .join(&self.name)
            .to_string_lossy()
            .into_owned()
    }
}

/// What a self-check runs, once its options are checked.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) catalogue: Catalogue,
    pub(crate) profile: Profile,
    /// The correct holder of every run (each defect run adds its defect).
    pub(crate) holder: HolderSetup,
    /// The defects asked for (each runs where [`crate::selfcheck::judge::applicable`]).
    pub(crate) defects: Vec<Defect>,
    /// The variations asked for (each runs alone where it applies to the holder's flavour,
    /// and the compatible ones together).
    pub(crate) variations: Vec<Variation>,
}

/// A finished run: how it ended, and what its `summary.json` says when it completed.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) record: RunRecord,
    pub(crate) digest: Option<RunDigest>,
}

impl Finished {
    /// The run ended with `exit_code` (0 passed, 1 conformance failures; anything else, or
    /// `None`, did not complete) after `duration_ms`: its verdict is read back from the
    /// `summary.json` it wrote into `dir`, whichever way it ran.
    pub(crate) fn read(
        spec: &RunSpec,
        dir: &Path,
        exit_code: Option<i32>,
        duration_ms: u64,
    ) -> Self {
        let relative = spec.relative_dir();
        let digest = RunDigest::read(dir);
        let error = match (exit_code, &digest) {
            (_, Err(e)) => Some(format!("{e:#}")),
            (Some(0 | 1), Ok(_)) => None,
            (Some(c), Ok(_)) => Some(format!(
                "the run exited with status {c} (see {relative}/console.txt)"
            )),
            (None, Ok(_)) => Some("the run was stopped by a signal".into()),
        };
        let counts = digest.as_ref().ok().map(|d| d.counts.clone());
        Self {
            record: RunRecord {
                report_dir: relative,
                exit_code,
                duration_ms,
                counts,
                error: error.clone(),
            },
            digest: if error.is_none() { digest.ok() } else { None },
        }
    }

    /// The run did not complete, for `error`.
    pub(crate) fn failed(spec: &RunSpec, error: String, duration_ms: u64) -> Self {
        Self {
            record: RunRecord {
                report_dir: spec.relative_dir(),
                exit_code: None,
                duration_ms,
                counts: None,
                error: Some(error),
            },
            digest: None,
        }
    }
}

/// Empties (or creates) a run's report folder, so that nothing of an earlier self-check can
/// be read back as this run's.
pub(crate) fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}
