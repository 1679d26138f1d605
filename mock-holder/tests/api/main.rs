//! API tests of the mock holder: one binary (zero2prod layout).

#![allow(clippy::unwrap_used, unreachable_pub)]

mod concurrency;
mod durability;
mod flavour_defects;
mod flavour_hybrid;
mod flavour_wso2_cds_02;
mod flavour_wso2_cds_02_management;
mod flavour_wso2_ob14;
mod flavour_wso2_ob20;
mod flavours;
mod helpers;
mod jwks;
mod management;
mod register;
mod token;
