//! API tests of the mock holder: one binary (zero2prod layout).

#![allow(clippy::unwrap_used, unreachable_pub)]

mod concurrency;
mod durability;
#[path = "../../fuzz/durability.rs"]
mod durability_at_scale;
mod flavour_defects;
mod flavour_hybrid;
mod flavour_uk;
mod flavour_wso2_accelerator;
mod flavour_wso2_cds_02;
mod flavour_wso2_cds_02_management;
mod flavour_wso2_ob14;
mod flavour_wso2_ob20;
mod flavours;
mod fuzz;
#[path = "../../fuzz/engine.rs"]
mod fuzz_engine;
mod helpers;
mod jwks;
mod management;
#[path = "../../fuzz/process.rs"]
mod process;
mod register;
mod slow_clients;
mod time_claims;
mod token;
mod variations;
