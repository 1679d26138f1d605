//! Durability at scale: `kill -9` of the release holder process while `DURABILITY_CONCURRENCY`
//! registrations (default 1,000) are in flight, once `DURABILITY_KILL_AFTER` (default 300)
//! were acknowledged; after a restart, every acknowledged registration must be found. Exits 1
//! when one is missing.
//!
//!   cargo bench -p mock-holder --bench durability

#![allow(clippy::unwrap_used, unreachable_pub)]

#[path = "../fuzz/durability.rs"]
mod durability;
#[path = "../fuzz/process.rs"]
mod process;

use std::path::Path;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (concurrency, kill_after) = (
        env("DURABILITY_CONCURRENCY", 1000),
        env("DURABILITY_KILL_AFTER", 300),
    );
    let dir = std::env::temp_dir().join(format!("mock-holder-durability-{}", uuid::Uuid::new_v4()));
    let started = Instant::now();
    let outcome = durability::run(
        Path::new(env!("CARGO_BIN_EXE_mock-holder")),
        &dir,
        concurrency,
        kill_after,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", outcome.render());
    println!("wall time {:.1} s", started.elapsed().as_secs_f64());
    if !outcome.missing.is_empty() {
        println!("missing: {:#?}", outcome.missing);
        std::process::exit(1);
    }
}
