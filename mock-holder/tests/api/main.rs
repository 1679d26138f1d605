//! API tests of the mock holder: one binary (zero2prod layout).

#![allow(clippy::unwrap_used, unreachable_pub)]

mod concurrency;
mod durability;
mod helpers;
mod jwks;
mod management;
mod register;
mod slow_clients;
mod time_claims;
mod token;
