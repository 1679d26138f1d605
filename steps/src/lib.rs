//! dcr-conformance: a conformance suite for CDR Dynamic Client Registration. Gherkin scenarios
//! derived from the Consumer Data Standards drive a reqwest client, over mutual TLS, against a
//! real Data Holder or the bundled mock holder; insta snapshots responses and error payloads.
//!
//! # Layout
//!
//! The folders follow a run's pipeline, bottom up. A stage imports only from the stages listed
//! beneath it (`tests/layering.rs` fails on any other `use crate::…` edge):
//!
//! * [`redact`]: removal of secrets before anything is shown or written, and the
//!   pattern-based scrubber every written text goes through. Imports nothing.
//! * [`catalogue`]: the requirement catalogue (`features/catalogue.yaml`), levels, profiles,
//!   accepted outcomes, and where the features are read from (the tree built into the binary,
//!   or `--features DIR`). Imports nothing.
//! * [`http`]: sending requests and capturing exchanges, never panicking, never hanging, never
//!   following a redirect; every reqwest client of the suite is built here. Imports `redact`.
//! * [`environment`]: where a run executes: the embedded environment (mock Register, ADR JWKS
//!   host, mock holder on loopback), the target file (`target/`: schema, loading,
//!   capabilities), the Register client, and `doctor`. Imports `http`, `redact`, `catalogue`.
//! * [`scenario`]: one scenario's side: the typed World, cucumber parameter types, step
//!   definitions (each declaring what it needs from the environment), snapshots. Imports
//!   `environment`, `http`, `redact`, `catalogue`.
//! * [`run`]: a run of the features: selection, the plan checked against the catalogue,
//!   cucumber wiring, the after-scenario hook, result collection, live progress, and the
//!   result model and verdicts (`results`, `verdict`, `plan`), which are free of the cucumber
//!   runtime. Imports `scenario` and everything beneath it.
//! * [`report`]: writers over the result model (summary.json, junit.xml, report.html, the
//!   signed summary, latency). Imports only `run`'s result model (`run::results`,
//!   `run::verdict`, `run::plan`), `http`, `redact`, `catalogue`; never the cucumber runtime.
//! * [`selfcheck`]: `selfcheck`, the suite run against the mock holder with each defect
//!   injected: orchestration, judging, its model, console output, its page. Imports `report`,
//!   `run` and beneath.
//! * [`inspect`]: `inspect JWT|FILE`, offline checks of a registration request or SSA against
//!   a profile. Imports `catalogue`, `redact`.
//! * [`cli`]: the `dcr-conformance` command line and its exit codes. Imports every stage.

pub mod catalogue;
pub mod cli;
pub mod environment;
pub mod http;
pub mod inspect;
pub mod redact;
pub mod report;
pub mod run;
pub mod scenario;
pub mod selfcheck;
