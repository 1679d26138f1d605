//! Step definitions, one module per domain concept (not per feature file).
//!
//! * `discovery`: fetching and checking the OpenID Provider configuration.
//! * `registration`: software statements, registration requests, POST /register.
//! * `response`: assertions on the last exchange (status, JSON, catalogue outcomes, snapshots).
//! * `token`: client_credentials tokens with private_key_jwt client assertions.
//! * `management`: GET, PUT and DELETE on /register/{ClientId} with bearer tokens.
//! * `probe`: requests with a spelled-out header or body (`${ENV}` expanded), for the suite's
//!   own tests.
//! * `cleanup`: deleting what a scenario registered, on targets with fixed software statements.

pub(crate) mod cleanup;
mod discovery;
mod management;
mod probe;
mod registration;
mod response;
mod token;
