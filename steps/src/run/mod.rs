//! A run of the features against an environment.
//!
//! * [`runner`]: cucumber wiring: writers (console, Cucumber JSON, the result collector,
//!   progress), the run, its outcome;
//! * [`selection`]: which scenarios run: tags, name, rules, profile, and what the environment
//!   can provide;
//! * [`plan`]: every declared scenario, checked against the catalogue before the run;
//! * [`console`]: the console transcript tidied: cucumber's panic prefix dropped, `Defined:`
//!   paths made whole;
//! * [`collect`]: the cucumber writer that builds the result model from events;
//! * [`hooks`]: the after-scenario hook: a finished scenario's exchanges into the results, and
//!   the clean-up of what it registered;
//! * [`progress`]: the live console writer (a bar, or progress lines);
//! * [`rerun`]: `--rerun-failed`: the failed and warning scenarios of the last `summary.json`;
//! * [`results`], [`verdict`]: the result model and the verdicts (levels, `--strict`,
//!   profiles, the requirement matrix); free of the cucumber runtime, read by `report`.

pub mod collect;
pub mod console;
pub mod hooks;
pub mod plan;
pub mod progress;
pub mod rerun;
pub mod results;
pub mod runner;
pub mod selection;
pub mod verdict;
