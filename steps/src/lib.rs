//! dcr-conformance: a conformance suite for CDR Dynamic Client Registration. Gherkin scenarios
//! derived from the Consumer Data Standards drive a reqwest client, over mutual TLS, against a
//! real Data Holder or the bundled mock holder; insta snapshots responses and error payloads.
//!
//! # Layout
//!
//! * [`cli`]: the `dcr-conformance` command line and its exit codes.
//! * [`runner`]: cucumber wiring: scenario selection, writers (console, JUnit, Cucumber JSON,
//!   the result collector), the verdict.
//! * [`plan`]: every declared scenario, checked against the catalogue before the run.
//! * [`results`]: the run's result model, collected from cucumber events.
//! * [`verdict`]: levels, `--strict` and profiles applied to results; the requirement matrix.
//! * [`env`]: the environment a run executes in (target, recipients, Register); the embedded
//!   default starts a mock Register, an ADR JWKS host and the mock holder on loopback.
//! * [`target`]: the target file (`--target`): a Data Holder the user does not control, the
//!   recipients the suite acts as there, validated field by field.
//! * [`needs`]: what each scenario needs from the environment (read from its steps), and the
//!   skip reason when the target cannot provide it.
//! * [`doctor`]: `doctor --target`, the pre-flight checks of a target.
//! * [`world`]: the typed per-scenario World and the run context it reads.
//! * `steps`: step definitions, one module per domain concept.
//! * [`inspect`]: `inspect JWT|FILE`, offline checks of a registration request or SSA against
//!   a profile.
//! * [`catalogue`]: the requirement catalogue (`features/catalogue.yaml`) and accepted outcomes.
//! * [`http`]: sending requests and capturing exchanges, never panicking, never hanging.
//! * [`snapshot`]: insta snapshots of payloads with run-specific values redacted.
//! * [`redact`]: removal of secrets before anything is shown or written.
//! * [`selfcheck`]: `selfcheck`, the suite run against the mock holder with each defect
//!   injected, and the kill matrix.
//! * [`report`]: the reports written after a run (summary.json, junit.xml, report.html, the
//!   signed summary), latency per endpoint, console progress.

pub mod catalogue;
pub mod cli;
pub mod doctor;
pub mod env;
pub mod http;
pub mod inspect;
pub mod needs;
pub mod plan;
pub mod redact;
pub mod report;
pub mod results;
pub mod runner;
pub mod selfcheck;
pub mod snapshot;
mod steps;
pub mod target;
pub mod verdict;
pub mod world;
