//! One scenario's side of a run.
//!
//! * [`world`]: the typed per-scenario World and the run context it reads;
//! * [`params`]: cucumber parameter types (recipients, operations, certificates, status
//!   lists), so that a malformed step fails when it is parsed;
//! * [`needs`]: what a step needs from the environment, declared where the step is defined,
//!   and the needs of a whole scenario;
//! * `steps`: step definitions, one module per domain concept;
//! * [`snapshot`]: insta snapshots of payloads with run-specific values redacted;
//! * [`waits`]: waits in progress (a token's expiry), for the console's countdown.

pub mod needs;
pub mod params;
pub mod snapshot;
mod steps;
pub mod waits;
pub mod world;

pub use steps::cleanup::cleanup as clean_up;
