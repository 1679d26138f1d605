//! Test data for dcr-conformance, and the code that turns it into keys, certificates and signed JWTs.
//!
//! # Layout
//!
//! * [`pki`]: a throw-away X.509 test PKI generated at start-up with rcgen (CA, server
//!   certificate, one client certificate per recipient, a rogue certificate from another CA).
//! * [`keys`]: JOSE signing keys (PS256 / ES256) and the JWKS documents that publish them.
//! * [`jose`]: compact JWS construction with full control over header and payload bytes (so
//!   that mutations such as `alg: none` or a tampered payload can be expressed), plus
//!   unverified decoding for display. No verification lives here: verifying is the job of the
//!   mock holder (as a Data Holder) and of the suite's steps, each with its own code.
//! * [`templates`]: the SSA, registration-request and recipient templates kept as YAML under
//!   `vectors/templates/`, embedded at compile time, with `${name}` substitution.
//! * [`mutation`]: named mutations of SSAs and registration requests (`vectors/mutations/`).
//! * [`time`]: the Unix clock used for `iat`/`exp`.
//!
//! Everything here is data and construction. Nothing decides whether a request is valid.

pub mod jose;
pub mod keys;
pub mod mutation;
pub mod pki;
pub mod templates;
pub mod time;

pub use keys::{SigningAlg, SigningKey};
pub use pki::{CertAndKey, TestPki};
pub use templates::{RegistrationTemplate, SoftwareProduct, SsaTemplate};
