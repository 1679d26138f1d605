//! `dcr-conformance selfcheck` options.

use std::path::PathBuf;

use mock_holder::{Defect, Variation};

use crate::catalogue::source::FeaturesSource;
use crate::run::runner;

/// `dcr-conformance selfcheck` options.
#[derive(Debug, Clone, clap::Args)]
pub struct SelfcheckArgs {
    /// Runs at once (each runs the suite against its own embedded holder: on a thread of its
    /// own in this process, or a child process with --isolate).
    #[arg(long, short = 'j', default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub(crate) jobs: u16,
    /// Folder of feature files and `catalogue.yaml` [default: the features built into this
    /// binary; `dcr-conformance features export DIR` writes an editable copy].
    #[arg(long, value_name = "DIR")]
    pub(crate) features: Option<PathBuf>,
    /// Where to write selfcheck.json and selfcheck.html; each run's reports go to
    /// selfcheck/<defect>/ (the baseline's to selfcheck/baseline/) inside it.
    #[arg(long, value_name = "DIR", default_value = runner::DEFAULT_REPORT_DIR)]
    pub(crate) report_dir: PathBuf,
    /// Catalogue profile of every run. mock-compat (the default) is cds-au plus the
    /// reference-implementation (IMPL) rules, so that IMPL defects can be caught too.
    #[arg(long, value_name = "NAME", default_value = "mock-compat")]
    pub(crate) profile: String,
    /// Start the holder in this flavour instead of the profile's: the suite of one flavour
    /// against a holder of another (the baseline then shows where the two differ; a defect
    /// runs only where it perverts this flavour).
    #[arg(long, value_name = "NAME")]
    pub(crate) holder_flavour: Option<mock_holder::Flavour>,
    /// The self-check of every profile whose flavour the mock holder emulates, one after the
    /// other, each into <report dir>/profiles/<name>/ (--profile is ignored).
    #[arg(long, conflicts_with_all = ["crosswise", "holder_flavour"])]
    pub(crate) all_profiles: bool,
    /// The suite of every such profile against the correct holder in every flavour (no
    /// defects): a table of where the suites tell the flavours apart; each profile must pass
    /// its own flavour. Writes <report dir>/crosswise.json.
    #[arg(long, conflicts_with_all = ["holder_flavour", "defects", "full"])]
    pub(crate) crosswise: bool,
    /// Run every scenario for each defect (slower), which also reports the collateral
    /// failures; by default a defect run selects the scenarios of the defect's rules only.
    #[arg(long)]
    pub(crate) full: bool,
    /// Only this defect (repeatable); default: every defect.
    #[arg(long = "defect", value_name = "NAME")]
    pub(crate) defects: Vec<Defect>,
    /// Run each run as a child process of this binary instead of in this process (slower:
    /// every child starts a process and generates its own keys).
    #[arg(long)]
    pub(crate) isolate: bool,
    /// Longest a single run may take, in seconds, before it is stopped and counted as an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    pub(crate) run_timeout: u64,
    /// Only this variation (repeatable); default: every variation of mock-holder/variations.yaml
    /// that applies to the holder's flavour, each alone and the compatible ones together.
    #[arg(
        long = "variation",
        value_name = "NAME",
        conflicts_with = "no_variations"
    )]
    pub(crate) variations: Vec<Variation>,
    /// Run no variation (only the baseline and the defects).
    #[arg(long)]
    pub(crate) no_variations: bool,
}

impl SelfcheckArgs {
    /// Where the features are read.
    pub(crate) fn features(&self) -> FeaturesSource {
        FeaturesSource::from(self.features.clone())
    }

    /// How the runs are kept apart.
    pub(crate) fn isolation(&self) -> Isolation {
        if self.isolate {
            Isolation::ChildProcess
        } else {
            Isolation::InProcess
        }
    }
}

/// How the runs of a self-check are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Each run on a thread and runtime of its own in this process (the default).
    InProcess,
    /// Each run a child process of this binary (`--isolate`).
    ChildProcess,
}

impl Isolation {
    /// The name `selfcheck.json` records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProcess => "in-process",
            Self::ChildProcess => "child-process",
        }
    }
}
